"""assistance's HTTP API."""
