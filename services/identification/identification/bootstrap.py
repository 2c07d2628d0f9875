"""The one place that wires identification's dependencies."""
from __future__ import annotations

import functools
from pathlib import Path

from identification import handlers
from identification.config import Settings
from identification.domain.calendar import WorkingCalendar
from identification.domain.rules import policy_rules
from identification.models import messaging, metadata, policy_rulesets
from identification.scheduled import check_deadlines, check_verifications
from shared.clock import Clock
from shared.contracts import registry
from shared.kafka_io import topic_for
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
# Every topic identification writes: one per aggregate of its event contracts.
OWNED_TOPICS = sorted({topic_for(urn.split(":")[-2]) for urn in registry().known_schemas()
                       if urn.split(":")[-2].startswith("identification.")})


def _bound(handler, services):
    """The consumer's (session, event) handler; keeps the use case's declared events (@emits) for the contract test."""
    @functools.wraps(handler)
    def handle(session, event):
        return handler(session, event, services)
    return handle


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or Settings(), metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    # The rules: the replica of published policy (kept by the identification.policy consumer) over the shipped
    # bundle, re-read when a new version arrives; no restart, no rule file of our own.
    rules = policy_rules(policy_rulesets, refresh_seconds=runtime.settings.policy_refresh_seconds)
    rules.bind(lambda: runtime.session_factory())  # deferred: the engine is made on first use, not at build time
    services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock, rules=rules,
                                 calendar=WorkingCalendar.china())
    runtime.services = services
    runtime.consumers.append(ConsumerSpec(name="identification.intake", handlers={
        "discovery.application.submitted": _bound(handlers.on_application_submitted, services),
        "discovery.household.referred": _bound(handlers.on_household_referred, services),
    }))
    runtime.consumers.append(rules.consumer_spec("identification"))
    runtime.consumers.append(ConsumerSpec(name="identification.petitions", handlers={
        "oversight.petition.accepted": _bound(handlers.on_petition_accepted, services),
    }))
    runtime.policy_rules = rules  # GET /api/v1/policy/in-force (shared.policy_api)
    runtime.periodic.append(("deadlines", runtime.settings.deadline_check_seconds, check_deadlines))
    runtime.periodic.append(("verifications", runtime.settings.deadline_check_seconds, check_verifications))
    return runtime
