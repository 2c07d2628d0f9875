"""Applies one internal event: updates the household roster, then projects it under every agreement (once per
agreement and source event) and writes the partner events to the outbox, on the agreement's topic."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from exchange.domain.agreements import Agreement
from exchange.domain.consent import ConsentDecision, ConsentState
from exchange.domain.projection import PartnerEvent, Roster, SourceEvent, project
from exchange.models import Consent, Household, Projection
from shared.contracts import ContractRegistry, contracts_dir
from shared.envelope import CONTENT_TYPE, Event
from shared.observability import correlation_id
from shared.working_days import local_date

SOURCE = "/services/exchange"
# Events that tell who the members of a household are (and their labour capacity): kept in the roster.
ROSTER_TYPES = ("discovery.application.submitted", "discovery.household.referred", "gradual_exit.situation.recorded",
                "gradual_exit.household.exited", "identification.household.enrolled")
MEMBER_KEYS = ("name", "id_number", "relationship", "labour_capacity")


def source_types(agreements) -> list[str]:
    return sorted({s.event_type for a in agreements for s in a.sources})


def partner_registry() -> ContractRegistry:
    return ContractRegistry(Path(contracts_dir()) / "partners")


def consent_state(session: Session, household_id: str) -> ConsentState:
    rows = session.execute(select(Consent).where(Consent.household_id == household_id)).scalars().all()
    return ConsentState(tuple(ConsentDecision(c.purpose, c.decision, date.fromisoformat(c.effective_on),
                                              c.recorded_at.isoformat()) for c in rows))


def update_roster(session: Session, event: Event) -> Household | None:
    data = event.data
    hh = session.get(Household, event.subject)
    if event.type not in ROSTER_TYPES:
        return hh
    if hh is None:
        hh = Household(household_id=event.subject, division_code=data.get("division_code", ""), members=[],
                       programmes=[], updated_at=event.time)
        session.add(hh)
    if data.get("division_code"):
        hh.division_code = data["division_code"]
    if isinstance(data.get("members"), list):
        members = {m.get("id_number") or f"#{i}": dict(m) for i, m in enumerate(hh.members)}
        for m in data["members"]:
            if not m.get("id_number"):
                continue
            merged = {**members.get(m["id_number"], {}), **{k: m[k] for k in MEMBER_KEYS if m.get(k) is not None}}
            members[m["id_number"]] = merged
        if event.type != "gradual_exit.situation.recorded" and event.type != "gradual_exit.household.exited":
            # an application or referral lists the whole household: who is not listed has left it
            listed = {m.get("id_number") for m in data["members"]}
            members = {k: v for k, v in members.items() if k in listed}
        hh.members = list(members.values())
    if event.type == "identification.household.enrolled":
        hh.programmes = sorted(set(hh.programmes) | set(data.get("programmes", [])))
        hh.file_number = data.get("file_number") or hh.file_number
    if event.type == "gradual_exit.household.exited":
        hh.programmes = sorted(data.get("remaining_programmes", []))
    hh.updated_at = event.time
    session.flush()
    return hh


def project_one(session: Session, svc, agreement: Agreement, event: Event, hh: Household | None,
                day: date | None = None) -> list[PartnerEvent]:
    """Projects the event under one agreement unless it was already (the (agreement, source event) ledger)."""
    seen = session.execute(select(Projection.agreement_id).where(
        Projection.agreement_id == agreement.id, Projection.source_event_id == event.id)).first()
    if seen:
        return []
    roster = Roster(tuple(hh.members) if hh is not None else ())
    day = day or local_date(svc.clock.now())
    out = project(agreement, SourceEvent(event.id, event.type, event.subject, event.data), roster,
                  consent_state(session, event.subject), day)
    for pe in out:
        write_partner_event(session, svc, agreement, pe, event)
    session.execute(insert(Projection).values(agreement_id=agreement.id, source_event_id=event.id,
                                              source_type=event.type, emitted=len(out), projected_at=svc.clock.now()))
    return out


def write_partner_event(session: Session, svc, agreement: Agreement, pe: PartnerEvent, cause: Event) -> Event:
    event = Event(type=pe.type, source=SOURCE, subject=pe.subject, data=pe.data, time=svc.clock.now(),
                  correlationid=cause.correlationid or correlation_id.get() or cause.id, causationid=cause.id)
    svc.partner_registry.validate(event.envelope())
    session.execute(insert(svc.outbox.tables.outbox).values(
        event_id=event.id, event_type=event.type, topic=agreement.topic(svc.topic_prefix), key=event.subject,
        payload=event.to_bytes()))
    return event


def apply(session: Session, svc, event: Event, only: list[Agreement] | None = None) -> list[PartnerEvent]:
    hh = update_roster(session, event)
    out = []
    for agreement in (only if only is not None else svc.agreements):
        if any(s.event_type == event.type for s in agreement.sources):
            out += project_one(session, svc, agreement, event, hh)
    return out


__all__ = ["apply", "source_types", "ROSTER_TYPES", "CONTENT_TYPE"]


def repository_household(session: Session, household_id: str) -> Household | None:
    return session.get(Household, household_id)
