"""followup's HTTP API: staff check-ins and plans (area-scoped), partner risk signals."""
