"""Risk clues 风险线索: the list for staff, the verification visit, referral to identification, dismissal."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from discovery import handlers, repository
from discovery.api.deps import Ctx, DecidingStaff, FieldStaff, Staff, transaction
from discovery.api.schemas import CluePage, ClueRead, DismissalCreate, ReferralRead, VerificationCreate, VerificationRead
from discovery.api.views import clue_read, referral_read, visit_read
from discovery.domain.lifecycle import CLUE_STATUSES
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1/clues", tags=["clues"])
ERRORS = {401: {"description": "No or invalid staff token"}, 403: {"description": "Role not allowed"},
          404: {"description": "No such clue in your area"}}
STEP_ERRORS = {**ERRORS, 409: {"description": "The clue's status does not allow this step; the answer names the "
                                              "allowed next steps"}}


@router.get("", response_model=CluePage, summary="Risk clues in your area, newest first 线索列表",
            description="`overdue=true`: the verification visits past their due date (China's date), oldest due date "
                        "first: the village's late tasks. Each clue carries `overdue`.", responses=ERRORS)
def list_clues(request: Request, principal: Staff, ctx: Ctx,
               status: Literal[CLUE_STATUSES] | None = None,
               division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$")] = None,
               household_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
               overdue: Annotated[bool | None, Query(description="only overdue verification tasks (true) or only "
                                                                 "the others (false)")] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    today = ctx.today()
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_clues(session, principal.area, division_code, status, household_id, limit, offset,
                                            overdue=overdue, today=today)
        return CluePage(items=[clue_read(c, today) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/{clue_id}", response_model=ClueRead, summary="One risk clue 线索详情", responses=ERRORS)
def get_clue(clue_id: str, request: Request, principal: Staff, ctx: Ctx):
    with request.app.state.runtime.session_factory() as session:
        clue = repository.get_clue(session, clue_id)
        if clue is None or not principal.covers(clue.division_code):
            raise handlers.not_found("clue", "线索")
        return clue_read(clue, ctx.today())


@router.post("/{clue_id}/verification", response_model=VerificationRead,
             summary="Record the verification visit of a clue 登记线索核实走访",
             description="confirmed: the clue becomes `verified` (next: referral or dismissal); not confirmed: "
                         "`unconfirmed` (next: another visit, or dismissal with a reason).",
             responses={**STEP_ERRORS, 422: {"description": "A field breaks a rule"}},
             openapi_extra=route_emits("discovery.clue.verified", "discovery.visit.recorded",
                                       "discovery.household.updated"))
def verify_clue(clue_id: str, body: VerificationCreate, request: Request, principal: FieldStaff, ctx: Ctx):
    def work(session):
        clue, visit = handlers.verify_clue(session, ctx, clue_id, body, principal)
        return VerificationRead(clue=clue_read(clue, ctx.today()), visit=visit_read(visit)).model_dump(mode="json")

    return JSONResponse(transaction(request.app.state.runtime, work))


@router.post("/{clue_id}/referral", status_code=201, response_model=ReferralRead,
             summary="Refer a verified clue to identification 线索转入认定",
             description="Emits discovery.household.referred for the household, merging every other clue (raised or "
                         "verified) and every visit not yet referred on its record into the same referral.",
             responses=STEP_ERRORS,
             openapi_extra=route_emits("discovery.household.referred", "discovery.household.updated"))
def refer_clue(clue_id: str, request: Request, principal: DecidingStaff, ctx: Ctx):
    result = transaction(request.app.state.runtime, lambda session: referral_read(
        handlers.refer_clue(session, ctx, clue_id, principal)).model_dump(mode="json"))
    return JSONResponse(result, status_code=201)


@router.post("/{clue_id}/dismissal", response_model=ClueRead, summary="Dismiss a clue with a reason 排除线索",
             responses={**STEP_ERRORS, 422: {"description": "A field breaks a rule"}},
             openapi_extra=route_emits("discovery.clue.dismissed", "discovery.household.updated"))
def dismiss_clue(clue_id: str, body: DismissalCreate, request: Request, principal: DecidingStaff, ctx: Ctx):
    result = transaction(request.app.state.runtime, lambda session: clue_read(
        handlers.dismiss_clue(session, ctx, clue_id, body.reason_code, body.reason, principal), ctx.today())
        .model_dump(mode="json"))
    return JSONResponse(result)
