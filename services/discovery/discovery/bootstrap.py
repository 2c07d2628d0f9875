"""The one place that wires discovery's dependencies."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from discovery import consumers
from discovery.config import Settings
from discovery.domain.screening import Screener, ScreeningRuleSet, rule_set_from_policy
from discovery.handlers import Context
from discovery.models import messaging, metadata, policy_rulesets
from discovery.scheduled import report_overdue_clues
from shared.broker_security import configured_departments, inbound_topic
from shared.clock import Clock
from shared.policy_client import PolicyRules
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
OWNED_TOPICS = ["discovery.access", "discovery.application", "discovery.clue", "discovery.household", "discovery.visit"]


class DiscoveryRuntime(ServiceRuntime):
    """The shared runtime plus the screening rules (published policy: the replica, then the shipped bundle) and the
    screener that uses them, built once per process on first use."""

    settings: Settings
    services: Context
    rules: PolicyRules[ScreeningRuleSet]

    @cached_property
    def screener(self) -> Screener:
        return Screener(self.rules)


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> DiscoveryRuntime:
    runtime = DiscoveryRuntime(settings or Settings(), metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    runtime.services = Context(outbox=runtime.outbox, clock=runtime.clock, settings=runtime.settings)
    runtime.rules = PolicyRules("screening", build=rule_set_from_policy, table=policy_rulesets,
                                refresh_seconds=runtime.settings.policy_refresh_seconds)
    runtime.consumers.append(runtime.rules.consumer_spec("discovery"))
    runtime.policy_rules = runtime.rules  # GET /api/v1/policy/in-force (shared.policy_api)
    runtime.rules.bind(runtime.session_factory)
    runtime.consumers.append(ConsumerSpec(
        name="discovery.identification", handlers=consumers.identification_handlers(lambda: runtime.services)))
    runtime.consumers.append(ConsumerSpec(
        name="discovery.reassessment", handlers=consumers.reassessment_handlers(lambda: runtime.services)))
    # each department's inbound topic partner.signal.<department>, and the legacy partner.signal (internal writers)
    runtime.consumers.append(ConsumerSpec(
        name="discovery.partner-signals",
        handlers=consumers.partner_signal_handlers(lambda: runtime.services, lambda: runtime.screener),
        extra_topics=[inbound_topic(d) for d in configured_departments(runtime.settings.partner_departments)]))
    runtime.consumers.append(ConsumerSpec(
        name="discovery.petitions", handlers=consumers.petition_handlers(lambda: runtime.services)))
    runtime.consumers.append(ConsumerSpec(
        name="discovery.followup", handlers=consumers.followup_handlers(lambda: runtime.services)))
    runtime.periodic.append(("overdue_clues", runtime.settings.clue_overdue_check_seconds, report_overdue_clues))
    return runtime
