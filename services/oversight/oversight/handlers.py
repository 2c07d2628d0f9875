"""oversight's use cases: file a petition, decide acceptance, extend, reply, and report the deadlines missed.

Each function changes state, writes its event to the outbox and an audit row, inside the caller's transaction; the
rules (routing, steps, deadlines) are the pure functions of domain/.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from oversight import repository
from oversight.domain import deadlines
from oversight.domain.petitions import FieldProblem, IllegalStep, check_step, filing_problems, route
from oversight.models import Petition, audit_log
from shared import audit
from shared.auth import Principal, require_role
from shared.clock import Clock
from shared.emits import emits
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter
from shared.working_days import local_date

SOURCE = "/services/oversight"
HANDLER_ROLES = ("township", "county")
ACTION_ZH = {"read": "查看信访事项", "accept": "受理信访事项", "decline": "不予受理信访事项",
             "extend": "延长办理期限", "reply": "答复信访事项"}
TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


class NotFound(LookupError):
    pass


class InvalidInput(ValueError):
    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.rule}" for p in problems))


class Refused(Exception):
    """A step the rules refuse in the petition's state (409)."""

    def __init__(self, rule: str, en: str, zh: str, **extra):
        self.rule, self.en, self.zh, self.extra = rule, en, zh, extra
        super().__init__(en)


@dataclass
class Services:
    outbox: OutboxWriter
    clock: Clock
    rules: deadlines.DeadlineRules = deadlines.XINFANG_2022

    def today(self) -> date:
        return local_date(self.clock.now())

    def emit(self, session: Session, p: Petition, event_type: str, data: dict) -> Event:
        # keyed by the household when the petition names one, so its events queue with the household's
        event = Event(type=event_type, source=SOURCE, subject=p.household_id or p.id, data=data,
                      correlationid=correlation_id.get() or p.correlation_id)
        return self.outbox.add(session, event)


def require_role_zh(actor: Principal, action: str) -> None:
    require_role(actor, HANDLER_ROLES, f"{action} petitions", action_zh=ACTION_ZH.get(action))


def sees(actor: Principal, p: Petition) -> bool:
    """Staff see the petitions handled in their area: a township its own, a county every one in the county."""
    return actor.role == "admin" or (actor.role in HANDLER_ROLES and p.handling_area.startswith(actor.area))


def handles(actor: Principal, p: Petition) -> bool:
    """The handler: an officer of the level and office the petition is routed to (only they see the contact)."""
    return actor.role == p.handling_level and p.handling_area.startswith(actor.area)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(p: Petition, secret: str | None) -> bool:
    return bool(secret) and hmac.compare_digest(p.secret_hash, hash_secret(secret))


def _tracking_number(day: date) -> str:
    return f"XF{day:%Y%m%d}" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(6))


def _base(p: Petition) -> dict:
    data = {"petition_id": p.id, "tracking_number": p.tracking_number, "category": p.category,
            "division_code": p.division_code, "handling_level": p.handling_level, "handling_area": p.handling_area,
            "status": p.status, "rule_version": p.rule_version}
    if p.household_id:
        data["household_id"] = p.household_id
    if p.file_number:
        data["file_number"] = p.file_number
    return data


def _audit(session: Session, svc: Services, actor: Principal, action: str, p: Petition, before: str | None,
           details: dict | None = None) -> None:
    audit.record(session, audit_log, actor=actor, at=svc.clock.now(), action=action, entity_type="petition",
                 entity_id=p.id, from_state=before, to_state=p.status, details=details)


PUBLIC = Principal(subject="public", role="public", area="", name="complainant")


@emits("oversight.petition.filed")
def file_petition(session: Session, svc: Services, *, category: str, division_code: str, description: str,
                  household_id: str | None, file_number: str | None, subject_name: str | None,
                  contact: dict | None, attachments: list[dict]) -> tuple[Petition, str]:
    """A petition from anyone: routed, its acceptance deadline set; returns it and the filer's secret."""
    problems = filing_problems(category, division_code, household_id, file_number, subject_name)
    if problems:
        raise InvalidInput(problems)
    now, today = svc.clock.now(), svc.today()
    routing = route(category, division_code)
    secret = secrets.token_urlsafe(12)
    contact = {k: v for k, v in (contact or {}).items() if v} or None
    p = Petition(id=str(uuid.uuid4()), tracking_number=_tracking_number(today), secret_hash=hash_secret(secret),
                 category=category, division_code=division_code, handling_level=routing.level,
                 handling_area=routing.area, household_id=household_id, file_number=file_number,
                 subject_name=subject_name, description=description, contact=contact, attachments=attachments,
                 status="filed", rule_version=svc.rules.version, filed_at=now, filed_on=today,
                 acceptance_due_on=deadlines.acceptance_due(today, svc.rules), extensions=0, updated_at=now,
                 correlation_id=correlation_id.get())
    session.add(p)
    session.flush()
    svc.emit(session, p, "oversight.petition.filed", {
        **_base(p), "filed_at": now.isoformat(), "acceptance_due_on": p.acceptance_due_on.isoformat(),
        "anonymous": contact is None, "attachment_count": len(attachments)})
    _audit(session, svc, PUBLIC, "petition.filed", p, None, {"tracking_number": p.tracking_number})
    return p, secret


def _for_step(session: Session, svc: Services, actor: Principal, petition_id: str, step: str) -> Petition:
    require_role_zh(actor, step)
    p = repository.get(session, petition_id, for_update=True)
    if p is None or not sees(actor, p):
        raise NotFound(petition_id)
    if actor.role != "admin" and not handles(actor, p):
        level_zh = {"township": "乡镇（街道）", "county": "县级"}[p.handling_level]
        raise Refused("not_the_handler", f"This petition is handled by the {p.handling_level} office "
                      f"{p.handling_area}; only its officers may {step} it.",
                      f"该信访事项由{level_zh}（{p.handling_area}）办理，只有该级工作人员可以操作。",
                      handling_level=p.handling_level, handling_area=p.handling_area)
    try:
        check_step(p.status, step)
    except IllegalStep as illegal:
        raise Refused("step_not_allowed", illegal.en, illegal.zh, petition_status=p.status,
                      allowed_steps=list(illegal.allowed)) from None
    return p


@emits("oversight.petition.accepted")
def accept(session: Session, svc: Services, actor: Principal, petition_id: str, reason: str | None) -> Petition:
    p = _for_step(session, svc, actor, petition_id, "accept")
    now, today = svc.clock.now(), svc.today()
    before = p.status
    p.status, p.decided_at, p.decided_by, p.decision_reason = "accepted", now, actor.subject, reason
    p.decided_on_time = deadlines.on_time(today, p.acceptance_due_on)
    p.reply_due_on = deadlines.reply_due(today, 0, svc.rules)
    p.updated_at = now
    svc.emit(session, p, "oversight.petition.accepted", {
        **_base(p), "accepted_at": now.isoformat(), "on_time": p.decided_on_time,
        "reply_due_on": p.reply_due_on.isoformat(), "description": p.description,
        **({"subject_name": p.subject_name} if p.subject_name else {})})
    _audit(session, svc, actor, "petition.accepted", p, before, {"reason": reason, "on_time": p.decided_on_time})
    return p


@emits("oversight.petition.declined")
def decline(session: Session, svc: Services, actor: Principal, petition_id: str, reason: str) -> Petition:
    p = _for_step(session, svc, actor, petition_id, "decline")
    now, today = svc.clock.now(), svc.today()
    before = p.status
    p.status, p.decided_at, p.decided_by, p.decision_reason = "declined", now, actor.subject, reason
    p.decided_on_time = deadlines.on_time(today, p.acceptance_due_on)
    p.updated_at = now
    svc.emit(session, p, "oversight.petition.declined", {
        **_base(p), "declined_at": now.isoformat(), "on_time": p.decided_on_time, "reason": reason})
    _audit(session, svc, actor, "petition.declined", p, before, {"reason": reason, "on_time": p.decided_on_time})
    return p


@emits("oversight.petition.extended")
def extend(session: Session, svc: Services, actor: Principal, petition_id: str, reason: str) -> Petition:
    p = _for_step(session, svc, actor, petition_id, "extend")
    now, today = svc.clock.now(), svc.today()
    assert p.reply_due_on is not None
    try:
        new_due = deadlines.extended_due(p.reply_due_on, today, p.extensions, svc.rules)
    except deadlines.ExtensionRefused as refused:
        raise Refused(refused.rule, refused.en, refused.zh, reply_due_on=p.reply_due_on.isoformat(),
                      extensions=p.extensions) from None
    previous = p.reply_due_on
    p.reply_due_on, p.extensions, p.extension_reason, p.extended_at = new_due, p.extensions + 1, reason, now
    p.updated_at = now
    svc.emit(session, p, "oversight.petition.extended", {
        **_base(p), "extended_at": now.isoformat(), "previous_reply_due_on": previous.isoformat(),
        "reply_due_on": new_due.isoformat(), "extensions": p.extensions, "reason": reason})
    _audit(session, svc, actor, "petition.extended", p, p.status,
           {"reason": reason, "from": previous.isoformat(), "to": new_due.isoformat()})
    return p


@emits("oversight.petition.replied")
def reply(session: Session, svc: Services, actor: Principal, petition_id: str, text: str) -> Petition:
    p = _for_step(session, svc, actor, petition_id, "reply")
    now, today = svc.clock.now(), svc.today()
    assert p.reply_due_on is not None
    before = p.status
    p.status, p.replied_at, p.replied_by, p.reply = "replied", now, actor.subject, text
    p.replied_on_time = deadlines.on_time(today, p.reply_due_on)
    p.updated_at = now
    svc.emit(session, p, "oversight.petition.replied", {
        **_base(p), "replied_at": now.isoformat(), "on_time": p.replied_on_time,
        "reply_due_on": p.reply_due_on.isoformat()})
    _audit(session, svc, actor, "petition.replied", p, before, {"on_time": p.replied_on_time})
    return p


@emits("oversight.petition.overdue")
def report_overdue(session: Session, svc: Services) -> int:
    """One oversight.petition.overdue per missed deadline (acceptance, then reply), each reported once."""
    now, today = svc.clock.now(), svc.today()
    count = 0
    for stage, rows in (("acceptance", repository.acceptance_overdue_unreported(session, today)),
                        ("reply", repository.reply_overdue_unreported(session, today))):
        for p in rows:
            due = p.acceptance_due_on if stage == "acceptance" else p.reply_due_on
            assert due is not None
            if stage == "acceptance":
                p.acceptance_overdue_at = now
            else:
                p.reply_overdue_at = now
            p.updated_at = now
            svc.emit(session, p, "oversight.petition.overdue", {
                **_base(p), "stage": stage, "due_on": due.isoformat(), "days_late": (today - due).days,
                "detected_at": now.isoformat()})
            _audit(session, svc, audit.SYSTEM, f"petition.{stage}_overdue", p, p.status, {"due_on": due.isoformat()})
            count += 1
    return count
