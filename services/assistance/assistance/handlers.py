"""assistance's use cases: enrolment and exit from events, needs assessment, the provider catalogue, referrals, feedback.

Each function changes state, writes its events to the outbox and audit rows, inside the caller's transaction; only
the route (or the consumer runner) commits. Every use case that touches needs, places or referrals first takes the
matching lock (repository.lock_matching), so matching never hands out one place twice.

Matching itself is domain/matching.py; ``reconsider`` applies it: it builds the offers (places left this period of
every active provider of the service types concerned) and the waiting needs (priority refreshed as of today), runs
the match, records each referral with its reason, and each wait with its reason and position. It runs whenever a
place may have become free or a need's standing changed: a new need, a declined or cancelled referral, a new
provider, added capacity, a provider re-activated, a needs assessment, and a new day or capacity period (timer).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from assistance import repository
from assistance.domain import referrals as referral_states
from assistance.domain import taper as taper_rules
from assistance.domain.benefits import FREQUENCY, CashGrant, cash_benefits
from assistance.domain.catalogue import BENEFIT_KINDS, PROGRAMME_NAMES, need_name
from assistance.domain.matching import Constraints, NeedToMatch, Offer, match
from assistance.domain.needs import Household as HouseholdProfile
from assistance.domain.needs import derive_needs
from assistance.domain.periods import period_key
from assistance.domain.priority import inputs_signature, priority
from assistance.domain.quality import code_matches, summarise
from assistance.domain.rules import RuleSet, local_date
from assistance.domain.taper import parse_schedule
from assistance.models import (
    Benefit,
    Enrolment,
    Feedback,
    Household,
    Need,
    NeedsAssessment,
    ProgrammeExit,
    Provider,
    ProviderService,
    Referral,
    Taper,
    audit_log,
)
from assistance.models import TaperMonth as TaperMonthRow
from shared import audit
from shared.auth import STAFF_ROLES, Principal, require_area, require_role
from shared.clock import Clock
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter
from shared.policy_client import PolicyRules

SOURCE = "/services/assistance"
PUBLIC = Principal("household", "public", "")

# Who may do what (admin may do anything): villages and townships assess needs; any staff may cancel a referral or
# rate a service in their area; the township or county resolves complaints; the county keeps the provider catalogue.
ROLES = {
    "assess_needs": ("village", "township"),
    "cancel_referral": STAFF_ROLES,
    "rate_service": STAFF_ROLES,
    "resolve_complaint": ("township", "county"),
    "register_provider": ("county",),
    "update_provider": ("county",),
}


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The request is well formed but the record's state does not allow it (409), with a rule code."""

    def __init__(self, code: str, en: str, zh: str, **extra):
        self.code, self.en, self.zh, self.extra = code, en, zh, extra
        super().__init__(en)


class InvalidInput(ValueError):
    """A field breaks a domain rule (422), named with the rule."""

    def __init__(self, field_name: str, rule: str, en: str, zh: str):
        self.field, self.rule, self.en, self.zh = field_name, rule, en, zh
        super().__init__(f"{field_name}: {rule}: {en}")


@dataclass
class Services:
    """What the use cases need besides the session: wired once in bootstrap."""

    outbox: OutboxWriter
    clock: Clock
    rules: PolicyRules[RuleSet]  # the published policy's assistance section (assistance.domain.rules.policy_rules)
    feedback_key: str = field(repr=False, default="")

    def rules_for(self, division_code: str, on) -> RuleSet:
        """The rule set in force for the division on the day (the replica is re-read when a version is published)."""
        return self.rules.for_division(division_code, on)

    def emit(self, session: Session, household_id: str, event_type: str, data: dict,
             cause: Event | None = None) -> Event:
        event = cause.caused(event_type, SOURCE, data, subject=household_id) if cause else Event(
            type=event_type, source=SOURCE, subject=household_id, data=data, correlationid=correlation_id.get())
        return self.outbox.add(session, event)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def profile(h) -> HouseholdProfile:
    """The domain's view of a household (a Household or a row with the same columns)."""
    return HouseholdProfile(division_code=h.division_code, programmes=tuple(h.programmes), member_count=h.member_count,
                            categories=dict(h.categories), scores={k: int(v) for k, v in h.scores.items()},
                            per_capita_monthly_income_yuan=h.per_capita_monthly_income_yuan,
                            sudden_hardship=h.sudden_hardship, care_level=h.care_level)


def _audit(session: Session, actor: Principal, now: datetime, action: str, entity_type: str, entity_id: str,
           details: dict | None = None, from_state: str | None = None, to_state: str | None = None) -> None:
    audit.record(session, audit_log, actor=actor, at=now, action=action, entity_type=entity_type,
                 entity_id=entity_id, from_state=from_state, to_state=to_state, details=details)


# -- intake from identification and gradual exit -------------------------------------------------------------------

def on_household_enrolled(session: Session, event: Event, svc: Services) -> Household | None:
    """A household file was created: record the household, derive its needs, grant its cash, match its needs."""
    d = event.data
    repository.lock_matching(session)
    if repository.enrolment(session, d["case_id"]) is not None:  # a replay: applied already
        return None
    now = svc.clock.now()
    enrolled_at = _time(d["enrolled_at"])
    # gradual_exit and identification publish on different topics, so an exit decided after this enrolment may
    # arrive first: a programme already exited is not taken up again.
    exited = {e.programme for e in repository.exits_after(session, d["household_id"], enrolled_at)}
    programmes = [p for p in d["programmes"] if p not in exited]
    income = d.get("per_capita_monthly_income_yuan")
    h = repository.get_household(session, d["household_id"], for_update=True)
    if h is None:
        h = Household(id=d["household_id"], programmes=[], categories={}, scores={}, sudden_hardship=False,
                      status="active")
        session.add(h)
    h.division_code, h.file_number, h.case_id = d["division_code"], d["file_number"], d["case_id"]
    h.programmes = list(dict.fromkeys([*h.programmes, *programmes]))
    h.categories = {**h.categories, **{k: v for k, v in d["categories"].items() if k in h.programmes}}
    h.member_count = d["member_count"]
    if income is not None:
        h.per_capita_monthly_income_yuan = Decimal(str(income))
    h.scores = {**h.scores, **{k: int(v) for k, v in (d.get("scores") or {}).items()}}
    h.identification_rule_version = d["rule_version"]
    h.enrolled_at, h.updated_at = enrolled_at, now
    h.status = "active" if h.programmes else "exited"
    session.flush()  # the household row first: no ORM relationship tells the unit of work to order them
    session.add(Enrolment(case_id=d["case_id"], household_id=h.id, programmes=list(d["programmes"]),
                          enrolled_at=enrolled_at, received_at=now))
    for need in repository.open_needs(session, h.id):  # a household that moved is served where it lives now
        need.division_code = h.division_code
    session.flush()
    _audit(session, audit.SYSTEM, now, "enrol", "household", h.id,
           {"case_id": d["case_id"], "programmes": h.programmes, "not_taken_up_exited": sorted(exited)})
    created, _cancelled, result = sync_needs(session, svc, h, now, actor=audit.SYSTEM, cancel_underived=False,
                                             cause=event)
    _emit_assessed(session, svc, h, now, "enrolment", d["case_id"], result, created=created, cancelled=[],
                   assessed_by=None, cause=event)
    sync_benefits(session, svc, h, now, cause=event)
    waiting = [n for n in repository.open_needs(session, h.id) if n.status == "waiting"]
    reconsider(session, svc, {n.need_type for n in waiting}, trigger="enrolment", cause=event,
               arrivals={n.id for n in waiting})
    return h


def on_household_exited(session: Session, event: Event, svc: Services) -> Household | None:
    """A household left one programme: stop its cash, cancel the needs only that programme gave, free their places."""
    d = event.data
    repository.lock_matching(session)
    if repository.exit_record(session, d["exit_id"]) is not None:
        return None
    now = svc.clock.now()
    session.add(ProgrammeExit(exit_id=d["exit_id"], household_id=d["household_id"], programme=d["programme"],
                              remaining_programmes=list(d["remaining_programmes"]), reasons=list(d["reasons"]),
                              exited_at=_time(d["exited_at"]), received_at=now))
    h = repository.get_household(session, d["household_id"], for_update=True)
    if h is None:  # not enrolled here (yet): the exit is kept and honoured by a later enrolment
        return None
    programme = d["programme"]
    if programme not in h.programmes:  # already out of it here (e.g. never taken up): recorded, nothing to undo
        _audit(session, audit.SYSTEM, now, "exit_programme_not_in_force", "household", h.id,
               {"exit_id": d["exit_id"], "programme": programme, "programmes": list(h.programmes)})
        return h
    before = list(h.programmes)
    h.programmes = [p for p in h.programmes if p != programme]
    h.categories = {k: v for k, v in h.categories.items() if k != programme}
    h.status = "active" if h.programmes else "exited"
    h.updated_at = now
    name_en, name_zh = PROGRAMME_NAMES[programme]
    reason = {"code": "programme_exited", "exit_id": d["exit_id"],
              "en": f"The household left {name_en} after its gradual-exit review ({d['reasons'][0]['en']})",
              "zh": f"该户经渐退审核退出{name_zh}（{d['reasons'][0]['zh']}）"}
    _audit(session, audit.SYSTEM, now, "exit_programme", "household", h.id,
           {"exit_id": d["exit_id"], "programme": programme, "programmes_before": before,
            "programmes_after": h.programmes})
    end_tapers_on_exit(session, h.id, programme, now, reason, d.get("rule_version"))
    for benefit in repository.benefits_of_programme(session, h.id, programme):
        if benefit.status not in ("active", "awaiting_income", "not_due"):
            continue
        was, was_paying = benefit.status, benefit.status == "active"
        benefit.status, benefit.stopped_at, benefit.stop_reason = "stopped", now, reason
        _audit(session, audit.SYSTEM, now, "stop_benefit", "household", h.id,
               {"benefit_id": benefit.id, "kind": benefit.kind, "exit_id": d["exit_id"]}, was, "stopped")
        if was_paying:
            svc.emit(session, h.id, "assistance.benefit.stopped", {
                "benefit_id": benefit.id, "household_id": h.id, "programme": benefit.programme, "kind": benefit.kind,
                "amount_yuan": float(benefit.amount_yuan), "stopped_at": now.isoformat(),
                **({"paid_amount_yuan": float(benefit.paid_amount_yuan)} if benefit.paid_amount_yuan is not None
                   else {}),
                "reason": {"code": "programme_exited", "en": reason["en"], "zh": reason["zh"]},
                "exit_id": d["exit_id"]}, cause=event)
    created, cancelled, result = sync_needs(session, svc, h, now, actor=audit.SYSTEM, cancel_underived=True,
                                            cause=event, close_reason=reason)
    if not h.programmes:  # out of every programme: needs a caseworker added are closed too, unless under way
        for need in repository.open_needs(session, h.id):
            if need.status in ("waiting", "referred"):
                cancel_need(session, svc, need, now, actor=audit.SYSTEM, reason=reason, by="exit", cause=event)
                cancelled.append(need)
    _emit_assessed(session, svc, h, now, "exit", d["exit_id"], result, created=created, cancelled=cancelled,
                   assessed_by=None, cause=event)
    reconsider(session, svc, {n.need_type for n in cancelled} | {n.need_type for n in created},
               trigger="programme_exited", cause=event)
    return h


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- needs ---------------------------------------------------------------------------------------------------------

def refresh_priority(svc: Services, need: Need, h: Household, now: datetime, rules: RuleSet | None = None) -> bool:
    """Scores the need as of ``now`` (waiting time included); True when its priority changed."""
    rules = rules or svc.rules_for(h.division_code, now)
    waited = max(0, (local_date(now) - local_date(aware(need.waiting_since))).days)
    household = profile(h)
    signature = inputs_signature(household, waiting_days=waited, rules=rules)
    if need.priority_signature == signature:
        return False
    need.priority, need.priority_points, need.priority_detail, need.priority_signature = \
        _scored(household, waited, rules, signature)
    need.rule_version = rules.version
    return True


def _scored(household: HouseholdProfile, waited: int, rules: RuleSet, signature: str) -> tuple:
    urgency = priority(household, waiting_days=waited, rules=rules)
    return urgency.score, urgency.points, {**urgency.as_dict(), "waiting_days": waited}, signature


def _new_need(session: Session, svc: Services, h: Household, need_type: str, now: datetime, *, source: str,
              grounds: list[dict], note: str | None = None) -> Need:
    need = Need(id=str(uuid.uuid4()), household_id=h.id, case_id=h.case_id, division_code=h.division_code,
                need_type=need_type,
                status="waiting", source=source, grounds=grounds, note=note, waiting_since=now,
                excluded_providers=[], created_at=now, updated_at=now, priority=Decimal(0), priority_points=-1,
                priority_detail={}, priority_signature="", rule_version="")
    refresh_priority(svc, need, h, now)
    session.add(need)
    return need


def sync_needs(session: Session, svc: Services, h: Household, now: datetime, *, actor: Principal,
               cancel_underived: bool, cause: Event | None = None,
               close_reason: dict | None = None) -> tuple[list[Need], list[Need], object]:
    """Brings the household's open needs in line with what the rules derive from it now.

    A need the rules give is created (waiting) once per enrolment: one that was delivered, or that a caseworker
    cancelled, is not created again until the next enrolment (or until a caseworker adds it). Open derived needs
    get their grounds refreshed. With
    ``cancel_underived`` (a programme was exited), open derived needs the rules no longer give are cancelled, unless
    the service is already under way (accepted). Needs a caseworker added are left to the caseworker.
    """
    rules = svc.rules_for(h.division_code, now)
    result = derive_needs(profile(h), rules)
    open_by_type = {n.need_type: n for n in repository.open_needs(session, h.id)}
    this_enrolment = {n.need_type for n in repository.needs_of(session, h.id) if n.case_id == h.case_id}
    created: list[Need] = []
    for derived in result.needs:
        grounds = [g.as_dict() for g in derived.grounds]
        existing = open_by_type.get(derived.need_type)
        if existing is None and derived.need_type in this_enrolment:
            continue
        if existing is None:
            need = _new_need(session, svc, h, derived.need_type, now, source="derived", grounds=grounds)
            created.append(need)
            _audit(session, actor, now, "derive_need", "household", h.id,
                   {"need_id": need.id, "need_type": need.need_type, "grounds": [g["code"] for g in grounds]},
                   None, "waiting")
        elif existing.source == "derived" and existing.grounds != grounds:
            existing.grounds, existing.updated_at = grounds, now
    cancelled: list[Need] = []
    if cancel_underived:
        still = set(result.types())
        for need in open_by_type.values():
            if need.source == "derived" and need.need_type not in still and need.status in ("waiting", "referred"):
                cancel_need(session, svc, need, now, actor=actor, reason=close_reason or {}, by="exit", cause=cause)
                cancelled.append(need)
    session.flush()
    for need in repository.open_needs(session, h.id):
        if need.status == "waiting":
            refresh_priority(svc, need, h, now, rules)
    return created, cancelled, result


def cancel_need(session: Session, svc: Services, need: Need, now: datetime, *, actor: Principal, reason: dict,
                by: str, cause: Event | None = None) -> None:
    """Closes a waiting or referred need; a referral not yet delivered is cancelled and its place given back."""
    before = need.status
    if need.status == "referred":
        referral = repository.open_referral_of_need(session, need.id)
        if referral is not None:
            _close_referral(session, svc, referral, now, "cancel", actor=actor, by=by, reason=reason, cause=cause)
    need.status, need.closed_at, need.close_reason, need.updated_at = "cancelled", now, reason, now
    need.wait_reason = need.wait_code = need.wait_signature = None
    _audit(session, actor, now, "cancel_need", "household", need.household_id,
           {"need_id": need.id, "need_type": need.need_type, "reason": reason.get("code")}, before, "cancelled")


def _emit_assessed(session: Session, svc: Services, h: Household, now: datetime, source: str, reference: str,
                   result, *, created: list[Need], cancelled: list[Need], assessed_by: str | None,
                   cause: Event | None = None) -> None:
    shown = {n.id: n for n in repository.open_needs(session, h.id)}
    shown.update({n.id: n for n in cancelled})
    created_ids = {n.id for n in created}
    data = {
        "household_id": h.id, "division_code": h.division_code, "source": source, "reference": reference,
        "programmes": list(h.programmes), "rule_version": result.rule_version, "assessed_at": now.isoformat(),
        "needs": [{"need_id": n.id, "need_type": n.need_type, "status": n.status, "origin": n.source,
                   "new": n.id in created_ids, "priority": float(n.priority),
                   "grounds": [{"code": g["code"], "en": g["en"], "zh": g["zh"]} for g in n.grounds]}
                  for n in sorted(shown.values(), key=lambda n: (n.created_at, n.id))],
        "skipped": [{"need_type": s.need_type, "code": s.code, "en": s.en, "zh": s.zh} for s in result.skipped],
    }
    if assessed_by:
        data["assessed_by"] = assessed_by
    svc.emit(session, h.id, "assistance.needs.assessed", data, cause=cause)


@dataclass
class NeedsAssessmentInput:
    """What a caseworker's needs assessment may change; None leaves a fact as it is."""

    per_capita_monthly_income_yuan: Decimal | None = None
    member_count: int | None = None
    scores: dict[str, int] | None = None
    sudden_hardship: bool | None = None
    care_level: str | None = None
    add_needs: list[tuple[str, str | None]] = field(default_factory=list)
    cancel_needs: list[tuple[str, str]] = field(default_factory=list)
    note: str | None = None


def assess_needs(session: Session, svc: Services, actor: Principal, household_id: str,
                 body: NeedsAssessmentInput) -> tuple[Household, NeedsAssessment]:
    """The caseworker completes the needs: facts that change cash and priority, needs added or cancelled."""
    repository.lock_matching(session)
    h = repository.get_household(session, household_id, for_update=True)
    if h is None:
        raise NotFound(household_id)
    require_area(actor, h.division_code)
    require_role(actor, ROLES["assess_needs"], "assess_needs")
    if h.status != "active":
        raise Conflict("household_exited", "The household is in no programme any more; there is nothing to assess.",
                       "该户已退出全部救助项目，无需评估。")
    open_needs = {n.id: n for n in repository.open_needs(session, h.id)}
    open_types = {n.need_type for n in open_needs.values()}
    for index, (need_id, _reason) in enumerate(body.cancel_needs):
        need = open_needs.get(need_id)
        if need is None or need.status not in ("waiting", "referred"):
            raise InvalidInput(f"cancel_needs[{index}].need_id", "need_not_cancellable",
                               f"need {need_id} is not a waiting or referred need of this household",
                               "该需求编号不是该户等待中或已转介的需求")
    cancelling = {need_id for need_id, _ in body.cancel_needs}
    for index, (need_type, _note) in enumerate(body.add_needs):
        if need_type in open_types and not any(n.need_type == need_type and n.id in cancelling
                                               for n in open_needs.values()):
            raise InvalidInput(f"add_needs[{index}].need_type", "need_already_open",
                               f"the household already has an open {need_name(need_type)[0]} need",
                               f"该户已有未完成的{need_name(need_type)[1]}需求")
    if len({t for t, _ in body.add_needs}) != len(body.add_needs):
        raise InvalidInput("add_needs", "need_types_unique", "each need type may be added once",
                           "同一需求类型只能添加一次")
    now = svc.clock.now()
    rules = svc.rules_for(h.division_code, now)
    changes: dict = {}

    def change(name: str, new, old) -> None:
        if new is not None and new != old:
            changes[name] = {"before": _plain(old), "after": _plain(new)}

    change("per_capita_monthly_income_yuan", body.per_capita_monthly_income_yuan, h.per_capita_monthly_income_yuan)
    change("member_count", body.member_count, h.member_count)
    change("sudden_hardship", body.sudden_hardship, h.sudden_hardship)
    change("care_level", body.care_level, h.care_level)
    if body.per_capita_monthly_income_yuan is not None:
        h.per_capita_monthly_income_yuan = body.per_capita_monthly_income_yuan
    if body.member_count is not None:
        h.member_count = body.member_count
    if body.sudden_hardship is not None:
        h.sudden_hardship = body.sudden_hardship
    if body.care_level is not None:
        h.care_level = body.care_level
    if body.scores:
        merged = {**h.scores, **body.scores}
        if merged != h.scores:
            changes["scores"] = {"before": dict(h.scores), "after": merged}
            h.scores = merged
    h.updated_at = now
    freed: set[str] = set()
    cancelled: list[Need] = []
    for need_id, reason in body.cancel_needs:
        need = open_needs[need_id]
        cancel_need(session, svc, need, now, actor=actor, by="caseworker",
                    reason={"code": "cancelled_by_caseworker", "en": reason, "zh": reason})
        cancelled.append(need)
        freed.add(need.need_type)
    session.flush()
    added: list[Need] = []
    for need_type, note in body.add_needs:
        en, zh = need_name(need_type)
        ground = {"code": "caseworker_assessment", "programmes": [],
                  "en": f"The caseworker's needs assessment found a need for {en}.",
                  "zh": f"工作人员需求评估认定需要{zh}。"}
        need = _new_need(session, svc, h, need_type, now, source="caseworker", grounds=[ground], note=note)
        added.append(need)
        _audit(session, actor, now, "add_need", "household", h.id, {"need_id": need.id, "need_type": need_type},
               None, "waiting")
    session.flush()
    derived, _none, result = sync_needs(session, svc, h, now, actor=actor, cancel_underived=False)
    assessment = NeedsAssessment(
        id=str(uuid.uuid4()), household_id=h.id, assessed_at=now, assessed_by=actor.subject, rule_version=rules.version,
        changes={**changes, "added_needs": [n.id for n in added + derived], "cancelled_needs": [n.id for n in cancelled],
                 "note": body.note})
    session.add(assessment)
    _audit(session, actor, now, "assess_needs", "household", h.id, {"assessment_id": assessment.id, **changes})
    _emit_assessed(session, svc, h, now, "caseworker", assessment.id, result, created=added + derived,
                   cancelled=cancelled, assessed_by=actor.subject)
    sync_benefits(session, svc, h, now)
    reconsider(session, svc, freed, trigger="needs_assessment")  # places given back: the whole waitlist
    waiting = [n for n in repository.open_needs(session, h.id) if n.status == "waiting"]
    reconsider(session, svc, {n.need_type for n in waiting} - freed, trigger="needs_assessment",
               arrivals={n.id for n in waiting})
    return h, assessment


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


# -- cash benefits -------------------------------------------------------------------------------------------------

def sync_benefits(session: Session, svc: Services, h: Household, now: datetime,
                  cause: Event | None = None) -> list[Benefit]:
    """Grants what the cash programmes give under today's rules; an active monthly amount that changes is superseded.

    When a recalculation finds nothing due (income now at or above the dibao standard), the active benefit is kept:
    support continues through the observation period until gradual exit decides (no abrupt cut).
    """
    rules = svc.rules_for(h.division_code, now)
    grants = cash_benefits(tuple(h.programmes), members=h.member_count,
                           per_capita_monthly_income_yuan=h.per_capita_monthly_income_yuan, care_level=h.care_level,
                           rules=rules)
    granted: list[Benefit] = []
    for grant in grants:
        if grant.frequency == "one_off":
            if repository.one_off_for_case(session, h.id, grant.kind, h.case_id) is None:
                granted.append(_grant(session, svc, h, grant, "granted" if grant.payable else "not_due", now, None,
                                      cause))
            continue
        status = "active" if grant.payable else ("awaiting_income" if grant.status == "awaiting_income" else "not_due")
        current = repository.current_benefit(session, h.id, grant.kind)
        if current is not None:
            if current.status == status and current.amount_yuan == grant.amount_yuan:
                continue
            if current.status == "active" and status != "active":
                _audit(session, audit.SYSTEM, now, "keep_benefit", "household", h.id,
                       {"benefit_id": current.id, "kind": grant.kind, "recalculated": grant.status,
                        "why": "support continues until the gradual-exit decision"})
                continue
            current.status, current.stopped_at = "superseded", now
        granted.append(_grant(session, svc, h, grant, status, now, current, cause))
    return granted


def _grant(session: Session, svc: Services, h: Household, grant: CashGrant, status: str, now: datetime,
           supersedes: Benefit | None, cause: Event | None) -> Benefit:
    benefit = Benefit(id=str(uuid.uuid4()), household_id=h.id, case_id=h.case_id, programme=grant.programme,
                      kind=grant.kind, status=status, amount_yuan=grant.amount_yuan, frequency=grant.frequency,
                      effective_from=local_date(now), rule_version=grant.rule_version, calculation=grant.calculation,
                      explanation_en=grant.explanation_en, explanation_zh=grant.explanation_zh, granted_at=now)
    session.add(benefit)
    _audit(session, audit.SYSTEM, now, "grant_benefit", "household", h.id,
           {"benefit_id": benefit.id, "kind": grant.kind, "amount_yuan": str(grant.amount_yuan),
            "supersedes": supersedes.id if supersedes else None}, None, status)
    if grant.payable:
        data = {"benefit_id": benefit.id, "household_id": h.id, "case_id": h.case_id, "programme": grant.programme,
                "kind": grant.kind, "amount_yuan": float(grant.amount_yuan), "currency": "CNY",
                "frequency": grant.frequency, "effective_from": benefit.effective_from.isoformat(),
                "rule_version": grant.rule_version, "calculation": grant.calculation,
                "explanation": {"en": grant.explanation_en, "zh": grant.explanation_zh},
                "granted_at": now.isoformat()}
        if supersedes is not None:
            data["supersedes"] = supersedes.id
        svc.emit(session, h.id, "assistance.benefit.granted", data, cause=cause)
        if status == "active" and grant.programme in TAPERED_KINDS:
            taper = repository.running_taper(session, h.id, grant.programme)
            if taper is not None:  # a new amount during an observation: the month's share applies to it
                session.flush()
                _apply_taper(session, svc, taper, now, change="recalculated", on=local_date(now), benefit=benefit,
                             cause=cause)
    return benefit


# -- matching ------------------------------------------------------------------------------------------------------

def _constraints(data: dict | None) -> Constraints | None:
    if not data:
        return None
    constraints = Constraints(programmes_any=frozenset(data.get("programmes_any") or ()),
                              max_members=data.get("max_members"),
                              min_scores=tuple(sorted((k, int(v)) for k, v in (data.get("min_scores") or {}).items())))
    return None if constraints == Constraints() else constraints


def current_offers(session: Session, svc: Services, service_types, now: datetime) -> list[Offer]:
    """Every active provider's offer of these service types, with the places it has left in its current period."""
    today = local_date(now)
    rows = repository.active_offers(session, service_types)
    periods = {(s.provider_id, s.service_type): period_key(s.period_kind, today) for s, _p in rows}
    used = repository.usage(session, [(p, t, period) for (p, t), period in periods.items()])
    ratings = repository.ratings_by_provider(session, {p.id for _s, p in rows})
    offers = []
    for service, provider in rows:
        period = periods[(provider.id, service.service_type)]
        quality = summarise(ratings[provider.id], svc.rules_for(provider.owner_area, now)).matching_quality
        left = max(0, service.capacity_per_period - used.get((provider.id, service.service_type, period), 0))
        offers.append(Offer(provider.id, service.service_type, tuple(provider.areas), left,
                            service.capacity_per_period, period, service.unit_cost_yuan, quality,
                            _constraints(provider.constraints), provider.name))
    return offers


def reconsider(session: Session, svc: Services, service_types, *, trigger: str, cause: Event | None = None,
               arrivals: set[str] | None = None, areas: list[str] | None = None,
               stats: dict | None = None) -> tuple[list[Referral], list[str]]:
    """Matches every waiting need of these service types to the places left, highest priority first.

    Returns the referrals made and the ids of the needs still waiting. Priorities are brought up to date first
    (waiting time included). A need that starts to wait, or whose reason for waiting changes, raises
    assistance.service.waitlisted with its position; the reason is stored without the position, which moves with
    every arrival and is computed when read, so a long waitlist is not rewritten each time a household joins it.
    Waiting needs are read as plain rows, and only the needs that change are loaded as objects.

    ``arrivals`` (need ids) is the fast path for needs that just arrived or whose household's facts just changed.
    Every run leaves no waiting need that fits a place left: places only come back through a full run (a decline,
    a cancellation, more capacity, a provider (re)activated, a new period by the timer). So while the timer has run
    in the current month, the places left can only fit the arrivals, and only they need to be matched. For the same
    reason, when one provider's places come back (``areas``: the areas it covers), only the needs it covers can
    take them.
    """
    types = sorted(set(service_types))
    if not types:
        return [], []
    now = svc.clock.now()
    today = local_date(now)
    fast = (arrivals is not None or areas is not None) and \
        repository.state(session, "reconsidered_month") == period_key("month", now)
    offers = current_offers(session, svc, types, now)
    rows = repository.waiting_rows(session, types, only=arrivals if fast else None,
                                   areas=areas if fast else None)
    households = repository.household_rows(session, {r.household_id for r in rows})
    rules_by_division: dict[str, RuleSet] = {}
    profiles: dict[str, HouseholdProfile] = {}
    scored: dict[tuple[str, int], tuple] = {}
    inputs, by_id, rescored = [], {}, {}
    for row in rows:
        h = households[row.household_id]
        rules = rules_by_division.get(h.division_code) or rules_by_division.setdefault(
            h.division_code, svc.rules_for(h.division_code, now))
        household = profiles.get(h.id) or profiles.setdefault(h.id, profile(h))
        waited = max(0, (today - local_date(aware(row.waiting_since))).days)
        points = row.priority_points
        signature = inputs_signature(household, waiting_days=waited, rules=rules)
        if signature != row.priority_signature:
            # one household's needs share every component but the waiting time: score each pair once
            result = scored.get((h.id, waited)) or scored.setdefault((h.id, waited),
                                                                     _scored(household, waited, rules, signature))
            rescored[row.id] = (*result, rules.version)
            points = result[1]
        by_id[row.id] = row
        inputs.append(NeedToMatch(row.id, row.need_type, row.division_code, points,
                                  aware(row.waiting_since).timestamp(), frozenset(household.programmes),
                                  h.member_count, household.scores, frozenset(row.excluded_providers)))
    _store_priorities(session, rescored)
    if stats is not None:
        stats["rescored"] = stats.get("rescored", 0) + len(rescored)
    result = match(inputs, offers)
    offer_of = {(o.provider_id, o.service_type): o for o in offers}
    made: list[Referral] = []
    for assignment in result.assignments:
        need = session.get(Need, assignment.need_id)
        offer = offer_of[(assignment.provider_id, assignment.service_type)]
        reason = assignment.reason.as_dict()
        referral = Referral(id=str(uuid.uuid4()), need_id=need.id, household_id=need.household_id,
                            division_code=need.division_code, provider_id=offer.provider_id,
                            service_type=offer.service_type, period=offer.period, status="referred",
                            priority=need.priority, reason=reason, rule_version=need.rule_version, matched_at=now)
        session.add(referral)
        need.status, need.updated_at = "referred", now
        need.wait_reason = need.wait_code = need.wait_signature = None
        repository.add_usage(session, offer.provider_id, offer.service_type, offer.period, 1)
        made.append(referral)
        _audit(session, audit.SYSTEM, now, "match", "household", need.household_id,
               {"need_id": need.id, "referral_id": referral.id, "provider_id": offer.provider_id,
                "period": offer.period, "priority": float(need.priority), "trigger": trigger,
                "reason": reason["code"]}, "waiting", "referred")
        svc.emit(session, need.household_id, "assistance.service.matched", {
            "referral_id": referral.id, "need_id": need.id, "household_id": need.household_id,
            "division_code": need.division_code, "provider_id": offer.provider_id, "service_type": offer.service_type,
            "period": offer.period, "priority": float(need.priority), "trigger": trigger,
            "rule_version": need.rule_version, "reason": {"code": reason["code"], "en": reason["en"], "zh": reason["zh"]},
            "matched_at": now.isoformat()}, cause=cause)
    positions = {}
    if fast and result.waitlist:  # positions among every need waiting, not only the arrivals
        session.flush()
        positions = repository.queue_positions(session, [e.need_id for e in result.waitlist])
    for entry in result.waitlist:
        row = by_id[entry.need_id]
        if entry.need_id in positions:
            entry = dataclasses.replace(entry, position=positions[entry.need_id])
        signature = hashlib.sha256(json.dumps([entry.reason.code, entry.reason.facts], sort_keys=True,
                                              default=str).encode()).hexdigest()[:32]
        if signature == row.wait_signature:
            continue
        need = session.get(Need, entry.need_id)
        need.wait_reason, need.wait_code, need.wait_signature, need.updated_at = \
            entry.reason.as_dict(), entry.reason.code, signature, now
        if stats is not None:
            stats["reasons_updated"] = stats.get("reasons_updated", 0) + 1
        if row.wait_code == entry.reason.code:
            continue  # the same reason with other details: recorded, not announced
        told = entry.explained()
        _audit(session, audit.SYSTEM, now, "waitlist", "household", need.household_id,
               {"need_id": need.id, "reason": entry.reason.code, "position": entry.position, "trigger": trigger},
               "waiting", "waiting")
        svc.emit(session, need.household_id, "assistance.service.waitlisted", {
            "need_id": need.id, "household_id": need.household_id, "division_code": need.division_code,
            "service_type": need.need_type, "priority": float(need.priority), "position": entry.position,
            "trigger": trigger, "rule_version": need.rule_version,
            "reason": {"code": told.code, "en": told.en, "zh": told.zh},
            "waitlisted_at": now.isoformat()}, cause=cause)
    session.flush()
    return made, [entry.need_id for entry in result.waitlist]


def _store_priorities(session: Session, rescored: dict[str, tuple]) -> None:
    """Writes refreshed priorities: through the object when the session holds the need, else in one bulk UPDATE."""
    bulk = []
    for need_id, (score_, points, detail, signature, version) in rescored.items():
        held = session.identity_map.get(identity_key(Need, need_id))
        values = {"priority": score_, "priority_points": points, "priority_detail": detail,
                  "priority_signature": signature, "rule_version": version}
        if held is not None:
            for key, value in values.items():
                setattr(held, key, value)
        else:
            bulk.append({"id": need_id, **values})
    if bulk:
        session.execute(update(Need), bulk)


def reconsider_on_new_day(session: Session, svc: Services) -> int:
    """Timer: on a new day the waiting-time component grows; on a new period every provider's places are back."""
    repository.lock_matching(session)
    now = svc.clock.now()
    today, month = local_date(now).isoformat(), period_key("month", now)
    if repository.state(session, "reconsidered_day") == today:
        return 0
    new_period = repository.state(session, "reconsidered_month") != month
    repository.set_state(session, "reconsidered_day", today)
    repository.set_state(session, "reconsidered_month", month)
    stats: dict = {}
    trigger = "new_period" if new_period else "new_day"
    made, waiting = reconsider(session, svc, repository.waiting_types(session), trigger=trigger, stats=stats)
    if stats.get("rescored") or stats.get("reasons_updated"):
        # A day's wait raises every waiting need's priority, which reorders the queues: the run is announced, so
        # the priorities and waiting reasons a view shows are never changed silently.
        svc.emit(session, f"waitlist-{today}", "assistance.waitlist.reconsidered", {
            "day": today, "period": month, "trigger": trigger, "priorities_refreshed": stats.get("rescored", 0),
            "wait_reasons_updated": stats.get("reasons_updated", 0), "matched": len(made), "waiting": len(waiting),
            "reconsidered_at": now.isoformat()})
    return len(made)


# -- referrals -----------------------------------------------------------------------------------------------------

def _provider_referral(session: Session, actor: Principal, referral_id: str, action: str) -> Referral:
    """A provider acts only on its own referrals: a partner token whose department is the provider id."""
    require_role(actor, ("partner",), action)
    referral = repository.get_referral(session, referral_id, for_update=True)
    if referral is None or (actor.role != "admin" and actor.department != referral.provider_id):
        raise NotFound(referral_id)
    return referral


def _staff_referral(session: Session, actor: Principal, referral_id: str, action: str) -> Referral:
    referral = repository.get_referral(session, referral_id, for_update=True)
    if referral is None:
        raise NotFound(referral_id)
    require_area(actor, referral.division_code)
    require_role(actor, ROLES[action], action)
    return referral


def _free_place(session: Session, svc: Services, referral: Referral, now: datetime) -> bool:
    """Gives the referral's place back if it was taken in the provider's current period; True if it did."""
    service = repository.get_service(session, referral.provider_id, referral.service_type)
    if service is None or period_key(service.period_kind, local_date(now)) != referral.period:
        return False  # a place of a past period cannot be used any more
    repository.add_usage(session, referral.provider_id, referral.service_type, referral.period, -1)
    return True


def _close_referral(session: Session, svc: Services, referral: Referral, now: datetime, action: str, *,
                    actor: Principal, by: str, reason: dict, cause: Event | None = None) -> bool:
    before = referral.status
    referral.status = referral_states.transition(before, action)
    referral.closed_at, referral.close_reason = now, {**reason, "by": by}
    freed = _free_place(session, svc, referral, now)
    _audit(session, actor, now, action + "_referral", "household", referral.household_id,
           {"referral_id": referral.id, "need_id": referral.need_id, "provider_id": referral.provider_id,
            "place_freed": freed, "reason": reason.get("code")}, before, referral.status)
    told = {"code": reason.get("code", by), "en": reason.get("en", ""), "zh": reason.get("zh", "")}
    if action == "decline":
        svc.emit(session, referral.household_id, "assistance.referral.declined", {
            **_referral_facts(referral), "reason": told, "place_freed": freed, "declined_at": now.isoformat()},
            cause=cause)
        return freed
    svc.emit(session, referral.household_id, "assistance.service.cancelled", {
        "referral_id": referral.id, "need_id": referral.need_id, "household_id": referral.household_id,
        "provider_id": referral.provider_id, "service_type": referral.service_type, "period": referral.period,
        "by": by, "status": referral.status, "place_freed": freed,
        "reason": told,
        "cancelled_at": now.isoformat()}, cause=cause)
    return freed


def accept_referral(session: Session, svc: Services, actor: Principal, referral_id: str) -> Referral:
    repository.lock_matching(session)
    referral = _provider_referral(session, actor, referral_id, "accept_referral")
    before = referral.status
    referral.status = referral_states.transition(before, "accept")
    now = svc.clock.now()
    referral.accepted_at = now
    need = repository.get_need(session, referral.need_id)
    need.status, need.updated_at = "in_service", now
    _audit(session, actor, now, "accept_referral", "household", referral.household_id,
           {"referral_id": referral.id, "provider_id": referral.provider_id}, before, referral.status)
    svc.emit(session, referral.household_id, "assistance.referral.accepted",
             {**_referral_facts(referral), "accepted_at": now.isoformat()})
    return referral


def _referral_facts(referral: Referral) -> dict:
    return {"referral_id": referral.id, "need_id": referral.need_id, "household_id": referral.household_id,
            "division_code": referral.division_code, "provider_id": referral.provider_id,
            "service_type": referral.service_type, "period": referral.period}


def decline_referral(session: Session, svc: Services, actor: Principal, referral_id: str, *, reason: str) -> Referral:
    """The provider cannot serve: the place is given back and the need waits again, never sent to it again."""
    repository.lock_matching(session)
    referral = _provider_referral(session, actor, referral_id, "decline_referral")
    now = svc.clock.now()
    _close_referral(session, svc, referral, now, "decline", actor=actor, by="provider",
                    reason={"code": "declined_by_provider", "en": f"The provider declined the referral: {reason}",
                            "zh": f"服务方拒绝该转介：{reason}"})
    need = repository.get_need(session, referral.need_id)
    need.status, need.updated_at = "waiting", now
    need.wait_reason = need.wait_code = need.wait_signature = None
    need.excluded_providers = sorted({*need.excluded_providers, referral.provider_id})
    session.flush()
    reconsider(session, svc, {referral.service_type}, trigger="referral_declined",
               areas=repository.get_provider(session, referral.provider_id).areas)
    return referral


def cancel_referral(session: Session, svc: Services, actor: Principal, referral_id: str, *, reason: str,
                    close_need: bool) -> Referral:
    """A caseworker withdraws a referral; the need waits again for another provider, or is closed."""
    repository.lock_matching(session)
    referral = _staff_referral(session, actor, referral_id, "cancel_referral")
    now = svc.clock.now()
    _close_referral(session, svc, referral, now, "cancel", actor=actor, by="caseworker",
                    reason={"code": "cancelled_by_caseworker", "en": reason, "zh": reason})
    need = repository.get_need(session, referral.need_id)
    if close_need:
        need.status, need.closed_at, need.updated_at = "cancelled", now, now
        need.close_reason = {"code": "cancelled_by_caseworker", "en": reason, "zh": reason}
    else:
        need.status, need.updated_at = "waiting", now
        need.wait_reason = need.wait_code = need.wait_signature = None
        need.excluded_providers = sorted({*need.excluded_providers, referral.provider_id})
    session.flush()
    reconsider(session, svc, {referral.service_type}, trigger="referral_cancelled",
               areas=repository.get_provider(session, referral.provider_id).areas)
    return referral


def confirm_delivery(session: Session, svc: Services, actor: Principal, referral_id: str, *, units: int,
                     delivered_on: date | None, note: str | None) -> Referral:
    """The provider confirms the service was delivered: the need is met; the place stays used for the period."""
    repository.lock_matching(session)
    referral = _provider_referral(session, actor, referral_id, "confirm_delivery")
    now = svc.clock.now()
    today = local_date(now)
    if delivered_on is not None and delivered_on > today:
        raise InvalidInput("delivered_on", "not_in_future", f"the delivery date {delivered_on} is after today ({today})",
                           f"服务日期{delivered_on}晚于今天（{today}）")
    if delivered_on is not None and delivered_on < local_date(aware(referral.matched_at)):
        raise InvalidInput("delivered_on", "not_before_match", "the delivery date is before the referral was made",
                           "服务日期早于转介日期")
    before = referral.status
    referral.status = referral_states.transition(before, "deliver")
    service = repository.get_service(session, referral.provider_id, referral.service_type)
    unit_cost = service.unit_cost_yuan if service else Decimal(0)
    cost = (unit_cost * units).quantize(Decimal("0.01"))
    on = delivered_on or today
    referral.delivered_at = now
    referral.delivery = {"units": units, "unit_cost_yuan": str(unit_cost), "cost_yuan": str(cost),
                         "delivered_on": on.isoformat(), "note": note}
    need = repository.get_need(session, referral.need_id)
    need.status, need.closed_at, need.updated_at = "delivered", now, now
    need.close_reason = {"code": "delivered", "en": "The service was delivered.", "zh": "服务已提供。"}
    _audit(session, actor, now, "confirm_delivery", "household", referral.household_id,
           {"referral_id": referral.id, "units": units, "cost_yuan": str(cost)}, before, referral.status)
    svc.emit(session, referral.household_id, "assistance.service.delivered", {
        "referral_id": referral.id, "need_id": referral.need_id, "household_id": referral.household_id,
        "division_code": referral.division_code, "provider_id": referral.provider_id,
        "service_type": referral.service_type, "period": referral.period, "units": units,
        "unit_cost_yuan": float(unit_cost), "cost_yuan": float(cost), "delivered_on": on.isoformat(),
        "delivered_at": now.isoformat()})
    return referral


# -- provider catalogue --------------------------------------------------------------------------------------------

@dataclass
class ServiceOffer:
    service_type: str
    capacity_per_period: int
    period_kind: str
    unit_cost_yuan: Decimal


def register_provider(session: Session, svc: Services, actor: Principal, *, provider_id: str, name: str, kind: str,
                      areas: list[str], constraints: dict, services: list[ServiceOffer]) -> Provider:
    require_role(actor, ROLES["register_provider"], "register_provider")
    for index, area in enumerate(areas):
        if not area.startswith(actor.area):
            raise InvalidInput(f"areas[{index}]", "area_outside_your_area",
                               f"area {area} is outside your area {actor.area}", f"区划{area}不在您的辖区{actor.area}内")
    repository.lock_matching(session)
    if repository.get_provider(session, provider_id) is not None:
        raise Conflict("provider_exists", f"A provider with id {provider_id} is already registered.",
                       "该服务方编号已登记。")
    now = svc.clock.now()
    owner = actor.area if actor.role != "admin" else _common_prefix(areas)
    provider = Provider(id=provider_id, name=name, kind=kind, owner_area=owner, areas=sorted(set(areas)),
                        constraints=constraints, active=True, created_at=now, created_by=actor.subject, updated_at=now)
    session.add(provider)
    session.flush()
    for offer in services:
        session.add(ProviderService(provider_id=provider_id, service_type=offer.service_type,
                                    capacity_per_period=offer.capacity_per_period, period_kind=offer.period_kind,
                                    unit_cost_yuan=offer.unit_cost_yuan, updated_at=now))
    session.flush()
    _audit(session, actor, now, "register_provider", "provider", provider_id,
           {"areas": provider.areas, "services": [o.__dict__ for o in services], "constraints": constraints},
           None, "active")
    svc.emit(session, provider_id, "assistance.provider.registered", {
        "provider_id": provider_id, "name": name, "kind": kind, "owner_area": owner, "areas": provider.areas,
        "constraints": constraints, "services": _services_data(session, provider_id),
        "registered_by": actor.subject, "registered_at": now.isoformat()})
    reconsider(session, svc, {o.service_type for o in services}, trigger="provider_registered", areas=provider.areas)
    return provider


def _service_data(service: ProviderService) -> dict:
    return {"service_type": service.service_type, "capacity_per_period": service.capacity_per_period,
            "period_kind": service.period_kind, "unit_cost_yuan": float(service.unit_cost_yuan)}


def _services_data(session: Session, provider_id: str) -> list[dict]:
    return [_service_data(s) for s in repository.services_of(session, provider_id)]


def _managed_provider(session: Session, actor: Principal, provider_id: str, action: str) -> Provider:
    provider = repository.get_provider(session, provider_id, for_update=True)
    if provider is None:
        raise NotFound(provider_id)
    require_area(actor, provider.owner_area)
    require_role(actor, ROLES[action], action)
    return provider


def set_service(session: Session, svc: Services, actor: Principal, provider_id: str, offer: ServiceOffer) -> Provider:
    """Adds or changes one service of a provider; more places (or a new service) are offered to the waitlist."""
    repository.lock_matching(session)
    provider = _managed_provider(session, actor, provider_id, "update_provider")
    now = svc.clock.now()
    service = repository.get_service(session, provider_id, offer.service_type)
    before = None if service is None else _service_data(service)
    if service is None:
        service = ProviderService(provider_id=provider_id, service_type=offer.service_type)
        session.add(service)
    service.capacity_per_period, service.period_kind = offer.capacity_per_period, offer.period_kind
    service.unit_cost_yuan, service.updated_at = offer.unit_cost_yuan, now
    provider.updated_at = now
    session.flush()
    _audit(session, actor, now, "set_service", "provider", provider_id,
           {"service_type": offer.service_type, "before": before,
            "after": {"capacity_per_period": offer.capacity_per_period, "period_kind": offer.period_kind,
                      "unit_cost_yuan": str(offer.unit_cost_yuan)}})
    svc.emit(session, provider_id, "assistance.provider.updated", {
        "provider_id": provider_id, "owner_area": provider.owner_area, "service_type": offer.service_type,
        "before": before, "after": _service_data(service), "services": _services_data(session, provider_id),
        "updated_by": actor.subject, "updated_at": now.isoformat()})
    if provider.active:
        reconsider(session, svc, {offer.service_type}, trigger="capacity_changed", areas=provider.areas)
    return provider


def set_provider_status(session: Session, svc: Services, actor: Principal, provider_id: str, *, active: bool,
                        reason: str) -> Provider:
    """Suspends a provider or re-activates it (its places are offered to the waitlist).

    A suspended provider cannot serve the households sent to it: its open referrals (referred or accepted) are
    cancelled, and their needs wait again and are matched with the whole waitlist, highest priority first, to the
    places other providers have left (or stay on the waitlist with the reason).
    """
    repository.lock_matching(session)
    provider = _managed_provider(session, actor, provider_id, "update_provider")
    if provider.active == active:
        return provider
    now = svc.clock.now()
    before = "active" if provider.active else "suspended"
    provider.active, provider.updated_at = active, now
    _audit(session, actor, now, "activate_provider" if active else "suspend_provider", "provider", provider_id,
           {"reason": reason}, before, "active" if active else "suspended")
    if active:
        svc.emit(session, provider_id, "assistance.provider.reactivated", {
            "provider_id": provider_id, "owner_area": provider.owner_area, "reason": reason,
            "reactivated_by": actor.subject, "reactivated_at": now.isoformat()})
        reconsider(session, svc, {s.service_type for s in repository.services_of(session, provider_id)},
                   trigger="provider_activated", areas=provider.areas)
        return provider
    cancelled = repository.open_referrals_of_provider(session, provider_id)
    why = {"code": "provider_suspended", "en": f"The provider {provider.name} was suspended: {reason}",
           "zh": f"服务方{provider.name}已暂停服务：{reason}"}
    svc.emit(session, provider_id, "assistance.provider.suspended", {
        "provider_id": provider_id, "owner_area": provider.owner_area, "reason": reason,
        "cancelled_referrals": [r.id for r in cancelled], "suspended_by": actor.subject,
        "suspended_at": now.isoformat()})
    for referral in cancelled:
        _close_referral(session, svc, referral, now, "cancel", actor=actor, by="provider_suspended", reason=why)
        need = repository.get_need(session, referral.need_id)
        need.status, need.updated_at = "waiting", now
        need.wait_reason = need.wait_code = need.wait_signature = None
    session.flush()
    reconsider(session, svc, {r.service_type for r in cancelled}, trigger="provider_suspended")
    return provider


def _common_prefix(areas: list[str]) -> str:
    prefix = areas[0] if areas else ""
    for area in areas[1:]:
        while not area.startswith(prefix):
            prefix = prefix[:-1]
    return prefix


# -- feedback ------------------------------------------------------------------------------------------------------

def _rateable(referral: Referral) -> None:
    if referral.status not in ("accepted", "delivered"):
        raise Conflict("service_not_received",
                       f"Only a service that was accepted or delivered can be rated; this referral is {referral.status}.",
                       f"只能评价已接单或已提供的服务；该转介状态为{referral_states.STATE_NAMES.get(referral.status)}。")


def _feedback(session: Session, svc: Services, referral: Referral, *, source: str, author: str, actor: Principal,
              rating: int, complaint: bool, comment: str | None) -> Feedback:
    if repository.feedback_exists(session, referral.id, source, author):
        raise Conflict("feedback_already_recorded", "This service was already rated from here.",
                       "已对该服务作出过评价。")
    now = svc.clock.now()
    feedback = Feedback(id=str(uuid.uuid4()), referral_id=referral.id, provider_id=referral.provider_id,
                        household_id=referral.household_id, source=source, author=author, rating=rating,
                        complaint=complaint, complaint_status="open" if complaint else None, comment=comment,
                        recorded_at=now)
    session.add(feedback)
    session.flush()
    _audit(session, actor, now, "record_feedback", "provider", referral.provider_id,
           {"feedback_id": feedback.id, "referral_id": referral.id, "source": source, "rating": rating,
            "complaint": complaint})
    svc.emit(session, referral.household_id, "assistance.feedback.recorded", {
        "feedback_id": feedback.id, "referral_id": referral.id, "household_id": referral.household_id,
        "provider_id": referral.provider_id, "service_type": referral.service_type, "source": source,
        "rating": rating, "complaint": complaint, "recorded_at": now.isoformat()})
    return feedback


def household_feedback(session: Session, svc: Services, referral_id: str, *, code: str, rating: int,
                       complaint: bool, comment: str | None) -> Feedback:
    """The household rates its service with the code on its referral slip; a wrong code looks like no referral."""
    referral = repository.get_referral(session, referral_id, for_update=True)
    if referral is None or not code_matches(svc.feedback_key, referral_id, code):
        raise NotFound(referral_id)
    _rateable(referral)
    return _feedback(session, svc, referral, source="household", author="household", actor=PUBLIC, rating=rating,
                     complaint=complaint, comment=comment)


def caseworker_feedback(session: Session, svc: Services, actor: Principal, referral_id: str, *, rating: int,
                        complaint: bool, comment: str | None) -> Feedback:
    referral = _staff_referral(session, actor, referral_id, "rate_service")
    _rateable(referral)
    return _feedback(session, svc, referral, source="caseworker", author=actor.subject, actor=actor, rating=rating,
                     complaint=complaint, comment=comment)


def resolve_complaint(session: Session, svc: Services, actor: Principal, feedback_id: str, *,
                      resolution: str) -> Feedback:
    feedback = repository.get_feedback(session, feedback_id, for_update=True)
    if feedback is None:
        raise NotFound(feedback_id)
    referral = repository.get_referral(session, feedback.referral_id)
    require_area(actor, referral.division_code)
    require_role(actor, ROLES["resolve_complaint"], "resolve_complaint")
    if feedback.complaint_status != "open":
        raise Conflict("no_open_complaint", "This feedback carries no open complaint.", "该评价没有待处理的投诉。")
    now = svc.clock.now()
    feedback.complaint_status, feedback.resolution, feedback.resolved_by, feedback.resolved_at = \
        "resolved", resolution, actor.subject, now
    _audit(session, actor, now, "resolve_complaint", "provider", feedback.provider_id,
           {"feedback_id": feedback.id, "referral_id": referral.id}, "open", "resolved")
    svc.emit(session, referral.household_id, "assistance.feedback.resolved", {
        "feedback_id": feedback.id, "referral_id": referral.id, "household_id": referral.household_id,
        "provider_id": referral.provider_id, "service_type": referral.service_type, "resolution": resolution,
        "resolved_by": actor.subject, "resolved_at": now.isoformat()})
    return feedback


# -- exit taper (gradual_exit's observation periods) ---------------------------------------------------------------

# The programmes whose monthly cash a gradual-exit observation tapers, and the benefit kind of each.
TAPERED_KINDS = {programme: kind for kind, (programme, _en, _zh) in BENEFIT_KINDS.items()
                 if FREQUENCY[kind] == "monthly"}


def _schedule_of(taper: Taper) -> tuple:
    return parse_schedule(taper.schedule)


def _taper_data(taper: Taper, benefit: Benefit | None, entitled: taper_rules.Entitlement, *, change: str,
                effective_from: date, previous: Decimal | None, reason_code: str, reason_en: str, reason_zh: str,
                now: datetime) -> dict:
    full = benefit.amount_yuan if benefit is not None else Decimal(0)
    data = {"household_id": taper.household_id, "programme": taper.programme, "observation_id": taper.observation_id,
            "participation_id": taper.participation_id, "change": change, "taper_status": taper.status,
            "month": entitled.month, "share": float(entitled.share), "effective_from": effective_from.isoformat(),
            "started_on": taper.started_on.isoformat(), "ends_on": taper.ends_on.isoformat(),
            "schedule": [m.as_dict() | {"amount_yuan": float(m.amount_yuan)}
                         for m in taper_rules.plan(full, taper.started_on, _schedule_of(taper))],
            "rule_version": taper.end_rule_version if change in ("reverted", "observation_completed")
            and taper.end_rule_version else taper.rule_version,
            "reason": {"code": reason_code, "en": reason_en, "zh": reason_zh}, "adjusted_at": now.isoformat()}
    if benefit is not None:
        data.update(benefit_id=benefit.id, kind=benefit.kind, currency="CNY",
                    full_amount_yuan=float(benefit.amount_yuan), amount_yuan=float(entitled.amount_yuan))
        if previous is not None:
            data["previous_amount_yuan"] = float(previous)
    return data


def _apply_taper(session: Session, svc: Services, taper: Taper, now: datetime, *, change: str, on: date,
                 benefit: Benefit | None = None, cause: Event | None = None) -> None:
    """Sets the share of the programme's monthly benefit for the observation month of day ``on``; records and announces it.

    ``on`` is today, or the first day of a month the timer catches up on (a clock that moved several months).
    """
    if benefit is None:
        benefit = repository.paying_benefit(session, taper.household_id, TAPERED_KINDS[taper.programme])
    reverted = taper.status == "reverted"
    full = benefit.amount_yuan if benefit is not None else Decimal(0)
    entitled = taper_rules.entitlement(taper.programme, full, taper.started_on, _schedule_of(taper), on,
                                       rule_version=taper.end_rule_version if reverted else taper.rule_version,
                                       reverted=reverted)
    if not reverted:
        taper.current_month = max(taper.current_month, entitled.month)
    taper.updated_at = now
    previous = None
    en, zh = entitled.en, entitled.zh
    if reverted:
        why = taper.end_reasons or []
        en = " ".join([en, *(r["en"] for r in why)])
        zh = "".join([zh, *(r["zh"] for r in why)])
    if benefit is not None:
        previous = benefit.paid_amount_yuan if benefit.paid_amount_yuan is not None else benefit.amount_yuan
        benefit.paid_share, benefit.paid_amount_yuan = entitled.share, entitled.amount_yuan
        benefit.observation_id = taper.observation_id
        session.add(TaperMonthRow(observation_id=taper.observation_id,
                                  household_id=taper.household_id, benefit_id=benefit.id, month=entitled.month,
                                  share=entitled.share, full_amount_yuan=benefit.amount_yuan,
                                  amount_yuan=entitled.amount_yuan, effective_from=on, change=change,
                                  explanation_en=en, explanation_zh=zh, recorded_at=now))
    _audit(session, audit.SYSTEM, now, "taper_" + change, "household", taper.household_id,
           {"observation_id": taper.observation_id, "programme": taper.programme, "month": entitled.month,
            "share": str(entitled.share), "benefit_id": benefit.id if benefit else None,
            "amount_yuan": str(entitled.amount_yuan) if benefit else None})
    code = "observation_reverted" if reverted else "exit_taper"
    svc.emit(session, taper.household_id, "assistance.benefit.adjusted", _taper_data(
        taper, benefit, entitled, change=change, effective_from=on, previous=previous, reason_code=code,
        reason_en=en, reason_zh=zh, now=now), cause=cause)


def on_observation_started(session: Session, event: Event, svc: Services) -> Taper | None:
    """A gradual-exit observation started for one programme: its monthly cash is paid by the support schedule."""
    d = event.data
    if d["programme"] not in TAPERED_KINDS:  # no monthly cash to taper (monitoring, near_dibao, ...)
        return None
    if repository.get_taper(session, d["observation_id"]) is not None:  # a replay
        return None
    now = svc.clock.now()
    started_at = _time(d["started_at"])
    if any(e.programme == d["programme"] for e in repository.exits_after(session, d["household_id"], started_at)):
        return None  # the exit it led to arrived first (another topic): the benefit is stopped already
    h = repository.get_household(session, d["household_id"], for_update=True)  # benefits change under this lock
    try:
        schedule = parse_schedule(d["support_schedule"])
    except ValueError as bad:
        raise InvalidInput("support_schedule", "payable_schedule", str(bad), "渐退发放比例无法执行") from None
    taper = Taper(observation_id=d["observation_id"], participation_id=d["participation_id"],
                  household_id=d["household_id"], programme=d["programme"], division_code=d["division_code"],
                  status="observing", started_at=started_at, started_on=local_date(started_at),
                  ends_on=date.fromisoformat(d["ends_on"]),
                  schedule=[{"month": e.month, "share": float(e.share)} for e in schedule],
                  reasons=[{"code": r["code"], "en": r["en"], "zh": r["zh"]} for r in d["reasons"]],
                  rule_version=d["rule_version"], current_month=0, received_at=now, updated_at=now)
    session.add(taper)
    session.flush()
    known = h is not None
    today = local_date(now)
    reached = taper_rules.month_number(taper.started_on, today)
    # Received late (a consumer that was down, a clock that moved): each month since the start is recorded.
    _apply_taper(session, svc, taper, now, change="observation_started",
                 on=taper.started_on if reached > 1 else today, cause=event)
    for number in range(2, reached + 1):
        _apply_taper(session, svc, taper, now, change="new_month",
                     on=taper_rules.month_starts_on(taper.started_on, number), cause=event)
    if not known:  # enrolled here later: the benefit granted then is tapered from the start (_grant)
        _audit(session, audit.SYSTEM, now, "taper_before_enrolment", "household", d["household_id"],
               {"observation_id": taper.observation_id})
    return taper


def on_observation_reverted(session: Session, event: Event, svc: Services) -> Taper | None:
    """The observation ended without an exit: the full amount is paid again, with gradual_exit's reasons."""
    d = event.data
    if d["programme"] not in TAPERED_KINDS:
        return None
    repository.get_household(session, d["household_id"], for_update=True)
    taper = repository.get_taper(session, d["observation_id"], for_update=True)
    if taper is None or taper.status in ("reverted", "exited"):  # unknown here, or a replay
        return None
    now = svc.clock.now()
    taper.status, taper.ended_at = "reverted", _time(d["reverted_at"])
    taper.end_reasons = [{"code": r["code"], "en": r["en"], "zh": r["zh"]} for r in d["reasons"]]
    taper.end_rule_version = d["rule_version"]
    _apply_taper(session, svc, taper, now, change="reverted", on=local_date(now), cause=event)
    return taper


def on_observation_completed(session: Session, event: Event, svc: Services) -> Taper | None:
    """The observation is over and its exit goes to review: the schedule's last share is paid until the decision."""
    d = event.data
    if d["programme"] not in TAPERED_KINDS:
        return None
    repository.get_household(session, d["household_id"], for_update=True)
    taper = repository.get_taper(session, d["observation_id"], for_update=True)
    if taper is None or taper.status != "observing":
        return None
    now = svc.clock.now()
    taper.status, taper.updated_at = "completed", now
    taper.end_reasons = [{"code": r["code"], "en": r["en"], "zh": r["zh"]} for r in d["reasons"]]
    taper.end_rule_version = d["rule_version"]
    benefit = repository.paying_benefit(session, taper.household_id, TAPERED_KINDS[taper.programme])
    full = benefit.amount_yuan if benefit is not None else Decimal(0)
    entitled = taper_rules.entitlement(taper.programme, full, taper.started_on, _schedule_of(taper),
                                       local_date(now), rule_version=taper.rule_version)
    name_en, name_zh = PROGRAMME_NAMES[taper.programme]
    en = (f"The observation of {name_en} is over and the exit goes to the township review (gradual-exit rule set "
          f"{d['rule_version']}); until the decision the benefit continues as scheduled. {entitled.en}")
    zh = (f"{name_zh}渐退观察期已满，转入乡镇审核（渐退规则版本{d['rule_version']}）；作出决定前按渐退比例继续发放。"
          f"{entitled.zh}")
    _audit(session, audit.SYSTEM, now, "taper_observation_completed", "household", taper.household_id,
           {"observation_id": taper.observation_id, "programme": taper.programme})
    svc.emit(session, taper.household_id, "assistance.benefit.adjusted", _taper_data(
        taper, benefit, entitled, change="observation_completed", effective_from=local_date(now), previous=None,
        reason_code="observation_completed", reason_en=en, reason_zh=zh, now=now), cause=event)
    return taper


def advance_tapers(session: Session, svc: Services) -> int:
    """Timer: every running taper that entered a new observation month is paid that month's share (each month passed,
    when the clock moved several at once). Returns how many monthly entitlements were recorded."""
    today = local_date(svc.clock.now())
    recorded = 0
    for observation_id in repository.running_tapers(session):
        taper = repository.get_taper(session, observation_id)
        month = taper_rules.month_number(taper.started_on, today)
        if month <= taper.current_month:
            continue
        repository.get_household(session, taper.household_id, for_update=True)
        taper = repository.get_taper(session, observation_id, for_update=True)
        session.refresh(taper)
        if taper.status not in repository.RUNNING_TAPER_STATES:
            continue
        now = svc.clock.now()
        for number in range(taper.current_month + 1, month + 1):
            _apply_taper(session, svc, taper, now, change="new_month",
                         on=taper_rules.month_starts_on(taper.started_on, number))
            recorded += 1
    return recorded


def end_tapers_on_exit(session: Session, household_id: str, programme: str, now: datetime, reason: dict,
                       rule_version: str | None) -> list[Taper]:
    """The household left the programme: its taper ends with the benefit (stopped by the exit, which is announced)."""
    ended = []
    while (taper := repository.running_taper(session, household_id, programme)) is not None:
        taper.status, taper.ended_at, taper.updated_at = "exited", now, now
        taper.end_reasons = [{"code": "programme_exited", "en": reason["en"], "zh": reason["zh"]}]
        taper.end_rule_version = rule_version or taper.end_rule_version
        ended.append(taper)
        session.flush()
    return ended
