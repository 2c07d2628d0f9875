"""KPIs from the event streams: a read model fed by every internal topic, pure KPI functions over it, and the API."""
