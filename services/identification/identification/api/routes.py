"""identification's routes (thin): staff endpoints are area-scoped and role-checked; notices and objections are public."""
from __future__ import annotations

from typing import Annotated, Callable

from fastapi import APIRouter, HTTPException, Path, Query, Request

from identification import handlers, repository
from identification.api.schemas import (
    AssessmentCreate,
    AuditEntry,
    CaseDetail,
    CasePage,
    CaseRead,
    DecisionCreate,
    NoticeCreate,
    ObjectionCreate,
    ObjectionResolution,
    PublicNotice,
    PublicNoticePage,
    ReviewCreate,
    TownshipReviewCreate,
    WithdrawalCreate,
)
from identification.domain.calendar import local_date
from identification.domain.workflow import allowed_actions
from identification.models import Case, audit_log
from shared import audit
from shared.auth import STAFF_ROLES, CurrentPrincipal, require_area, require_role
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["cases"])
public = APIRouter(prefix="/api/v1/public", tags=["public notices"])

CONFLICT = {409: {"description": "Not allowed in the case's current state; the answer lists the allowed next actions"},
            403: {"description": "Your role may not take this step"},
            404: {"description": "No such case in your area"},
            422: {"description": "A field breaks a rule; the error names the field and the rule"}}


CaseId = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def notice_view(n) -> dict:
    return {"notice_id": n.id, "kind": n.kind, "status": n.status, "published_at": n.published_at,
            "ends_at": handlers.notice_ends_at(n), "first_day": n.first_day, "last_day": n.last_day, "days": n.days,
            "programmes": n.programmes, "text_en": n.text_en, "text_zh": n.text_zh, "closed_at": n.closed_at,
            "closed_reason": n.closed_reason}


def to_read(c: Case, today) -> CaseRead:
    return CaseRead(case_id=c.id, household_id=c.household_id, application_id=c.application_id,
                    source_type=c.source_type, division_code=c.division_code, status=c.status,
                    allowed_actions=list(allowed_actions(c.status)), channel=c.channel, applicant_name=c.applicant_name,
                    member_count=c.member_count, household_monthly_income_yuan=c.household_monthly_income_yuan,
                    hardship_reason=c.hardship_reason, opened_at=c.opened_at, deadline=c.deadline,
                    overdue=bool(c.deadline and c.deadline < today and c.status not in ("enrolled", "rejected", "withdrawn")),
                    file_number=c.file_number, decision=c.decision)


def detail(session, c: Case, today) -> CaseDetail:
    a = repository.latest_assessment(session, c)
    return CaseDetail(
        **to_read(c, today).model_dump(),
        sources=[{"source_type": s.source_type, "source_id": s.source_id, "received_at": s.received_at}
                 for s in repository.sources_of(session, c.id)],
        assessment=None if a is None else {
            "assessment_id": a.id, "assessed_at": a.assessed_at, "assessed_by": a.assessed_by,
            "rule_version": a.rule_version, "emergency": a.emergency, "dimensions": a.dimensions,
            "programmes": a.programmes, "eligible": a.eligible, "categories": a.categories,
            "explanation_en": a.explanation_en, "explanation_zh": a.explanation_zh},
        reviews=[{"review_id": r.id, "held_at": r.held_at, "attendees": r.attendees, "opinions": r.opinions,
                  "outcome": r.outcome} for r in repository.reviews_of(session, c.id)],
        notices=[notice_view(n) for n in repository.notices_of(session, c.id)],
        objections=[{"objection_id": o.id, "notice_id": o.notice_id, "lodged_at": o.lodged_at, "grounds": o.grounds,
                     "status": o.status, "resolution": o.resolution, "resolved_at": o.resolved_at}
                    for o in repository.objections_of(session, c.id)])


def _staff(principal) -> None:
    require_role(principal, STAFF_ROLES, "reading cases")


def _act(request: Request, work: Callable) -> CaseDetail:
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session, session.begin():
        case = work(session, svc)
        if isinstance(case, tuple):
            case = case[0]
        return detail(session, case, local_date(svc.clock.now()))


@router.get("/cases", response_model=CasePage, summary="Cases in your area, newest first 辖区案件列表")
def list_cases(request: Request, principal: CurrentPrincipal,
               application_id: Annotated[str | None, Query(max_length=64)] = None,
               household_id: Annotated[str | None, Query(max_length=64)] = None,
               division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$", description="prefix of the division code")] = None,
               status: Annotated[str | None, Query(max_length=30)] = None,
               overdue: Annotated[bool | None, Query(description="only cases reported overdue (true) or not (false)")] = None,
               limit: Limit = 50, offset: Offset = 0):
    _staff(principal)
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        rows, total = repository.list_cases(session, area=principal.area, application_id=application_id,
                                            household_id=household_id, division_prefix=division_code, status=status,
                                            overdue=overdue, limit=limit, offset=offset)
        today = local_date(runtime.clock.now())
        return CasePage(items=[to_read(c, today) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="One case with its assessment, reviews, notices 案件详情",
            responses=CONFLICT)
def get_case(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    _staff(principal)
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        case = repository.get_case(session, case_id)
        if case is None:
            raise handlers.NotFound(case_id)
        require_area(principal, case.division_code)
        return detail(session, case, local_date(runtime.clock.now()))


@router.get("/cases/{case_id}/audit", response_model=list[AuditEntry], summary="Who did what to the case, when 操作记录",
            responses=CONFLICT)
def case_audit(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        case = repository.get_case(session, case_id)
        if case is None:
            raise handlers.NotFound(case_id)
        require_area(principal, case.division_code)
        return audit.trail(session, audit_log, "case", case_id)


@router.post("/cases/{case_id}/assessment/start", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.assessment.started"),
             summary="Start the field assessment 开始实地核查")
def start_assessment(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.start_assessment(s, svc, principal, case_id))


@router.post("/cases/{case_id}/assessment", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.assessment.completed"),
             summary="Record the field assessment: scores per dimension and eligibility per programme 实地核查评估")
def complete_assessment(case_id: CaseId, body: AssessmentCreate, request: Request, principal: CurrentPrincipal):
    def work(session, svc):
        case = repository.get_case(session, case_id)
        if case is None:
            raise handlers.NotFound(case_id)
        require_area(principal, case.division_code)
        try:
            facts = body.facts.to_domain(case.division_code)
        except ValueError as exc:
            raise HTTPException(422, detail={"error": "validation_failed", "message": str(exc),
                                             "message_zh": "核查数据不符合要求。", "errors": [
                                                 {"field": "facts", "rule": "household_facts", "message": str(exc),
                                                  "message_zh": "核查数据不符合要求。"}]}) from None
        return handlers.complete_assessment(session, svc, principal, case_id, facts=facts,
                                            facts_json=body.facts.model_dump(mode="json"),
                                            authorisation=body.authorisation.model_dump(), emergency=body.emergency)
    return _act(request, work)


@router.post("/cases/{case_id}/review", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.review.completed"),
             summary="Record the democratic review 民主评议")
def complete_review(case_id: CaseId, body: ReviewCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.complete_review(s, svc, principal, case_id, attendees=body.attendees,
                                                                 opinions=body.opinions, outcome=body.outcome))


@router.post("/cases/{case_id}/notice", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.notice.published"),
             summary="Publish the public notice (masked) 发布公示")
def publish_notice(case_id: CaseId, body: NoticeCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.publish_notice(s, svc, principal, case_id, body.programmes))


@router.post("/cases/{case_id}/notice/close", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.notice.closed"),
             summary="Close the notice after its period, with no open objection 公示期满")
def close_notice(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.close_notice(s, svc, principal, case_id))


@router.post("/cases/{case_id}/objections/{objection_id}/resolution", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.objection.resolved", "identification.notice.closed"),
             summary="Resolve an objection; upheld sends the case back to field assessment 异议处理")
def resolve_objection(case_id: CaseId, objection_id: Annotated[str, Path(max_length=64)], body: ObjectionResolution, request: Request,
                      principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.resolve_objection(s, svc, principal, case_id, objection_id,
                                                                   outcome=body.outcome, reason=body.reason))


@router.post("/cases/{case_id}/township-review", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.case.township_reviewed"),
             summary="Township review 乡镇审核")
def township_review(case_id: CaseId, body: TownshipReviewCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.complete_township_review(s, svc, principal, case_id,
                                                                          outcome=body.outcome, opinion=body.opinion))


@router.post("/cases/{case_id}/decision", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.household.identified", "identification.household.enrolled",
                                       "identification.household.rejected", "identification.notice.published"),
             summary="County decision: approve (file created, enrolled) or reject with reasons 县级审批")
def decide(case_id: CaseId, body: DecisionCreate, request: Request, principal: CurrentPrincipal):
    reasons = [r.model_dump() for r in body.reasons] if body.reasons else None
    return _act(request, lambda s, svc: handlers.decide_case(s, svc, principal, case_id, outcome=body.outcome,
                                                             reasons=reasons, programmes=body.programmes))


@router.post("/cases/{case_id}/withdrawal", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.case.withdrawn", "identification.notice.closed"),
             summary="Withdraw the case 撤回")
def withdraw(case_id: CaseId, body: WithdrawalCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, lambda s, svc: handlers.withdraw(s, svc, principal, case_id, reason=body.reason))


@public.get("/notices", response_model=PublicNoticePage,
            summary="Open public notices, and post-hoc notices of assistance granted first (masked) 公示中的名单")
def public_notices(request: Request,
                   division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$")] = None,
                   limit: Limit = 50, offset: Offset = 0):
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        rows, total = repository.public_notices(session, division_code, local_date(runtime.clock.now()), limit, offset)
        return PublicNoticePage(items=[PublicNotice(**{k: v for k, v in notice_view(n).items()
                                                       if k in PublicNotice.model_fields}, division_code=n.division_code)
                                       for n in rows],
                                total=total, limit=limit, offset=offset)


@public.post("/notices/{notice_id}/objections", status_code=201, summary="Lodge an objection during the notice 提出异议",
             openapi_extra=route_emits("identification.objection.lodged"),
             responses={404: {"description": "No such notice"}, 409: {"description": "The notice is not open"}})
def lodge_objection(notice_id: Annotated[str, Path(max_length=64)], body: ObjectionCreate, request: Request) -> dict:
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session, session.begin():
        objection = handlers.lodge_objection(session, svc, notice_id, grounds=body.grounds, contact=body.contact)
        return {"objection_id": objection.id, "status": objection.status,
                "message": "Your objection was recorded; the township civil-affairs office will look into it.",
                "message_zh": "您的异议已记录，乡镇民政部门将进行核查。"}
