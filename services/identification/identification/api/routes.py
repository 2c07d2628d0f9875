"""identification's routes (thin): staff endpoints are area-scoped and role-checked; notices, objections and the
citizen's self-check are public."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Callable, Literal

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request

from identification import handlers, repository, verification
from identification.api.schemas import (
    AssessmentCreate,
    AuditEntry,
    CaseDetail,
    RecheckPage,
    RecheckRead,
    CasePage,
    CaseRead,
    DecisionCreate,
    EligibilityCheck,
    EligibilityCheckCreate,
    FactsIn,
    NoticeCreate,
    ObjectionCreate,
    ObjectionResolution,
    PolicyPreview,
    PolicyPreviewCreate,
    PublicNotice,
    PublicNoticePage,
    ReassessmentCreate,
    ReassessmentPage,
    ReassessmentRead,
    ReviewCreate,
    TownshipReviewCreate,
    VerificationAnswerCreate,
    VerificationAnswerRead,
    WithdrawalCreate,
)
from identification.domain.assessment import HouseholdFacts
from identification.domain.calendar import local_date
from identification.domain.reassessment import candidate_rule_set
from identification.domain.rules import RuleDataError
from identification.domain.workflow import STATES, allowed_actions
from identification.models import Case, Reassessment, access_log, audit_log
from shared import audit, unit_of_work
from shared.access_audit import Access, record_request_access
from shared.auth import STAFF_ROLES, CurrentPrincipal, require_area, require_role
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["cases"])
public = APIRouter(prefix="/api/v1/public", tags=["public notices"])
policy = APIRouter(prefix="/api/v1", tags=["re-assessment when the rules change"])
self_check = APIRouter(prefix="/api/v1/public", tags=["public"])
partners = APIRouter(prefix="/api/v1", tags=["economic-status checks"])

CONFLICT = {409: {"description": "Not allowed in the case's current state; the answer lists the allowed next actions"},
            403: {"description": "Your role may not take this step"},
            404: {"description": "No such case in your area"},
            422: {"description": "A field breaks a rule; the error names the field and the rule"}}


# The personal data a case page shows (shared.access_audit records every read of them).
CASE_FIELDS = ("applicant_name", "member_count", "household_monthly_income_yuan", "hardship_reason", "assessment",
               "reviews", "objections")
CaseId = Annotated[str, Path(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def notice_view(n) -> dict:
    return {"notice_id": n.id, "kind": n.kind, "status": n.status, "published_at": n.published_at,
            "ends_at": handlers.notice_ends_at(n), "first_day": n.first_day, "last_day": n.last_day, "days": n.days,
            "programmes": n.programmes, "text_en": n.text_en, "text_zh": n.text_zh, "closed_at": n.closed_at,
            "closed_reason": n.closed_reason}


def actions_for_role(status: str, role: str | None) -> list[str]:
    """The allowed next actions that ``role`` may take itself (admin: all); lodging an objection is the public's."""
    return [a for a in allowed_actions(status) if role == "admin" or role in handlers.ROLES.get(a, ())]


def actionable_states(role: str | None) -> list[str]:
    """The states in which ``role`` has a step that moves the case on: what is on that officer's desk. Withdrawal,
    possible in every open state, is not such a step."""
    return [s for s in STATES if any(a != "withdraw" for a in actions_for_role(s, role))]


def to_read(c: Case, today, role: str | None = None) -> CaseRead:
    return CaseRead(case_id=c.id, household_id=c.household_id, application_id=c.application_id,
                    source_type=c.source_type, division_code=c.division_code, status=c.status,
                    allowed_actions=list(allowed_actions(c.status)), actions_for_you=actions_for_role(c.status, role),
                    channel=c.channel, applicant_name=c.applicant_name,
                    member_count=c.member_count, household_monthly_income_yuan=c.household_monthly_income_yuan,
                    hardship_reason=c.hardship_reason, opened_at=c.opened_at, deadline=c.deadline,
                    overdue=bool(c.deadline and c.deadline < today and c.status not in ("enrolled", "rejected", "withdrawn")),
                    file_number=c.file_number, decision=c.decision)


def detail(session, c: Case, today, role: str | None = None) -> CaseDetail:
    a = repository.latest_assessment(session, c)
    return CaseDetail(
        **to_read(c, today, role).model_dump(),
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
                    for o in repository.objections_of(session, c.id)],
        verification=verification.case_view(session, c, a))


def _household(facts: FactsIn, division_code: str) -> HouseholdFacts:
    try:
        return facts.to_domain(division_code)
    except ValueError as exc:
        raise HTTPException(422, detail={"error": "validation_failed", "message": str(exc),
                                         "message_zh": "核查数据不符合要求。", "errors": [
                                             {"field": "facts", "rule": "household_facts", "message": str(exc),
                                              "message_zh": "核查数据不符合要求。"}]}) from None


def _staff(principal) -> None:
    require_role(principal, STAFF_ROLES, "reading cases")


def _act(request: Request, principal, work: Callable) -> CaseDetail:
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session, session.begin():
        case = work(session, svc)
        if isinstance(case, tuple):
            case = case[0]
        return detail(session, case, local_date(svc.clock.now()), principal.role)


@router.get("/cases", response_model=CasePage, summary="Cases in your area, newest first 辖区案件列表")
def list_cases(request: Request, principal: CurrentPrincipal,
               application_id: Annotated[str | None, Query(max_length=64)] = None,
               household_id: Annotated[str | None, Query(max_length=64)] = None,
               division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$", description="prefix of the division code")] = None,
               status: Annotated[str | None, Query(max_length=30)] = None,
               overdue: Annotated[bool | None, Query(description="only cases reported overdue (true) or not (false)")] = None,
               actionable: Annotated[bool, Query(description="only cases with a next step your role may take (what "
                                                             "is on your desk); each case lists them in actions_for_you")] = False,
               order: Annotated[Literal["newest", "deadline"], Query(
                   description="newest first (default), or the earliest statutory deadline first (none last)")] = "newest",
               limit: Limit = 50, offset: Offset = 0):
    _staff(principal)
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        rows, total = repository.list_cases(session, area=principal.area, application_id=application_id,
                                            household_id=household_id, division_prefix=division_code, status=status,
                                            statuses=actionable_states(principal.role) if actionable else None,
                                            overdue=overdue, by_deadline=order == "deadline", limit=limit, offset=offset)
        today = local_date(runtime.clock.now())
        return CasePage(items=[to_read(c, today, principal.role) for c in rows], total=total, limit=limit,
                        offset=offset)


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="One case with its assessment, reviews, notices 案件详情",
            responses=CONFLICT)
def get_case(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    _staff(principal)
    runtime = request.app.state.runtime
    with runtime.session_factory() as session, session.begin():
        case = repository.get_case(session, case_id)
        if case is None:
            raise handlers.NotFound(case_id)
        require_area(principal, case.division_code)
        record_request_access(session, request, access_log, principal, Access(
            "case", case.id, case.household_id, case.division_code, CASE_FIELDS))
        return detail(session, case, local_date(runtime.clock.now()), principal.role)


@router.get("/rechecks", response_model=RecheckPage,
            summary="Re-checks of enrolled households opened by accepted petitions (错保) 在册家庭复查")
def list_rechecks(request: Request, principal: CurrentPrincipal,
                  household_id: Annotated[str | None, Query(max_length=64)] = None,
                  case_id: Annotated[str | None, Query(max_length=64)] = None,
                  limit: Limit = 50, offset: Offset = 0):
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_rechecks(session, area=principal.area, household_id=household_id,
                                               case_id=case_id, limit=limit, offset=offset)
        return RecheckPage(items=[RecheckRead(recheck_id=r.id, case_id=r.case_id, household_id=r.household_id,
                                              division_code=r.division_code, petition_id=r.petition_id,
                                              tracking_number=r.tracking_number, reason=r.reason, status=r.status,
                                              opened_at=r.opened_at) for r in rows],
                           total=total, limit=limit, offset=offset)


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
             openapi_extra=route_emits("identification.assessment.started", "identification.verification.requested"),
             summary="Start the field assessment 开始实地核查")
def start_assessment(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.start_assessment(s, svc, principal, case_id))


@router.post("/cases/{case_id}/assessment", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.assessment.completed"),
             summary="Record the field assessment: scores per dimension and eligibility per programme 实地核查评估")
def complete_assessment(case_id: CaseId, body: AssessmentCreate, request: Request, principal: CurrentPrincipal):
    def work(session, svc):
        case = repository.get_case(session, case_id)
        if case is None:
            raise handlers.NotFound(case_id)
        require_area(principal, case.division_code)
        facts = _household(body.facts, case.division_code)
        return handlers.complete_assessment(session, svc, principal, case_id, facts=facts,
                                            facts_json=body.facts.model_dump(mode="json"),
                                            authorisation=body.authorisation.model_dump(), emergency=body.emergency)
    return _act(request, principal, work)


@router.post("/cases/{case_id}/review", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.review.completed"),
             summary="Record the democratic review 民主评议")
def complete_review(case_id: CaseId, body: ReviewCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.complete_review(s, svc, principal, case_id, attendees=body.attendees,
                                                                 opinions=body.opinions, outcome=body.outcome))


@router.post("/cases/{case_id}/notice", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.notice.published"),
             summary="Publish the public notice (masked) 发布公示")
def publish_notice(case_id: CaseId, body: NoticeCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.publish_notice(s, svc, principal, case_id, body.programmes))


@router.post("/cases/{case_id}/notice/close", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.notice.closed"),
             summary="Close the notice after its period, with no open objection 公示期满")
def close_notice(case_id: CaseId, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.close_notice(s, svc, principal, case_id))


@router.post("/cases/{case_id}/objections/{objection_id}/resolution", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.objection.resolved", "identification.notice.closed"),
             summary="Resolve an objection; upheld sends the case back to field assessment 异议处理")
def resolve_objection(case_id: CaseId, objection_id: Annotated[str, Path(max_length=64)], body: ObjectionResolution, request: Request,
                      principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.resolve_objection(s, svc, principal, case_id, objection_id,
                                                                   outcome=body.outcome, reason=body.reason))


@router.post("/cases/{case_id}/township-review", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.case.township_reviewed"),
             summary="Township review 乡镇审核")
def township_review(case_id: CaseId, body: TownshipReviewCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.complete_township_review(s, svc, principal, case_id,
                                                                          outcome=body.outcome, opinion=body.opinion))


@router.post("/cases/{case_id}/decision", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.household.identified", "identification.household.enrolled",
                                       "identification.household.rejected", "identification.notice.published"),
             summary="County decision: approve (file created, enrolled) or reject with reasons 县级审批")
def decide(case_id: CaseId, body: DecisionCreate, request: Request, principal: CurrentPrincipal):
    reasons = [r.model_dump() for r in body.reasons] if body.reasons else None
    return _act(request, principal, lambda s, svc: handlers.decide_case(s, svc, principal, case_id, outcome=body.outcome,
                                                             reasons=reasons, programmes=body.programmes))


@router.post("/cases/{case_id}/withdrawal", response_model=CaseDetail, responses=CONFLICT,
             openapi_extra=route_emits("identification.case.withdrawn", "identification.notice.closed"),
             summary="Withdraw the case 撤回")
def withdraw(case_id: CaseId, body: WithdrawalCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.withdraw(s, svc, principal, case_id, reason=body.reason))


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


# -- re-assessment when the rules change, and the preview of a policy draft ---------------------------------------

IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="a retry with the same key returns the first answer")]
REASSESSMENT_ERRORS = {
    403: {"description": "Your role may not do this, or the division is not inside your area"},
    404: {"description": "No such re-assessment in your area"},
    409: {"description": "An Idempotency-Key reused with another body, or no rules in force for a division"},
    422: {"description": "A field breaks a rule; the error names the field and the rule"}}


def reassessment_view(r: Reassessment) -> ReassessmentRead:
    return ReassessmentRead(reassessment_id=r.id, division_code=r.division_code, run_on=r.run_on,
                            requested_by=r.requested_by, requested_at=r.requested_at, note=r.note,
                            considered=r.considered, flagged=r.flagged, no_longer_eligible=r.no_longer_eligible,
                            rule_versions=r.rule_versions, summary=r.summary)


def _reader(principal) -> None:
    require_role(principal, STAFF_ROLES + ("policy",), "reading re-assessments", action_zh="查看重新评估记录")


@policy.post("/reassessments", status_code=201, response_model=ReassessmentRead, responses=REASSESSMENT_ERRORS,
             openapi_extra=route_emits("identification.reassessment.flagged", "identification.reassessment.completed"),
             summary="Re-assess the area under the rules in force today; flag households newly eligible 规则调整后重新评估")
def run_reassessment(body: ReassessmentCreate, request: Request, principal: CurrentPrincipal,
                     idempotency_key: IdempotencyKey = None):
    """A county officer's command after a standard changed. Every household in the area whose latest case ended
    refused or enrolled is re-run on its latest assessment's facts under the rules in force today; each household
    newly eligible for a programme it does not hold is flagged (an event, which discovery turns into a clue). A
    household no longer eligible for a programme it holds is only counted and listed: its enrolment is not changed
    (exit goes through gradual exit)."""
    runtime, svc = request.app.state.runtime, request.app.state.services

    def work(session):
        row = handlers.run_reassessment(session, svc, principal, division_code=body.division_code, note=body.note)
        return reassessment_view(row).model_dump(mode="json")
    return unit_of_work.idempotent(runtime, f"POST reassessments {unit_of_work.caller_scope(principal)}",
                                   idempotency_key, body.model_dump(mode="json"), 201, work)


@policy.get("/reassessments", response_model=ReassessmentPage, summary="Re-assessments run in your area 重新评估记录")
def list_reassessments(request: Request, principal: CurrentPrincipal, limit: Limit = 50, offset: Offset = 0):
    _reader(principal)
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_reassessments(session, area=principal.area, limit=limit, offset=offset)
        return ReassessmentPage(items=[reassessment_view(r) for r in rows], total=total, limit=limit, offset=offset)


@policy.get("/reassessments/{reassessment_id}", response_model=ReassessmentRead, responses=REASSESSMENT_ERRORS,
            summary="One re-assessment with its summary 重新评估详情")
def get_reassessment(reassessment_id: Annotated[str, Path(max_length=64)], request: Request,
                     principal: CurrentPrincipal):
    _reader(principal)
    with request.app.state.runtime.session_factory() as session:
        row = repository.get_reassessment(session, reassessment_id)
        if row is None:
            raise handlers.NotFound(reassessment_id)
        require_area(principal, row.division_code)
        return reassessment_view(row)


@policy.post("/policy/preview", response_model=PolicyPreview, responses=REASSESSMENT_ERRORS,
             openapi_extra=route_emits(none="a preview: compares outcomes under a draft policy and writes nothing"),
             summary="How many households in the region would change outcome under a policy draft 规则草案影响预览")
def preview_policy(body: PolicyPreviewCreate, request: Request, principal: CurrentPrincipal):
    """For a county or policy officer: the households of the region (within your area) whose latest case ended
    refused or enrolled, their latest facts under the rules in force on ``effective_from`` against the candidate."""
    runtime, svc = request.app.state.runtime, request.app.state.services
    require_role(principal, handlers.PREVIEW_ROLES, "previewing a policy version", action_zh="预览规则版本影响")
    try:
        candidate = candidate_rule_set(body.rule_version, body.region, body.effective_from, body.document)
    except RuleDataError as exc:
        message_zh = "候选规则文件不完整或参数有误，无法用于认定（详见英文说明）。"
        raise HTTPException(422, detail={"error": "validation_failed", "message": str(exc), "message_zh": message_zh,
                                         "errors": [{"field": "document", "rule": "complete_policy",
                                                     "message": str(exc), "message_zh": message_zh}]}) from None
    with runtime.session_factory() as session:
        return handlers.preview_policy(session, svc, principal, region=body.region,
                                       effective_from=body.effective_from, candidate=candidate)


# -- the citizen's self-check ("What can I get?") -------------------------------------------------------------------

@self_check.post(
    "/eligibility-check", response_model=EligibilityCheck,
    openapi_extra=route_emits(none="a stateless self-check: eligibility under the rules in force, nothing stored"),
    responses={409: {"description": "No rules in force for the division today"},
               422: {"description": "A field breaks a rule; the error names the field and the rule"}},
    summary="What can I get? The programmes that may fit a household, with the reasons; stores nothing 救助自测")
def check_eligibility(body: EligibilityCheckCreate, request: Request) -> EligibilityCheck:
    """For anyone, without a token: a few answers about the household give the programmes that may fit it, each with
    its reasons, computed by the same eligibility rules as a field assessment (the version in force for the division
    today). An indication only: the decision follows a home visit, the village's review, a public notice and the
    county's approval. Nothing is written and no event is sent; the rules are the cached ones (the only read is the
    policy replica's row count, at most every ``policy_refresh_seconds``)."""
    svc = request.app.state.services
    answer = handlers.check_eligibility(svc, division_code=body.division_code,
                                        facts=_household(body.facts, body.division_code), emergency=body.emergency)
    return EligibilityCheck.model_validate(asdict(answer))


# -- economic-status checks: a partner department's answer ----------------------------------------------------------

VERIFICATION_ERRORS = {
    401: {"description": "No partner token"},
    403: {"description": "Not a partner token, or your department was not asked on this request"},
    404: {"description": "No such verification request"},
    409: {"description": "Your department answered already with other facts, or an Idempotency-Key reused with "
                         "another body"},
    422: {"description": "A field breaks a rule (or names a member or a fact kind not asked); the error names it"}}


@partners.post("/verifications/{request_id}/answers", status_code=201, response_model=VerificationAnswerRead,
               responses=VERIFICATION_ERRORS, openapi_extra=route_emits("identification.verification.answered"),
               summary="A partner department answers an economic-status check 协作部门反馈核对结果")
def answer_verification(request_id: Annotated[str, Path(max_length=64)], body: VerificationAnswerCreate,
                        request: Request, principal: CurrentPrincipal, idempotency_key: IdempotencyKey = None):
    """Only a department that was asked may answer (its `department` claim), once: the same answer again returns the
    first (with or without an Idempotency-Key); other facts after an answer are refused. Facts per member, keyed by
    resident ID number; the answer is kept with the department and the date its records are as of."""
    require_role(principal, ("partner",), "answering economic-status checks", action_zh="反馈经济状况核对结果")
    runtime, svc = request.app.state.runtime, request.app.state.services

    def work(session):
        req, row, _created = verification.answer(session, svc, principal, request_id, reported_on=body.reported_on,
                                                 members=body.as_facts())
        return VerificationAnswerRead(
            request_id=req.id, answer_id=row.id, department=row.department, received_at=row.received_at,
            reported_on=row.reported_on, discrepancies=row.discrepancies,
            departments=[{"department": d.department, "status": d.status}
                         for d in repository.verification_departments(session, req.id)]).model_dump(mode="json")
    return unit_of_work.idempotent(runtime, f"POST verification answers {unit_of_work.caller_scope(principal)}",
                                   idempotency_key, {"request_id": request_id, **body.model_dump(mode="json")}, 201, work)
