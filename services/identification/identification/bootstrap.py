"""The one place that wires identification's dependencies."""
from __future__ import annotations

from pathlib import Path

from identification import handlers
from identification.config import Settings
from identification.models import messaging, metadata
from shared.clock import Clock, SystemClock
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
OWNED_TOPICS = ["identification.case"]


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or Settings(), metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    clock = clock or SystemClock()
    runtime.consumers.append(ConsumerSpec(name="identification.applications", handlers={
        "discovery.application.submitted":
            lambda session, event: handlers.open_case_for_application(session, event, runtime.outbox, clock),
    }))
    return runtime
