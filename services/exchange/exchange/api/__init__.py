"""exchange's HTTP API."""
