"""gradual_exit's use cases: enrolment and situation updates from events, the timers, and the exit flow's staff steps.

Each function changes state, writes its events to the outbox and an audit row, inside the caller's transaction. The
rules (lines, observation, exit conditions, reviews, which step may follow which) live in domain/.
"""
from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from decimal import Decimal
from sqlalchemy.orm import Session

from gradual_exit import repository
from gradual_exit.domain import exit_flow
from gradual_exit.domain.calendar import local_date
from gradual_exit.domain.observation import (
    IncomeDecision,
    decide_on_income,
    exit_verdict,
    observation_end,
    support_schedule,
)
from gradual_exit.domain.reviews import next_review, overdue_explanation, review_basis
from gradual_exit.domain.rules import PROGRAMMES, RuleSet
from gradual_exit.domain.situation import HouseholdFacts, Member, SituationUpdate, apply_update, enrolment_facts
from gradual_exit.models import (
    Enrolment,
    ExitNotice,
    ExitObjection,
    Household,
    Observation,
    Participation,
    Situation,
    audit_log,
)
from shared import audit
from shared.auth import Principal, require_area, require_role
from shared.clock import Clock
from shared.consumer import PermanentError
from shared.emits import emits
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter
from shared.policy_client import PolicyRules

SOURCE = "/services/gradual_exit"
SITUATION_RECORDED = "gradual_exit.situation.recorded"

# Who may take each step (admin may take any): village and township staff record re-checks, partners send updates
# (never the periodic review itself); the township reviews the exit and runs the notice; the county decides.
ROLES = {
    "record_review": ("village", "township"),
    "record_update": ("village", "township", "partner"),
    "review": ("township",),
    "resolve_objection": ("township",),
    "close_notice": ("township",),
    "decide": ("county",),
}
PUBLIC = Principal(subject="public", role="public", area="")


# What an action code reads as in English, where the code alone would not read well.
ACTION_EN = {"read": "reading gradual-exit records", "record_review": "recording a periodic review",
              "record_update": "recording a situation update"}


def require_role_zh(actor: Principal, roles, action: str) -> None:
    """shared.auth.require_role with this service's English and Chinese names of the action."""
    require_role(actor, roles, ACTION_EN.get(action, action), action_zh=exit_flow.ACTION_ZH.get(action))


class NotFound(LookupError):
    pass


class NoticeNotRunning(NotFound):
    """The public asked about an exit notice that is not (or no longer) publicly listed."""


class UnknownHousehold(PermanentError):
    """A situation event for a household that was never enrolled here: it can never apply (dead letter, replayable)."""


@dataclass
class Services:
    """What the use cases need besides the session: wired once in bootstrap."""

    outbox: OutboxWriter
    clock: Clock
    rules: PolicyRules[RuleSet]  # the published policy's gradual_exit section (replica + shipped bundle)

    def rules_for(self, division_code: str, on) -> RuleSet:
        """The rule set in force for the division on the (China) day of ``on``; raises NoRuleSet when none is."""
        return self.rules.for_division(division_code, local_date(on))

    def emit(self, session: Session, household_id: str, event_type: str, data: dict, cause: Event | None = None) -> Event:
        event = cause.caused(event_type, SOURCE, data, subject=household_id) if cause else Event(
            type=event_type, source=SOURCE, subject=household_id, data=data, correlationid=correlation_id.get())
        return self.outbox.add(session, event)


# -- facts ------------------------------------------------------------------------------------------------------------

def facts_of(h: Household) -> HouseholdFacts:
    members = tuple(Member(labour_capacity=m["labour_capacity"], name=m.get("name"), id_number=m.get("id_number"),
                           relationship=m.get("relationship")) for m in (h.members or []) if m.get("labour_capacity"))
    return HouseholdFacts(per_capita_monthly_income_yuan=h.per_capita_monthly_income_yuan, income_stable=h.income_stable,
                          members=members, has_labour_capacity=h.has_labour_capacity,
                          lasting_income_source=h.lasting_income_source, guarantees=dict(h.guarantees or {}),
                          assistance_measures=h.assistance_measures or 0)


def _store_facts(h: Household, facts: HouseholdFacts) -> None:
    h.per_capita_monthly_income_yuan = facts.per_capita_monthly_income_yuan
    h.income_stable = facts.income_stable
    h.members = [{k: v for k, v in asdict(m).items() if v is not None} for m in facts.members]
    h.has_labour_capacity = facts.has_labour_capacity
    h.lasting_income_source = facts.lasting_income_source
    h.guarantees = dict(facts.guarantees)
    h.assistance_measures = facts.assistance_measures


def update_to_data(update: SituationUpdate) -> dict:
    """The facts an update states, as they travel in gradual_exit.situation.recorded (only what was stated)."""
    data: dict = {}
    if update.per_capita_monthly_income_yuan is not None:
        data["per_capita_monthly_income_yuan"] = float(update.per_capita_monthly_income_yuan)
    if update.income_stable is not None:
        data["income_stable"] = update.income_stable
    if update.members is not None:
        data["members"] = [{k: v for k, v in asdict(m).items() if v is not None} for m in update.members]
    if update.guarantees:
        data["guarantees"] = dict(update.guarantees)
    if update.assistance_measures_received is not None:
        data["assistance_measures_received"] = update.assistance_measures_received
    if update.lasting_income_source is not None:
        data["lasting_income_source"] = update.lasting_income_source
    return data


def update_from_data(d: dict) -> SituationUpdate:
    income = d.get("per_capita_monthly_income_yuan")
    members = d.get("members")
    return SituationUpdate(
        per_capita_monthly_income_yuan=None if income is None else Decimal(str(income)),
        income_stable=d.get("income_stable"),
        members=None if members is None else tuple(
            Member(labour_capacity=m["labour_capacity"], name=m.get("name"), id_number=m.get("id_number"),
                   relationship=m.get("relationship")) for m in members),
        guarantees=d.get("guarantees"), assistance_measures_received=d.get("assistance_measures_received"),
        lasting_income_source=d.get("lasting_income_source"))


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _stored(moment: datetime) -> datetime:
    """A timestamp read back from the database: SQLite keeps no offset, and what it holds was written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _programme_order(programmes) -> list[str]:
    """The programmes in the platform's canonical order, each once."""
    wanted = set(programmes)
    return [p for p in PROGRAMMES if p in wanted]


# -- intake -------------------------------------------------------------------------------------------------------------

@emits("gradual_exit.household.enrolled")
def on_household_enrolled(session: Session, event: Event, svc: Services) -> Household:
    """One participation per programme (unless one is already open), and the first periodic review's due date."""
    d = event.data
    known = repository.enrolment(session, d["case_id"])
    if known is not None:  # a replay into a live database: nothing to do again
        return repository.get_household(session, known.household_id)
    now = svc.clock.now()
    enrolled_at = _time(d["enrolled_at"])
    programmes = _programme_order(d["programmes"])
    inferred = enrolment_facts(programmes=programmes, categories=d.get("categories") or {}, scores=d.get("scores"),
                               per_capita_monthly_income_yuan=d.get("per_capita_monthly_income_yuan"))
    household = repository.get_household(session, d["household_id"], for_update=True)
    if household is None:
        household = Household(id=d["household_id"], division_code=d["division_code"], file_number=d["file_number"],
                              case_id=d["case_id"], member_count=d["member_count"], members=[],
                              categories=d.get("categories") or {}, enrolled_at=enrolled_at,
                              last_enrolled_at=enrolled_at, guarantees={},
                              assistance_measures=0, updated_at=now)
        _store_facts(household, inferred)
        session.add(household)
    else:  # enrolled again (a new case): the newest file and place; known facts stay unless still unknown
        household.division_code, household.file_number, household.case_id = (
            d["division_code"], d["file_number"], d["case_id"])
        household.member_count, household.categories, household.updated_at = d["member_count"], d.get("categories") or {}, now
        household.enrolled_at = min(_stored(household.enrolled_at), enrolled_at)
        household.last_enrolled_at = max(_stored(household.last_enrolled_at), enrolled_at)
        if inferred.per_capita_monthly_income_yuan is not None:
            household.per_capita_monthly_income_yuan = inferred.per_capita_monthly_income_yuan
        if household.has_labour_capacity is None:
            household.has_labour_capacity = inferred.has_labour_capacity
        if household.income_stable is None:
            household.income_stable = inferred.income_stable
    session.flush()
    session.add(Enrolment(case_id=d["case_id"], household_id=household.id, programmes=programmes,
                          rule_version=d["rule_version"], enrolled_at=enrolled_at, received_at=now))
    open_now = {p.programme: p for p in repository.open_participations(session, household.id, for_update=True)}
    created: list[Participation] = []
    for programme in programmes:
        if programme in open_now:
            continue
        participation = Participation(id=str(uuid.uuid4()), household_id=household.id, programme=programme,
                                      case_id=d["case_id"], division_code=household.division_code,
                                      status="supported", enrolled_at=enrolled_at, updated_at=now)
        session.add(participation)
        created.append(participation)
    for p in open_now.values():  # the household may have moved: staff of its new area see it
        p.division_code = household.division_code
    session.flush()
    _refresh_review_schedule(session, svc, household)
    audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="enrol", entity_type="household",
                 entity_id=household.id, details={"case_id": d["case_id"], "programmes": programmes,
                                                  "participations_opened": [p.programme for p in created],
                                                  "next_review_due": household.next_review_due})
    data = {"household_id": household.id, "case_id": d["case_id"], "division_code": household.division_code,
            "enrolled_at": enrolled_at.isoformat(), "programmes": programmes,
            "participations_opened": [{"participation_id": p.id, "programme": p.programme} for p in created],
            "programmes_already_open": _programme_order(open_now)}
    if household.next_review_due is not None:
        data["review"] = {"next_due_on": household.next_review_due.isoformat(),
                          "interval_months": household.review_interval_months, "basis": household.review_basis,
                          "rule_version": household.review_rule_version}
    if household.file_number:
        data["file_number"] = household.file_number
    svc.emit(session, household.id, "gradual_exit.household.enrolled", data, cause=event)
    return household


def _refresh_review_schedule(session: Session, svc: Services, household: Household) -> None:
    """The next periodic review after the last review or enrolment, whichever is later, for the programmes still open."""
    enrolled = _stored(household.last_enrolled_at)
    base = max(enrolled, _stored(household.last_reviewed_at) if household.last_reviewed_at else enrolled)
    programmes = [p.programme for p in repository.open_participations(session, household.id)]
    schedule = None
    if programmes:
        rules = svc.rules_for(household.division_code, base)
        schedule = next_review(local_date(base), programmes,
                               review_basis(household.income_stable, household.has_labour_capacity), rules)
    household.next_review_due = schedule.due_on if schedule else None
    household.review_interval_months = schedule.interval_months if schedule else None
    household.review_basis = schedule.basis if schedule else None
    household.review_rule_version = schedule.rule_version if schedule else None


# -- situation updates ---------------------------------------------------------------------------------------------------

def record_situation(session: Session, svc: Services, actor: Principal, household_id: str, *, kind: str,
                     update: SituationUpdate, note: str | None = None) -> Situation:
    """The HTTP entry: records the update as gradual_exit.situation.recorded, then applies it with the same handler
    a consumer of that event uses, so an update takes one path whichever way it arrives."""
    household = repository.get_household(session, household_id)
    if household is None:
        raise NotFound(household_id)
    require_area(actor, household.division_code)
    require_role_zh(actor, ROLES["record_review" if kind == "review" else "record_update"],
                    "record_review" if kind == "review" else "record_update")
    now = svc.clock.now()
    recorder = {"subject": actor.subject, "role": actor.role, "area": actor.area}
    if actor.department:
        recorder["department"] = actor.department
    data = {"situation_id": str(uuid.uuid4()), "household_id": household_id, "division_code": household.division_code,
            "kind": kind, "source": "partner" if actor.role == "partner" else "caseworker",
            "recorded_at": now.isoformat(), "recorded_by": recorder, **update_to_data(update)}
    if note:
        data["note"] = note
    event = svc.outbox.add(session, Event(type=SITUATION_RECORDED, source=SOURCE, subject=household_id, data=data,
                                          correlationid=correlation_id.get()))
    return on_situation_recorded(session, event, svc)


# Applied live by the API in the transaction that records the event; as a consumer of that same event it applies
# only on a replay into an empty database, where the state it rebuilds is the one the event already announced.
@emits("gradual_exit.observation.started", "gradual_exit.observation.reverted", "gradual_exit.notice.closed")
def on_situation_recorded(session: Session, event: Event, svc: Services) -> Situation:
    """Applies one recorded situation, once: merges the facts, then decides per programme on the new income."""
    d = event.data
    existing = repository.get_situation(session, d["situation_id"])
    if existing is not None and existing.applied_at is not None:
        return existing
    household = repository.get_household(session, d["household_id"], for_update=True)
    if household is None:
        raise UnknownHousehold(f"situation {d['situation_id']}: household {d['household_id']} is not enrolled here")
    recorded_at = _time(d["recorded_at"])
    by = d["recorded_by"]
    actor = Principal(subject=by["subject"], role=by["role"], area=by.get("area", ""), department=by.get("department"))
    situation = existing or Situation(
        id=d["situation_id"], household_id=household.id, kind=d["kind"], source=d["source"], recorded_at=recorded_at,
        recorded_by=by["subject"], recorder_role=by["role"], department=by.get("department"),
        facts=update_to_data(update_from_data(d)), note=d.get("note"), event_id=event.id)
    if existing is None:
        session.add(situation)
    rules = svc.rules_for(household.division_code, recorded_at)
    facts = apply_update(facts_of(household), update_from_data(d), rules.working_labour_capacities())
    _store_facts(household, facts)
    if d.get("members"):
        household.member_count = len(d["members"])
    if d["kind"] == "review":
        household.last_reviewed_at = recorded_at
    household.updated_at = svc.clock.now()
    session.flush()
    decisions = []
    for p in repository.open_participations(session, household.id, for_update=True):
        decision = decide_on_income(p.programme, p.status, facts, rules)
        before = p.status
        if decision.action == "start_observation":
            _start_observation(session, svc, actor, household, p, decision, rules, at=recorded_at,
                               situation_id=situation.id, cause=event)
        elif decision.action == "revert_observation":
            trigger = "income_fell_back" if any(r.code == "income_fell_back" for r in decision.reasons) \
                else "no_labour_capacity"
            after = exit_flow.transition(before, "revert_observation", reasons=decision.reasons)
            _return_to_support(session, svc, actor, household, p, action="revert_observation", after=after,
                               trigger=trigger, reasons=[r.as_dict() for r in decision.reasons],
                               rule_version=rules.version, at=recorded_at, situation_id=situation.id, cause=event)
        elif decision.action == "continue":
            observation = repository.get_observation(session, p.observation_id)
            observation.lowest_income_yuan = min(observation.lowest_income_yuan, facts.per_capita_monthly_income_yuan)
        decisions.append(_decision_json(p, decision, before))
    _refresh_review_schedule(session, svc, household)
    situation.applied_at, situation.decisions = svc.clock.now(), decisions
    audit.record(session, audit_log, actor=actor, at=svc.clock.now(), action=f"record_{d['kind']}",
                 entity_type="household", entity_id=household.id,
                 details={"situation_id": situation.id, "source": d["source"],
                          "decisions": {x["programme"]: x["action"] for x in decisions},
                          "next_review_due": household.next_review_due})
    return situation


def _decision_json(p: Participation, decision: IncomeDecision, before: str) -> dict:
    return {"participation_id": p.id, "programme": p.programme, "action": decision.action, "state_before": before,
            "state_after": p.status, "rule_version": decision.rule_version,
            "line_yuan_per_person_month": None if decision.line is None else float(decision.line.yuan_per_person_month),
            "explanation_en": decision.explanation_en, "explanation_zh": decision.explanation_zh,
            "reasons": [{"code": r.code, "passed": r.passed, "en": r.en, "zh": r.zh} for r in decision.reasons]}


def _start_observation(session: Session, svc: Services, actor: Principal, household: Household, p: Participation,
                       decision: IncomeDecision, rules: RuleSet, *, at: datetime, situation_id: str,
                       cause: Event | None) -> Observation:
    before = p.status
    after = exit_flow.transition(before, "start_observation", income_above_line=True)
    started_on = local_date(at)
    income = household.per_capita_monthly_income_yuan
    observation = Observation(
        id=str(uuid.uuid4()), participation_id=p.id, household_id=household.id, programme=p.programme, started_at=at,
        started_on=started_on, ends_on=observation_end(started_on, p.programme, rules),
        line_yuan_per_person_month=decision.line.yuan_per_person_month, start_income_yuan=income,
        lowest_income_yuan=income, rule_version=rules.version,
        support_schedule=support_schedule(p.programme, rules), started_by_situation=situation_id)
    session.add(observation)
    p.status, p.observation_id, p.observation_ends_on, p.updated_at = after, observation.id, observation.ends_on, svc.clock.now()
    audit.record(session, audit_log, actor=actor, at=svc.clock.now(), action="start_observation",
                 entity_type="participation", entity_id=p.id, from_state=before, to_state=after,
                 details={"observation_id": observation.id, "ends_on": observation.ends_on,
                          "rule_version": rules.version, "situation_id": situation_id})
    svc.emit(session, household.id, "gradual_exit.observation.started", {
        "observation_id": observation.id, "participation_id": p.id, "household_id": household.id,
        "programme": p.programme, "division_code": household.division_code, "started_at": at.isoformat(),
        "ends_on": observation.ends_on.isoformat(),
        "line_yuan_per_person_month": float(observation.line_yuan_per_person_month),
        "per_capita_monthly_income_yuan": float(income), "support_schedule": observation.support_schedule,
        "reasons": [r.as_dict() for r in decision.reasons], "rule_version": rules.version,
        "situation_id": situation_id}, cause=cause)
    return observation


def _return_to_support(session: Session, svc: Services, actor: Principal, household: Household, p: Participation, *,
                       action: str, after: str, trigger: str, reasons: list[dict], rule_version: str, at: datetime,
                       situation_id: str | None = None, cause: Event | None = None, details: dict | None = None) -> None:
    """The observation ends without an exit (the state machine already allowed ``action``): support continues."""
    before = p.status
    observation = repository.get_observation(session, p.observation_id)
    now = svc.clock.now()
    observation.outcome, observation.ended_at, observation.trigger, observation.reasons = "reverted", at, trigger, reasons
    notice = repository.open_notice(session, p.id)
    p.status, p.observation_ends_on, p.updated_at = after, None, now
    if notice is not None:  # the exit is off: so is its notice
        _withdraw_notice(session, svc, actor, household, p, notice, reason="exit_reverted", cause=cause)
    audit.record(session, audit_log, actor=actor, at=now, action=action, entity_type="participation", entity_id=p.id,
                 from_state=before, to_state=after,
                 details={"observation_id": observation.id, "trigger": trigger,
                          "reasons": [r["code"] for r in reasons], **(details or {})})
    data = {"observation_id": observation.id, "participation_id": p.id, "household_id": household.id,
            "programme": p.programme, "division_code": household.division_code, "reverted_at": at.isoformat(),
            "from_state": before, "trigger": trigger, "reasons": [_reason(r) for r in reasons],
            "rule_version": rule_version}
    if household.per_capita_monthly_income_yuan is not None:
        data["per_capita_monthly_income_yuan"] = float(household.per_capita_monthly_income_yuan)
    if situation_id:
        data["situation_id"] = situation_id
    svc.emit(session, household.id, "gradual_exit.observation.reverted", data, cause=cause)


def _withdraw_notice(session: Session, svc: Services, actor: Principal, household: Household, p: Participation,
                     notice: ExitNotice, *, reason: str, cause: Event | None = None) -> None:
    """The exit it announced is off: the notice leaves the public list and objections nobody resolved lapse."""
    now = svc.clock.now()
    notice.status, notice.closed_at = "withdrawn", now
    lapsed = []
    for objection in repository.objections_of_notice(session, notice.id, status="open", for_update=True):
        objection.status, objection.resolved_at = "lapsed", now
        lapsed.append(objection.id)
    _notice_closed(session, svc, actor, household, p, notice, reason=reason, lapsed=lapsed, cause=cause)


def _notice_closed(session: Session, svc: Services, actor: Principal, household: Household, p: Participation,
                   notice: ExitNotice, *, reason: str, lapsed: list[str], cause: Event | None = None) -> None:
    svc.emit(session, household.id, "gradual_exit.notice.closed", {
        "notice_id": notice.id, "participation_id": p.id, "observation_id": notice.observation_id,
        "household_id": household.id, "programme": p.programme, "division_code": notice.division_code,
        "closed_at": notice.closed_at.isoformat(), "reason": reason, "status": notice.status,
        "first_day": notice.first_day.isoformat(), "last_day": notice.last_day.isoformat(),
        "participation_status": p.status, "objections_lapsed": lapsed,
        "actor": {"role": actor.role, "subject": actor.subject}}, cause=cause)


def _reason(r: dict) -> dict:
    return {"code": r["code"], "en": r["en"], "zh": r["zh"]}


# -- timers -----------------------------------------------------------------------------------------------------------------

@emits("gradual_exit.observation.completed", "gradual_exit.observation.reverted")
def complete_observations(session: Session, svc: Services) -> int:
    """Every observation whose period is over: to the exit review when the exit conditions hold, else reverted with
    the conditions that failed (support continues). Returns how many were completed either way."""
    now = svc.clock.now()
    today = local_date(now)
    done = 0
    for participation_id in repository.observations_ending(session, today):
        first = repository.get_participation(session, participation_id)
        household = repository.get_household(session, first.household_id, for_update=True)  # households lock first
        p = repository.get_participation(session, participation_id, for_update=True)
        if p.status != "observation" or p.observation_ends_on is None or p.observation_ends_on > today:
            continue  # changed since the query (a situation update reverted it)
        observation = repository.get_observation(session, p.observation_id)
        rules = svc.rules_for(household.division_code, today)
        verdict = exit_verdict(p.programme, facts=facts_of(household), ends_on=observation.ends_on,
                               lowest_income=observation.lowest_income_yuan,
                               enrolled_on=local_date(_stored(p.enrolled_at)), today=today, rules=rules)
        observation.verdict = {"met": verdict.met, "rule_version": verdict.rule_version, "evaluated_at": now.isoformat(),
                               "reasons": [asdict(r) for r in verdict.reasons]}
        if verdict.met:
            before = p.status
            after = exit_flow.transition(before, "complete_observation", period_over=True, conditions_met=True)
            p.status, p.updated_at = after, now
            audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="complete_observation",
                         entity_type="participation", entity_id=p.id, from_state=before, to_state=after,
                         details={"observation_id": observation.id, "rule_version": verdict.rule_version})
            svc.emit(session, household.id, "gradual_exit.observation.completed", {
                "observation_id": observation.id, "participation_id": p.id, "household_id": household.id,
                "programme": p.programme, "division_code": household.division_code, "completed_at": now.isoformat(),
                "started_on": observation.started_on.isoformat(), "ends_on": observation.ends_on.isoformat(),
                "reasons": [r.as_dict() for r in verdict.reasons], "rule_version": verdict.rule_version})
        else:
            after = exit_flow.transition(p.status, "revert_observation", reasons=verdict.failed)
            _return_to_support(session, svc, audit.SYSTEM, household, p, action="revert_observation", after=after,
                               trigger="conditions_not_met", reasons=[r.as_dict() for r in verdict.failed],
                               rule_version=verdict.rule_version, at=now)
        done += 1
    return done


@emits("gradual_exit.review.due")
def report_due_reviews(session: Session, svc: Services) -> int:
    """Raises gradual_exit.review.due once for each household whose periodic review is overdue; returns how many."""
    now = svc.clock.now()
    households = repository.households_with_review_due(session, local_date(now))
    for h in households:
        h.review_due_reported_for = h.next_review_due
        programmes = _programme_order(p.programme for p in repository.open_participations(session, h.id))
        en, zh = overdue_explanation(h.next_review_due, h.review_interval_months, h.review_basis)
        audit.record(session, audit_log, actor=audit.SYSTEM, at=now, action="report_review_due", entity_type="household",
                     entity_id=h.id, details={"due_on": h.next_review_due, "programmes": programmes})
        data = {"household_id": h.id, "division_code": h.division_code, "due_on": h.next_review_due.isoformat(),
                "detected_at": now.isoformat(), "interval_months": h.review_interval_months, "basis": h.review_basis,
                "programmes": programmes, "rule_version": h.review_rule_version,
                "explanation": {"en": en, "zh": zh}}
        if h.last_reviewed_at is not None:
            data["last_reviewed_on"] = local_date(_stored(h.last_reviewed_at)).isoformat()
        if h.file_number:
            data["file_number"] = h.file_number
        svc.emit(session, h.id, "gradual_exit.review.due", data)
    return len(households)


# -- the exit flow: staff steps -----------------------------------------------------------------------------------------------

def _load(session: Session, actor: Principal, participation_id: str, action: str) -> tuple[Participation, Household]:
    found = repository.get_participation(session, participation_id)
    if found is None:
        raise NotFound(participation_id)
    require_area(actor, found.division_code)
    require_role_zh(actor, ROLES[action], action)
    household = repository.get_household(session, found.household_id, for_update=True)
    return repository.get_participation(session, participation_id, for_update=True), household


def review_exit(session: Session, svc: Services, actor: Principal, participation_id: str, *, outcome: str,
                opinion: str) -> Participation:
    """乡镇审核: propose the exit (the public notice is published) or continue support (the observation ends)."""
    p, household = _load(session, actor, participation_id, "review")
    before = p.status
    after = exit_flow.transition(before, "review", outcome=outcome, opinion=opinion)
    now = svc.clock.now()
    observation = repository.get_observation(session, p.observation_id)
    observation.review = {"outcome": outcome, "opinion": opinion, "by": actor.subject, "at": now.isoformat()}
    rules = svc.rules_for(household.division_code, now)
    if after != "exit_notice":
        _return_to_support(session, svc, actor, household, p, action="review", after=after, trigger="review",
                           reasons=[{"code": "review_continued_support",
                                     "en": f"The township review decided to continue support: {opinion}",
                                     "zh": f"乡镇审核决定继续给予救助：{opinion}"}],
                           rule_version=rules.version, at=now, details={"outcome": outcome})
        return p
    period = exit_flow.notice_period(local_date(now), rules.notice_days(p.programme))
    head = next((m for m in household.members if m.get("relationship") == "self" and m.get("name")),
                next((m for m in household.members if m.get("name")), {}))
    text = exit_flow.exit_notice_text(head_name=head.get("name"), village=household.division_code,
                                      household_size=household.member_count, programme=p.programme, period=period)
    notice = ExitNotice(id=str(uuid.uuid4()), participation_id=p.id, observation_id=observation.id,
                        household_id=household.id, division_code=household.division_code, programme=p.programme,
                        published_at=now, first_day=period.first_day, last_day=period.last_day, text_en=text.text_en,
                        text_zh=text.text_zh, status="open")
    session.add(notice)
    p.status, p.updated_at = after, now
    audit.record(session, audit_log, actor=actor, at=now, action="review", entity_type="participation", entity_id=p.id,
                 from_state=before, to_state=after,
                 details={"outcome": outcome, "opinion": opinion, "notice_id": notice.id,
                          "notice_days": period.days, "rule_version": rules.version})
    svc.emit(session, household.id, "gradual_exit.notice.published", {
        "notice_id": notice.id, "participation_id": p.id, "observation_id": observation.id,
        "household_id": household.id, "programme": p.programme, "division_code": household.division_code,
        "published_at": now.isoformat(), "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(), "notice": {"text_en": text.text_en, "text_zh": text.text_zh},
        "rule_version": rules.version})
    return p


def close_notice(session: Session, svc: Services, actor: Principal, participation_id: str) -> Participation:
    """公示期满: the notice has run its days without an open objection; the exit goes to the county."""
    p, household = _load(session, actor, participation_id, "close_notice")
    notice = repository.open_notice(session, p.id)
    now = svc.clock.now()
    before = p.status
    after = exit_flow.transition(before, "close_notice", now=local_date(now),
                                 notice_last_day=notice.last_day if notice else None,
                                 open_objections=repository.open_objection_count(session, p.id))
    notice.status, notice.closed_at = "closed", now
    p.status, p.updated_at = after, now
    audit.record(session, audit_log, actor=actor, at=now, action="close_notice", entity_type="participation",
                 entity_id=p.id, from_state=before, to_state=after, details={"notice_id": notice.id})
    _notice_closed(session, svc, actor, household, p, notice, reason="period_ended", lapsed=[])
    return p


# -- objections to an exit notice ------------------------------------------------------------------------------------------

def lodge_objection(session: Session, svc: Services, notice_id: str, *, grounds: str,
                    contact: str | None) -> ExitObjection:
    """Anyone may object while an exit notice runs, without an account; the objection is recorded, not published,
    and holds the exit until the township resolves it."""
    found = repository.get_notice(session, notice_id)
    if found is None or found.status != "open":
        # A closed or withdrawn notice is no longer public: to the public it does not exist.
        raise NoticeNotRunning(notice_id)
    household = repository.get_household(session, found.household_id, for_update=True)
    p = repository.get_participation(session, found.participation_id, for_update=True)
    notice = repository.get_notice(session, notice_id)
    now = svc.clock.now()
    exit_flow.transition(p.status, "lodge_objection", now=local_date(now), notice_last_day=notice.last_day,
                         grounds=grounds)
    objection = ExitObjection(id=str(uuid.uuid4()), notice_id=notice.id, participation_id=p.id,
                              household_id=household.id, lodged_at=now, grounds=grounds, contact=contact,
                              status="open")
    session.add(objection)
    p.updated_at = now
    audit.record(session, audit_log, actor=PUBLIC, at=now, action="lodge_objection", entity_type="participation",
                 entity_id=p.id, from_state=p.status, to_state=p.status,
                 details={"objection_id": objection.id, "notice_id": notice.id})
    svc.emit(session, household.id, "gradual_exit.objection.lodged", {
        "objection_id": objection.id, "notice_id": notice.id, "participation_id": p.id,
        "household_id": household.id, "programme": p.programme, "division_code": notice.division_code,
        "lodged_at": now.isoformat(), "notice_last_day": notice.last_day.isoformat()})
    return objection


def resolve_objection(session: Session, svc: Services, actor: Principal, participation_id: str, objection_id: str, *,
                      outcome: str, reason: str) -> Participation:
    """异议处理: upheld withdraws the notice and sends the exit back to the township review; dismissed leaves the notice
    running (it can close once its period is over and no other objection is open)."""
    p, household = _load(session, actor, participation_id, "resolve_objection")
    objection = repository.get_objection(session, objection_id, for_update=True)
    if objection is None or objection.participation_id != p.id:
        raise NotFound(objection_id)
    if objection.status != "open":
        status_zh = {"upheld": "异议成立", "dismissed": "异议不成立", "lapsed": "公示已撤回，异议失效"}
        raise exit_flow.ConditionNotMet(
            p.status, "resolve_objection", "objection_closed",
            f"objection {objection_id} is no longer open ({objection.status})",
            f"该异议已不在待处理状态（{status_zh.get(objection.status, '已处理')}）")
    before = p.status
    after = exit_flow.transition(before, "resolve_objection", open_objections=repository.open_objection_count(
        session, p.id), outcome=outcome, reasons=[reason])
    now = svc.clock.now()
    objection.status, objection.resolution, objection.resolved_by, objection.resolved_at = (
        outcome, reason, actor.subject, now)
    p.status, p.updated_at = after, now
    audit.record(session, audit_log, actor=actor, at=now, action="resolve_objection", entity_type="participation",
                 entity_id=p.id, from_state=before, to_state=after,
                 details={"objection_id": objection.id, "outcome": outcome, "reason": reason})
    svc.emit(session, household.id, "gradual_exit.objection.resolved", {
        "objection_id": objection.id, "notice_id": objection.notice_id, "participation_id": p.id,
        "household_id": household.id, "programme": p.programme, "division_code": p.division_code,
        "outcome": outcome, "upheld": outcome == "upheld", "reason": reason, "resolved_at": now.isoformat(),
        "participation_status": after, "actor": {"role": actor.role, "subject": actor.subject}})
    if after == "exit_review":  # upheld: the notice is withdrawn, the township reviews the exit again
        notice = repository.get_notice(session, objection.notice_id)
        if notice is not None and notice.status == "open":
            _withdraw_notice(session, svc, actor, household, p, notice, reason="objection_upheld")
    return p


def decide_exit(session: Session, svc: Services, actor: Principal, participation_id: str, *, outcome: str,
                reasons: list[dict] | None) -> Participation:
    """县级审批: the household leaves this one programme (gradual_exit.household.exited), or support continues."""
    p, household = _load(session, actor, participation_id, "decide")
    exit_flow.refuse_while_objections_open(p.status, "decide", repository.open_objection_count(session, p.id))
    now = svc.clock.now()
    observation = repository.get_observation(session, p.observation_id)
    closed = [n for n in repository.notices_of(session, p.id)
              if n.status == "closed" and observation is not None and n.observation_id == observation.id]
    verdict = (observation.verdict or {}) if observation else {}
    given = [_reason(r) for r in (reasons or [])]
    if outcome == "exit":
        given = [_reason(r) for r in verdict.get("reasons", []) if r.get("passed")] + [
            {"code": "notice_held", "en": f"The public notice ran from {n.first_day.isoformat()} to "
                                          f"{n.last_day.isoformat()} without an open objection.",
             "zh": f"已于{n.first_day.isoformat()}至{n.last_day.isoformat()}公示，无未处理异议。"} for n in closed[-1:]
        ] + given
    before = p.status
    after = exit_flow.transition(before, "decide", outcome=outcome, reasons=given, notice_held=bool(closed),
                                 open_objections=0)
    decision = {"outcome": outcome, "by": actor.subject, "at": now.isoformat(), "reasons": given}
    if after != "exited":
        observation.decision = decision
        _return_to_support(session, svc, actor, household, p, action="decide", after=after, trigger="decision",
                           reasons=given, rule_version=verdict.get("rule_version")
                           or svc.rules_for(household.division_code, now).version, at=now,
                           details={"outcome": outcome})
        return p
    exit_id = str(uuid.uuid4())
    observation.outcome, observation.ended_at, observation.reasons, observation.decision = "exited", now, given, decision
    p.status, p.exit_id, p.exited_at, p.observation_ends_on, p.updated_at = after, exit_id, now, None, now
    session.flush()
    remaining = _programme_order(q.programme for q in repository.open_participations(session, household.id))
    rule_version = verdict.get("rule_version") or svc.rules_for(household.division_code, now).version
    data = {"exit_id": exit_id, "household_id": household.id, "programme": p.programme,
            "division_code": household.division_code, "exited_at": now.isoformat(), "reasons": given,
            "remaining_programmes": remaining, "rule_version": rule_version}
    if household.file_number:
        data["file_number"] = household.file_number
    if household.per_capita_monthly_income_yuan is not None:
        data["per_capita_monthly_income_yuan"] = float(household.per_capita_monthly_income_yuan)
    members = [{k: m[k] for k in ("name", "id_number", "relationship") if m.get(k)}
               for m in household.members if m.get("id_number")]
    if members:
        data["members"] = members
    audit.record(session, audit_log, actor=actor, at=now, action="decide", entity_type="participation", entity_id=p.id,
                 from_state=before, to_state=after,
                 details={"outcome": outcome, "exit_id": exit_id, "remaining_programmes": remaining,
                          "reasons": [r["code"] for r in given]})
    svc.emit(session, household.id, "gradual_exit.household.exited", data)
    _refresh_review_schedule(session, svc, household)
    return p


__all__ = ["NotFound", "Services", "UnknownHousehold", "lodge_objection", "on_household_enrolled",
           "on_situation_recorded", "resolve_objection"]
