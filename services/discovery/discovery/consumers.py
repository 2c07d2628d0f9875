"""Kafka entry points of discovery: translate identification's decisions and re-assessments, partners' inbound signals
and follow-up's findings into use cases."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from discovery import handlers
from discovery.domain.lifecycle import StatusFacts
from discovery.domain.screening import NoRulesInForce, Screener
from discovery.domain.signals import InvalidSignal, parse_record
from shared.broker_security import DepartmentMismatch, check_signal_department
from shared.consumer import Handler, PermanentError, current_topic
from shared.emits import emits
from shared.envelope import Event

ContextFactory = Callable[[], handlers.Context]
UPDATED = "discovery.household.updated"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def identification_handlers(context: ContextFactory) -> dict[str, Handler]:
    """Every step of identification's cases, so the citizen's status and timeline, the household record, its
    applications and referrals tell where the case stands; each change is published as discovery.household.updated."""

    def apply(session: Session, event: Event, step: str, facts: StatusFacts = StatusFacts(), *,
              source: tuple[str, str] | None = None, linked: bool = False) -> None:
        d = event.data
        handlers.on_case_step(session, context(), handlers.CaseStep(
            household_id=d["household_id"], case_id=d["case_id"], step=step, at=event.time, facts=facts,
            source=source, linked=linked), cause=event)

    @emits(UPDATED)
    def opened(session: Session, event: Event) -> None:
        apply(session, event, "in_identification", source=(event.data["source_type"], event.data["source_id"]))

    @emits(UPDATED)
    def linked(session: Session, event: Event) -> None:
        apply(session, event, "in_identification", source=(event.data["source_type"], event.data["source_id"]),
              linked=True)

    @emits(UPDATED)
    def assessment_started(session: Session, event: Event) -> None:
        apply(session, event, "assessing")

    @emits(UPDATED)
    def assessment_completed(session: Session, event: Event) -> None:
        apply(session, event, "assessed")

    @emits(UPDATED)
    def review_completed(session: Session, event: Event) -> None:
        apply(session, event, "reviewed", StatusFacts(outcome=event.data["outcome"]))

    @emits(UPDATED)
    def notice_published(session: Session, event: Event) -> None:
        d = event.data
        apply(session, event, "in_notice", StatusFacts(programmes=list(d["programmes"]), notice_ends_at=_time(d["ends_at"])))

    @emits(UPDATED)  # only an upheld objection changes anything: a dismissed one leaves the case on notice
    def objection_resolved(session: Session, event: Event) -> None:
        if event.data["upheld"]:  # the investigation re-opens
            apply(session, event, "assessing", StatusFacts(cause="objection_upheld", outcome="upheld"))

    @emits(UPDATED)
    def notice_closed(session: Session, event: Event) -> None:
        apply(session, event, "notice_closed", StatusFacts(reason=event.data["reason"]))

    @emits(UPDATED)
    def township_reviewed(session: Session, event: Event) -> None:
        outcome = event.data["outcome"]
        if outcome == "return_for_assessment":
            apply(session, event, "assessing", StatusFacts(cause="returned_by_township", outcome=outcome))
        else:
            apply(session, event, "township_reviewed", StatusFacts(outcome=outcome))

    @emits(UPDATED)
    def rejected(session: Session, event: Event) -> None:
        d = event.data
        apply(session, event, "rejected", StatusFacts(
            reasons=[{"code": r["code"], "en": r["en"], "zh": r["zh"]} for r in d["reasons"]],
            appeal={"en": d["appeal"]["en"], "zh": d["appeal"]["zh"]}))

    @emits(UPDATED)
    def enrolled(session: Session, event: Event) -> None:
        d = event.data
        apply(session, event, "enrolled", StatusFacts(file_number=d["file_number"], programmes=list(d["programmes"])))

    @emits(UPDATED)
    def withdrawn(session: Session, event: Event) -> None:
        apply(session, event, "withdrawn", StatusFacts(reason=event.data["reason"]))

    return {
        "identification.case.opened": opened,
        "identification.case.linked": linked,
        "identification.assessment.started": assessment_started,
        "identification.assessment.completed": assessment_completed,
        "identification.review.completed": review_completed,
        "identification.notice.published": notice_published,
        "identification.objection.resolved": objection_resolved,
        "identification.notice.closed": notice_closed,
        "identification.case.township_reviewed": township_reviewed,
        "identification.household.rejected": rejected,
        "identification.household.enrolled": enrolled,
        "identification.case.withdrawn": withdrawn,
    }


def partner_signal_handlers(context: ContextFactory, screener: Callable[[], Screener]) -> dict[str, Handler]:
    """The inbound topics partner.signal.<department> (the department is the topic's: the broker lets only that
    department's principal write there) and the legacy partner.signal: the same screening path as POST /api/v1/signals. A record that passes its
    contract but breaks a domain rule (check digit, a date in the future, …) can never be applied: dead letter."""

    @emits("discovery.clue.raised", "discovery.household.updated")
    def reported(session: Session, event: Event) -> None:
        ctx = context()
        try:
            check_signal_department(event.data.get("source_department", ""), current_topic.get(),
                                    ctx.settings.topic_prefix)
        except DepartmentMismatch as mismatch:
            raise PermanentError(str(mismatch)) from None
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


def reassessment_handlers(context: ContextFactory) -> dict[str, Handler]:
    """identification's re-assessment under a new policy version: a household newly eligible becomes a risk clue for
    the village to verify (handlers.on_reassessment_flagged); a repeated flag for the same version changes nothing."""

    @emits("discovery.clue.raised", UPDATED)  # updated: a refused household's record starts again
    def flagged(session: Session, event: Event) -> None:
        handlers.on_reassessment_flagged(session, context(), event)

    return {"identification.reassessment.flagged": flagged}


def petition_handlers(context: ContextFactory) -> dict[str, Handler]:
    """oversight's accepted petitions: a wrongly missed household (漏保) becomes a clue for its village, once."""

    @emits("discovery.clue.raised", UPDATED)
    def accepted(session: Session, event: Event) -> None:
        handlers.on_petition_accepted(session, context(), event)

    return {"oversight.petition.accepted": accepted}


def followup_handlers(context: ContextFactory) -> dict[str, Handler]:
    """Long-term follow-up: a household in follow-up is linked, not duplicated; a relapse reopens its record."""

    @emits(UPDATED)
    def started(session: Session, event: Event) -> None:
        handlers.on_followup_started(session, context(), household_id=event.data["household_id"], at=event.time,
                                     cause=event)

    @emits("discovery.household.referred", UPDATED)
    def relapse(session: Session, event: Event) -> None:
        handlers.on_relapse_detected(session, context(), event)

    return {"followup.plan.started": started, "followup.relapse.detected": relapse}
