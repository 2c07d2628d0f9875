"""Audit of access in oversight: the read model of every service's `<service>.access.recorded` events, and the county
officer's list and export of who looked at a household."""
