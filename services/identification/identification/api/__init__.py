"""identification's HTTP API."""
