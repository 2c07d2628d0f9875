"""The one place that wires exchange's dependencies."""
from __future__ import annotations

from pathlib import Path

from exchange import handlers
from exchange.config import Settings
from exchange.consumers import handlers_for
from exchange.domain.agreements import load_agreements
from exchange.models import messaging, metadata
from shared.clock import Clock
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
AGREEMENTS_DIR = Path(__file__).resolve().parent / "agreements"
CONSENT_TOPIC = "exchange.consent"
# Its internal topics (contracts/asyncapi.yaml); it also owns each agreement's partner.<department>.<stream>
# (contracts/asyncapi-partners.yaml), added from the agreements when the runtime is built.
OWNED_TOPICS = [CONSENT_TOPIC]


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    agreements = load_agreements(Path(settings.agreements_dir) if settings.agreements_dir else AGREEMENTS_DIR)
    owned = OWNED_TOPICS + sorted({a.topic() for a in agreements})
    runtime = ServiceRuntime(settings, metadata, messaging, MIGRATIONS, owned)
    if clock is not None:
        runtime.clock = clock
    runtime.services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock, agreements=tuple(agreements),
                                         topic_prefix=settings.topic_prefix)
    runtime.consumers.append(ConsumerSpec("projection", handlers_for(runtime.services)))
    return runtime
