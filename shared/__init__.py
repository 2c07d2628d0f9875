"""Cross-cutting code every service of the platform uses: envelope, outbox, inbox, consumer runner, settings, db, metrics, logging."""
