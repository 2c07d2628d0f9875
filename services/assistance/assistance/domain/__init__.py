"""assistance's domain: plain Python, no I/O."""
