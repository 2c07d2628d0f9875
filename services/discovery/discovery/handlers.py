"""discovery's use cases: one function per command or incoming event. They change state and append audit and outbox
rows in the caller's transaction; only the caller (a route or the consumer runner) commits."""
from __future__ import annotations

import logging
import uuid
from dataclasses import replace, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Sequence

from sqlalchemy.orm import Session

from discovery import repository
from discovery.config import Settings
from discovery.domain.households import find_household
from discovery.domain.lifecycle import (
    CHANNEL_ORDER,
    CLUE_NEXT_STEPS,
    CLUE_STATUS_LABELS,
    CLUES_JOINING_A_REFERRAL,
    FINAL_CASE_STEPS,
    HOUSEHOLD_STATUS_OF_STEP,
    LINKED_STATUSES,
    MERGEABLE_STATUSES,
    PENDING_CLUE_STATUSES,
    RESTARTING_STATUSES,
    STANDING_CLUE_STATUSES,
    STEP_LABELS,
    ClueFacts,
    StatusFacts,
    VisitFacts,
    case_step_applies,
    clue_step_allowed,
    explain_application,
    explain_household,
    household_moves_forward,
    referral_content,
)
from discovery.domain import petition as petitions
from discovery.domain.reassessment import SOURCE_DEPARTMENT, clue_of_flag
from discovery.domain.screening import RiskClue
from discovery.domain.signals import SignalRecord
from discovery.models import (
    Application,
    ApplicationMember,
    ApplicationTimelineEntry,
    Clue,
    DiscoveryRecord,
    Household,
    Referral,
    Visit,
    audit_log,
)
from shared import audit
from shared.auth import Principal
from shared.clock import Clock
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter

log = logging.getLogger(__name__)
SOURCE = "/services/discovery"
MAX_REFERRAL_MEMBERS = 30


@dataclass
class Context:
    """What every use case needs besides the session (runtime.services; the app may swap the clock)."""

    outbox: OutboxWriter
    clock: Clock
    settings: Settings

    def today(self) -> date:
        """China's date: signal dates and due dates are local dates."""
        return self.clock.now().astimezone(timezone(timedelta(hours=self.settings.china_utc_offset_hours))).date()


class Refused(Exception):
    """A command that cannot be carried out; the API answers with `status` and the bilingual body."""

    def __init__(self, status: int, error: str, message: str, message_zh: str, **extra: Any):
        self.status, self.body = status, {"error": error, "message": message, "message_zh": message_zh, **extra}
        super().__init__(message)


def not_found(what: str, what_zh: str) -> Refused:
    return Refused(404, "not_found", f"No such {what} in your area.", f"您的辖区内没有该{what_zh}。")


def citizen(division_code: str) -> Principal:
    return Principal(subject="citizen", role="citizen", area=division_code)


def partner(department: str) -> Principal:
    return Principal(subject=f"partner:{department}", role="partner", area="", department=department)


def _new_id() -> str:
    return str(uuid.uuid4())


def _emit(ctx: Context, session: Session, type_: str, subject: str, data: dict, at: datetime,
          cause: Event | None = None) -> None:
    if cause is not None:
        ctx.outbox.add(session, cause.caused(type_, SOURCE, data, subject=subject))
    else:
        ctx.outbox.add(session, Event(type=type_, source=SOURCE, subject=subject, time=at, data=data))


def _audit(session: Session, ctx: Context, actor: Principal, action: str, entity_type: str, entity_id: str,
           from_state: str | None = None, to_state: str | None = None, details: dict | None = None) -> None:
    audit.record(session, audit_log, actor=actor, at=ctx.clock.now(), action=action, entity_type=entity_type,
                 entity_id=entity_id, from_state=from_state, to_state=to_state, details=details)


def staff_of(principal: Principal) -> dict:
    out = {"subject": principal.subject, "role": principal.role, "area": principal.area}
    if principal.name:
        out["name"] = principal.name
    return out


# --- one household, one record ------------------------------------------------------------------------------------
@dataclass
class HouseholdMatch:
    household: Household
    created: bool = False
    merged: list[str] = field(default_factory=list)  # records of the same family joined into this one
    conflicts: list[str] = field(default_factory=list)  # records that share people but could not be joined


def recognise_household(session: Session, ctx: Context, people: Sequence[dict], division_code: str,
                        actor: Principal) -> HouseholdMatch:
    """The household these people belong to, locked for the rest of the transaction; a new one if nobody is known.

    Records of the same family that were never handed to identification are merged into the chosen one; others
    are reported as conflicts for staff.
    """
    now = ctx.clock.now()
    ids = list(dict.fromkeys(p["id_number"] for p in people))
    known = repository.households_of_people(session, ids)
    resolution = find_household(ids, known, repository.opened_on(session, set(known.values())))
    if resolution is None:
        household = Household(id=_new_id(), division_code=division_code, lifecycle_status="in_discovery",
                              programmes=[], opened_at=now, updated_at=now)
        session.add(household)
        session.flush()
        added = repository.add_members(session, household.id, people, now)
        if len(added) == len(ids):
            return HouseholdMatch(household, created=True)
        # A concurrent request recognised some of these people first: join its household rather than keep two.
        known = {k: v for k, v in repository.households_of_people(session, ids).items() if v != household.id}
        resolution = find_household(ids, known, repository.opened_on(session, set(known.values())))
        assert resolution is not None
        winner = repository.get_household(session, resolution.household_id, lock=True)
        repository.move_household(session, household.id, winner.id)
        session.delete(household)
        session.flush()
        return HouseholdMatch(winner, conflicts=list(resolution.others))
    household = repository.get_household(session, resolution.household_id, lock=True)
    match = HouseholdMatch(household)
    for other_id in sorted(resolution.others):
        other = repository.get_household(session, other_id, lock=True)
        if other.lifecycle_status in MERGEABLE_STATUSES and other.case_id is None:
            _merge_households(session, ctx, household, other, actor)
            match.merged.append(other.id)
        else:
            match.conflicts.append(other.id)
    if match.conflicts:
        log.warning("people found on several household records", extra={"household_id": household.id,
                                                                         "conflicts": match.conflicts})
    known = repository.households_of_people(session, ids)
    repository.add_members(session, household.id, [p for p in people if p["id_number"] not in known], now)
    repository.fill_member_details(session, household.id, people)
    if len(division_code) > len(household.division_code) and division_code.startswith(household.division_code):
        household.division_code = division_code  # a village code is more precise than its county's
    household.updated_at = now
    return match


def _merge_households(session: Session, ctx: Context, into: Household, other: Household, actor: Principal) -> None:
    other_record = repository.open_record(session, other.id)
    linked = into.lifecycle_status in LINKED_STATUSES
    if other_record is not None:
        if linked:  # the family is already enrolled: what was waiting on the other record joins its file
            for clue in repository.clues_of_record(session, other_record.id, PENDING_CLUE_STATUSES):
                _audit(session, ctx, actor, "clue.linked", "clue", clue.id, clue.status, "linked", {"into": into.id})
                clue.status, clue.updated_at, clue.task_area, clue.task_due_on = "linked", ctx.clock.now(), None, None
        else:
            repository.move_record_items(session, other_record.id, open_record_of(session, ctx, into).id)
        other_record.status, other_record.closed_at, other_record.close_reason = "closed", ctx.clock.now(), "merged"
        session.flush()
    repository.move_household(session, other.id, into.id)
    previous = other.lifecycle_status
    other.lifecycle_status, other.merged_into, other.updated_at = "merged", into.id, ctx.clock.now()
    _audit(session, ctx, actor, "household.merged", "household", other.id, previous, "merged", {"into": into.id})
    household_updated(session, ctx, other, previous, "merged")


def open_record_of(session: Session, ctx: Context, household: Household) -> DiscoveryRecord:
    """The household's record that is not closed; a new one if there is none (the household starts again)."""
    record = repository.open_record(session, household.id)
    if record is not None:
        return record
    record = DiscoveryRecord(id=_new_id(), household_id=household.id, division_code=household.division_code,
                             status="open", opened_at=ctx.clock.now())
    session.add(record)
    session.flush()
    if household.lifecycle_status in RESTARTING_STATUSES:
        previous, household.lifecycle_status = household.lifecycle_status, "in_discovery"
        household_updated(session, ctx, household, previous, "reopened")
    return record


def _close_if_settled(session: Session, ctx: Context, household: Household, record: DiscoveryRecord | None,
                      reason: str) -> None:
    """A record that was never handed over closes once nothing on it waits for a decision."""
    if record is None or record.status != "open":
        return
    if repository.count_clues_of_record(session, record.id, PENDING_CLUE_STATUSES):
        return
    if any(v.recommendation == "monitor" for v in repository.unreferred_visits(session, record.id)):
        return  # staff asked to keep watching this household
    record.status, record.closed_at, record.close_reason = "closed", ctx.clock.now(), reason
    if household.lifecycle_status == "in_discovery":
        household.lifecycle_status = "cleared"
        household_updated(session, ctx, household, "in_discovery", "cleared")


# --- applications -------------------------------------------------------------------------------------------------
def _timeline(application: Application, status: str, at: datetime, facts: StatusFacts = StatusFacts()) -> None:
    en, zh = explain_application(status, facts)
    application.timeline.append(ApplicationTimelineEntry(at=at, status=status, text_en=en, text_zh=zh))


def submit_application(session: Session, ctx: Context, body, *, assisted_by: Principal | None = None,
                       authorisation: dict | None = None) -> Application:
    """An application (online, or assisted by staff) joins the household's open record and goes to identification;
    for a household already enrolled or in follow-up it is linked to the file instead (no event, no second case)."""
    now = ctx.clock.now()
    channel = "assisted" if assisted_by is not None else "online"
    actor = assisted_by or citizen(body.division_code)
    people = [{"id_number": m.id_number, "name": m.name, "relationship": m.relationship} for m in body.members]
    household = recognise_household(session, ctx, people, body.division_code, actor).household
    linked = household.lifecycle_status in LINKED_STATUSES
    record = None if linked else open_record_of(session, ctx, household)
    application = Application(
        id=_new_id(), household_id=household.id, record_id=record.id if record else None, channel=channel,
        status="linked" if linked else "submitted", division_code=body.division_code,
        applicant_name=body.applicant.name, applicant_id_number=body.applicant.id_number,
        applicant_phone=body.applicant.phone, household_monthly_income_yuan=body.household_monthly_income_yuan,
        hardship_reason=body.hardship_reason, hardship_description=body.hardship_description,
        consent_to_data_check=body.consent_to_data_check, submitted_at=now, status_changed_at=now,
        correlation_id=correlation_id.get(), case_id=household.case_id if linked else None,
        members=[ApplicationMember(position=i, name=m.name, id_number=m.id_number, relationship=m.relationship)
                 for i, m in enumerate(body.members)])
    if assisted_by is not None:
        application.assisted_by_subject, application.assisted_by_role = assisted_by.subject, assisted_by.role
        application.assisted_by_area, application.assisted_by_name = assisted_by.area, assisted_by.name or None
        application.authorisation_method = authorisation["method"]
        application.authorisation_reference = authorisation.get("reference")
        application.authorisation_obtained_on = authorisation["obtained_on"]
    session.add(application)
    if linked:
        _timeline(application, "linked", now, StatusFacts(file_number=household.file_number,
                                                          linked_to=household.lifecycle_status))
        session.flush()
        _audit(session, ctx, actor, "application.linked", "application", application.id, None, "linked",
               {"household_id": household.id, "household_status": household.lifecycle_status, "channel": channel})
        household_updated(session, ctx, household, household.lifecycle_status, "application_linked",
                          applications=[application])
        return application
    _timeline(application, "submitted", now)
    record.status = "referred"
    if household_moves_forward(household.lifecycle_status, "referred"):
        household.lifecycle_status = "referred"
    session.flush()
    data: dict[str, Any] = {
        "application_id": application.id, "household_id": household.id, "record_id": record.id, "channel": channel,
        "submitted_at": now.isoformat(), "division_code": application.division_code,
        "applicant": {"name": body.applicant.name, "id_number": body.applicant.id_number, "relationship": "self",
                      "phone": body.applicant.phone},
        "members": [{"name": m.name, "id_number": m.id_number, "relationship": m.relationship} for m in body.members],
        "household_monthly_income_yuan": float(body.household_monthly_income_yuan),
        "hardship_reason": body.hardship_reason, "hardship_description": body.hardship_description,
        "consent_to_data_check": True,
    }
    if assisted_by is not None:
        data["assisted_by"] = staff_of(assisted_by)
        data["authorisation"] = {k: (v.isoformat() if isinstance(v, date) else v)
                                 for k, v in authorisation.items() if v is not None}
    _emit(ctx, session, "discovery.application.submitted", household.id, data, now)
    _audit(session, ctx, actor, "application.submitted", "application", application.id, None, "submitted",
           {"household_id": household.id, "record_id": record.id, "channel": channel,
            **({"authorisation": data["authorisation"]} if assisted_by is not None else {})})
    return application


# --- home visits --------------------------------------------------------------------------------------------------
@dataclass
class VisitOutcome:
    visit: Visit
    household: Household
    referral: Referral | None = None
    merged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def _observations(body) -> dict:
    observed = body.observations.model_dump(exclude_none=True) if body.observations else {}
    if "monthly_income_yuan" in observed:
        observed["monthly_income_yuan"] = float(observed["monthly_income_yuan"])
    return observed


def _visit_event(ctx: Context, session: Session, visit: Visit, at: datetime) -> None:
    data: dict[str, Any] = {
        "visit_id": visit.id, "household_id": visit.household_id, "record_id": visit.record_id,
        "division_code": visit.division_code, "purpose": visit.purpose, "visited_on": visit.visited_on.isoformat(),
        "recorded_at": visit.recorded_at.isoformat(),
        "visitor": {k: v for k, v in {"subject": visit.visitor_subject, "role": visit.visitor_role,
                                      "area": visit.visitor_area, "name": visit.visitor_name}.items() if v is not None},
        "member_count": max(1, len(visit.members)), "observations": visit.observations,
        "indicators": list(visit.indicators), "sudden_hardship": visit.sudden_hardship, "linked": visit.linked,
    }
    for key in ("clue_id", "confirmed", "recommendation", "referral_id"):
        if getattr(visit, key) is not None:
            data[key] = getattr(visit, key)
    _emit(ctx, session, "discovery.visit.recorded", visit.household_id, data, at)


def record_visit(session: Session, ctx: Context, body, visitor: Principal) -> VisitOutcome:
    """A home-visit survey 走访调查: recorded on the household's record; "refer" hands the household to identification
    together with everything else open on its record."""
    now = ctx.clock.now()
    people = [{"id_number": m.id_number, "name": m.name, "relationship": m.relationship} for m in body.members]
    match = recognise_household(session, ctx, people, body.division_code, visitor)
    household = match.household
    linked = household.lifecycle_status in LINKED_STATUSES
    record = None if linked else open_record_of(session, ctx, household)
    visit = Visit(id=_new_id(), household_id=household.id, record_id=record.id if record else None,
                  division_code=body.division_code, purpose="survey", visitor_subject=visitor.subject,
                  visitor_role=visitor.role, visitor_area=visitor.area, visitor_name=visitor.name or None,
                  visited_on=body.visited_on, recorded_at=now, members=people, observations=_observations(body),
                  indicators=list(body.indicators), recommendation=body.recommendation,
                  sudden_hardship=body.sudden_hardship, linked=linked)
    session.add(visit)
    session.flush()
    outcome = VisitOutcome(visit, household, merged=match.merged, conflicts=match.conflicts)
    referral_id = _new_id() if body.recommendation == "refer" and not linked else None
    visit.referral_id = referral_id
    _visit_event(ctx, session, visit, now)
    _audit(session, ctx, visitor, "visit.recorded", "visit", visit.id, None, body.recommendation,
           {"household_id": household.id, "linked": linked, "indicators": list(body.indicators)})
    if referral_id is not None:
        visit.referral_id = None  # _refer gathers every visit of the record not yet referred, this one included
        outcome.referral = _refer(session, ctx, household, record, "visit", visit.id, visitor, referral_id)
    elif body.recommendation == "no_action" and record is not None:
        _close_if_settled(session, ctx, household, record, "no_action")
    return outcome


# --- referrals ----------------------------------------------------------------------------------------------------
def _refer(session: Session, ctx: Context, household: Household, record: DiscoveryRecord, trigger_type: str,
           trigger_id: str, actor: Principal, referral_id: str | None = None, *, fast_track: bool = False,
           extra_reasons: Sequence[dict] = (), extra_channels: Sequence[str] = ()) -> Referral:
    """discovery.household.referred for everything open on the record: its clues (raised or verified), the visits
    not yet referred, and the applications (for reference: identification already has them)."""
    now = ctx.clock.now()
    clues = repository.clues_of_record(session, record.id, CLUES_JOINING_A_REFERRAL)
    visits = repository.unreferred_visits(session, record.id)
    applications = repository.applications_of_record(session, record.id)
    content = referral_content(
        [ClueFacts(c.id, c.rule_id, c.kind, c.severity, c.explanation_en, c.explanation_zh) for c in clues],
        [VisitFacts(v.id, v.indicators, v.observations, v.recommendation, v.sudden_hardship) for v in visits],
        [a.channel for a in applications])
    if extra_reasons or extra_channels:
        content = replace(content, reasons=list(content.reasons) + [dict(r) for r in extra_reasons],
                          channels=[c for c in CHANNEL_ORDER if c in set(content.channels) | set(extra_channels)])
    members = [{k: v for k, v in {"name": m.name, "id_number": m.id_number, "relationship": m.relationship}.items()
                if v is not None} for m in repository.members_of(session, household.id)][:MAX_REFERRAL_MEMBERS]
    referral = Referral(
        id=referral_id or _new_id(), household_id=household.id, record_id=record.id,
        division_code=household.division_code, referred_at=now, referred_by=actor.subject, trigger_type=trigger_type,
        trigger_id=trigger_id, channels=content.channels, reasons=content.reasons,
        application_ids=[a.id for a in applications], clue_ids=[c.id for c in clues], visit_ids=[v.id for v in visits],
        sudden_hardship=content.sudden_hardship, status="sent")
    session.add(referral)
    for clue in clues:
        _audit(session, ctx, actor, "clue.referred", "clue", clue.id, clue.status, "referred",
               {"referral_id": referral.id})
        clue.status, clue.referral_id, clue.updated_at = "referred", referral.id, now
    for visit in visits:
        visit.referral_id = referral.id
    record.status = "referred"
    if household_moves_forward(household.lifecycle_status, "referred"):
        household.lifecycle_status = "referred"
    household.updated_at = now
    session.flush()
    data: dict[str, Any] = {
        "referral_id": referral.id, "household_id": household.id, "record_id": record.id,
        "division_code": household.division_code, "referred_at": now.isoformat(), "channels": content.channels,
        "reasons": content.reasons, "members": members, "application_ids": referral.application_ids,
        "clue_ids": referral.clue_ids, "visit_ids": referral.visit_ids, "sudden_hardship": content.sudden_hardship,
        "fast_track": fast_track,
    }
    if content.observed:
        data["observed"] = content.observed
    _emit(ctx, session, "discovery.household.referred", household.id, data, now)
    _audit(session, ctx, actor, "referral.sent", "referral", referral.id, None, "sent",
           {"household_id": household.id, "trigger": f"{trigger_type}:{trigger_id}", "clue_ids": referral.clue_ids,
            "visit_ids": referral.visit_ids})
    return referral


# --- partner signals and risk clues -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClueDraft:
    """A risk clue about to be raised: where it comes from (a partner's record, or a re-assessment) and what met."""

    source_department: str
    external_id: str
    channel: str  # http | topic
    kind: str
    rule_id: str
    rule_version: str
    severity: str
    id_number: str | None  # the person it is about; None for a clue about the whole household (re-assessment)
    division_code: str
    occurred_on: date
    evidence: dict
    explanation_en: str
    explanation_zh: str
    signal_id: int | None = None


def _raise_clue(session: Session, ctx: Context, household: Household, draft: ClueDraft, *, actor: Principal,
                cause: Event | None, audit_details: dict | None = None) -> Clue:
    """discovery.clue.raised: the clue on the household's open record with a verification task for the village
    (sooner when severe), or linked to the file of a household already enrolled or in follow-up."""
    now = ctx.clock.now()
    linked = household.lifecycle_status in LINKED_STATUSES
    discovery_record = None if linked else open_record_of(session, ctx, household)
    days = (ctx.settings.clue_verification_days_urgent if draft.severity == "high"
            else ctx.settings.clue_verification_days)
    row = Clue(id=_new_id(), household_id=household.id, record_id=discovery_record.id if discovery_record else None,
               signal_id=draft.signal_id, source_department=draft.source_department, external_id=draft.external_id,
               channel=draft.channel, kind=draft.kind, rule_id=draft.rule_id, rule_version=draft.rule_version,
               severity=draft.severity, id_number=draft.id_number, division_code=draft.division_code,
               occurred_on=draft.occurred_on, evidence=dict(draft.evidence), explanation_en=draft.explanation_en,
               explanation_zh=draft.explanation_zh, status="linked" if linked else "raised", raised_at=now,
               updated_at=now, task_area=None if linked else draft.division_code,
               task_due_on=None if linked else ctx.today() + timedelta(days=days))
    session.add(row)
    session.flush()
    data: dict[str, Any] = {
        "clue_id": row.id, "household_id": household.id, "record_id": row.record_id,
        "division_code": row.division_code, "raised_at": now.isoformat(), "status": row.status,
        "household_lifecycle_status": household.lifecycle_status,
        "source": {"department": row.source_department, "external_id": row.external_id, "channel": row.channel},
        "kind": row.kind, "rule_id": row.rule_id, "rule_version": row.rule_version, "severity": row.severity,
        "occurred_on": row.occurred_on.isoformat(), "evidence": row.evidence,
        "explanation": {"en": row.explanation_en, "zh": row.explanation_zh},
    }
    if not linked:
        data["verification_task"] = {"area": row.task_area, "due_on": row.task_due_on.isoformat()}
    _emit(ctx, session, "discovery.clue.raised", household.id, data, now, cause)
    _audit(session, ctx, actor, "clue.raised", "clue", row.id, None, row.status,
           {"household_id": household.id, "rule_id": row.rule_id, "rule_version": row.rule_version,
            "source": f"{row.source_department}:{row.external_id}", **(audit_details or {})})
    return row


@dataclass(frozen=True)
class SignalOutcome:
    status: str  # clue | no_clue | duplicate
    clue_id: str | None = None
    clue_status: str | None = None


def take_signal(session: Session, ctx: Context, record: SignalRecord, clue: RiskClue | None, *, actor: Principal,
                channel: str, upload_id: str | None = None, cause: Event | None = None) -> SignalOutcome:
    """One partner record, once: a screening hit becomes a risk clue on the person's household record, with a
    verification task for the village; a record already taken in (same department and external id) is a duplicate."""
    now = ctx.clock.now()
    signal_id = repository.take_signal(session, dict(
        source_department=record.source_department, external_id=record.external_id, kind=record.kind,
        division_code=record.division_code, occurred_on=record.occurred_on, channel=channel, upload_id=upload_id,
        received_at=now, outcome="no_clue" if clue is None else "clue"))
    if signal_id is None:
        first = repository.signal_by_key(session, record.source_department, record.external_id)
        return SignalOutcome("duplicate", first.clue_id if first else None)
    if clue is None:
        return SignalOutcome("no_clue")
    household = recognise_household(session, ctx, [{"id_number": record.id_number}], record.division_code,
                                    actor).household
    row = _raise_clue(session, ctx, household, ClueDraft(
        source_department=record.source_department, external_id=record.external_id, channel=channel,
        kind=clue.kind, rule_id=clue.rule_id, rule_version=clue.rule_version, severity=clue.severity,
        id_number=clue.id_number, division_code=clue.division_code, occurred_on=clue.occurred_on,
        evidence=dict(clue.evidence), explanation_en=clue.explanation_en, explanation_zh=clue.explanation_zh,
        signal_id=signal_id), actor=actor, cause=cause, audit_details={"upload_id": upload_id})
    repository.set_signal_clue(session, signal_id, row.id)
    return SignalOutcome("clue", row.id, row.status)


# --- re-assessment under a new policy version ---------------------------------------------------------------------
def _household_of_flag(session: Session, ctx: Context, d: dict) -> Household:
    """The household a flag is about, locked: the one it was merged into if it was merged; a new record (no members
    yet: the verification visit records them) where its case stands in identification if discovery never saw it."""
    household = repository.get_household(session, d["household_id"], lock=True)
    for _ in range(10):  # follow merges (a short chain; bounded against a cycle in bad data)
        if household is None or household.lifecycle_status != "merged" or not household.merged_into:
            break
        household = repository.get_household(session, household.merged_into, lock=True)
    if household is not None:
        return household
    now = ctx.clock.now()
    household = Household(id=d["household_id"], division_code=d["division_code"],
                          lifecycle_status=HOUSEHOLD_STATUS_OF_STEP[d["case_status"]], case_id=d["case_id"],
                          case_status=d["case_status"], programmes=[], opened_at=now, updated_at=now)
    session.add(household)
    session.flush()
    _audit(session, ctx, audit.SYSTEM, "household.created", "household", household.id, None,
           household.lifecycle_status, {"reassessment_id": d["reassessment_id"], "case_id": d["case_id"],
                                        "case_status": d["case_status"]})
    return household


def on_reassessment_flagged(session: Session, ctx: Context, event: Event) -> Clue | None:
    """identification.reassessment.flagged: a county re-assessment under a new policy version found the household
    newly eligible for a programme. It becomes a risk clue (kind reassessment, source identification and the run's
    id) that the village verifies and refers or dismisses like any other; none when the household already has a
    clue from a re-assessment under the same rule version that is standing or was dismissed after a visit (every run
    of the re-assessment flags it again: the village is asked once per version), or one from this run.
    Returns the clue raised, or None."""
    d = event.data
    flagged_at = datetime.fromisoformat(d["flagged_at"].replace("Z", "+00:00"))
    flagged_on = flagged_at.astimezone(timezone(timedelta(hours=ctx.settings.china_utc_offset_hours))).date()
    found = clue_of_flag(d, flagged_on)
    household = _household_of_flag(session, ctx, d)
    for clue in repository.clues_of_household(session, household.id):
        if clue.kind == found.kind and (clue.external_id == found.external_id or (
                clue.rule_version == found.rule_version and clue.status in STANDING_CLUE_STATUSES | {"dismissed"})):
            log.info("re-assessment flag about a household with a standing re-assessment clue",
                     extra={"household_id": household.id, "clue_id": clue.id, "rule_version": found.rule_version})
            return None
    return _raise_clue(session, ctx, household, ClueDraft(
        source_department=SOURCE_DEPARTMENT, external_id=found.external_id, channel="topic", kind=found.kind,
        rule_id=found.rule_id, rule_version=found.rule_version, severity=found.severity, id_number=None,
        division_code=found.division_code, occurred_on=found.occurred_on, evidence=found.evidence,
        explanation_en=found.explanation_en, explanation_zh=found.explanation_zh), actor=audit.SYSTEM, cause=event)


# --- petitions (oversight) ------------------------------------------------------------------------------------------
def on_petition_accepted(session: Session, ctx: Context, event: Event) -> Clue | None:
    """oversight.petition.accepted about a wrongly missed household (漏保) in a village: a clue of kind petition for
    the village to verify (domain.petition), once per petition (a redelivery or replay raises nothing more). Any other
    petition changes nothing here."""
    d = event.data
    if not petitions.applies(d):
        return None
    accepted_at = datetime.fromisoformat(d["accepted_at"].replace("Z", "+00:00"))
    accepted_on = accepted_at.astimezone(timezone(timedelta(hours=ctx.settings.china_utc_offset_hours))).date()
    found = petitions.clue_of_petition(d, accepted_on)
    household = repository.get_household(session, d["household_id"], lock=True) if d.get("household_id") else None
    if household is None:
        household_id = petitions.household_id_for(d["petition_id"])
        household = repository.get_household(session, household_id, lock=True)
        if household is None:
            now = ctx.clock.now()
            household = Household(id=household_id, division_code=d["division_code"], lifecycle_status="in_discovery",
                                  programmes=[], opened_at=now, updated_at=now)
            session.add(household)
            session.flush()
            _audit(session, ctx, audit.SYSTEM, "household.created", "household", household.id, None,
                   household.lifecycle_status, {"petition_id": d["petition_id"],
                                                "tracking_number": d["tracking_number"]})
    for clue in repository.clues_of_household(session, household.id):
        if clue.source_department == petitions.SOURCE_DEPARTMENT and clue.external_id == found.external_id:
            return None
    return _raise_clue(session, ctx, household, ClueDraft(
        source_department=petitions.SOURCE_DEPARTMENT, external_id=found.external_id, channel="topic",
        kind=found.kind, rule_id=found.rule_id, rule_version=found.rule_version, severity=found.severity,
        id_number=None, division_code=found.division_code, occurred_on=found.occurred_on, evidence=found.evidence,
        explanation_en=found.explanation_en, explanation_zh=found.explanation_zh), actor=audit.SYSTEM, cause=event)


def record_upload(session: Session, ctx: Context, sender: Principal, upload_id: str, counts: dict) -> None:
    """The audit row of one file of partner signals (each clue has its own)."""
    _audit(session, ctx, sender, "signals.uploaded", "signal_upload", upload_id, None, None,
           {"department": sender.department, **counts})


def _clue_for(session: Session, clue_id: str, staff: Principal, step: str) -> tuple[Clue, Household]:
    """The clue (404 outside the officer's area), its household locked, and the step checked (409 naming the
    allowed next steps)."""
    clue = repository.get_clue(session, clue_id)
    if clue is None or not staff.covers(clue.division_code):
        raise not_found("clue", "线索")
    household = repository.get_household(session, clue.household_id, lock=True)
    session.refresh(clue)  # read again under the household's lock: another officer may just have acted on it
    if not clue_step_allowed(clue.status, step):
        allowed = list(CLUE_NEXT_STEPS[clue.status])
        label_en, label_zh = STEP_LABELS[step]
        allowed_en = ", ".join(STEP_LABELS[s][0] for s in allowed) or "none (the clue is settled)"
        allowed_zh = "、".join(STEP_LABELS[s][1] for s in allowed) or "无（线索已办结）"
        raise Refused(409, "step_not_allowed",
                      f"A clue that is {clue.status} cannot go to {label_en}; allowed next steps: {allowed_en}.",
                      f"线索当前状态为“{CLUE_STATUS_LABELS[clue.status][1]}”，不能进行{label_zh}；可进行的下一步：{allowed_zh}。",
                      current_status=clue.status, step=step, allowed_next_steps=allowed)
    return clue, household


def _record_for_clue(session: Session, ctx: Context, household: Household, clue: Clue) -> DiscoveryRecord:
    """The household's open record, the clue moved onto it if its own record was closed meanwhile."""
    record = open_record_of(session, ctx, household)
    clue.record_id = record.id
    return record


def verify_clue(session: Session, ctx: Context, clue_id: str, body, visitor: Principal) -> tuple[Clue, Visit]:
    """The verification visit 核实走访 of a clue: confirmed -> verified (may be referred), not confirmed -> unconfirmed
    (to be dismissed with a reason, or visited again)."""
    now = ctx.clock.now()
    clue, household = _clue_for(session, clue_id, visitor, "verification")
    people = [{"id_number": m.id_number, "name": m.name, "relationship": m.relationship} for m in body.members]
    if body.confirmed and not people and not repository.members_of(session, household.id):
        # a household known only by a petition or a re-assessment flag: the visit is where its members are learnt
        raise Refused(422, "validation_failed", "The request is not valid; see errors.", "请求内容不符合要求，详见 errors。",
                      errors=[{"field": "members", "rule": "members_required_for_unknown_household",
                               "message": "no members are known for this household yet: record the members seen at "
                                          "the visit to confirm the clue",
                               "message_zh": "该户尚无家庭成员信息，确认线索时须登记走访所见的家庭成员"}])
    if people:
        if clue.id_number is not None and clue.id_number not in {p["id_number"] for p in people}:
            raise Refused(422, "validation_failed", "The request is not valid; see errors.", "请求内容不符合要求，详见 errors。",
                          errors=[{"field": "members", "rule": "members_include_clue_person",
                                   "message": "the members seen at the visit must include the person the clue is about",
                                   "message_zh": "走访登记的家庭成员必须包含线索涉及的人员"}])
        if not repository.members_of(session, household.id):  # a household known only by id (re-assessment)
            repository.add_members(session, household.id, people, now)
        recognise_household(session, ctx, people, clue.division_code, visitor)
        session.refresh(clue)  # a merge may have moved it to another household record
        household = repository.get_household(session, clue.household_id, lock=True)
    record = _record_for_clue(session, ctx, household, clue)
    visit = Visit(id=_new_id(), household_id=household.id, record_id=record.id, division_code=clue.division_code,
                  purpose="clue_verification", clue_id=clue.id, visitor_subject=visitor.subject,
                  visitor_role=visitor.role, visitor_area=visitor.area, visitor_name=visitor.name or None,
                  visited_on=body.visited_on, recorded_at=now, members=people, observations=_observations(body),
                  indicators=list(body.indicators), confirmed=body.confirmed, sudden_hardship=body.sudden_hardship)
    session.add(visit)
    previous = clue.status
    clue.status = "verified" if body.confirmed else "unconfirmed"
    clue.verification_visit_id, clue.updated_at = visit.id, now
    session.flush()
    _visit_event(ctx, session, visit, now)
    _emit(ctx, session, "discovery.clue.verified", clue.household_id, {
        "clue_id": clue.id, "household_id": clue.household_id, "record_id": clue.record_id,
        "division_code": clue.division_code, "visit_id": visit.id, "confirmed": body.confirmed,
        "previous_status": previous, "status": clue.status, "verified_at": now.isoformat(),
        "visited_on": body.visited_on.isoformat(), "verified_by": staff_of(visitor),
        "indicators": list(body.indicators), "sudden_hardship": body.sudden_hardship,
        "allowed_next_steps": list(CLUE_NEXT_STEPS[clue.status]), "rule_id": clue.rule_id,
        "rule_version": clue.rule_version,
        **({"due_on": clue.task_due_on.isoformat(), "late": body.visited_on > clue.task_due_on}
           if clue.task_due_on else {})}, now)
    _audit(session, ctx, visitor, "clue.verification_recorded", "clue", clue.id, previous, clue.status,
           {"visit_id": visit.id, "confirmed": body.confirmed})
    _audit(session, ctx, visitor, "visit.recorded", "visit", visit.id, None, clue.status, {"clue_id": clue.id})
    return clue, visit


def refer_clue(session: Session, ctx: Context, clue_id: str, staff: Principal) -> Referral:
    """A verified clue is referred to identification, with everything else open on the household's record."""
    clue, household = _clue_for(session, clue_id, staff, "referral")
    if household.lifecycle_status in LINKED_STATUSES:  # defensive: enrolment links pending clues
        raise Refused(409, "household_enrolled", "The household is already enrolled; its clues join its file.",
                      "该户已纳入救助，线索并入家庭档案，不再转入认定。", allowed_next_steps=["dismissal"])
    if not repository.members_of(session, household.id):  # defensive: identification needs the members
        raise Refused(409, "members_unknown", "No members are known for this household; record them at a "
                      "verification visit before referring it.", "该户尚无家庭成员信息，须先入户核实登记家庭成员再转入认定。",
                      allowed_next_steps=["verification", "dismissal"])
    record = _record_for_clue(session, ctx, household, clue)
    return _refer(session, ctx, household, record, "clue", clue.id, staff)


def dismiss_clue(session: Session, ctx: Context, clue_id: str, reason_code: str, reason: str,
                 staff: Principal) -> Clue:
    now = ctx.clock.now()
    clue, household = _clue_for(session, clue_id, staff, "dismissal")
    previous = clue.status
    clue.status, clue.updated_at = "dismissed", now
    clue.dismissed_by, clue.dismissed_reason_code, clue.dismissed_reason = staff.subject, reason_code, reason
    session.flush()
    _emit(ctx, session, "discovery.clue.dismissed", household.id, {
        "clue_id": clue.id, "household_id": household.id, "record_id": clue.record_id,
        "division_code": clue.division_code, "dismissed_at": now.isoformat(), "dismissed_by": staff_of(staff),
        "previous_status": previous, "reason_code": reason_code, "reason": reason, "rule_id": clue.rule_id,
        "rule_version": clue.rule_version}, now)
    _audit(session, ctx, staff, "clue.dismissed", "clue", clue.id, previous, "dismissed",
           {"reason_code": reason_code, "reason": reason})
    record = repository.get_record(session, clue.record_id) if clue.record_id else None
    _close_if_settled(session, ctx, household, record, "clues_dismissed")
    return clue


# --- what identification decided ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseStep:
    """One step of an identification case as discovery hears of it (lifecycle.CASE_STEPS), when it happened, and
    what the citizen is told about it."""

    household_id: str
    case_id: str
    step: str
    at: datetime
    facts: StatusFacts = StatusFacts()
    source: tuple[str, str] | None = None  # (source_type, source_id) of an opened or linked case
    linked: bool = False  # identification.case.linked: joined to a case already open


def _timeline_entry(application: Application, status: str, at: datetime, facts: StatusFacts) -> bool:
    if any(t.status == status and t.at == at for t in application.timeline):
        return False
    en, zh = explain_application(status, replace(facts, at=facts.at or at))
    application.timeline.append(ApplicationTimelineEntry(at=at, status=status, text_en=en, text_zh=zh))
    return True


def _move_application(application: Application, step: CaseStep) -> bool:
    """Moves the application to the step if it is where its case now stands; a step that arrives after a later one
    (identification's topics are read independently) still goes in the timeline, at its own time. True if written."""
    if application.status == "linked":  # on an enrolled household's file: no case of its own
        return False
    if case_step_applies(application.status, application.case_id, application.status_changed_at, step.step,
                         step.case_id, step.at):
        application.status, application.case_id, application.status_changed_at = step.step, step.case_id, step.at
        _timeline_entry(application, step.step, step.at, step.facts)
        return True
    if application.case_id == step.case_id:
        if (application.status in FINAL_CASE_STEPS and application.status_changed_at is not None
                and step.at > application.status_changed_at):
            return False  # nothing happens to a case after its end: a step dated later is no step of this case
        return _timeline_entry(application, step.step, step.at, step.facts)
    return False


def _household_for_event(session: Session, household_id: str, event_type: str) -> Household | None:
    household = repository.get_household(session, household_id, lock=True)
    if household is None:  # not one of ours (e.g. a case opened by staff in identification): nothing to update
        log.info("identification event about a household discovery does not know",
                 extra={"household_id": household_id, "event_type": event_type})
    return household


def household_updated(session: Session, ctx: Context, household: Household, previous: str | None, change: str,
                      cause: Event | None = None, applications: Sequence[Application] = ()) -> None:
    """discovery.household.updated: the household record as it now stands, after `change`."""
    now = ctx.clock.now()
    en, zh = explain_household(household.lifecycle_status)
    data: dict[str, Any] = {
        "household_id": household.id, "division_code": household.division_code,
        "lifecycle_status": household.lifecycle_status, "previous_status": previous, "change": change,
        "updated_at": now.isoformat(), "explanation": {"en": en, "zh": zh}, "programmes": list(household.programmes or []),
    }
    optional = {"case_id": household.case_id, "case_status": household.case_status,
                "case_status_at": household.case_status_at.isoformat() if household.case_status_at else None,
                "file_number": household.file_number, "merged_into": household.merged_into,
                "withdrawal_reason": household.withdrawal_reason,
                "notice_ends_at": household.notice_ends_at.isoformat() if household.notice_ends_at else None,
                "reasons": household.decision_reasons or None, "appeal": household.appeal or None}
    data.update({k: v for k, v in optional.items() if v is not None})
    if applications:
        data["applications"] = [{"application_id": a.id, "status": a.status} for a in applications]
    _emit(ctx, session, "discovery.household.updated", household.id, data, now, cause)


def on_case_step(session: Session, ctx: Context, step: CaseStep, cause: Event | None = None) -> bool:
    """Any step of an identification case: where the household, its applications and referrals stand. The latest step
    of the case applies (never one before the decision), each application's timeline gets it, and a decision or a
    withdrawal closes the household's record. Publishes discovery.household.updated when anything changed."""
    household = _household_for_event(session, step.household_id, step.step)
    if household is None:
        return False
    now = ctx.clock.now()
    previous = household.lifecycle_status
    record = repository.open_record(session, household.id)
    changed_household = case_step_applies(household.case_status, household.case_id, household.case_status_at,
                                          step.step, step.case_id, step.at)
    steps = [step]
    if step.linked and household.case_id == step.case_id and household.case_status not in (None, "in_identification"):
        # Joining a case does not move it: the household stays where its case is, and what joined catches up.
        changed_household = False
        steps.append(replace(step, step=household.case_status, facts=StatusFacts(
            file_number=household.file_number, programmes=household.programmes or (),
            notice_ends_at=household.notice_ends_at, reasons=household.decision_reasons or (), appeal=household.appeal,
            reason=household.withdrawal_reason, at=household.case_status_at)))
    if changed_household:
        if household.case_id != step.case_id:  # a new case: what was said about the last one no longer holds
            household.decision_reasons = household.appeal = household.withdrawal_reason = None
            household.notice_ends_at = None
        household.case_id, household.case_status, household.case_status_at = step.case_id, step.step, step.at
        household.lifecycle_status, household.updated_at = HOUSEHOLD_STATUS_OF_STEP[step.step], now
        facts = step.facts
        if step.step == "in_notice":
            household.notice_ends_at, household.programmes = facts.notice_ends_at, list(facts.programmes)
        elif step.step == "enrolled":
            household.file_number, household.programmes = facts.file_number, list(facts.programmes)
        elif step.step == "rejected":
            household.decision_reasons, household.appeal = [dict(r) for r in facts.reasons], facts.appeal
        elif step.step == "withdrawn":
            household.withdrawal_reason = facts.reason
        if step.step in FINAL_CASE_STEPS and record is not None:
            record.status, record.closed_at, record.close_reason = "closed", now, step.step
        _audit(session, ctx, audit.SYSTEM, f"household.{step.step}" if not step.linked else "household.case_linked",
               "household", household.id, previous, household.lifecycle_status,
               {"case_id": step.case_id, "case_status": step.step, "at": step.at.isoformat(),
                **({step.source[0]: step.source[1]} if step.source else {}),
                **({"reasons": [r["code"] for r in step.facts.reasons]} if step.facts.reasons else {}),
                **({"file_number": step.facts.file_number} if step.facts.file_number else {})})
    moved: list[Application] = []
    if step.source is not None and step.source[0] == "application":
        application = repository.get_application(session, step.source[1])
        applications = [application] if application is not None else []
    else:
        applications = repository.applications_of_case(session, household.id, step.case_id,
                                                       record.id if record else None)
    for application in applications:
        if any([_move_application(application, s) for s in steps]):
            moved.append(application)
    if step.source is not None and step.source[0] == "referral":
        referral = repository.get_referral(session, step.source[1])
        if referral is not None and referral.status == "sent":
            referral.status, referral.case_id = ("case_linked" if step.linked else "case_opened"), step.case_id
            changed_household = True
    if step.step in FINAL_CASE_STEPS and household.case_id == step.case_id and household.case_status == step.step:
        for referral in repository.referrals_of_case(session, household.id, step.case_id):
            if referral.status != step.step:
                referral.status, referral.case_id = step.step, step.case_id
                changed_household = True
    if step.step == "enrolled" and household.lifecycle_status == "enrolled":
        # Clues still waiting about an enrolled household join its file: nothing more to verify or refer.
        for clue in repository.clues_of_household(session, household.id, PENDING_CLUE_STATUSES):
            _audit(session, ctx, audit.SYSTEM, "clue.linked", "clue", clue.id, clue.status, "linked",
                   {"file_number": step.facts.file_number})
            clue.status, clue.updated_at, clue.task_area, clue.task_due_on = "linked", now, None, None
            changed_household = True
    if not (changed_household or moved):
        return False
    household_updated(session, ctx, household, previous, "case_step", cause, moved)
    return True


def status_facts(application: Application, household: Household | None) -> StatusFacts:
    """The decision details a citizen may see with the application's current status."""
    if household is None or household.case_id != application.case_id:
        return StatusFacts(at=application.status_changed_at)
    return StatusFacts(file_number=household.file_number, programmes=household.programmes or (),
                       notice_ends_at=household.notice_ends_at, reasons=household.decision_reasons or (),
                       appeal=household.appeal, reason=household.withdrawal_reason, at=application.status_changed_at)


# --- long-term follow-up: in follow-up, and relapses back on a fast track ------------------------------------------
def on_followup_started(session: Session, ctx: Context, *, household_id: str, at: datetime,
                        cause: Event | None = None) -> None:
    """followup.plan.started: the household left assistance and is followed up; new reports about it are linked."""
    household = _household_for_event(session, household_id, "followup")
    if household is None or household.lifecycle_status == "follow_up":
        return
    previous = household.lifecycle_status
    household.lifecycle_status, household.updated_at = "follow_up", ctx.clock.now()
    _audit(session, ctx, audit.SYSTEM, "household.follow_up", "household", household.id, previous, "follow_up", None)
    household_updated(session, ctx, household, previous, "follow_up", cause)


def on_relapse_detected(session: Session, ctx: Context, event: Event) -> Referral:
    """followup.relapse.detected: the same household's last record is reopened, with its history, and referred to
    identification at once on the fast track (the risk was found by follow-up; no new verification visit)."""
    d = event.data
    referral_id = f"relapse-{d['relapse_id']}"
    known = repository.get_referral(session, referral_id)
    if known is not None:  # a replay into a live database
        return known
    household = repository.get_household(session, d["household_id"], lock=True)
    if household is None or household.lifecycle_status == "merged":
        household = recognise_household(session, ctx, d["members"], d["division_code"], audit.SYSTEM).household
    records = repository.records_of(session, household.id)
    record = repository.open_record(session, household.id) or (records[-1] if records else None)
    if record is None:
        record = open_record_of(session, ctx, household)
    elif record.status != "open":
        _audit(session, ctx, audit.SYSTEM, "record.reopened", "record", record.id, record.status, "open",
               {"relapse_id": d["relapse_id"], "risk_kind": d["risk_kind"]})
        record.status, record.closed_at, record.close_reason = "open", None, None
    previous = household.lifecycle_status
    household.lifecycle_status, household.updated_at = "in_discovery", ctx.clock.now()
    _audit(session, ctx, audit.SYSTEM, "household.relapsed", "household", household.id, previous, "in_discovery",
           {"relapse_id": d["relapse_id"], "plan_id": d["plan_id"], "risk_kind": d["risk_kind"]})
    return _refer(session, ctx, household, record, "relapse", d["relapse_id"], audit.SYSTEM, referral_id,
                  fast_track=True, extra_reasons=d["reasons"], extra_channels=["followup"])


# --- overdue verification tasks -----------------------------------------------------------------------------------
def overdue_explanation(due_on: date, today: date) -> tuple[str, str]:
    days = (today - due_on).days
    return (f"The verification visit of this clue was due by {due_on.isoformat()} and has not been recorded: "
            f"{days} day{'s' if days != 1 else ''} overdue.",
            f"该线索的核实走访应于 {due_on.isoformat()} 前完成，至今未登记，已逾期 {days} 天。")


def report_overdue_clues(session: Session, ctx: Context) -> int:
    """discovery.clue.overdue, once for each clue whose verification visit is past its due date; returns how many."""
    now, today = ctx.clock.now(), ctx.today()
    clues = repository.overdue_clues_to_report(session, today)
    for clue in clues:
        clue.overdue_reported_at = now
        en, zh = overdue_explanation(clue.task_due_on, today)
        _emit(ctx, session, "discovery.clue.overdue", clue.household_id, {
            "clue_id": clue.id, "household_id": clue.household_id, "record_id": clue.record_id,
            "division_code": clue.division_code, "task_area": clue.task_area or clue.division_code,
            "due_on": clue.task_due_on.isoformat(), "detected_at": now.isoformat(),
            "days_overdue": (today - clue.task_due_on).days, "status": clue.status, "severity": clue.severity,
            "kind": clue.kind, "rule_id": clue.rule_id, "rule_version": clue.rule_version,
            "explanation": {"en": en, "zh": zh}}, now)
        _audit(session, ctx, audit.SYSTEM, "clue.overdue", "clue", clue.id, clue.status, clue.status,
               {"due_on": clue.task_due_on.isoformat(), "days_overdue": (today - clue.task_due_on).days})
    return len(clues)
