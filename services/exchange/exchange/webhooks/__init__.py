"""Webhooks for partner departments without Kafka: DCI-style subscribe / notify with Ed25519-signed notifications."""
