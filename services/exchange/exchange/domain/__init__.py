"""exchange's pure rules: agreements, consent and the projection of internal events onto partner streams."""
