"""Kafka entry points of assistance: identification's enrolments, gradual exit's observation periods and programme exits.

The runner skips the other event types of those topics (identification.household also carries identified and
rejected); a rule set missing for the event's date can never be applied, so it is dead-lettered at once, and so is
a support schedule that cannot be paid.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from assistance import handlers
from assistance.domain.rules import NoRuleSet
from shared.consumer import Handler, PermanentError
from shared.emits import emits
from shared.envelope import Event

MATCHING = ("assistance.service.matched", "assistance.service.waitlisted", "assistance.service.cancelled")


def intake_handlers(services: handlers.Services) -> dict[str, Handler]:
    @emits("assistance.needs.assessed", "assistance.benefit.granted", "assistance.benefit.adjusted", *MATCHING)
    def enrolled(session: Session, event: Event) -> None:
        try:
            handlers.on_household_enrolled(session, event, services)
        except NoRuleSet as missing:
            raise PermanentError(f"enrolled_at: no_assistance_rules_in_force: {missing}") from None

    @emits("assistance.benefit.stopped", "assistance.needs.assessed", *MATCHING)
    def exited(session: Session, event: Event) -> None:
        try:
            handlers.on_household_exited(session, event, services)
        except NoRuleSet as missing:
            raise PermanentError(f"exited_at: no_assistance_rules_in_force: {missing}") from None

    @emits("assistance.benefit.adjusted")
    def observation_started(session: Session, event: Event) -> None:
        try:
            handlers.on_observation_started(session, event, services)
        except handlers.InvalidInput as bad:
            raise PermanentError(str(bad)) from None

    @emits("assistance.benefit.adjusted")
    def observation_reverted(session: Session, event: Event) -> None:
        handlers.on_observation_reverted(session, event, services)

    @emits("assistance.benefit.adjusted")
    def observation_completed(session: Session, event: Event) -> None:
        handlers.on_observation_completed(session, event, services)

    return {"identification.household.enrolled": enrolled, "gradual_exit.household.exited": exited,
            "gradual_exit.observation.started": observation_started,
            "gradual_exit.observation.reverted": observation_reverted,
            "gradual_exit.observation.completed": observation_completed}
