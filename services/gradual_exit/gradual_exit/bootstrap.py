"""The one place that wires gradual_exit's dependencies."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from gradual_exit import handlers
from gradual_exit.config import Settings
from gradual_exit.domain.rules import RuleSet
from gradual_exit.models import messaging, metadata, policy_rulesets
from gradual_exit.scheduled import complete_observations, report_due_reviews
from shared.clock import Clock
from shared.contracts import registry
from shared.emits import emits
from shared.kafka_io import topic_for
from shared.policy_client import PolicyRules
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
# Every topic gradual_exit writes: one per aggregate of its event contracts.
OWNED_TOPICS = sorted({topic_for(urn.split(":")[-2]) for urn in registry().known_schemas()
                       if urn.split(":")[-2].startswith("gradual_exit.")})


def bind(handler: Callable, services: handlers.Services) -> Callable:
    """The consumer's (session, event) handler, keeping the events the use case declares it emits."""
    def handle(session, event):
        return handler(session, event, services)
    handle.__name__ = handler.__name__
    return emits(*handler.__emits__, none=handler.__no_state_change__)(handle)


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or Settings(), metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    # The rules: the published policy versions kept in policy_rulesets by the consumer below, plus the shipped bundle;
    # a newly published version applies from its first day without a restart.
    rules = PolicyRules("gradual_exit", build=RuleSet.from_policy, table=policy_rulesets,
                        refresh_seconds=runtime.settings.policy_refresh_seconds)
    runtime.consumers.append(rules.consumer_spec("gradual_exit"))
    runtime.policy_rules = rules  # GET /api/v1/policy/in-force (shared.policy_api)
    rules.bind(runtime.session_factory)
    services = handlers.Services(outbox=runtime.outbox, clock=runtime.clock, rules=rules)
    runtime.services = services
    runtime.consumers.append(ConsumerSpec(name="gradual_exit.enrolments", handlers={
        "identification.household.enrolled": bind(handlers.on_household_enrolled, services),
    }))
    # The API applies each situation as it records it; this consumer of the same events makes a replay of the topic
    # into an empty database rebuild the same state (an event already applied is skipped).
    runtime.consumers.append(ConsumerSpec(name="gradual_exit.situations", handlers={
        handlers.SITUATION_RECORDED: bind(handlers.on_situation_recorded, services),
    }))
    runtime.periodic.append(("observations", runtime.settings.observation_check_seconds, complete_observations))
    runtime.periodic.append(("reviews", runtime.settings.review_check_seconds, report_due_reviews))
    return runtime
