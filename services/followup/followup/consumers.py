"""Kafka entry points of followup: gradual exit's exits start plans; partners' inbound signals are matched."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from followup import handlers
from followup.domain.plan import IllegalTransition
from followup.domain.rules import NoRuleSet
from shared.broker_security import DepartmentMismatch, check_signal_department
from shared.consumer import Handler, PermanentError, current_topic
from shared.emits import emits
from shared.envelope import Event


def exit_handlers(services: Callable[[], handlers.Services]) -> dict[str, Handler]:
    @emits(*handlers.on_household_exited.__emits__)
    def exited(session: Session, event: Event) -> None:
        try:
            handlers.on_household_exited(session, event, services())
        except NoRuleSet as missing:  # no rules in force on the exit day: it will never apply, whatever the retries
            raise PermanentError(f"exited_at: no_rule_set: {missing}") from None
        except IllegalTransition as illegal:
            raise PermanentError(f"{illegal.code}: {illegal.en}") from None

    return {"gradual_exit.household.exited": exited}


def partner_signal_handlers(services: Callable[[], handlers.Services], topic_prefix: str = "") -> dict[str, Handler]:
    """partner.signal.<department> (the department is the topic's) and the legacy partner.signal."""

    @emits(*handlers.on_partner_signal.__emits__)
    def reported(session: Session, event: Event) -> None:
        try:
            check_signal_department(event.data.get("source_department", ""), current_topic.get(), topic_prefix)
        except DepartmentMismatch as mismatch:
            raise PermanentError(str(mismatch)) from None
        handlers.on_partner_signal(session, event, services())

    return {"partner.signal.reported": reported}
