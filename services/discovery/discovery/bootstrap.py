"""The one place that wires discovery's dependencies."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

from discovery import consumers
from discovery.config import Settings
from discovery.domain.screening import Screener
from discovery.handlers import Context
from discovery.models import messaging, metadata
from discovery.scheduled import report_overdue_clues
from shared.clock import Clock
from shared.runtime import ConsumerSpec, ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
OWNED_TOPICS = ["discovery.application", "discovery.clue", "discovery.household", "discovery.visit"]


class DiscoveryRuntime(ServiceRuntime):
    """The shared runtime plus the screener, built once per process on first use (loading the rule data)."""

    settings: Settings
    services: Context

    @cached_property
    def screener(self) -> Screener:
        return Screener.from_directory(self.settings.screening_rules_dir or None)


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> DiscoveryRuntime:
    runtime = DiscoveryRuntime(settings or Settings(), metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    runtime.services = Context(outbox=runtime.outbox, clock=runtime.clock, settings=runtime.settings)
    runtime.consumers.append(ConsumerSpec(
        name="discovery.identification", handlers=consumers.identification_handlers(lambda: runtime.services)))
    runtime.consumers.append(ConsumerSpec(
        name="discovery.partner-signals",
        handlers=consumers.partner_signal_handlers(lambda: runtime.services, lambda: runtime.screener)))
    runtime.consumers.append(ConsumerSpec(
        name="discovery.followup", handlers=consumers.followup_handlers(lambda: runtime.services)))
    runtime.periodic.append(("overdue_clues", runtime.settings.clue_overdue_check_seconds, report_overdue_clues))
    return runtime
