"""Structured JSON logs carrying the correlation id, and the Prometheus metrics every service exposes."""
from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import datetime, timezone

from prometheus_client import Counter, Gauge, Histogram

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)

HTTP_LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency",
                         ["service", "method", "route", "status"])
EVENTS_PUBLISHED = Counter("events_published_total", "Events published by the outbox relay", ["service", "topic"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events handled and committed by a consumer",
                          ["service", "consumer", "topic", "outcome"])
EVENTS_RETRIED = Counter("events_retried_total", "Handler attempts that failed and were retried",
                         ["service", "consumer", "topic"])
EVENTS_DEAD_LETTERED = Counter("events_dead_lettered_total", "Events sent to a dead-letter topic",
                               ["service", "consumer", "topic", "reason"])
OUTBOX_BACKLOG = Gauge("outbox_backlog", "Outbox rows not yet published", ["service"])
CONSUMER_LAG = Gauge("consumer_lag", "Records between a consumer's position and the end of a partition",
                     ["service", "consumer", "topic", "partition"])


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "correlation_id", None) or correlation_id.get(),
        }
        for key in ("event_id", "event_type", "topic", "partition", "offset", "error"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.WARNING)
