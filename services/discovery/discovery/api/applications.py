"""Applications: online by the citizen, assisted by staff; the citizen's status check; staff lists (area-scoped)."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request

from discovery import handlers, repository
from discovery.api.deps import Ctx, FieldStaff, Staff, idempotent, in_area, staff_scope, transaction
from discovery.api.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    ApplicationStatus,
    AssistedApplicationCreate,
    Bilingual,
    Reason,
    TimelineEntry,
)
from discovery.api.views import application_read
from discovery.domain.lifecycle import APPLICATION_STATUSES, explain_application, timeline_order
from discovery.models import access_log
from shared.access_audit import Access, record_request_access
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["applications"])

NOT_FOUND = {"error": "not_found", "message": "No such application.", "message_zh": "未找到该申请。"}
# The personal data an application shows (shared.access_audit records every read of them).
APPLICATION_FIELDS = ("applicant_name", "members", "income", "hardship")
ERRORS = {401: {"description": "No or invalid staff token"}, 403: {"description": "Role not allowed"},
          404: {"description": "No such application in your area"}}


@router.post("/applications", status_code=201, response_model=ApplicationRead,
             summary="Submit an online application 提交在线申请",
             description="Joins the household's open discovery record (a household is recognised by its members' "
                         "resident ID numbers). For a household already enrolled or in follow-up the application is "
                         "linked to its file (status `linked`) and no new case is opened.",
             responses={409: {"description": "Idempotency-Key reused with a different body"},
                        422: {"description": "A field breaks a rule; the error names the field and the rule"}},
             openapi_extra=route_emits("discovery.application.submitted", "discovery.household.updated"))
def submit_application(body: ApplicationCreate, request: Request, ctx: Ctx,
                       idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    return idempotent(request.app.state.runtime, "POST /api/v1/applications", idempotency_key,
                      body.model_dump(mode="json"), 201,
                      lambda session: application_read(handlers.submit_application(session, ctx, body))
                      .model_dump(mode="json"))


@router.post("/assisted-applications", status_code=201, response_model=ApplicationRead,
             summary="Submit an application on a household's behalf 协助申请",
             description="Village or township staff enter an application for a household that cannot apply itself; "
                         "the household's authorisation and who assisted are recorded and travel with the event.",
             responses={**ERRORS, 409: {"description": "Idempotency-Key reused with a different body"},
                        422: {"description": "A field breaks a rule"}},
             openapi_extra=route_emits("discovery.application.submitted", "discovery.household.updated"))
def submit_assisted_application(body: AssistedApplicationCreate, request: Request, principal: FieldStaff,
                                ctx: Ctx,
                                idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    in_area(principal, body.division_code)
    authorisation = body.authorisation.model_dump()
    application = ApplicationCreate(**body.model_dump(exclude={"authorisation"}))
    return idempotent(request.app.state.runtime, f"POST /api/v1/assisted-applications {staff_scope(principal)}",
                      idempotency_key, body.model_dump(mode="json"), 201,
                      lambda session: application_read(handlers.submit_application(
                          session, ctx, application, assisted_by=principal, authorisation=authorisation))
                      .model_dump(mode="json"))


@router.get("/applications/{application_id}/status", response_model=ApplicationStatus,
            summary="Where my application stands, and why 查询申请进度",
            description="For the citizen, without an account: give the application number and the resident ID number "
                        "of the applicant or of a household member. Any other number gets 404, as an unknown "
                        "application does.",
            responses={404: {"description": "No such application for this ID number"}})
def application_status(application_id: str, request: Request,
                       id_number: Annotated[str, Query(min_length=15, max_length=20,
                                                       description="resident ID number of the applicant or a member")]):
    number = id_number.strip().upper()

    def read(session):
        application = repository.get_application(session, application_id)
        if application is None or number not in {application.applicant_id_number,
                                                 *(m.id_number for m in application.members)}:
            raise HTTPException(404, detail=NOT_FOUND)
        household = repository.get_household(session, application.household_id)
        facts = handlers.status_facts(application, household)
        timeline = sorted(application.timeline, key=lambda t: (*timeline_order(t.at, t.status), t.id))
        current = next((t for t in reversed(timeline) if t.status == application.status), None)
        en, zh = ((current.text_en, current.text_zh) if current is not None
                  else explain_application(application.status, facts))
        return ApplicationStatus(
            application_id=application.id, status=application.status, explanation_en=en, explanation_zh=zh,
            updated_at=application.status_changed_at or application.submitted_at,
            reasons=[Reason(**r) for r in facts.reasons] if application.status == "rejected" else [],
            appeal=Bilingual(**facts.appeal) if application.status == "rejected" and facts.appeal else None,
            file_number=facts.file_number if application.status in ("enrolled", "linked") else None,
            programmes=list(facts.programmes) if application.status in ("in_notice", "enrolled") else [],
            notice_ends_at=facts.notice_ends_at if application.status == "in_notice" else None,
            withdrawal_reason=facts.reason if application.status == "withdrawn" else None,
            timeline=[TimelineEntry(at=t.at, status=t.status, en=t.text_en, zh=t.text_zh)
                      for t in timeline])

    return transaction(request.app.state.runtime, read)


@router.get("/applications/{application_id}", response_model=ApplicationRead, summary="One application 查询申请",
            responses=ERRORS)
def get_application(application_id: str, request: Request, principal: Staff):
    with request.app.state.runtime.session_factory() as session, session.begin():
        application = repository.get_application(session, application_id)
        if application is None or not principal.covers(application.division_code):
            raise HTTPException(404, detail=NOT_FOUND)
        record_request_access(session, request, access_log, principal, Access(
            "application", application.id, application.household_id, application.division_code,
            APPLICATION_FIELDS))
        return application_read(application)


@router.get("/applications", response_model=ApplicationPage, summary="Applications in your area, newest first 申请列表",
            responses=ERRORS)
def list_applications(request: Request, principal: Staff,
                      division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$",
                                                                 description="prefix of the division code, within your area")] = None,
                      status: Literal[APPLICATION_STATUSES] | None = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50,
                      offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_applications(session, principal.area, division_code, status, limit, offset)
        return ApplicationPage(items=[application_read(a) for a in rows], total=total, limit=limit, offset=offset)

