"""exchange's use cases: record a consent decision, keep the household roster, project internal events.

Each function changes state and writes its events to the outbox (and an audit row for staff actions) inside the
caller's transaction."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cached_property
from datetime import date

from sqlalchemy.orm import Session

from exchange import repository
from exchange.domain.consent import DECISIONS, METHODS, RULE_VERSION
from exchange.models import Consent, audit_log
from shared import audit
from shared.auth import STAFF_ROLES, Principal, require_role
from shared.clock import Clock
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter
from shared.working_days import local_date

SOURCE = "/services/exchange"


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    rule: str
    en: str
    zh: str

    def as_dict(self) -> dict:
        return {"field": self.field, "rule": self.rule, "message": self.en, "message_zh": self.zh}


class InvalidInput(ValueError):
    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.rule}" for p in problems))


@dataclass
class Services:
    outbox: OutboxWriter
    clock: Clock
    agreements: tuple = ()  # the data-sharing agreements (exchange.domain.agreements.Agreement)
    topic_prefix: str = ""

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(sorted({a.consent_purpose for a in self.agreements}))

    @cached_property
    def partner_registry(self):
        from exchange.projector import partner_registry

        return partner_registry()

    def today(self) -> date:
        return local_date(self.clock.now())


def require_staff(actor: Principal, action: str, action_zh: str) -> None:
    require_role(actor, STAFF_ROLES, action, action_zh=action_zh)


def record_consent(session: Session, svc: Services, actor: Principal, household_id: str, *, division_code: str,
                   purpose: str, decision: str, method: str, reference: str | None, note: str | None,
                   effective_on: date | None) -> Consent:
    require_staff(actor, "record consent", "登记授权同意")
    problems = []
    if purpose not in svc.purposes:
        problems.append(FieldProblem("purpose", "known_purpose", f"purpose must be one of {sorted(svc.purposes)}",
                                     f"用途须为以下之一：{'、'.join(sorted(svc.purposes))}"))
    if not division_code.startswith(actor.area):
        problems.append(FieldProblem("division_code", "within_your_area",
                                     f"the household's division code must lie in your area {actor.area}",
                                     f"家庭所在区划须在您的辖区 {actor.area} 内"))
    if decision not in DECISIONS or method not in METHODS:  # the schema refuses these first; kept for direct calls
        problems.append(FieldProblem("decision", "enum", "unknown decision or method", "授权决定或方式无效"))
    if problems:
        raise InvalidInput(problems)
    known = repository.household_division(session, household_id)
    if known is not None and not known.startswith(actor.area):
        raise NotFound(household_id)
    now = svc.clock.now()
    c = Consent(id=str(uuid.uuid4()), household_id=household_id, division_code=known or division_code,
                purpose=purpose, decision=decision, method=method, reference=reference, note=note,
                effective_on=(effective_on or local_date(now)).isoformat(), recorded_at=now,
                recorded_by=actor.subject, correlation_id=correlation_id.get())
    session.add(c)
    session.flush()
    svc.outbox.add(session, Event(
        type="exchange.consent.recorded", source=SOURCE, subject=household_id,
        correlationid=correlation_id.get(),
        data={"consent_id": c.id, "household_id": household_id, "division_code": c.division_code,
              "purpose": purpose, "decision": decision, "method": method, "effective_on": c.effective_on,
              "recorded_at": now.isoformat(), "recorded_by": actor.audit_actor(), "rule_version": RULE_VERSION}))
    audit.record(session, audit_log, actor=actor, at=now, action=f"consent.{decision}", entity_type="household",
                 entity_id=household_id, to_state=decision, details={"purpose": purpose, "method": method,
                                                                    "reference": reference})
    return c
