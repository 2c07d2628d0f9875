"""Kafka entry points of discovery: translate identification's decisions and partners' inbound signals into use cases."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from discovery import handlers
from discovery.domain.screening import NoRulesInForce, Screener
from discovery.domain.signals import InvalidSignal, parse_record
from shared.consumer import Handler, PermanentError
from shared.envelope import Event

ContextFactory = Callable[[], handlers.Context]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def identification_handlers(context: ContextFactory) -> dict[str, Handler]:
    """Where identification's cases stand, so the citizen can be told and new reports about the household are linked."""

    def started(linked: bool) -> Handler:
        def handle(session: Session, event: Event) -> None:
            d = event.data
            handlers.on_case_started(session, context(), household_id=d["household_id"], case_id=d["case_id"],
                                     source_type=d["source_type"], source_id=d["source_id"], linked=linked,
                                     at=event.time)
        return handle

    def notice(session: Session, event: Event) -> None:
        d = event.data
        handlers.on_notice_published(session, context(), household_id=d["household_id"], case_id=d["case_id"],
                                     ends_at=_time(d["ends_at"]), programmes=list(d["programmes"]), at=event.time)

    def rejected(session: Session, event: Event) -> None:
        d = event.data
        handlers.on_household_rejected(session, context(), household_id=d["household_id"], case_id=d["case_id"],
                                       reasons=d["reasons"], appeal={"en": d["appeal"]["en"], "zh": d["appeal"]["zh"]},
                                       at=event.time)

    def enrolled(session: Session, event: Event) -> None:
        d = event.data
        handlers.on_household_enrolled(session, context(), household_id=d["household_id"], case_id=d["case_id"],
                                       file_number=d["file_number"], programmes=list(d["programmes"]), at=event.time)

    return {
        "identification.case.opened": started(linked=False),
        "identification.case.linked": started(linked=True),
        "identification.notice.published": notice,
        "identification.household.rejected": rejected,
        "identification.household.enrolled": enrolled,
    }


def partner_signal_handlers(context: ContextFactory, screener: Callable[[], Screener]) -> dict[str, Handler]:
    """The inbound topic partner.signal: the same screening path as POST /api/v1/signals. A record that passes its
    contract but breaks a domain rule (check digit, a date in the future, …) can never be applied: dead letter."""

    def reported(session: Session, event: Event) -> None:
        ctx = context()
        try:
            record = parse_record(event.data, today=ctx.today())
        except InvalidSignal as invalid:
            raise PermanentError(f"{invalid.field}: {invalid.rule}: {invalid.message}") from None
        try:
            clue = screener().screen(record)
        except NoRulesInForce as missing:
            raise PermanentError(f"occurred_on: no_screening_rules_in_force: {missing}") from None
        handlers.take_signal(session, ctx, record, clue, actor=handlers.partner(record.source_department),
                             channel="topic", cause=event)

    return {"partner.signal.reported": reported}


def followup_handlers(context: ContextFactory) -> dict[str, Handler]:
    """Long-term follow-up: a household in follow-up is linked, not duplicated; a relapse reopens its record."""

    def started(session: Session, event: Event) -> None:
        handlers.on_followup_started(session, context(), household_id=event.data["household_id"], at=event.time)

    def relapse(session: Session, event: Event) -> None:
        handlers.on_relapse_detected(session, context(), event)

    return {"followup.plan.started": started, "followup.relapse.detected": relapse}
