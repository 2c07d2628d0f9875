"""followup's pure domain: rule sets, the check-in schedule, risk rules and the plan's life cycle (no I/O)."""
