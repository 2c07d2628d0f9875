"""Home-visit surveys by village and township staff 入户走访调查."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request

from discovery import handlers, repository
from discovery.api.deps import Ctx, FieldStaff, Staff, idempotent, in_area, staff_scope
from discovery.api.schemas import VisitCreate, VisitOutcomeRead, VisitRead
from discovery.api.views import visit_read
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["visits"])
ERRORS = {401: {"description": "No or invalid staff token"}, 403: {"description": "Role not allowed"},
          404: {"description": "Not in your area"}}


@router.post("/visits", status_code=201, response_model=VisitOutcomeRead,
             summary="Record a home-visit survey 登记入户走访",
             description="Recorded on the household's open record (recognised by the members' ID numbers). "
                         "`recommendation: refer` hands the household to identification (discovery.household.referred) "
                         "with every clue and visit open on its record; for a household already enrolled or in "
                         "follow-up the visit is linked to its file and nothing is referred.",
             responses={**ERRORS, 422: {"description": "A field breaks a rule"}},
             openapi_extra=route_emits("discovery.visit.recorded", "discovery.household.referred",
                                       "discovery.household.updated"))
def record_visit(body: VisitCreate, request: Request, principal: FieldStaff, ctx: Ctx,
                 idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    in_area(principal, body.division_code)

    def work(session) -> dict:
        outcome = handlers.record_visit(session, ctx, body, principal)
        return VisitOutcomeRead(visit=visit_read(outcome.visit), household_status=outcome.household.lifecycle_status,
                                referral_id=outcome.referral.id if outcome.referral else None,
                                merged_households=outcome.merged, household_conflicts=outcome.conflicts
                                ).model_dump(mode="json")

    return idempotent(request.app.state.runtime, f"POST /api/v1/visits {staff_scope(principal)}", idempotency_key,
                      body.model_dump(mode="json"), 201, work)


@router.get("/visits/{visit_id}", response_model=VisitRead, summary="One home visit 走访记录", responses=ERRORS)
def get_visit(visit_id: str, request: Request, principal: Staff):
    with request.app.state.runtime.session_factory() as session:
        visit = repository.get_visit(session, visit_id)
        if visit is None or not principal.covers(visit.division_code):
            raise HTTPException(404, detail={"error": "not_found", "message": "No such visit in your area.",
                                             "message_zh": "您的辖区内没有该走访记录。"})
        return visit_read(visit)
