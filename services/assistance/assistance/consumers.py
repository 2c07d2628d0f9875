"""Kafka entry points of assistance: identification's enrolments and gradual exit's programme exits.

The runner skips the other event types of those topics (identification.household also carries identified and
rejected); a rule set missing for the event's date can never be applied, so it is dead-lettered at once.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from assistance import handlers
from assistance.domain.rules import NoRuleSet
from shared.consumer import Handler, PermanentError
from shared.envelope import Event


def intake_handlers(services: handlers.Services) -> dict[str, Handler]:
    def enrolled(session: Session, event: Event) -> None:
        try:
            handlers.on_household_enrolled(session, event, services)
        except NoRuleSet as missing:
            raise PermanentError(f"enrolled_at: no_assistance_rules_in_force: {missing}") from None

    def exited(session: Session, event: Event) -> None:
        try:
            handlers.on_household_exited(session, event, services)
        except NoRuleSet as missing:
            raise PermanentError(f"exited_at: no_assistance_rules_in_force: {missing}") from None

    return {"identification.household.enrolled": enrolled, "gradual_exit.household.exited": exited}
