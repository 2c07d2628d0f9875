"""Re-assessment when a standard changes, and the preview of a policy draft (issue 8).

A new policy version never changes a benefit silently: a benefit keeps the amount and the version it was computed
with until a county officer runs the re-assessment of an area. It recomputes every active household's cash benefits
with the rules in force that day (``sync_benefits``: a changed monthly amount supersedes the old benefit and
publishes ``assistance.benefit.granted`` with ``supersedes``), stores what changed and publishes
``assistance.reassessment.completed``. The preview answers, without writing anything, how many households of an
area would get a different amount under a candidate policy document (a draft in the policy service).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistance import handlers
from assistance.domain.benefits import cash_benefits
from assistance.domain.rules import RuleDataError, RuleSet, local_date
from assistance.models import Benefit, Household, Reassessment
from shared.auth import Principal, require_role
from shared.emits import emits
from shared.policy_client import PolicyEntry, project

CHANGES_KEPT = 200  # changes listed in a re-assessment and its event; `changed` counts every one
EXAMPLES = 20
REASSESS_ROLES = ("county",)
PREVIEW_ROLES = ("county", "policy")


class OutsideArea(Exception):
    """The division is not within the officer's area (403), en + zh."""

    def __init__(self, area: str, asked: str):
        self.en = f"You may act only within your area ({area or 'national'}); {asked} is outside it."
        self.zh = f"只能在本辖区（{area or '全国'}）内操作；{asked} 不在辖区内。"
        super().__init__(self.en)


def _within(principal: Principal, division: str) -> None:
    if not division.startswith(principal.area):
        raise OutsideArea(principal.area, division)


def _active_households(session: Session, prefix: str) -> list[Household]:
    return list(session.scalars(select(Household).where(Household.division_code.startswith(prefix),
                                                        Household.status == "active").order_by(Household.id)))


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# -- the command -----------------------------------------------------------------------------------------------------

@emits("assistance.benefit.granted", "assistance.reassessment.completed")
def reassess(session: Session, svc: handlers.Services, principal: Principal, division_code: str,
             note: str | None) -> Reassessment:
    """Every active household of the area recalculated with the rules in force today; each change is an event."""
    require_role(principal, REASSESS_ROLES, "running a re-assessment", action_zh="运行重新核算")
    _within(principal, division_code)
    now = svc.clock.now()
    changes: list[dict] = []
    versions: set[str] = set()
    households = _active_households(session, division_code)
    for h in households:
        before = {b.id: b for b in session.scalars(select(Benefit).where(Benefit.household_id == h.id))}
        versions.add(svc.rules_for(h.division_code, now).version)
        for benefit in handlers.sync_benefits(session, svc, h, now):
            replaced = next((b for b in before.values() if b.kind == benefit.kind and b.status == "superseded"
                             and b.stopped_at == now), None)
            changes.append({"household_id": h.id, "division_code": h.division_code, "kind": benefit.kind,
                            "programme": benefit.programme, "benefit_id": benefit.id, "status": benefit.status,
                            "supersedes": replaced.id if replaced else None,
                            "before_yuan": _money(replaced.amount_yuan) if replaced else None,
                            "after_yuan": _money(benefit.amount_yuan), "rule_version": benefit.rule_version,
                            "previous_rule_version": replaced.rule_version if replaced else None})
    row = Reassessment(id=str(uuid.uuid4()), area=division_code, run_on=local_date(now),
                       requested_by=principal.subject[:128], requested_at=now, note=note, considered=len(households),
                       changed=len(changes), rule_versions=sorted(versions), changes=changes[:CHANGES_KEPT])
    session.add(row)
    session.flush()
    handlers._audit(session, principal, now, "reassess", "reassessment", row.id,
                    {"area": division_code, "considered": row.considered, "changed": row.changed,
                     "rule_versions": row.rule_versions})
    svc.outbox.add(session, handlers.Event(
        type="assistance.reassessment.completed", source=handlers.SOURCE, subject=division_code,
        data=reassessment_data(row)))
    return row


def reassessment_data(row: Reassessment) -> dict:
    return {"reassessment_id": row.id, "area": row.area, "run_on": row.run_on.isoformat(),
            "requested_by": row.requested_by, "requested_at": handlers.aware(row.requested_at).isoformat(),
            "note": row.note, "considered": row.considered, "changed": row.changed,
            "rule_versions": list(row.rule_versions), "changes": list(row.changes),
            "truncated": row.changed > len(row.changes)}


def list_reassessments(session: Session, principal: Principal, limit: int, offset: int) -> tuple[list, int]:
    query = select(Reassessment).where(Reassessment.area.startswith(principal.area))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Reassessment.requested_at.desc(), Reassessment.id)
                           .limit(limit).offset(offset))
    return list(rows), total


def get_reassessment(session: Session, principal: Principal, reassessment_id: str) -> Reassessment:
    row = session.get(Reassessment, reassessment_id)
    if row is None or not row.area.startswith(principal.area):
        raise handlers.NotFound(reassessment_id)
    return row


# -- the preview of a draft ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    region: str
    rule_version: str
    effective_from: date
    document: dict


def candidate_rules(candidate: Candidate) -> RuleSet:
    try:
        params = project(candidate.document, "assistance")
        return RuleSet.from_policy(PolicyEntry(candidate.rule_version, candidate.region, 0, candidate.effective_from,
                                               None, candidate.document), params)
    except (KeyError, TypeError, RuleDataError) as exc:
        raise handlers.InvalidInput("document", "complete_policy_document",
                                    f"the document is not a complete policy document for assistance: {exc}",
                                    f"文件不是完整的救助规则文件：{exc}") from None


def _monthly(grants) -> dict[str, Decimal]:
    return {g.kind: g.amount_yuan for g in grants if g.frequency == "monthly" and g.payable}


def preview(session: Session, svc: handlers.Services, principal: Principal, candidate: Candidate) -> dict:
    """Households of region ∩ area whose monthly cash would differ under the candidate, from its first day."""
    require_role(principal, PREVIEW_ROLES, "previewing a policy draft", action_zh="预览规则草案影响")
    scope = candidate.region if candidate.region.startswith(principal.area) else principal.area
    if not (candidate.region.startswith(principal.area) or principal.area.startswith(candidate.region)):
        raise OutsideArea(principal.area, candidate.region)
    proposed = candidate_rules(candidate)
    considered = changing = own_version = 0
    delta = Decimal(0)
    examples: list[dict] = []
    by_kind: dict[str, int] = {}
    for h in _active_households(session, scope):
        current = svc.rules_for(h.division_code, candidate.effective_from)
        if len(current.region) > len(candidate.region):
            own_version += 1  # a county with its own version follows that one, not the draft
            continue
        considered += 1
        kwargs = dict(members=h.member_count, per_capita_monthly_income_yuan=h.per_capita_monthly_income_yuan,
                      care_level=h.care_level)
        now_paid = _monthly(cash_benefits(tuple(h.programmes), rules=current, **kwargs))
        then_paid = _monthly(cash_benefits(tuple(h.programmes), rules=proposed, **kwargs))
        if now_paid == then_paid:
            continue
        changing += 1
        for kind in sorted(set(now_paid) | set(then_paid)):
            if now_paid.get(kind) != then_paid.get(kind):
                by_kind[kind] = by_kind.get(kind, 0) + 1
                delta += then_paid.get(kind, Decimal(0)) - now_paid.get(kind, Decimal(0))
        if len(examples) < EXAMPLES:
            examples.append({"household_id": h.id, "division_code": h.division_code,
                             "current_rule_version": current.version,
                             "monthly_now_yuan": {k: float(v) for k, v in now_paid.items()},
                             "monthly_then_yuan": {k: float(v) for k, v in then_paid.items()}})
    return {"service": "assistance", "region": candidate.region, "area": scope,
            "effective_from": candidate.effective_from, "rule_version": candidate.rule_version,
            "households_considered": considered, "households_changing": changing,
            "households_with_own_version": own_version, "changing_by_kind": by_kind,
            "monthly_change_yuan": float(delta), "examples": examples}
