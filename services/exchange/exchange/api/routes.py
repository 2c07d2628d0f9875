"""exchange's routes (thin): staff record and list a household's consent decisions per purpose."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from exchange import handlers, repository
from exchange.api.schemas import ConsentCreate, ConsentPage, ConsentRead
from exchange.domain.consent import ConsentDecision, ConsentState
from exchange.models import Consent, audit_log
from shared import audit
from shared.auth import CurrentPrincipal
from shared.emits import route_emits
from shared.unit_of_work import transaction

router = APIRouter(prefix="/api/v1", tags=["consent"])
HOUSEHOLD = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "Your role may not take this step"},
          404: {"description": "No such household in your area"},
          422: {"description": "A field breaks a rule; the error names the field and the rule"}}


def consent_read(c: Consent) -> ConsentRead:
    return ConsentRead(consent_id=c.id, household_id=c.household_id, division_code=c.division_code,
                       purpose=c.purpose, decision=c.decision, method=c.method, reference=c.reference, note=c.note,
                       effective_on=date.fromisoformat(c.effective_on), recorded_at=c.recorded_at,
                       recorded_by=c.recorded_by)


def state_of(rows: list[Consent]) -> ConsentState:
    return ConsentState(tuple(ConsentDecision(c.purpose, c.decision, date.fromisoformat(c.effective_on),
                                              c.recorded_at.isoformat()) for c in rows))


@router.post("/households/{household_id}/consents", status_code=201, response_model=ConsentRead, responses=ERRORS,
             openapi_extra=route_emits("exchange.consent.recorded"),
             summary="Record a household's consent or its withdrawal for a purpose 登记授权同意或撤回",
             description="A grant or a withdrawal of the household's consent to share its data for one purpose. "
                         "After a withdrawal the household is no longer exported on the streams of agreements "
                         "with that purpose. 撤回后，不再向该用途的协议数据流推送该户信息。")
def record_consent(household_id: HOUSEHOLD, body: ConsentCreate, request: Request, principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services
    return transaction(runtime, lambda session: consent_read(handlers.record_consent(
        session, svc, principal, household_id, division_code=body.division_code, purpose=body.purpose,
        decision=body.decision, method=body.method, reference=body.reference, note=body.note,
        effective_on=body.effective_on)))


@router.get("/households/{household_id}/consents", response_model=ConsentPage, responses=ERRORS,
            summary="A household's consent decisions 家庭授权记录")
def list_consents(household_id: HOUSEHOLD, request: Request, principal: CurrentPrincipal,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    handlers.require_staff(principal, "read consent", "查看授权记录")
    svc = request.app.state.services
    with request.app.state.runtime.session_factory() as session:
        everything, _ = repository.consents_of(session, household_id, limit=100000)
        known = repository.household_division(session, household_id)
        divisions = {c.division_code for c in everything} | ({known} if known else set())
        if divisions and not any(d.startswith(principal.area) for d in divisions):
            raise handlers.NotFound(household_id)
        rows, total = repository.consents_of(session, household_id, limit=limit, offset=offset)
        state, today = state_of(everything), svc.today()
        current = {p: state.current(p, today) for p in sorted({c.purpose for c in everything})}
        return ConsentPage(items=[consent_read(c) for c in rows], total=total, limit=limit, offset=offset,
                           current={p: d for p, d in current.items() if d})


@router.get("/households/{household_id}/consents/audit", responses=ERRORS,
            summary="Who recorded which consent decision, when 授权操作记录")
def consent_audit(household_id: HOUSEHOLD, request: Request, principal: CurrentPrincipal) -> list[dict]:
    handlers.require_staff(principal, "read consent", "查看授权记录")
    with request.app.state.runtime.session_factory() as session:
        trail = audit.trail(session, audit_log, "household", household_id)
        if trail and not any(t["actor_area"].startswith(principal.area) or principal.area.startswith(t["actor_area"])
                             for t in trail):
            raise handlers.NotFound(household_id)
        return trail
