"""The one place that wires policy's dependencies."""
from __future__ import annotations

from pathlib import Path

from policy import handlers
from policy.config import Settings
from policy.models import messaging, metadata
from policy.scheduled import seed
from shared.clock import Clock
from shared.contracts import registry
from shared.kafka_io import topic_for
from shared.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
# Every topic policy writes: one per aggregate of its event contracts.
OWNED_TOPICS = sorted({topic_for(urn.split(":")[-2]) for urn in registry().known_schemas()
                       if urn.split(":")[-2].startswith("policy.")})


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    handlers.preview_targets(settings.preview_urls)  # a malformed POLICY_PREVIEW_URLS stops the start, naming it
    runtime = ServiceRuntime(settings, metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    runtime.services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock)
    runtime.periodic.append(("seed", settings.seed_check_seconds, seed))
    return runtime
