"""gradual_exit's HTTP API."""
