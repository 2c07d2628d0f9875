"""discovery's HTTP API."""
