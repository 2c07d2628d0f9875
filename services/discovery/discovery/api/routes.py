"""discovery's routes (thin): parse, call a handler inside one transaction, shape the answer."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from discovery import handlers, repository
from discovery.api.schemas import ApplicationCreate, ApplicationPage, ApplicationRead, MemberRead
from discovery.domain.identity import mask_id_number
from discovery.models import Application
from shared import idempotency

router = APIRouter(prefix="/api/v1", tags=["applications"])


def to_read(a: Application) -> ApplicationRead:
    return ApplicationRead(
        application_id=a.id, household_id=a.household_id, channel=a.channel, status=a.status,
        division_code=a.division_code, applicant_name=a.applicant_name,
        applicant_id_number_masked=mask_id_number(a.applicant_id_number),
        members=[MemberRead(name=m.name, id_number_masked=mask_id_number(m.id_number), relationship=m.relationship)
                 for m in a.members],
        household_monthly_income_yuan=a.household_monthly_income_yuan, hardship_reason=a.hardship_reason,
        hardship_description=a.hardship_description, submitted_at=a.submitted_at)


NOT_FOUND = {"error": "not_found", "message": "No such application.", "message_zh": "未找到该申请。"}


@router.post("/applications", status_code=201, response_model=ApplicationRead,
             summary="Submit an online application 提交在线申请",
             responses={409: {"description": "Idempotency-Key reused with a different body"},
                        422: {"description": "A field breaks a rule; the error names the field and the rule"}})
def submit_application(body: ApplicationCreate, request: Request,
                       idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    runtime = request.app.state.runtime
    idempotency.validate_key(idempotency_key)
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    scope = "POST /api/v1/applications"
    try:
        with runtime.session_factory() as session, session.begin():
            if idempotency_key:
                stored = idempotency.replay(session, runtime.tables.idempotency, scope, idempotency_key, body_hash)
                if stored:
                    return JSONResponse(status_code=stored[0], content=stored[1], headers={"Idempotency-Replayed": "true"})
            application = handlers.submit_application(session, runtime.outbox, request.app.state.clock, body)
            result = to_read(application).model_dump(mode="json")
            if idempotency_key:
                idempotency.remember(session, runtime.tables.idempotency, scope, idempotency_key, body_hash, 201, result)
    except IntegrityError:
        if not idempotency_key:
            raise
        # A concurrent request with the same key won the race: answer with its result.
        with runtime.session_factory() as session:
            stored = idempotency.replay(session, runtime.tables.idempotency, scope, idempotency_key, body_hash)
        if stored is None:
            raise
        return JSONResponse(status_code=stored[0], content=stored[1], headers={"Idempotency-Replayed": "true"})
    return JSONResponse(status_code=201, content=result)


@router.get("/applications/{application_id}", response_model=ApplicationRead, summary="One application 查询申请",
            responses={404: {"description": "No such application"}})
def get_application(application_id: str, request: Request):
    with request.app.state.runtime.session_factory() as session:
        application = repository.get_application(session, application_id)
        if application is None:
            raise HTTPException(404, detail=NOT_FOUND)
        return to_read(application)


@router.get("/applications", response_model=ApplicationPage, summary="Applications, newest first 申请列表")
def list_applications(request: Request,
                      division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$", description="prefix of the division code")] = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0):
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_applications(session, division_code, limit, offset)
        return ApplicationPage(items=[to_read(a) for a in rows], total=total, limit=limit, offset=offset)
