"""Kafka entry point of the KPI read model: each internal event type merged into the facts it tells about.

Events of one household arrive on several topics in no guaranteed order, so each event only sets its own keys of a
fact (merging commutes), and an event without an area takes the household's as soon as any event names it. The inbox
(group oversight.kpis) makes a replay from the beginning into an empty database give the same facts."""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oversight.kpis.tables import KpiFact
from shared.emits import emits
from shared.envelope import Event
from shared.runtime import ConsumerSpec

CONSUMER = "kpis"  # group <service group>.kpis: oversight.kpis
NO_EVENT = "the KPI read model is a projection of the services' events; it publishes none"


def merge(session: Session, kind: str, entity_id: str, household_id: str | None, division: str | None,
          event: Event, **attrs) -> None:
    fact = session.get(KpiFact, (kind, entity_id))
    if division is None and household_id:
        division = household_area(session, household_id)
    if fact is None:
        fact = KpiFact(kind=kind, entity_id=entity_id, household_id=household_id, division_code=division, attrs={})
        session.add(fact)
    fact.household_id = fact.household_id or household_id
    fact.division_code = fact.division_code or division
    fact.attrs = {**(fact.attrs or {}), **{k: v for k, v in attrs.items() if v is not None}}
    fact.updated_at = event.time
    if division and household_id:
        remember_area(session, household_id, division)


def household_area(session: Session, household_id: str) -> str | None:
    fact = session.get(KpiFact, ("household", household_id))
    return fact.division_code if fact else None


def remember_area(session: Session, household_id: str, division: str) -> None:
    fact = session.get(KpiFact, ("household", household_id))
    if fact is None:
        session.add(KpiFact(kind="household", entity_id=household_id, household_id=household_id,
                            division_code=division, attrs={}))
        session.flush()
        session.execute(update(KpiFact).where(KpiFact.household_id == household_id,
                                              KpiFact.division_code.is_(None)).values(division_code=division))


def _case(session, ev, **attrs):
    d = ev.data
    merge(session, "case", d["case_id"], d.get("household_id"), d.get("division_code"), ev, **attrs)


def _objection(session, ev, prefix, **attrs):
    d = ev.data
    merge(session, "objection", f"{prefix}:{d['objection_id']}", d.get("household_id"), d.get("division_code"), ev,
          stage=prefix, **attrs)


RULES: dict[str, Callable[[Session, Event], None]] = {
    "identification.case.opened": lambda s, e: _case(s, e, opened_at=e.data["opened_at"],
                                                     deadline=e.data.get("deadline"),
                                                     source_type=e.data.get("source_type")),
    "identification.case.overdue": lambda s, e: _case(s, e, overdue_at=e.data["detected_at"]),
    "identification.case.withdrawn": lambda s, e: _case(s, e, withdrawn_at=e.data["withdrawn_at"]),
    "identification.review.completed": lambda s, e: _case(s, e, review_outcome=e.data.get("outcome")),
    "identification.case.township_reviewed": lambda s, e: _case(s, e, township_outcome=e.data.get("outcome")),
    "identification.household.identified": lambda s, e: _case(s, e, decided_at=e.data["identified_at"],
                                                              decision="identified"),
    "identification.household.rejected": lambda s, e: _case(s, e, decided_at=e.data["rejected_at"],
                                                            decision="rejected"),
    "identification.household.enrolled": lambda s, e: remember_area(s, e.data["household_id"],
                                                                    e.data["division_code"]),
    "identification.objection.lodged": lambda s, e: _objection(s, e, "identification",
                                                               lodged_at=e.data["lodged_at"]),
    "identification.objection.resolved": lambda s, e: _objection(s, e, "identification",
                                                                 resolved_at=e.data["resolved_at"],
                                                                 upheld=e.data.get("upheld")),
    "gradual_exit.objection.lodged": lambda s, e: _objection(s, e, "exit", lodged_at=e.data["lodged_at"]),
    "gradual_exit.objection.resolved": lambda s, e: _objection(s, e, "exit", resolved_at=e.data["resolved_at"],
                                                               upheld=e.data.get("upheld")),
    "discovery.clue.raised": lambda s, e: merge(s, "clue", e.data["clue_id"], e.data.get("household_id"),
                                                e.data.get("division_code"), e, raised_at=e.data["raised_at"]),
    "discovery.clue.dismissed": lambda s, e: merge(s, "clue", e.data["clue_id"], e.data.get("household_id"),
                                                   e.data.get("division_code"), e,
                                                   dismissed_at=e.data["dismissed_at"]),
    "gradual_exit.observation.started": lambda s, e: merge(
        s, "observation", e.data["observation_id"], e.data["household_id"], e.data.get("division_code"), e,
        started_at=e.data["started_at"], programme=e.data.get("programme")),
    "gradual_exit.observation.reverted": lambda s, e: merge(
        s, "observation", e.data["observation_id"], e.data["household_id"], e.data.get("division_code"), e,
        reverted_at=e.data["reverted_at"], programme=e.data.get("programme")),
    "gradual_exit.observation.completed": lambda s, e: merge(
        s, "observation", e.data["observation_id"], e.data["household_id"], e.data.get("division_code"), e,
        completed_at=e.data["completed_at"], programme=e.data.get("programme")),
    "gradual_exit.household.exited": lambda s, e: merge(
        s, "exit", e.data["exit_id"], e.data["household_id"], e.data.get("division_code"), e,
        exited_at=e.data["exited_at"], programme=e.data.get("programme")),
    "followup.relapse.detected": lambda s, e: merge(
        s, "relapse", e.data["relapse_id"], e.data["household_id"], e.data.get("division_code"), e,
        detected_at=e.data["detected_at"]),
    "assistance.service.matched": lambda s, e: _matched(s, e),
    "assistance.service.delivered": lambda s, e: _delivered(s, e),
    "assistance.service.cancelled": lambda s, e: merge(
        s, "referral", e.data["referral_id"], e.data["household_id"], e.data.get("division_code"), e,
        cancelled_at=e.data["cancelled_at"], provider_id=e.data.get("provider_id")),
    "assistance.feedback.recorded": lambda s, e: merge(
        s, "feedback", e.data["feedback_id"], e.data["household_id"], e.data.get("division_code"), e,
        rating=e.data.get("rating"), source=e.data.get("source"), provider_id=e.data.get("provider_id"),
        recorded_at=e.data["recorded_at"]),
    "oversight.petition.filed": lambda s, e: _petition(s, e, category=e.data["category"],
                                                       filed_at=e.data["filed_at"]),
    "oversight.petition.accepted": lambda s, e: _petition(s, e, decided_at=e.data["accepted_at"],
                                                          decided_on_time=e.data.get("on_time"), accepted=True),
    "oversight.petition.declined": lambda s, e: _petition(s, e, decided_at=e.data["declined_at"],
                                                          decided_on_time=e.data.get("on_time"), accepted=False),
    "oversight.petition.replied": lambda s, e: _petition(s, e, replied_at=e.data["replied_at"],
                                                         replied_on_time=e.data.get("on_time")),
    "oversight.petition.overdue": lambda s, e: _petition(s, e, **{f"{e.data.get('stage', 'acceptance')}_overdue_at":
                                                                  e.data["detected_at"]}),
}


def _petition(session, ev, **attrs):
    d = ev.data
    merge(session, "petition", d["petition_id"], None, d.get("division_code"), ev,
          category=d.get("category"), **attrs)


def _matched(session, ev):
    d = ev.data
    merge(session, "referral", d["referral_id"], d["household_id"], d.get("division_code"), ev,
          matched_at=d["matched_at"], provider_id=d.get("provider_id"), need_id=d.get("need_id"))
    fact = session.get(KpiFact, ("need", d["need_id"]))
    first = (fact.attrs or {}).get("matched_at") if fact else None
    merge(session, "need", d["need_id"], d["household_id"], d.get("division_code"), ev,
          matched_at=min(first, d["matched_at"]) if first else d["matched_at"])


def _delivered(session, ev):
    d = ev.data
    merge(session, "referral", d["referral_id"], d["household_id"], d.get("division_code"), ev,
          delivered_at=d["delivered_at"], provider_id=d.get("provider_id"), need_id=d.get("need_id"))
    if d.get("need_id"):
        merge(session, "need", d["need_id"], d["household_id"], d.get("division_code"), ev,
              delivered_at=d["delivered_at"])


def _needs(session, ev):
    d = ev.data
    for need in d.get("needs") or []:
        if need.get("new", True):
            fact = session.get(KpiFact, ("need", need["need_id"]))
            if fact is not None and (fact.attrs or {}).get("assessed_at"):
                continue  # re-assessments repeat a need; its waiting starts at the first assessment
        merge(session, "need", need["need_id"], d["household_id"], d.get("division_code"), ev,
              assessed_at=d["assessed_at"], need_type=need.get("need_type"))


def _referred(session, ev):
    d = ev.data
    for clue_id in d.get("clue_ids") or []:
        merge(session, "clue", clue_id, d["household_id"], d.get("division_code"), ev, referred_at=d["referred_at"])


RULES["assistance.needs.assessed"] = _needs
RULES["discovery.household.referred"] = _referred


@emits(none=NO_EVENT)
def apply_event(session: Session, event: Event) -> None:
    RULES[event.type](session, event)


def consumer_spec() -> ConsumerSpec:
    return ConsumerSpec(CONSUMER, {t: apply_event for t in RULES})
