"""followup's use cases: plans from exits, staff check-ins, partner signals, relapse episodes and the timers.

Each function changes state, writes its events to the outbox and an audit row, inside the caller's transaction; the
decisions themselves (schedule, risk, life cycle) are the pure functions of domain/.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from followup import repository
from followup.domain import plan as lifecycle
from followup.domain.risk import CheckinObservation, RiskAssessment, assess_checkin, assess_signal
from followup.domain.rules import NoRuleSet, RuleSet
from followup.domain.schedule import (
    Cadence,
    Due,
    extension,
    fulfilled_by,
    initial_schedule,
    local_date,
    next_on_or_after,
    overdue_after,
    window_opens,
)
from followup.domain.signals import InvalidSignal, check_amounts
from followup.models import Checkin, PartnerSignal, Plan, PlanExit, Relapse, ScheduledCheckin, audit_log
from followup.policy import select as select_rules
from shared import audit
from shared.auth import Principal, require_area, require_role
from shared.clock import Clock
from shared.consumer import PermanentError
from shared.emits import emits
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter
from shared.policy_client import PolicyRules

SOURCE = "/services/followup"

# Who may take each step (admin may take any): village and township staff visit the household; the township or
# county decides that a relapse episode is over.
ROLES = {
    "record_checkin": ("village", "township"),
    "close_episode": ("township", "county"),
}
CLOSE_OUTCOMES = ("resolved", "not_confirmed")


# What an action code reads as in English, where the code alone would not read well.
ACTION_EN = {"read": "reading follow-up plans", "report_signal": "reporting partner signals"}


def require_role_zh(actor: Principal, roles, action: str) -> None:
    """shared.auth.require_role with this service's English and Chinese names of the action."""
    require_role(actor, roles, ACTION_EN.get(action, action), action_zh=lifecycle.ACTION_ZH.get(action))


class NotFound(LookupError):
    pass


class NotUnderFollowUp(LookupError):
    """No household under follow-up (active or relapsed plan) matches the household id or resident ID number."""


class InvalidInput(ValueError):
    """Input that passed the schema but breaks a rule that needs the plan's data; answered 422, nothing written."""

    def __init__(self, field: str, rule: str, message: str, message_zh: str):
        self.field, self.rule, self.message, self.message_zh = field, rule, message, message_zh
        super().__init__(f"{field}: {message}")

    def as_dict(self) -> dict:
        return {"field": self.field, "rule": self.rule, "message": self.message, "message_zh": self.message_zh}


@dataclass
class Services:
    """What the use cases need besides the session: wired once in bootstrap."""

    outbox: OutboxWriter
    clock: Clock
    rules: PolicyRules[RuleSet]  # followup.policy.policy_rules(): the published policy documents

    def rules_for(self, division_code: str, on: date, programme: str | None = None) -> RuleSet:
        return select_rules(self.rules, division_code, local_date(on), programme)

    def today(self) -> date:
        return local_date(self.clock.now())

    def emit(self, session: Session, plan: Plan, event_type: str, data: dict, cause: Event | None = None) -> Event:
        event = cause.caused(event_type, SOURCE, data, subject=plan.household_id) if cause else Event(
            type=event_type, source=SOURCE, subject=plan.household_id, data=data, correlationid=correlation_id.get())
        return self.outbox.add(session, event)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _member(m: dict) -> dict:
    return {k: m[k] for k in ("name", "id_number", "relationship") if m.get(k) not in (None, "")}


def cadence_of(rules: RuleSet) -> Cadence:
    return Cadence(rules.integer("schedule", "interval_months"), rules.integer("schedule", "duration_months"),
                   rules.integer("schedule", "grace_days"), rules.integer("schedule", "early_days"))


def _schedule(session: Session, plan: Plan, dues: list[Due]) -> list[ScheduledCheckin]:
    seq = repository.last_seq(session, plan.id)
    rows = []
    for due in dues:
        seq += 1
        row = ScheduledCheckin(id=str(uuid.uuid4()), plan_id=plan.id, seq=seq, k=due.k, due_on=due.due_on,
                               window_opens=window_opens(due.due_on, plan.early_days),
                               overdue_after=overdue_after(due.due_on, plan.grace_days), status="pending", late=False)
        session.add(row)
        rows.append(row)
    if dues:
        plan.last_k, plan.ends_on = dues[-1].k, max(plan.ends_on, dues[-1].due_on)
    session.flush()
    return rows


# -- intake: exits ----------------------------------------------------------------------------------------------------

@emits("followup.plan.started", "followup.plan.extended", "followup.relapse.closed")
def on_household_exited(session: Session, event: Event, svc: Services) -> Plan:
    """gradual_exit.household.exited: one plan per household, started, extended or restarted; replays do nothing."""
    d = event.data
    known = repository.get_exit(session, d["exit_id"])
    if known is not None:
        return repository.get_plan(session, known.plan_id)
    now = svc.clock.now()
    exited_at = datetime.fromisoformat(d["exited_at"].replace("Z", "+00:00"))
    exit_day, programme = local_date(exited_at), d["programme"]
    members = [_member(m) for m in d.get("members") or [] if m.get("id_number")]
    per_capita = d.get("per_capita_monthly_income_yuan")
    per_capita = None if per_capita is None else Decimal(str(per_capita)).quantize(Decimal("0.01"))
    rules = svc.rules_for(d["division_code"], exit_day, programme)
    plan = repository.plan_of_household(session, d["household_id"], for_update=True)
    open_relapse = repository.get_relapse(session, plan.open_relapse_id) if plan and plan.open_relapse_id else None
    action, _after = lifecycle.on_exit(plan.status if plan else None,
                                       before_open_episode=bool(open_relapse and exited_at < open_relapse.detected_at))
    if action == "start":
        plan = _start(session, svc, event, d, rules, exit_day, members, per_capita, now)
    elif action == "extend":
        _extend(session, svc, event, plan, d, rules, exit_day, members, per_capita, now)
    elif action == "record":
        _note_exit(plan, d, members, per_capita, now)
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="record_exit", entity_type="plan",
                     entity_id=plan.id, from_state=plan.status, to_state=plan.status,
                     details={"exit_id": d["exit_id"], "programme": programme,
                              "why": "the exit is older than the open relapse episode"})
        _plan_extended(session, svc, event, plan, d, "record", [], now)
    else:
        _restart(session, svc, event, plan, open_relapse, d, rules, exit_day, members, per_capita, now)
    session.add(PlanExit(exit_id=d["exit_id"], plan_id=plan.id, programme=programme, exited_at=exited_at,
                         received_at=now, effect=action, remaining_programmes=list(d.get("remaining_programmes") or []),
                         per_capita_monthly_income_yuan=per_capita, rule_version=rules.version))
    session.flush()
    return plan


def _plan_started(session: Session, svc: Services, event: Event, plan: Plan, rows: list[ScheduledCheckin],
                  d: dict, restarted: bool) -> None:
    svc.emit(session, plan, "followup.plan.started", {
        "plan_id": plan.id, "household_id": plan.household_id, "division_code": plan.division_code,
        "started_at": _iso(plan.cycle_started_at), "exit_id": d["exit_id"], "programme": d["programme"],
        "programmes": list(plan.programmes), "restarted": restarted, "rule_version": plan.rule_version,
        "cadence": {"interval_months": plan.interval_months, "duration_months": plan.duration_months,
                    "grace_days": plan.grace_days, "early_days": plan.early_days},
        "checkins": [{"seq": r.seq, "due_on": r.due_on.isoformat()} for r in rows],
        "ends_on": plan.ends_on.isoformat()}, cause=event)


def _plan_extended(session: Session, svc: Services, event: Event, plan: Plan, d: dict, effect: str,
                   rows: list[ScheduledCheckin], now: datetime) -> None:
    svc.emit(session, plan, "followup.plan.extended", {
        "plan_id": plan.id, "household_id": plan.household_id, "division_code": plan.division_code,
        "extended_at": _iso(now), "exit_id": d["exit_id"], "programme": d["programme"], "exited_at": d["exited_at"],
        "effect": effect, "programmes": list(plan.programmes), "status": plan.status,
        "added_checkins": [{"seq": r.seq, "due_on": r.due_on.isoformat()} for r in rows],
        "ends_on": plan.ends_on.isoformat(), "rule_version": plan.rule_version}, cause=event)


def _start(session, svc, event, d, rules, exit_day, members, per_capita, now) -> Plan:
    cadence = cadence_of(rules)
    dues = initial_schedule(exit_day, cadence)
    plan = Plan(id=str(uuid.uuid4()), household_id=d["household_id"], division_code=d["division_code"],
                status="active", programmes=[d["programme"]], rule_programme=d["programme"],
                file_number=d.get("file_number"), members=members, member_count=len(members) or None,
                baseline_per_capita_monthly_income_yuan=per_capita, rule_version=rules.version,
                interval_months=cadence.interval_months, duration_months=cadence.duration_months,
                grace_days=cadence.grace_days, early_days=cadence.early_days, anchor_on=exit_day, last_k=0,
                ends_on=dues[-1].due_on, started_at=now, cycle_started_at=now, relapse_count=0, updated_at=now,
                correlation_id=event.correlationid)
    session.add(plan)
    session.flush()
    repository.replace_members(session, plan, members)
    rows = _schedule(session, plan, dues)
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="start_plan", entity_type="plan",
                 entity_id=plan.id, to_state="active",
                 details={"exit_id": d["exit_id"], "programme": d["programme"], "rule_version": rules.version,
                          "checkins": len(rows), "ends_on": plan.ends_on.isoformat()})
    _plan_started(session, svc, event, plan, rows, d, restarted=False)
    return plan


def _note_exit(plan: Plan, d: dict, members: list[dict], per_capita: Decimal | None, now: datetime) -> None:
    if d["programme"] not in plan.programmes:
        plan.programmes = [*plan.programmes, d["programme"]]
    if d.get("file_number"):
        plan.file_number = d["file_number"]
    if per_capita is not None:
        plan.baseline_per_capita_monthly_income_yuan = per_capita
    plan.updated_at = now


def _adopt_members(session: Session, plan: Plan, members: list[dict]) -> None:
    if members:
        plan.members, plan.member_count = members, len(members)
        repository.replace_members(session, plan, members)


def _extend(session, svc, event, plan: Plan, d, rules, exit_day, members, per_capita, now) -> None:
    """Another programme's exit: the same plan, its cadence kept, running until it also covers this exit."""
    _note_exit(plan, d, members, per_capita, now)
    _adopt_members(session, plan, members)
    plan.division_code = d["division_code"]
    rows = _schedule(session, plan, extension(plan.anchor_on, plan.interval_months, plan.last_k, exit_day,
                                              rules.integer("schedule", "duration_months")))
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="extend_plan", entity_type="plan",
                 entity_id=plan.id, from_state=plan.status, to_state=plan.status,
                 details={"exit_id": d["exit_id"], "programme": d["programme"], "added_checkins": [r.seq for r in rows],
                          "ends_on": plan.ends_on.isoformat()})
    _plan_extended(session, svc, event, plan, d, "extend", rows, now)


def _restart(session, svc, event, plan: Plan, open_relapse: Relapse | None, d, rules, exit_day, members, per_capita,
             now) -> None:
    """A new exit after a relapse (assisted again, exited again) or after the plan completed: same plan, history
    kept, a new cadence from this exit; pending check-ins of the old cadence are cancelled."""
    before = plan.status
    if open_relapse is not None:
        _close(session, svc, plan, open_relapse, audit.SYSTEM, "exited_again",
               f"exit {d['exit_id']} ({d['programme']}) after the relapse", now, cause=event)
    for row in repository.pending_of(session, plan.id):
        row.status = "cancelled"
    cadence = cadence_of(rules)
    _note_exit(plan, d, members, per_capita, now)
    _adopt_members(session, plan, members)
    plan.division_code, plan.status, plan.rule_programme = d["division_code"], "active", d["programme"]
    plan.rule_version, plan.interval_months, plan.duration_months = rules.version, cadence.interval_months, cadence.duration_months
    plan.grace_days, plan.early_days = cadence.grace_days, cadence.early_days
    dues = initial_schedule(exit_day, cadence)
    plan.anchor_on, plan.last_k, plan.ends_on, plan.cycle_started_at = exit_day, 0, dues[-1].due_on, now
    plan.completed_at = None
    rows = _schedule(session, plan, dues)
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="restart_plan", entity_type="plan",
                 entity_id=plan.id, from_state=before, to_state="active",
                 details={"exit_id": d["exit_id"], "programme": d["programme"], "rule_version": rules.version,
                          "checkins": [r.seq for r in rows], "ends_on": plan.ends_on.isoformat()})
    _plan_started(session, svc, event, plan, rows, d, restarted=True)


# -- relapse episodes -------------------------------------------------------------------------------------------------

@dataclass
class RiskOutcome:
    relapse: Relapse | None = None
    new_episode: bool = False
    event_data: dict | None = field(default=None, repr=False)


def _raise_risk(session: Session, svc: Services, plan: Plan, assessment: RiskAssessment, *, source_type: str,
                source_id: str, actor: Principal, evidence: dict, fallback_members: list[dict]) -> RiskOutcome:
    """Opens a relapse episode (one event) or joins the open one (no event): exactly one event per episode."""
    if not assessment.at_risk:
        return RiskOutcome()
    now = svc.clock.now()
    action, after = lifecycle.on_risk(plan.status)
    if action == "attach":
        relapse = repository.get_relapse(session, plan.open_relapse_id, for_update=True)
        audit.record(session, audit_log, actor=actor, at=now, action="join_relapse_episode", entity_type="plan",
                     entity_id=plan.id, from_state=plan.status, to_state=after,
                     details={"relapse_id": relapse.id, "source_type": source_type, "source_id": source_id,
                              "risk_kinds": list(assessment.risk_kinds)})
        return RiskOutcome(relapse, False)
    members = [_member(m) for m in plan.members if m.get("id_number")] or fallback_members
    reasons = [c.reason() for c in assessment.reasons]
    full_evidence = {"source_type": source_type, "source_id": source_id, "rule_version": assessment.rule_version,
                     "risk_kinds": list(assessment.risk_kinds), "explanation_en": assessment.explanation_en,
                     "explanation_zh": assessment.explanation_zh,
                     "checks": {c.code: dict(c.evidence) for c in assessment.reasons}, **evidence}
    relapse = Relapse(id=str(uuid.uuid4()), plan_id=plan.id, household_id=plan.household_id,
                      division_code=plan.division_code, status="open", detected_at=now,
                      risk_kind=assessment.risk_kind, risk_kinds=list(assessment.risk_kinds), reasons=reasons,
                      evidence=full_evidence, rule_version=assessment.rule_version, source_type=source_type,
                      source_id=source_id)
    session.add(relapse)
    before = plan.status
    plan.status, plan.open_relapse_id, plan.updated_at = after, relapse.id, now
    plan.relapse_count = (plan.relapse_count or 0) + 1
    audit.record(session, audit_log, actor=actor, at=now, action="relapse_detected", entity_type="plan",
                 entity_id=plan.id, from_state=before, to_state=after,
                 details={"relapse_id": relapse.id, "risk_kind": relapse.risk_kind, "source_type": source_type,
                          "source_id": source_id, "rule_version": assessment.rule_version})
    data = {"relapse_id": relapse.id, "household_id": plan.household_id, "plan_id": plan.id,
            "division_code": plan.division_code, "detected_at": _iso(now), "risk_kind": relapse.risk_kind,
            "reasons": reasons, "evidence": full_evidence, "members": members}
    return RiskOutcome(relapse, True, data)


def _close(session: Session, svc: Services, plan: Plan, relapse: Relapse, actor: Principal, outcome: str,
           reason: str | None, now: datetime, cause: Event | None = None, extra: dict | None = None) -> None:
    relapse.status, relapse.closed_at, relapse.closed_by = "closed", now, actor.subject
    relapse.close_outcome, relapse.close_reason = outcome, reason
    plan.open_relapse_id, plan.updated_at = None, now
    audit.record(session, audit_log, actor=actor, at=now, action="close_relapse_episode", entity_type="plan",
                 entity_id=plan.id, from_state=plan.status, to_state="active",
                 details={"relapse_id": relapse.id, "outcome": outcome, "reason": reason})
    svc.emit(session, plan, "followup.relapse.closed", {
        "relapse_id": relapse.id, "plan_id": plan.id, "household_id": plan.household_id,
        "division_code": plan.division_code, "closed_at": _iso(now), "outcome": outcome, "reason": reason,
        **(extra or {})}, cause=cause)


def close_episode(session: Session, svc: Services, actor: Principal, plan_id: str, relapse_id: str, *, outcome: str,
                  reason: str) -> Plan:
    """Staff found the risk resolved or not confirmed: the episode closes, the plan is active again, and check-ins
    resume on its cadence (those missed during the episode are waived; at least one more is scheduled)."""
    plan = _load(session, actor, plan_id, "close_episode")
    relapse = repository.get_relapse(session, relapse_id, for_update=True)
    if relapse is None or relapse.plan_id != plan.id:
        raise NotFound(relapse_id)
    if relapse.status != "open":
        raise lifecycle.IllegalTransition(plan.status, "close_episode", "This relapse episode is already closed.",
                                          "该返贫风险事件已结束。", code="episode_closed")
    after = lifecycle.close_episode(plan.status)
    now, today = svc.clock.now(), svc.today()
    waived = []
    for row in repository.pending_of(session, plan.id):
        if row.overdue_after < today:  # missed while the household was on the fast track: not held against anyone
            row.status = "waived"
            waived.append(row.seq)
    added = []
    if not any(r.due_on >= today for r in repository.pending_of(session, plan.id)):
        added = _schedule(session, plan, [next_on_or_after(plan.anchor_on, plan.interval_months, plan.last_k, today)])
    pending = repository.pending_of(session, plan.id)
    _close(session, svc, plan, relapse, actor, outcome, reason, now, extra={
        "plan_status": after, "checkins_waived": waived,
        "checkins_added": [{"seq": r.seq, "due_on": r.due_on.isoformat()} for r in added],
        "next_due_on": min(r.due_on for r in pending).isoformat() if pending else None})
    plan.status = after
    if waived:
        audit.record(session, audit_log, actor=actor, at=now, action="waive_checkins", entity_type="plan",
                     entity_id=plan.id, from_state=after, to_state=after, details={"seqs": waived})
    return plan


# -- check-ins --------------------------------------------------------------------------------------------------------

def _load(session: Session, actor: Principal, plan_id: str, action: str) -> Plan:
    plan = repository.get_plan(session, plan_id, for_update=True)
    if plan is None:
        raise NotFound(plan_id)
    require_area(actor, plan.division_code)
    require_role_zh(actor, ROLES[action], action)
    return plan


@dataclass(frozen=True)
class CheckinReport:
    """What staff entered for a visit (validated for types and ranges by the API schema)."""

    household_monthly_income_yuan: Decimal
    member_count: int | None = None
    medical_out_of_pocket_yuan_year: Decimal | None = None
    medical_per_stay_yuan: Decimal | None = None
    disaster_loss_yuan: Decimal | None = None
    disaster_loss_share: Decimal | None = None
    labour_loss_members: int = 0
    earner_died: bool = False
    other_risk: str | None = None
    notes: str | None = None
    visited_on: date | None = None
    members: tuple[dict, ...] | None = None


@dataclass
class CheckinResult:
    plan: Plan
    checkin: Checkin
    outcome: RiskOutcome


def record_checkin(session: Session, svc: Services, actor: Principal, plan_id: str,
                   report: CheckinReport) -> CheckinResult:
    """A visit: fulfils every scheduled check-in whose window has opened, and is judged by the risk rules in force
    on the visit day; a risk opens a relapse episode (or joins the open one)."""
    plan = _load(session, actor, plan_id, "record_checkin")
    lifecycle.may_record(plan.status, "checkin")
    today, now = svc.today(), svc.clock.now()
    visited_on = report.visited_on or today
    if visited_on > today:
        raise InvalidInput("visited_on", "not_in_future", "the visit date must not be in the future",
                           "回访日期不能晚于今天")
    if visited_on < plan.anchor_on:
        raise InvalidInput("visited_on", "before_plan_start",
                           f"the visit date must not be before the plan's start ({plan.anchor_on.isoformat()})",
                           f"回访日期不能早于跟踪计划开始日期（{plan.anchor_on.isoformat()}）")
    members = [_member(m) for m in report.members] if report.members else None
    member_count = report.member_count or (len(members) if members else None) or plan.member_count
    if member_count is None:
        raise InvalidInput("member_count", "required_when_unknown",
                           "the plan does not know the household's size: give member_count or members",
                           "该计划未记录家庭人口数：请填写家庭人口数或家庭成员")
    if report.labour_loss_members > member_count:
        raise InvalidInput("labour_loss_members", "at_most_member_count",
                           f"cannot be more than the household's {member_count} members",
                           f"不能超过家庭人口数 {member_count}")
    observed = CheckinObservation(
        household_monthly_income_yuan=report.household_monthly_income_yuan, member_count=member_count,
        medical_out_of_pocket_yuan_year=report.medical_out_of_pocket_yuan_year,
        medical_per_stay_yuan=report.medical_per_stay_yuan, disaster_loss_yuan=report.disaster_loss_yuan,
        disaster_loss_share=report.disaster_loss_share, labour_loss_members=report.labour_loss_members,
        earner_died=report.earner_died, other_risk=report.other_risk)
    rules = svc.rules_for(plan.division_code, visited_on, plan.rule_programme)
    assessment = assess_checkin(observed, plan.baseline_per_capita_monthly_income_yuan, rules)
    known_members = members or [m for m in plan.members if m.get("id_number")]
    if assessment.at_risk and plan.status == "active" and not known_members:
        raise InvalidInput("members", "members_required_for_relapse",
                           "a relapse is reported with the household's members, and the plan has none: give members",
                           "返贫风险需随附家庭成员信息，而该计划没有成员记录：请填写家庭成员")
    if members:
        _adopt_members(session, plan, members)
    plan.member_count = member_count
    plan.last_household_monthly_income_yuan = report.household_monthly_income_yuan
    plan.updated_at = now
    checkin = Checkin(id=str(uuid.uuid4()), plan_id=plan.id, visited_on=visited_on, recorded_at=now,
                      recorded_by=actor.subject, recorded_by_role=actor.role, observed=_observed_json(observed),
                      notes=report.notes, fulfils=[], assessment=assessment.as_dict(), at_risk=assessment.at_risk,
                      rule_version=rules.version)
    session.add(checkin)
    pending = repository.pending_of(session, plan.id)
    fulfilled = set(fulfilled_by([(r.seq, r.due_on) for r in pending], visited_on, plan.early_days))
    late = False
    for row in pending:
        if row.seq in fulfilled:
            row.status, row.completed_on, row.checkin_id = "completed", visited_on, checkin.id
            row.late = visited_on > row.overdue_after
            late = late or row.late
    checkin.fulfils = sorted(fulfilled)
    session.flush()
    outcome = _raise_risk(session, svc, plan, assessment, source_type="checkin", source_id=checkin.id, actor=actor,
                          evidence={"observed": checkin.observed, "visited_on": visited_on.isoformat()},
                          fallback_members=[])
    checkin.relapse_id = outcome.relapse.id if outcome.relapse else None
    audit.record(session, audit_log, actor=actor, at=now, action="record_checkin", entity_type="plan",
                 entity_id=plan.id, from_state=plan.status, to_state=plan.status,
                 details={"checkin_id": checkin.id, "fulfils": checkin.fulfils, "at_risk": assessment.at_risk,
                          "rule_version": rules.version, "relapse_id": checkin.relapse_id})
    svc.emit(session, plan, "followup.checkin.recorded", {
        "checkin_id": checkin.id, "plan_id": plan.id, "household_id": plan.household_id,
        "division_code": plan.division_code, "visited_on": visited_on.isoformat(), "recorded_at": _iso(now),
        "recorded_by_role": actor.role, "fulfils": checkin.fulfils, "late": late, "observed": checkin.observed,
        "at_risk": assessment.at_risk, "risk_kinds": list(assessment.risk_kinds),
        "reasons": [c.reason() for c in assessment.reasons], "rule_version": rules.version,
        "relapse_id": checkin.relapse_id, "new_episode": outcome.new_episode})
    if outcome.new_episode:
        svc.emit(session, plan, "followup.relapse.detected", outcome.event_data)
    return CheckinResult(plan, checkin, outcome)


def _observed_json(o: CheckinObservation) -> dict:
    def num(v):
        return None if v is None else (int(v) if v == v.to_integral_value() else float(v))
    data = {"household_monthly_income_yuan": num(o.household_monthly_income_yuan), "member_count": o.member_count,
            "per_capita_monthly_income_yuan": num(o.per_capita_monthly_income_yuan),
            "labour_loss_members": o.labour_loss_members, "earner_died": o.earner_died,
            "other_risk": bool(o.other_risk)}
    for key in ("medical_out_of_pocket_yuan_year", "medical_per_stay_yuan", "disaster_loss_yuan", "disaster_loss_share"):
        if getattr(o, key) is not None:
            data[key] = num(getattr(o, key))
    return data


# -- partner signals --------------------------------------------------------------------------------------------------

@dataclass
class SignalResult:
    signal: PartnerSignal
    plan: Plan
    duplicate: bool
    outcome: RiskOutcome


def partner(department: str) -> Principal:
    return Principal(subject=f"partner:{department}", role="partner", area="", department=department)


def take_partner_signal(session: Session, svc: Services, actor: Principal, *, department: str, external_id: str,
                        kind: str, household_id: str | None, id_number: str | None, occurred_on: date,
                        amounts: dict, note: str | None, channel: str, cause: Event | None = None) -> SignalResult:
    """A partner's report about a household under follow-up, matched by household id or a member's resident ID
    number; judged by the risk rules in force on the day it occurred. A resent record (same department and
    external id) returns the first result. Raises NotUnderFollowUp when nothing matches (or outside the actor's area).
    """
    known = repository.signal_by_source(session, department, external_id)
    if known is not None:
        plan = repository.get_plan(session, known.plan_id)
        relapse = repository.get_relapse(session, known.relapse_id) if known.relapse_id else None
        return SignalResult(known, plan, True, RiskOutcome(relapse, False))
    checked = check_amounts(kind, amounts)
    if occurred_on > svc.today():
        raise InvalidInput("occurred_on", "not_in_future", "the date must not be in the future", "日期不能晚于今天")
    plan = None
    if household_id:
        plan = repository.plan_of_household(session, household_id)
    elif id_number:
        plan = next((p for p in repository.plans_of_person(session, id_number) if p.status != "completed"), None)
    if plan is None or plan.status == "completed" or not actor.covers(plan.division_code):
        raise NotUnderFollowUp(household_id or "person")
    plan = repository.get_plan(session, plan.id, for_update=True)
    lifecycle.may_record(plan.status, "signal")
    now = svc.clock.now()
    rules = svc.rules_for(plan.division_code, occurred_on, plan.rule_programme)
    income = plan.last_household_monthly_income_yuan
    assessment = assess_signal(kind, checked.amounts, rules, None if income is None else income * 12)
    person = [{"id_number": id_number}] if id_number else []
    if assessment.at_risk and plan.status == "active" and not plan.members and not person:
        raise InvalidInput("id_number", "members_required_for_relapse",
                           "the plan has no members on record: report the person's resident ID number",
                           "该计划没有成员记录：请提供当事人的居民身份证号码")
    signal = PartnerSignal(id=str(uuid.uuid4()), plan_id=plan.id, source_department=department,
                           external_id=external_id, channel=channel, kind=kind, id_number=id_number,
                           occurred_on=occurred_on, amounts={k: float(v) for k, v in checked.amounts.items()},
                           note=note, received_at=now, assessment=assessment.as_dict(), at_risk=assessment.at_risk,
                           rule_version=rules.version)
    session.add(signal)
    session.flush()
    outcome = _raise_risk(session, svc, plan, assessment, source_type="partner_signal", source_id=signal.id,
                          actor=actor, fallback_members=person,
                          evidence={"department": department, "signal_kind": kind, "occurred_on": occurred_on.isoformat(),
                                    "amounts": dict(signal.amounts)})
    signal.relapse_id = outcome.relapse.id if outcome.relapse else None
    audit.record(session, audit_log, actor=actor, at=now, action="record_partner_signal", entity_type="plan",
                 entity_id=plan.id, from_state=plan.status, to_state=plan.status,
                 details={"signal_id": signal.id, "department": department, "kind": kind, "channel": channel,
                          "at_risk": assessment.at_risk, "relapse_id": signal.relapse_id})
    svc.emit(session, plan, "followup.signal.received", {
        "signal_id": signal.id, "plan_id": plan.id, "household_id": plan.household_id,
        "division_code": plan.division_code, "source_department": department, "external_id": external_id,
        "channel": channel, "kind": kind, "occurred_on": occurred_on.isoformat(), "received_at": _iso(now),
        "amounts": dict(signal.amounts), "at_risk": assessment.at_risk, "risk_kinds": list(assessment.risk_kinds),
        "reasons": [c.reason() for c in assessment.reasons], "rule_version": rules.version,
        "relapse_id": signal.relapse_id, "new_episode": outcome.new_episode, "plan_status": plan.status},
        cause=cause)
    if outcome.new_episode:
        svc.emit(session, plan, "followup.relapse.detected", outcome.event_data, cause=cause)
    return SignalResult(signal, plan, False, outcome)


@emits("followup.signal.received", "followup.relapse.detected")
def on_partner_signal(session: Session, event: Event, svc: Services) -> SignalResult | None:
    """partner.signal.reported on the inbound topic: matched by the person's resident ID number. Records about people
    not under follow-up are discovery's business, and records that break a domain rule are dead-lettered by
    discovery, the topic's screening consumer: here both are skipped."""
    d = event.data
    try:
        return take_partner_signal(session, svc, partner(d["source_department"]), department=d["source_department"],
                                   external_id=d["external_id"], kind=d["kind"], household_id=None,
                                   id_number=d["id_number"], occurred_on=date.fromisoformat(d["occurred_on"]),
                                   amounts=d.get("amounts") or {}, note=d.get("note"), channel="topic", cause=event)
    except (NotUnderFollowUp, InvalidInput, InvalidSignal, lifecycle.IllegalTransition):
        return None  # all raised before anything is written
    except NoRuleSet as missing:
        raise PermanentError(f"occurred_on: no_rule_set: {missing}") from None


# -- timers -----------------------------------------------------------------------------------------------------------

@emits("followup.checkin.overdue")
def report_overdue(session: Session, svc: Services) -> int:
    """Raises followup.checkin.overdue once for each scheduled check-in of an active plan that is past its grace
    days without a visit; returns how many."""
    now, today = svc.clock.now(), svc.today()
    rows = repository.overdue_unreported(session, today)
    for row, plan in rows:
        row.overdue_reported_at = now
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="report_checkin_overdue",
                     entity_type="plan", entity_id=plan.id, from_state=plan.status, to_state=plan.status,
                     details={"seq": row.seq, "due_on": row.due_on.isoformat(),
                              "overdue_after": row.overdue_after.isoformat()})
        svc.emit(session, plan, "followup.checkin.overdue", {
            "plan_id": plan.id, "household_id": plan.household_id, "division_code": plan.division_code,
            "seq": row.seq, "due_on": row.due_on.isoformat(), "on_time_until": row.overdue_after.isoformat(),
            "grace_days": (row.overdue_after - row.due_on).days, "detected_at": _iso(now)})
    return len(rows)


@emits("followup.plan.completed")
def complete_plans(session: Session, svc: Services) -> int:
    """Active plans whose last check-in date has passed complete once nothing is pending within its grace days;
    check-ins never made are marked missed (they were reported overdue already)."""
    now, today = svc.clock.now(), svc.today()
    completed = 0
    for plan in repository.plans_past_end(session, today):
        pending = repository.pending_of(session, plan.id)
        if any(row.overdue_after >= today for row in pending):
            continue
        for row in pending:
            row.status = "missed"
        before = plan.status
        plan.status, plan.completed_at, plan.updated_at = lifecycle.complete(plan.status), now, now
        schedule = repository.schedule_of(session, plan.id)
        done = sum(1 for r in schedule if r.status == "completed")
        missed = sum(1 for r in schedule if r.status == "missed")
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="complete_plan", entity_type="plan",
                     entity_id=plan.id, from_state=before, to_state=plan.status,
                     details={"checkins_completed": done, "checkins_missed": missed})
        svc.emit(session, plan, "followup.plan.completed", {
            "plan_id": plan.id, "household_id": plan.household_id, "division_code": plan.division_code,
            "completed_at": _iso(now), "ends_on": plan.ends_on.isoformat(), "checkins_completed": done,
            "checkins_missed": missed, "relapse_count": plan.relapse_count})
        completed += 1
    return completed


__all__ = ["CLOSE_OUTCOMES", "CheckinReport", "InvalidInput", "NotFound", "NotUnderFollowUp", "Services"]
