"""The one place that wires assistance's dependencies."""
from __future__ import annotations

from pathlib import Path

from assistance import consumers, handlers
from assistance.config import Settings
from assistance.domain.rules import policy_rules
from assistance.models import messaging, metadata, policy_rulesets
from assistance.scheduled import reconsider_daily, taper_months
from shared.clock import Clock
from shared.contracts import registry
from shared.kafka_io import topic_for
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
# Every topic assistance writes: one per aggregate of its event contracts.
OWNED_TOPICS = sorted({topic_for(urn.split(":")[-2]) for urn in registry().known_schemas()
                       if urn.split(":")[-2].startswith("assistance.")})


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    rules = policy_rules(policy_rulesets, refresh_seconds=settings.policy_refresh_seconds).bind(runtime.session_factory)
    services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock, rules=rules,
                                 feedback_key=settings.feedback_key())
    runtime.services = services
    runtime.consumers.append(rules.consumer_spec("assistance"))
    runtime.policy_rules = rules  # GET /api/v1/policy/in-force (shared.policy_api)
    runtime.consumers.append(ConsumerSpec(name="assistance.intake", handlers=consumers.intake_handlers(services)))
    runtime.periodic.append(("new_period", settings.period_check_seconds, reconsider_daily))
    runtime.periodic.append(("taper_months", settings.period_check_seconds, taper_months))
    return runtime
