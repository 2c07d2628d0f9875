"""identification's routes (thin)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request

from identification import repository
from identification.api.schemas import CasePage, CaseRead
from identification.models import Case

router = APIRouter(prefix="/api/v1", tags=["cases"])


def to_read(c: Case) -> CaseRead:
    return CaseRead(case_id=c.id, household_id=c.household_id, application_id=c.application_id,
                    division_code=c.division_code, status=c.status, channel=c.channel, applicant_name=c.applicant_name,
                    member_count=c.member_count, household_monthly_income_yuan=c.household_monthly_income_yuan,
                    hardship_reason=c.hardship_reason, opened_at=c.opened_at)


@router.get("/cases", response_model=CasePage, summary="Cases, newest first 案件列表")
def list_cases(request: Request,
               application_id: Annotated[str | None, Query(max_length=64)] = None,
               household_id: Annotated[str | None, Query(max_length=64)] = None,
               division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$", description="prefix of the division code")] = None,
               status: Annotated[str | None, Query(max_length=30)] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_cases(session, application_id=application_id, household_id=household_id,
                                            division_prefix=division_code, status=status, limit=limit, offset=offset)
        return CasePage(items=[to_read(c) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseRead, summary="One case 查询案件",
            responses={404: {"description": "No such case"}})
def get_case(case_id: str, request: Request):
    with request.app.state.runtime.session_factory() as session:
        case = repository.get_case(session, case_id)
        if case is None:
            raise HTTPException(404, detail={"error": "not_found", "message": "No such case.", "message_zh": "未找到该案件。"})
        return to_read(case)
