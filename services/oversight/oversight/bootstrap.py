"""The one place that wires oversight's dependencies."""
from __future__ import annotations

from pathlib import Path

from oversight import handlers
from oversight.api.limits import RateLimiter
from oversight.config import Settings
from oversight.kpis import projection as kpi_projection
from oversight.models import messaging, metadata
from oversight.scheduled import check_deadlines
from shared.clock import Clock
from shared.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
OWNED_TOPICS = ["oversight.petition"]


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    runtime.services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock)
    runtime.rate_limiter = RateLimiter(settings.public_rate_limit, settings.public_rate_window_seconds)
    runtime.consumers.append(kpi_projection.consumer_spec())
    runtime.periodic.append(("deadlines", settings.deadline_check_seconds, check_deadlines))
    return runtime
