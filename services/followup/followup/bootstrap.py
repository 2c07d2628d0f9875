"""The one place that wires followup's dependencies."""
from __future__ import annotations

from pathlib import Path

from followup import consumers, handlers
from followup.config import Settings
from followup.models import messaging, metadata, policy_rulesets
from followup.policy import policy_rules
from followup.scheduled import check_schedules
from shared.broker_security import configured_departments, inbound_topic
from shared.clock import Clock
from shared.contracts import registry
from shared.kafka_io import topic_for
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
# Every topic followup writes: one per aggregate of its event contracts.
OWNED_TOPICS = sorted({topic_for(urn.split(":")[-2]) for urn in registry().known_schemas()
                       if urn.split(":")[-2].startswith("followup.")})


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    rules = policy_rules(policy_rulesets, refresh_seconds=runtime.settings.policy_refresh_seconds)
    services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock, rules=rules)
    runtime.services = services
    runtime.consumers.append(rules.consumer_spec("followup"))
    runtime.policy_rules = rules  # GET /api/v1/policy/in-force (shared.policy_api)
    rules.bind(runtime.session_factory)
    runtime.consumers.append(ConsumerSpec(name="followup.exits", handlers=consumers.exit_handlers(lambda: services)))
    if settings.consume_partner_topic:
        runtime.consumers.append(ConsumerSpec(
            name="followup.partner-signals",
            handlers=consumers.partner_signal_handlers(lambda: services, settings.topic_prefix),
            extra_topics=[inbound_topic(d) for d in configured_departments(settings.partner_departments)]))
    runtime.periodic.append(("schedules", settings.schedule_check_seconds, check_schedules))
    return runtime
