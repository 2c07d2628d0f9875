"""identification's use cases: case intake from events, the statutory workflow's staff actions, the re-assessment of
decided households when the rules change (and the read-only preview of a policy draft), and the citizen's stateless
self-check.

Each function that changes state writes its events to the outbox and an audit row, inside the caller's transaction.
The workflow rules themselves (which step may follow which, under what condition) live in domain/workflow.py.
"""
from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Callable

from sqlalchemy.orm import Session

from identification import repository, verification
from identification.domain import workflow
from identification.domain.assessment import HouseholdFacts, per_capita_monthly_income
from identification.domain.calendar import WorkingCalendar, local_date
from identification.domain.eligibility import Decision, Reason, decide
from identification.domain.reassessment import OutcomeChange, compare, facts_from_record
from identification.domain.rules import PROGRAMMES, NoRuleSet, RuleSet
from identification.domain.self_check import SelfCheck, self_check
from identification.models import Assessment, Case, CaseSource, Notice, Objection, Reassessment, Recheck, Review, audit_log
from shared import audit
from shared.auth import Principal, require_area, require_role
from shared.clock import Clock, china_time
from shared.emits import emits
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter
from shared.policy_client import PolicyRules

log = logging.getLogger(__name__)
SOURCE = "/services/identification"

# Who may take each step (admin may take any): the village runs the home visit and the democratic review with the
# township; the township publishes the notice, handles objections and reviews; the county decides.
ROLES = {
    "start_assessment": ("village", "township"),
    "complete_assessment": ("village", "township"),
    "complete_review": ("village", "township"),
    "publish_notice": ("township",),
    "resolve_objection": ("township",),
    "close_notice": ("township",),
    "complete_township_review": ("township",),
    "decide": ("county",),
    "withdraw": ("township", "county"),
}


class NotFound(LookupError):
    pass


class OutsideArea(PermissionError):
    """A command or preview named an area that is not inside the officer's own (answered 403, in both languages)."""

    def __init__(self, requested: str, area: str):
        self.requested, self.area = requested, area
        self.en = (f"Division {requested or 'national'} is not inside your area {area or 'national'}: "
                   f"you may only act on your own area.")
        self.zh = f"行政区划{requested or '全国'}不在您的辖区{area or '全国'}之内，只能对本辖区操作。"
        super().__init__(self.en)


@dataclass
class Services:
    """What the use cases need besides the session: wired once in bootstrap."""

    outbox: OutboxWriter
    clock: Clock
    rules: PolicyRules[RuleSet]  # published policy (replica + shipped bundle), read locally
    calendar: WorkingCalendar
    notice_policy: workflow.NoticePolicy = field(default_factory=workflow.load_notice_policy)

    def rules_for(self, division_code: str, on) -> RuleSet:
        """The rule set in force for the division on the day (pass the day the decision is, or was, made)."""
        return self.rules.for_division(division_code, on)

    def rules_of_version(self, version: str) -> RuleSet:
        """The rule set a past assessment or decision cites (its ``rule_version``)."""
        return self.rules.by_version(version)

    def emit(self, session: Session, case: Case, event_type: str, data: dict, cause: Event | None = None) -> Event:
        event = cause.caused(event_type, SOURCE, data, subject=case.household_id) if cause else Event(
            type=event_type, source=SOURCE, subject=case.household_id, data=data, correlationid=correlation_id.get())
        return self.outbox.add(session, event)


def _actor(actor: Principal) -> dict:
    return {"role": actor.role, "subject": actor.subject[:128]}


# -- intake ---------------------------------------------------------------------------------------------------------

def intake(session: Session, svc: Services, event: Event, *, source_type: str, source_id: str, household_id: str,
           division_code: str, members: list[dict], applicant_name: str, income: Decimal, hardship_reason: str,
           channel: str, sudden_hardship: bool = False, data_check_authorisation: dict | None = None) -> Case:
    """One open case per household: a new application or referral opens a case, or joins the household's open one."""
    known = repository.source(session, source_type, source_id)
    if known is not None:  # a replay into a live database: nothing to do again
        return repository.get_case(session, known.case_id)
    now = svc.clock.now()
    case = repository.open_case_of_household(session, household_id)
    if case is not None:
        session.add(CaseSource(source_type=source_type, source_id=source_id, case_id=case.id, received_at=now))
        if sudden_hardship and not case.sudden_hardship:
            case.sudden_hardship = True
        if data_check_authorisation and not case.data_check_authorisation:
            case.data_check_authorisation = data_check_authorisation
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="link_source", entity_type="case",
                     entity_id=case.id, details={"source_type": source_type, "source_id": source_id})
        svc.emit(session, case, "identification.case.linked", {
            "case_id": case.id, "household_id": household_id, "source_type": source_type, "source_id": source_id,
            "linked_at": now.isoformat()}, cause=event)
        return case
    rules = svc.rules_for(division_code, local_date(now))
    case = Case(id=str(uuid.uuid4()), household_id=household_id,
                application_id=source_id if source_type == "application" else None, source_type=source_type,
                division_code=division_code, status="opened", channel=channel, applicant_name=applicant_name,
                member_count=len(members), members=members, household_monthly_income_yuan=income,
                hardship_reason=hardship_reason, sudden_hardship=sudden_hardship, opened_at=now,
                deadline=workflow.decision_deadline(local_date(now), [], rules, svc.calendar), notice_held=False,
                correlation_id=event.correlationid, updated_at=now, data_check_authorisation=data_check_authorisation)
    session.add(case)
    session.add(CaseSource(source_type=source_type, source_id=source_id, case_id=case.id, received_at=now))
    session.flush()
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="open_case", entity_type="case",
                 entity_id=case.id, to_state="opened", details={"source_type": source_type, "source_id": source_id})
    data = {"case_id": case.id, "household_id": household_id, "source_type": source_type, "source_id": source_id,
            "division_code": division_code, "status": "opened", "opened_at": now.isoformat(),
            "member_count": len(members), "deadline": case.deadline.isoformat()}
    if case.application_id:
        data["application_id"] = case.application_id
    svc.emit(session, case, "identification.case.opened", data, cause=event)
    return case


@emits("identification.case.opened", "identification.case.linked")
def on_application_submitted(session: Session, event: Event, svc: Services) -> Case:
    d = event.data
    return intake(session, svc, event, source_type="application", source_id=d["application_id"],
                  household_id=d["household_id"], division_code=d["division_code"],
                  members=[{k: m.get(k) for k in ("name", "id_number", "relationship")} for m in d["members"]],
                  applicant_name=d["applicant"]["name"], income=Decimal(str(d["household_monthly_income_yuan"])),
                  hardship_reason=d["hardship_reason"], channel=d["channel"],
                  data_check_authorisation=data_check_authorisation(d))


def data_check_authorisation(application: dict) -> dict | None:
    """The household's authorisation to check its economic status, as the application recorded it (None: not given)."""
    if not application.get("consent_to_data_check"):
        return None
    given = application.get("authorisation") or {}
    return {"recorded": True, "source": "discovery.application.submitted", "application_id": application["application_id"],
            "reference": str(given.get("reference") or f"application:{application['application_id']}")[:100],
            "method": given.get("method") or application.get("channel"), "given_at": application.get("submitted_at")}


@emits("identification.case.opened", "identification.case.linked")
def on_household_referred(session: Session, event: Event, svc: Services) -> Case:
    d = event.data
    members = [{k: m.get(k) for k in ("name", "id_number", "relationship")} for m in d["members"]]
    observed = d.get("observed") or {}
    head = next((m.get("name") for m in members if m.get("name")), None) or "—"
    return intake(session, svc, event, source_type="referral", source_id=d["referral_id"],
                  household_id=d["household_id"], division_code=d["division_code"], members=members,
                  applicant_name=head, income=Decimal(str(observed.get("monthly_income_yuan", 0))),
                  hardship_reason=(d.get("reasons") or [{"code": "other"}])[0]["code"][:30], channel=d["channels"][0],
                  sudden_hardship=bool(d.get("sudden_hardship")))


# -- staff actions --------------------------------------------------------------------------------------------------

def _load(session: Session, actor: Principal | None, case_id: str, action: str) -> Case:
    case = repository.get_case(session, case_id, for_update=True)
    if case is None:
        raise NotFound(case_id)
    if actor is not None:
        require_area(actor, case.division_code)
        require_role(actor, ROLES[action], action)
    return case


def _move(session: Session, svc: Services, actor: Principal, case: Case, action: str, details: dict | None = None,
          **context) -> tuple[str, str]:
    before = case.status
    after = workflow.transition(before, action, **context)
    now = svc.clock.now()
    case.status, case.updated_at = after, now
    audit.record(session, audit_log, actor=actor, at=now, action=action, entity_type="case", entity_id=case.id,
                 from_state=before, to_state=after, details=details)
    return before, after


def start_assessment(session: Session, svc: Services, actor: Principal, case_id: str) -> Case:
    case = _load(session, actor, case_id, "start_assessment")
    _move(session, svc, actor, case, "start_assessment")
    svc.emit(session, case, "identification.assessment.started", {
        "case_id": case.id, "household_id": case.household_id, "division_code": case.division_code,
        "status": case.status, "started_at": case.updated_at.isoformat(), "actor": _actor(actor)})
    verification.request_for_assessment(session, svc, case)  # the economic-status check the assessment waits for
    return case


def _reasons_json(reasons) -> list[dict]:
    return [{"code": r.code, "passed": r.passed, "en": r.en, "zh": r.zh, "waived": r.waived,
             "alternative": r.alternative, "route": getattr(r, "route", None)} for r in reasons]


def complete_assessment(session: Session, svc: Services, actor: Principal, case_id: str, *, facts: HouseholdFacts,
                        facts_json: dict, authorisation: dict, emergency: bool) -> tuple[Case, Assessment, Decision]:
    """Scores the household on every dimension and decides every programme under the rules in force today."""
    case = _load(session, actor, case_id, "complete_assessment")
    now = svc.clock.now()
    rules = svc.rules_for(case.division_code, local_date(now))
    decision = decide(facts, rules, emergency=emergency)
    assessment = Assessment(
        id=str(uuid.uuid4()), case_id=case.id, assessed_at=now, assessed_by=actor.subject, rule_version=rules.version,
        emergency=emergency, authorisation=authorisation, facts=facts_json,
        dimensions=[{"dimension": d.dimension, "score": d.score, "explanation_en": d.explanation_en,
                     "explanation_zh": d.explanation_zh} for d in decision.assessment.dimensions],
        programmes=[{"programme": p.programme, "eligible": p.eligible, "category": p.category,
                     "reasons": _reasons_json(p.reasons)} for p in decision.programmes],
        eligible=list(decision.eligible), categories=dict(decision.categories),
        explanation_en=decision.explanation_en, explanation_zh=decision.explanation_zh)
    _move(session, svc, actor, case, "complete_assessment", {"assessment_id": assessment.id, "rule_version": rules.version,
                                                               "eligible": list(decision.eligible)},
          authorised=bool(authorisation.get("authorised")))
    session.add(assessment)
    case.assessment_id = assessment.id
    case.notice_held = False  # a new assessment needs its own public notice before any approval
    case.household_monthly_income_yuan = facts.monthly_income_yuan
    case.member_count = facts.size
    if decision.eligible:  # the statutory deadline follows the programmes the household may qualify for
        case.deadline = workflow.decision_deadline(local_date(case.opened_at), decision.eligible, rules, svc.calendar)
    session.flush()
    svc.emit(session, case, "identification.assessment.completed", {
        "case_id": case.id, "household_id": case.household_id, "assessment_id": assessment.id,
        "rule_version": rules.version, "dimensions": assessment.dimensions, "eligible_programmes": assessment.eligible,
        "categories": assessment.categories, "assessed_at": now.isoformat(), "assessed_by": actor.subject})
    return case, assessment, decision


def complete_review(session: Session, svc: Services, actor: Principal, case_id: str, *, attendees: list[str],
                    opinions: list[str], outcome: str) -> tuple[Case, Review]:
    case = _load(session, actor, case_id, "complete_review")
    _move(session, svc, actor, case, "complete_review", {"outcome": outcome, "attendees": len(attendees)},
          attendees=attendees, opinions=opinions, outcome=outcome)
    now = svc.clock.now()
    review = Review(id=str(uuid.uuid4()), case_id=case.id, held_at=now, recorded_by=actor.subject, attendees=attendees,
                    opinions=opinions, outcome=outcome)
    session.add(review)
    svc.emit(session, case, "identification.review.completed", {
        "case_id": case.id, "household_id": case.household_id,
        "outcome": "approve" if outcome == "propose_approval" else "reject",
        "attendee_count": len(attendees), "reviewed_at": now.isoformat()})
    return case, review


def _head(case: Case) -> dict:
    return next((m for m in case.members if m.get("relationship") == "self"), case.members[0] if case.members else {})


def _notice(session: Session, svc: Services, case: Case, programmes, period: workflow.NoticePeriod, *, kind: str,
            now: datetime) -> Notice:
    """Writes a notice (masked) and its identification.notice.published event."""
    head = _head(case)
    entry = workflow.mask_for_notice(
        head_name=head.get("name") or case.applicant_name, village=case.division_code, household_size=case.member_count,
        programmes=programmes, period=period, id_number=head.get("id_number"),
        per_capita_monthly_income_yuan=per_capita(case), post_hoc=kind == "post_hoc")
    notice = Notice(id=str(uuid.uuid4()), case_id=case.id, division_code=case.division_code, published_at=now,
                    first_day=period.first_day, last_day=period.last_day, programmes=list(entry.programmes),
                    text_en=entry.text_en, text_zh=entry.text_zh, status="open" if kind == "prior" else "published",
                    kind=kind, days=period.days)
    session.add(notice)
    data = {"case_id": case.id, "household_id": case.household_id, "notice_id": notice.id,
            "published_at": now.isoformat(), "ends_at": notice_ends_at(notice).isoformat(),
            "programmes": list(entry.programmes), "notice": {"text_en": entry.text_en, "text_zh": entry.text_zh},
            "days": period.days}
    if kind == "post_hoc":
        data["post_hoc"] = True
    svc.emit(session, case, "identification.notice.published", data)
    return notice


def notice_ends_at(notice: Notice) -> datetime:
    """When the notice ends (RFC 3339): midnight China time after its last day; when published for 0 days."""
    days = notice.days if notice.days is not None else (notice.last_day - notice.first_day).days + 1
    return workflow.NoticePeriod(notice.first_day, notice.last_day, days).ends_at(notice.published_at)


def publish_notice(session: Session, svc: Services, actor: Principal, case_id: str,
                   programmes: list[str] | None) -> tuple[Case, Notice]:
    """决议公示: masked name, village, size and every programme proposed for the decision; the period is the longest
    any of them requires (rules: ``<programme>.notice_days``)."""
    case = _load(session, actor, case_id, "publish_notice")
    assessment = repository.latest_assessment(session, case)
    eligible = list(assessment.eligible) if assessment else []
    proposed = programmes if programmes is not None else eligible
    now = svc.clock.now()
    rules = svc.rules_for(case.division_code, local_date(now))
    if case.status == "awaiting_notice" and proposed and all(p in PROGRAMMES for p in proposed):
        not_eligible = [p for p in proposed if p not in eligible]
        if not_eligible:
            en, zh = workflow.programme_names(not_eligible)
            raise workflow.ConditionNotMet(case.status, "publish_notice", "not_eligible",
                                           f"the latest assessment did not find the household eligible for: {en}",
                                           f"最近一次核查评估未认定该户符合以下救助项目的条件：{zh}")
    _move(session, svc, actor, case, "publish_notice", {"programmes": proposed}, programmes=proposed)
    period = workflow.notice_period(china_time(now).date(), proposed, rules)  # the dates people read: China time
    notice = _notice(session, svc, case, proposed, period, kind="prior", now=now)
    case.notice_held = False
    return case, notice


def lodge_objection(session: Session, svc: Services, notice_id: str, *, grounds: str, contact: str | None) -> Objection:
    """Anyone may object while the notice runs; the objection is recorded, not published."""
    notice = repository.get_notice(session, notice_id)
    if notice is None:
        raise NotFound(notice_id)
    case = repository.get_case(session, notice.case_id, for_update=True)
    now = svc.clock.now()
    if notice.kind == "post_hoc":
        raise workflow.ConditionNotMet(case.status, "lodge_objection", "post_hoc_notice",
                                       "this notice reports assistance already granted (granted first, published "
                                       "afterwards); raise questions or reports with the township civil-affairs office",
                                       "该公示为先行救助的事后公示，如有疑问或反映，请向乡镇（街道）民政部门提出")
    if notice.status != "open" or not _objections_open(notice, now):
        raise workflow.ConditionNotMet(case.status, "lodge_objection", "notice_not_open",
                                       "objections can only be lodged while the public notice runs",
                                       "只能在公示期内提出异议")
    workflow.transition(case.status, "lodge_objection", grounds=grounds)
    objection = Objection(id=str(uuid.uuid4()), notice_id=notice.id, case_id=case.id, lodged_at=now, grounds=grounds,
                          contact=contact, status="open")
    session.add(objection)
    audit.record(session, audit_log, actor=Principal("public", "public", ""), at=now, action="lodge_objection",
                 entity_type="case", entity_id=case.id, from_state=case.status, to_state=case.status,
                 details={"objection_id": objection.id})
    svc.emit(session, case, "identification.objection.lodged", {
        "case_id": case.id, "household_id": case.household_id, "notice_id": notice.id, "objection_id": objection.id,
        "lodged_at": now.isoformat()})
    return objection


def resolve_objection(session: Session, svc: Services, actor: Principal, case_id: str, objection_id: str, *,
                      outcome: str, reason: str) -> tuple[Case, Objection]:
    case = _load(session, actor, case_id, "resolve_objection")
    objection = repository.get_objection(session, objection_id, for_update=True)
    if objection is None or objection.case_id != case.id:
        raise NotFound(objection_id)
    if objection.status != "open":
        raise workflow.ConditionNotMet(case.status, "resolve_objection", "objection_closed",
                                       f"objection {objection_id} was already resolved ({objection.status})",
                                       f"该异议已处理（{workflow.OUTCOME_NAMES_ZH.get(objection.status, '已办结')}）")
    open_count = repository.open_objection_count(session, case.id)
    _, after = _move(session, svc, actor, case, "resolve_objection", {"objection_id": objection_id, "outcome": outcome},
                     open_objections=open_count, outcome=outcome)
    now = svc.clock.now()
    objection.status, objection.resolution, objection.resolved_by, objection.resolved_at = outcome, reason, actor.subject, now
    svc.emit(session, case, "identification.objection.resolved", {
        "case_id": case.id, "household_id": case.household_id, "objection_id": objection.id,
        "upheld": outcome == "upheld", "reason": reason, "resolved_at": now.isoformat()})
    if after == "field_assessment":  # upheld: the notice is withdrawn and the investigation starts again
        notice = repository.open_notice(session, case.id)
        if notice is not None:
            _close_notice_record(session, svc, actor, case, notice, "objection_upheld", "withdrawn", now)
        case.notice_held = False
    return case, objection


def _objections_open(notice: Notice, now: datetime) -> bool:
    """Objections may be lodged from publication to the end of the last day (China time); a 0-day notice takes them
    on its day of publication."""
    return local_date(now) <= notice.last_day


def _close_notice_record(session: Session, svc: Services, actor: Principal, case: Case, notice: Notice, reason: str,
                         status: str, now: datetime) -> None:
    notice.status, notice.closed_at, notice.closed_reason = status, now, reason
    svc.emit(session, case, "identification.notice.closed", {
        "case_id": case.id, "household_id": case.household_id, "notice_id": notice.id,
        "division_code": case.division_code, "closed_at": now.isoformat(), "reason": reason,
        "programmes": list(notice.programmes), "objections_open": repository.open_objection_count(session, case.id),
        "status": case.status, "actor": _actor(actor)})


def close_notice(session: Session, svc: Services, actor: Principal, case_id: str) -> Case:
    case = _load(session, actor, case_id, "close_notice")
    notice = repository.open_notice(session, case.id)
    now = svc.clock.now()
    if notice is None:  # only possible outside the notice state, where the workflow names the allowed steps
        workflow.transition(case.status, "close_notice", now=local_date(now), notice_last_day=None, open_objections=0)
        raise NotFound(f"open notice of {case_id}")
    _move(session, svc, actor, case, "close_notice", {"notice_id": notice.id}, now=local_date(now),
          notice_last_day=notice.last_day, notice_days=notice.days,
          open_objections=repository.open_objection_count(session, case.id))
    _close_notice_record(session, svc, actor, case, notice, "period_ended", "closed", now)
    case.notice_held = True
    return case


def complete_township_review(session: Session, svc: Services, actor: Principal, case_id: str, *, outcome: str,
                             opinion: str) -> Case:
    case = _load(session, actor, case_id, "complete_township_review")
    _move(session, svc, actor, case, "complete_township_review", {"outcome": outcome, "opinion": opinion},
          outcome=outcome, notice_held=case.notice_held)
    svc.emit(session, case, "identification.case.township_reviewed", {
        "case_id": case.id, "household_id": case.household_id, "division_code": case.division_code,
        "outcome": outcome, "opinion": opinion, "status": case.status, "reviewed_at": case.updated_at.isoformat(),
        "actor": _actor(actor)})
    return case


def noticed_programmes(session: Session, case: Case) -> tuple[str, ...]:
    """The programmes on the case's public notice that ran its full period since the latest assessment."""
    if not case.notice_held:
        return ()
    notice = repository.completed_notice(session, case.id)
    return tuple(notice.programmes) if notice is not None else ()


def decide_case(session: Session, svc: Services, actor: Principal, case_id: str, *, outcome: str,
                reasons: list[dict] | None, programmes: list[str] | None = None) -> Case:
    """The county decision: approve creates the household file and enrols it in the programmes granted; reject gives
    reasons and the appeal route.

    Only programmes whose notice ran its full period may be granted, or those the notice policy allows before notice
    (temporary assistance, 先行救助), which are then published after the fact (a post-hoc notice). With no
    ``programmes`` named, every eligible programme that may be granted is.
    """
    case = _load(session, actor, case_id, "decide")
    now = svc.clock.now()
    assessment = repository.latest_assessment(session, case)
    rules = svc.rules_for(case.division_code, local_date(now))
    if outcome == "approve":
        eligible = list(assessment.eligible) if assessment else []
        noticed = noticed_programmes(session, case)
        before = svc.notice_policy.granted_before_notice
        requested = programmes if programmes is not None else list(workflow.default_grant(eligible, noticed, before))
        if case.status == "county_decision" and not requested:
            raise workflow.ConditionNotMet(
                case.status, "decide", "nothing_to_approve",
                "no programme can be granted: none the household is eligible for completed its public notice" if eligible
                else "the latest assessment found no programme the household qualifies for",
                "没有可批准的救助项目：符合条件的项目均未经公示或公示未满" if eligible else "最近一次评估未发现符合条件的救助项目")
        plan = workflow.plan_grant(requested, noticed)
        # A refused step rolls the transaction back, the file number sequence with it.
        file_number = workflow.household_file_number(
            case.division_code[:6], now.year, repository.next_file_sequence(session, case.division_code[:6], now.year))
        _move(session, svc, actor, case, "decide", {"outcome": outcome, "file_number": file_number,
                                                     "programmes": list(plan.granted), "post_hoc": list(plan.post_hoc)},
              outcome=outcome, programmes=requested, eligible=eligible, noticed=noticed, before_notice=before,
              file_number=file_number)
        categories = {p: c for p, c in assessment.categories.items() if p in plan.granted}
        case.file_number, case.decided_at = file_number, now
        case.decision = {"outcome": "approve", "programmes": list(plan.granted), "categories": categories,
                         "rule_version": assessment.rule_version, "granted_after_notice": list(plan.on_notice),
                         "granted_before_notice": list(plan.post_hoc)}
        programmes = list(plan.granted)
        scores = {d["dimension"]: d["score"] for d in assessment.dimensions}
        svc.emit(session, case, "identification.household.identified", {
            "case_id": case.id, "household_id": case.household_id, "programmes": programmes,
            "categories": categories, "scores": scores, "rule_version": assessment.rule_version,
            "identified_at": now.isoformat()})
        svc.emit(session, case, "identification.household.enrolled", {
            "case_id": case.id, "household_id": case.household_id, "file_number": file_number,
            "division_code": case.division_code, "programmes": programmes, "categories": categories,
            "rule_version": assessment.rule_version, "enrolled_at": now.isoformat(), "member_count": case.member_count,
            "per_capita_monthly_income_yuan": float(case.household_monthly_income_yuan / max(case.member_count, 1)),
            "scores": scores})
        if plan.post_hoc:  # 先行救助: granted before any notice, so it is published now (事后公示)
            days = svc.notice_policy.post_hoc_notice_days
            first = china_time(now).date()
            _notice(session, svc, case, plan.post_hoc, workflow.NoticePeriod(first, first + timedelta(days=days - 1), days),
                    kind="post_hoc", now=now)
        return case
    given = [Reason(r["code"], False, r["en"], r["zh"]) for r in (reasons or [])]
    if not given and assessment:  # default: every criterion the household failed, per programme
        given = [Reason(r["code"], False, r["en"], r["zh"]) for p in assessment.programmes for r in p["reasons"]
                 if not r["passed"]][:20]
    _move(session, svc, actor, case, "decide", {"outcome": outcome, "reasons": [r.code for r in given]},
          outcome=outcome, reasons=given)
    letter = workflow.rejection_notice(given, local_date(now), rules)
    case.decided_at = now
    case.decision = {"outcome": "reject", "reasons": [asdict(r) for r in given], "appeal_en": letter.text_en,
                     "appeal_zh": letter.text_zh, "reconsideration_by": letter.reconsideration_by.isoformat()}
    svc.emit(session, case, "identification.household.rejected", {
        "case_id": case.id, "household_id": case.household_id,
        "reasons": [{"code": r.code, "en": r.en, "zh": r.zh} for r in given],
        "rule_version": assessment.rule_version if assessment else rules.version,
        "appeal": {"en": letter.text_en, "zh": letter.text_zh}, "rejected_at": now.isoformat()})
    return case


def withdraw(session: Session, svc: Services, actor: Principal, case_id: str, *, reason: str) -> Case:
    """Ends the case without a decision; an open public notice closes with it and is no longer publicly listed."""
    case = _load(session, actor, case_id, "withdraw")
    before, _ = _move(session, svc, actor, case, "withdraw", {"reason": reason})
    now = case.updated_at
    notice = repository.open_notice(session, case.id)
    if notice is not None:
        _close_notice_record(session, svc, actor, case, notice, "case_withdrawn", "withdrawn", now)
    case.notice_held = False
    svc.emit(session, case, "identification.case.withdrawn", {
        "case_id": case.id, "household_id": case.household_id, "division_code": case.division_code,
        "application_id": case.application_id, "reason": reason, "previous_status": before, "status": case.status,
        "withdrawn_at": now.isoformat(), "closed_notice_id": notice.id if notice is not None else None,
        "actor": _actor(actor)})
    return case


# -- deadlines ------------------------------------------------------------------------------------------------------

@emits("identification.case.overdue")
def report_overdue(session: Session, svc: Services) -> int:
    """Raises identification.case.overdue once for each open case past its decision deadline; returns how many."""
    now = svc.clock.now()
    cases = repository.cases_past_deadline(session, local_date(now))
    for case in cases:
        case.overdue_reported_at = now
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="report_overdue", entity_type="case",
                     entity_id=case.id, from_state=case.status, to_state=case.status,
                     details={"deadline": case.deadline.isoformat()})
        svc.emit(session, case, "identification.case.overdue", {
            "case_id": case.id, "household_id": case.household_id, "division_code": case.division_code,
            "state": case.status, "deadline": case.deadline.isoformat(), "detected_at": now.isoformat()})
    return len(cases)


# -- re-assessment when the rules change ------------------------------------------------------------------------

# A household is re-assessed when its latest case ended: refused (rejected) or enrolled.
REASSESSED_STATES = ("enrolled", "rejected")
SUMMARY_HOUSEHOLDS = 200
REASSESS_ROLES = ("county",)
PREVIEW_ROLES = ("county", "policy")


@dataclass(frozen=True)
class HouseholdChange:
    case: Case
    held: tuple[str, ...]
    change: OutcomeChange


def _within(actor: Principal, division_code: str) -> None:
    if not division_code.startswith(actor.area):
        raise OutsideArea(division_code, actor.area)


def _held(case: Case) -> tuple[str, ...]:
    """The programmes the household is enrolled in (none for a refused household)."""
    if case.status != "enrolled":
        return ()
    return tuple(p for p in (case.decision or {}).get("programmes", ()) if p in PROGRAMMES)


def assessed_rules(svc: Services, case: Case, assessment: Assessment) -> RuleSet:
    """The rule set the household's latest assessment used; when that version is no longer known (a record older
    than the current version names), the one in force for the division on the assessment's day."""
    try:
        return svc.rules_of_version(assessment.rule_version)
    except NoRuleSet:
        return svc.rules_for(case.division_code, assessment.assessed_at)


def compare_area(session: Session, svc: Services, prefix: str,
                 rules_pair: Callable[[Case, Assessment], tuple[RuleSet, RuleSet]]) -> tuple[list[HouseholdChange], int]:
    """Every household under ``prefix`` whose latest case ended (REASSESSED_STATES), its latest assessment's facts
    re-run under the pair of rule sets (previous, candidate) ``rules_pair`` gives. Returns the
    households considered and how many were skipped because their assessment holds no facts to re-run."""
    considered, skipped = [], 0
    for case, assessment in repository.latest_cases_with_assessment(session, prefix, REASSESSED_STATES):
        try:
            facts = facts_from_record(case.division_code, assessment.facts)
        except (TypeError, ValueError):
            skipped += 1
            continue
        held = _held(case)
        previous, candidate = rules_pair(case, assessment)
        considered.append(HouseholdChange(case, held, compare(facts, previous, candidate,
                                                              emergency=assessment.emergency, held=held)))
    return considered, skipped


def _by_programme(changes: list[HouseholdChange], attribute: str) -> dict[str, int]:
    counts = Counter(p for c in changes for p in getattr(c.change, attribute))
    return {p: counts[p] for p in PROGRAMMES if counts[p]}


def run_reassessment(session: Session, svc: Services, actor: Principal, *, division_code: str,
                     note: str | None = None) -> Reassessment:
    """The county's re-assessment after a standard changed: every household in the area whose latest case ended
    refused (rejected) or enrolled is re-run on its latest assessment's facts under the rules in force today (the
    services' clock), against the rule set that assessment used.

    A household newly eligible for a programme it does not hold is flagged, one
    ``identification.reassessment.flagged`` event each (discovery turns it into a clue to follow up, so a new case
    starts from a visit, not from a silent change). A household no longer eligible for a programme it holds is
    counted and listed in the summary only: its enrolment is NOT changed here (exit is gradual_exit's business,
    after its own review and notice). The run is stored (``reassessments``), audited, and closed by
    ``identification.reassessment.completed`` with the counts, the rule versions and at most 200 household entries.
    """
    require_role(actor, REASSESS_ROLES, "running a re-assessment", action_zh="发起重新评估")
    _within(actor, division_code)
    now = svc.clock.now()
    today = local_date(now)
    reassessment_id = str(uuid.uuid4())
    changes, skipped = compare_area(
        session, svc, division_code,
        lambda case, assessment: (assessed_rules(svc, case, assessment), svc.rules_for(case.division_code, today)))
    flagged = [c for c in changes if c.change.newly_eligible]
    losing = [c for c in changes if c.change.no_longer_eligible]
    current = sorted({c.change.rule_version for c in changes})
    previous = sorted({c.change.previous_rule_version for c in changes})
    changing = [c for c in changes if c.change.changed]
    households = [{"household_id": c.case.household_id, "case_id": c.case.id, "division_code": c.case.division_code,
                   "case_status": c.case.status, "flagged": bool(c.change.newly_eligible),
                   "newly_eligible": list(c.change.newly_eligible),
                   "no_longer_eligible": list(c.change.no_longer_eligible),
                   "rule_version": c.change.rule_version, "previous_rule_version": c.change.previous_rule_version}
                  for c in changing[:SUMMARY_HOUSEHOLDS]]
    summary = {"considered": len(changes), "flagged": len(flagged), "no_longer_eligible": len(losing),
               "skipped_without_facts": skipped, "rule_versions": current, "previous_rule_versions": previous,
               "newly_eligible_by_programme": _by_programme(flagged, "newly_eligible"),
               "no_longer_eligible_by_programme": _by_programme(losing, "no_longer_eligible"),
               "households": households, "truncated": len(changing) > SUMMARY_HOUSEHOLDS}
    row = Reassessment(id=reassessment_id, division_code=division_code, run_on=today, requested_by=actor.subject[:128],
                       requested_at=now, note=note, considered=len(changes), flagged=len(flagged),
                       no_longer_eligible=len(losing), rule_versions={"current": current, "previous": previous},
                       summary=summary)
    session.add(row)
    session.flush()
    for c in flagged:
        svc.emit(session, c.case, "identification.reassessment.flagged", {
            "reassessment_id": reassessment_id, "household_id": c.case.household_id,
            "division_code": c.case.division_code, "case_id": c.case.id, "case_status": c.case.status,
            "newly_eligible": list(c.change.newly_eligible), "no_longer_eligible": list(c.change.no_longer_eligible),
            "rule_version": c.change.rule_version, "previous_rule_version": c.change.previous_rule_version,
            "reasons": c.change.reasons, "flagged_at": now.isoformat()})
    audit.record(session, audit_log, actor=actor, at=now, action="run_reassessment", entity_type="reassessment",
                 entity_id=reassessment_id, details={"division_code": division_code, "considered": len(changes),
                                                     "flagged": len(flagged), "no_longer_eligible": len(losing),
                                                     "rule_versions": current, "note": note})
    svc.outbox.add(session, Event(
        type="identification.reassessment.completed", source=SOURCE, subject=reassessment_id,
        correlationid=correlation_id.get(), data={
            "reassessment_id": reassessment_id, "division_code": division_code, "run_on": today.isoformat(),
            "actor": _actor(actor), "note": note, "considered": len(changes), "flagged": len(flagged),
            "no_longer_eligible": len(losing), "skipped_without_facts": skipped, "rule_versions": current,
            "previous_rule_versions": previous, "households": households, "truncated": summary["truncated"],
            "completed_at": now.isoformat()}))
    return row


PREVIEW_EXAMPLES = 20


def preview_policy(session: Session, svc: Services, actor: Principal, *, region: str, effective_from: date,
                   candidate: RuleSet) -> dict:
    """How a candidate rule set would change the outcome of the households in ``region`` ∩ the officer's area whose
    latest case ended refused or enrolled: their latest facts under the rules in force on ``effective_from`` against
    ``candidate``. A household where a more local version than the candidate's region stays in force keeps its
    outcome (the candidate would not apply there). Reads only."""
    require_role(actor, PREVIEW_ROLES, "previewing a policy version", action_zh="预览规则版本影响")
    if region.startswith(actor.area):
        scope = region
    elif actor.area.startswith(region):
        scope = actor.area
    else:
        raise OutsideArea(region, actor.area)
    in_force = set()

    def pair(case: Case, _assessment: Assessment):
        current = svc.rules_for(case.division_code, effective_from)
        in_force.add(current.version)
        if len(svc.rules.entry_for(case.division_code, effective_from).region) > len(region):
            return current, current  # a more local version stays in force there: the outcome cannot change
        return current, candidate

    changes, skipped = compare_area(session, svc, scope, pair)
    changing = [c for c in changes if c.change.changed]
    return {"service": "identification", "region": region, "area": scope, "rule_version": candidate.version,
            "effective_from": effective_from.isoformat(), "compared_with": sorted(in_force),
            "households_considered": len(changes), "households_changing": len(changing),
            "skipped_without_facts": skipped,
            "newly_eligible": _by_programme(changing, "newly_eligible"),
            "no_longer_eligible": _by_programme(changing, "no_longer_eligible"),
            "examples": [{"household_id": c.case.household_id, "newly_eligible": list(c.change.newly_eligible),
                          "no_longer_eligible": list(c.change.no_longer_eligible)}
                         for c in changing[:PREVIEW_EXAMPLES]]}


# -- the citizen's self-check ----------------------------------------------------------------------------------------

def check_eligibility(svc: Services, *, division_code: str, facts: HouseholdFacts, emergency: bool) -> SelfCheck:
    """What may fit a household the citizen describes: eligibility under the rules in force for the division today
    (China date of the services' clock), told in plain words. Stateless: no session of its own, nothing stored, nothing
    sent (the rules are the cached ones; the replica is re-read only when it changed).
    NoRuleSet when no version is in force there that day."""
    on = local_date(svc.clock.now())
    rules = svc.rules_for(division_code, on)
    return self_check(division_code, on, decide(facts, rules, emergency=emergency))


def per_capita(case: Case) -> Decimal:
    return (case.household_monthly_income_yuan / max(case.member_count, 1)).quantize(Decimal("0.01"))


__all__ = ["NotFound", "OutsideArea", "Services", "per_capita_monthly_income"]


# -- petitions (oversight) ------------------------------------------------------------------------------------------

@emits("identification.recheck.opened")
def on_petition_accepted(session: Session, event: Event, svc: Services) -> Recheck | None:
    """oversight.petition.accepted about a wrongly enrolled household (错保) that names its file number or household
    id: a re-check 复查 is opened on its enrolled case (a review flag for the county, identification.recheck.opened),
    once per petition. Any other petition, or one whose household has no enrolled case here, changes nothing."""
    d = event.data
    if d["category"] != "wrongly_enrolled" or not (d.get("file_number") or d.get("household_id")):
        return None
    known = repository.recheck_of_petition(session, d["petition_id"])
    if known is not None:
        return known
    case = repository.enrolled_case(session, file_number=d.get("file_number"), household_id=d.get("household_id"))
    if case is None:
        log.info("petition about a household with no enrolled case", extra={"petition_id": d["petition_id"]})
        return None
    now = svc.clock.now()
    row = Recheck(id=str(uuid.uuid4()), case_id=case.id, household_id=case.household_id,
                  division_code=case.division_code, petition_id=d["petition_id"],
                  tracking_number=d["tracking_number"], reason=d["description"], status="open", opened_at=now)
    session.add(row)
    session.flush()
    svc.emit(session, case, "identification.recheck.opened", {
        "recheck_id": row.id, "case_id": case.id, "household_id": case.household_id,
        "division_code": case.division_code, "file_number": case.file_number, "programmes": list(_held(case)),
        "petition_id": row.petition_id, "tracking_number": row.tracking_number, "opened_at": now.isoformat(),
        "reason": row.reason}, cause=event)
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="recheck.opened", entity_type="case",
                 entity_id=case.id, from_state=case.status, to_state=case.status,
                 details={"recheck_id": row.id, "petition_id": row.petition_id,
                          "tracking_number": row.tracking_number})
    return row
