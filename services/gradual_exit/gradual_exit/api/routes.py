"""gradual_exit's routes (thin): staff endpoints are area-scoped and role-checked; partners may only record updates;
open exit notices are public."""
from __future__ import annotations

from typing import Annotated, Callable

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from gradual_exit import handlers, repository
from gradual_exit.api.schemas import (
    DecisionCreate,
    HouseholdDetail,
    HouseholdPage,
    HouseholdRead,
    MemberRead,
    NoticeRead,
    ObjectionCreate,
    ObjectionRead,
    ObjectionReceipt,
    ObjectionResolution,
    ObservationRead,
    ParticipationDetail,
    ParticipationPage,
    ParticipationRead,
    PublicExitNotice,
    PublicExitNoticePage,
    ReviewCreate,
    SituationCreate,
    SituationPage,
    SituationRead,
)
from gradual_exit.domain.calendar import local_date
from gradual_exit.domain.exit_flow import STATES, staff_actions
from gradual_exit.domain.observation import OBSERVING_STATES, support_share
from gradual_exit.domain.reviews import is_overdue
from gradual_exit.domain.rules import PROGRAMME_NAMES, PROGRAMMES
from gradual_exit.models import ExitNotice, ExitObjection, Household, Observation, Participation, Situation, audit_log
from shared import audit, idempotency
from shared.auth import STAFF_ROLES, CurrentPrincipal, require_area
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["gradual exit"])
public = APIRouter(prefix="/api/v1/public", tags=["public exit notices"])

RESPONSES = {409: {"description": "Not allowed in the participation's current state; the answer lists the allowed "
                                  "next actions"},
             401: {"description": "No or an invalid token"},
             403: {"description": "Your role may not take this step"},
             404: {"description": "No such record in your area"},
             422: {"description": "A field breaks a rule; the error names the field and the rule"}}
PROGRAMME_PATTERN = "^(" + "|".join(PROGRAMMES) + ")$"
STATUS_PATTERN = "^(" + "|".join(STATES) + ")$"
DIVISION_PREFIX = Query(pattern=r"^[0-9]{2,12}$", description="prefix of the division code")
LIMIT = Query(ge=1, le=200)
OFFSET = Query(ge=0, le=1_000_000)
# Who sees how to reach an objector: those who investigate and decide.
SEES_CONTACT = ("township", "county", "admin")


def mask_id_number(number: str | None) -> str | None:
    return None if not number else number[:6] + "*" * (len(number) - 10) + number[-4:]


# -- read models ---------------------------------------------------------------------------------------------------------

def _observation(o: Observation, p: Participation, rules, today) -> ObservationRead:
    share = None
    if o.outcome is None and p.status in OBSERVING_STATES and rules.line(p.programme) is not None:
        share = float(support_share(p.programme, o.started_on, today, rules))
    return ObservationRead(observation_id=o.id, started_on=o.started_on, ends_on=o.ends_on,
                           line_yuan_per_person_month=o.line_yuan_per_person_month,
                           start_income_yuan=o.start_income_yuan, lowest_income_yuan=o.lowest_income_yuan,
                           support_schedule=o.support_schedule, support_share_now=share, rule_version=o.rule_version,
                           outcome=o.outcome, ended_at=o.ended_at, trigger=o.trigger, reasons=o.reasons,
                           verdict=o.verdict, review=o.review, decision=o.decision)


def _notice(n: ExitNotice) -> NoticeRead:
    return NoticeRead(notice_id=n.id, status=n.status, first_day=n.first_day, last_day=n.last_day, text_en=n.text_en,
                      text_zh=n.text_zh)


def _objection(o: ExitObjection, role: str) -> ObjectionRead:
    return ObjectionRead(objection_id=o.id, notice_id=o.notice_id, lodged_at=o.lodged_at, grounds=o.grounds,
                         contact=o.contact if role in SEES_CONTACT else None, status=o.status,
                         resolution=o.resolution, resolved_by=o.resolved_by, resolved_at=o.resolved_at)


def participation_read(session, svc, p: Participation, today) -> ParticipationRead:
    rules = svc.rules_for(p.division_code, today)
    line = rules.line(p.programme)
    observation = repository.get_observation(session, p.observation_id)
    notice = repository.open_notice(session, p.id)
    open_objections = repository.open_objection_count(session, p.id)
    en, zh = PROGRAMME_NAMES[p.programme]
    # Resolving belongs to the notice state, but is a step only while there is something to resolve.
    actions = [a for a in staff_actions(p.status) if a != "resolve_objection" or open_objections]
    return ParticipationRead(
        participation_id=p.id, household_id=p.household_id, programme=p.programme, programme_en=en, programme_zh=zh,
        status=p.status, staff_actions=actions, division_code=p.division_code,
        enrolled_at=p.enrolled_at, line_yuan_per_person_month=None if line is None else line.yuan_per_person_month,
        rule_version=rules.version,
        observation=None if observation is None else _observation(observation, p, rules, today),
        notice=None if notice is None else _notice(notice), open_objections=open_objections, exit_id=p.exit_id,
        exited_at=p.exited_at)


def participation_detail(session, svc, p: Participation, today, role: str) -> ParticipationDetail:
    rules = svc.rules_for(p.division_code, today)
    return ParticipationDetail(
        **participation_read(session, svc, p, today).model_dump(),
        observations=[_observation(o, p, rules, today) for o in repository.observations_of(session, p.id)],
        notices=[_notice(n) for n in repository.notices_of(session, p.id)],
        objections=[_objection(o, role) for o in repository.objections_of(session, p.id)])


def household_read(session, svc, h: Household, today) -> HouseholdRead:
    return HouseholdRead(
        household_id=h.id, division_code=h.division_code, file_number=h.file_number, member_count=h.member_count,
        per_capita_monthly_income_yuan=h.per_capita_monthly_income_yuan, income_stable=h.income_stable,
        has_labour_capacity=h.has_labour_capacity, lasting_income_source=h.lasting_income_source,
        guarantees=h.guarantees or {}, assistance_measures=h.assistance_measures, enrolled_at=h.enrolled_at,
        last_enrolled_at=h.last_enrolled_at,
        last_reviewed_at=h.last_reviewed_at, next_review_due=h.next_review_due,
        review_interval_months=h.review_interval_months, review_basis=h.review_basis,
        review_overdue=bool(h.next_review_due and is_overdue(h.next_review_due, today)),
        programmes=[participation_read(session, svc, p, today) for p in repository.participations_of(session, h.id)])


def household_detail(session, svc, h: Household, today) -> HouseholdDetail:
    return HouseholdDetail(
        **household_read(session, svc, h, today).model_dump(),
        members=[MemberRead(name=m.get("name"), id_number_masked=mask_id_number(m.get("id_number")),
                            relationship=m.get("relationship"), labour_capacity=m["labour_capacity"])
                 for m in h.members or []])


def situation_read(s: Situation, *, with_decisions: bool) -> SituationRead:
    facts = dict(s.facts)
    if "members" in facts:
        facts["members"] = [{**m, **({"id_number": mask_id_number(m["id_number"])} if m.get("id_number") else {})}
                            for m in facts["members"]]
    return SituationRead(situation_id=s.id, household_id=s.household_id, kind=s.kind, source=s.source,
                         recorded_at=s.recorded_at, recorded_by=s.recorded_by, recorder_role=s.recorder_role,
                         facts=facts, note=s.note, decisions=s.decisions if with_decisions else None)


# -- helpers --------------------------------------------------------------------------------------------------------------

def _staff(principal) -> None:
    handlers.require_role_zh(principal, STAFF_ROLES, "read")


def _today(request: Request):
    return local_date(request.app.state.runtime.clock.now())


def _household_in_area(session, principal, household_id: str) -> Household:
    h = repository.get_household(session, household_id)
    if h is None:
        raise handlers.NotFound(household_id)
    require_area(principal, h.division_code)
    return h


def _participation_in_area(session, principal, participation_id: str) -> Participation:
    p = repository.get_participation(session, participation_id)
    if p is None:
        raise handlers.NotFound(participation_id)
    require_area(principal, p.division_code)
    return p


def _act(request: Request, principal, work: Callable) -> ParticipationDetail:
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session, session.begin():
        p = work(session, svc)
        return participation_detail(session, svc, p, local_date(svc.clock.now()), principal.role)


# -- households ---------------------------------------------------------------------------------------------------------

@router.get("/households", response_model=HouseholdPage, summary="Enrolled households in your area 辖区在册家庭")
def list_households(request: Request, principal: CurrentPrincipal,
                    division_code: Annotated[str | None, DIVISION_PREFIX] = None,
                    programme: Annotated[str | None, Query(pattern=PROGRAMME_PATTERN)] = None,
                    status: Annotated[str | None, Query(pattern=STATUS_PATTERN,
                                                        description="households with a programme in this state")] = None,
                    review_overdue: Annotated[bool | None, Query(description="only overdue reviews (true) or not")] = None,
                    limit: Annotated[int, LIMIT] = 50, offset: Annotated[int, OFFSET] = 0):
    _staff(principal)
    runtime, svc = request.app.state.runtime, request.app.state.services
    today = _today(request)
    with runtime.session_factory() as session:
        rows, total = repository.list_households(session, area=principal.area, division_prefix=division_code,
                                                 programme=programme, status=status, review_overdue=review_overdue,
                                                 today=today, limit=limit, offset=offset)
        return HouseholdPage(items=[household_read(session, svc, h, today) for h in rows], total=total, limit=limit,
                             offset=offset)


@router.get("/households/{household_id}", response_model=HouseholdDetail, responses=RESPONSES,
            summary="One household: facts, review schedule and every programme 家庭详情")
def get_household(household_id: str, request: Request, principal: CurrentPrincipal):
    _staff(principal)
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session:
        return household_detail(session, svc, _household_in_area(session, principal, household_id), _today(request))


@router.get("/households/{household_id}/audit", responses=RESPONSES, summary="Who did what, when 操作记录")
def household_audit(household_id: str, request: Request, principal: CurrentPrincipal) -> list[dict]:
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        _household_in_area(session, principal, household_id)
        trail = audit.trail(session, audit_log, "household", household_id)
        for p in repository.participations_of(session, household_id):
            trail += audit.trail(session, audit_log, "participation", p.id)
        return sorted(trail, key=lambda a: a["id"])


@router.get("/households/{household_id}/situations", response_model=SituationPage, responses=RESPONSES,
            summary="Recorded re-checks, signals and entries, newest first 核查与动态记录")
def list_situations(household_id: str, request: Request, principal: CurrentPrincipal,
                    limit: Annotated[int, LIMIT] = 50, offset: Annotated[int, OFFSET] = 0):
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        _household_in_area(session, principal, household_id)
        rows, total = repository.situations_of(session, household_id, limit, offset)
        return SituationPage(items=[situation_read(s, with_decisions=True) for s in rows], total=total, limit=limit,
                             offset=offset)


@router.post("/households/{household_id}/situations", status_code=201, response_model=SituationRead,
             responses={**RESPONSES, 409: {"description": "Idempotency-Key reused with a different body"}},
             openapi_extra=route_emits("gradual_exit.situation.recorded", "gradual_exit.observation.started",
                                       "gradual_exit.observation.reverted", "gradual_exit.notice.closed"),
             summary="Record a re-check, income update or partner signal 记录核查或收入变化")
def record_situation(household_id: str, body: SituationCreate, request: Request, principal: CurrentPrincipal,
                     idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    runtime, svc = request.app.state.runtime, request.app.state.services
    idempotency.validate_key(idempotency_key)
    body_hash = idempotency.request_hash(body.model_dump(mode="json"))
    # Per caller: two partners choosing the same key must not see each other's answers.
    scope = f"POST situations {household_id} {principal.subject}"
    try:
        with runtime.session_factory() as session, session.begin():
            if idempotency_key:
                stored = idempotency.replay(session, runtime.tables.idempotency, scope, idempotency_key, body_hash)
                if stored:
                    return JSONResponse(status_code=stored[0], content=stored[1], headers={"Idempotency-Replayed": "true"})
            situation = handlers.record_situation(session, svc, principal, household_id, kind=body.kind,
                                                  update=body.to_update(), note=body.note)
            result = situation_read(situation, with_decisions=principal.role != "partner").model_dump(mode="json")
            if idempotency_key:
                idempotency.remember(session, runtime.tables.idempotency, scope, idempotency_key, body_hash, 201, result)
    except IntegrityError:
        if not idempotency_key:
            raise
        with runtime.session_factory() as session:  # a concurrent request with the same key won the race
            stored = idempotency.replay(session, runtime.tables.idempotency, scope, idempotency_key, body_hash)
        if stored is None:
            raise
        return JSONResponse(status_code=stored[0], content=stored[1], headers={"Idempotency-Replayed": "true"})
    return JSONResponse(status_code=201, content=result)


# -- participations and the exit flow ----------------------------------------------------------------------------------------

@router.get("/participations", response_model=ParticipationPage,
            summary="Programmes of households in your area, e.g. those awaiting an exit step 分项目救助状态")
def list_participations(request: Request, principal: CurrentPrincipal,
                        division_code: Annotated[str | None, DIVISION_PREFIX] = None,
                        programme: Annotated[str | None, Query(pattern=PROGRAMME_PATTERN)] = None,
                        status: Annotated[str | None, Query(pattern=STATUS_PATTERN)] = None,
                        household_id: Annotated[str | None, Query(max_length=64)] = None,
                        limit: Annotated[int, LIMIT] = 50, offset: Annotated[int, OFFSET] = 0):
    _staff(principal)
    runtime, svc = request.app.state.runtime, request.app.state.services
    today = _today(request)
    with runtime.session_factory() as session:
        rows, total = repository.list_participations(session, area=principal.area, division_prefix=division_code,
                                                     programme=programme, status=status, household_id=household_id,
                                                     limit=limit, offset=offset)
        return ParticipationPage(items=[participation_read(session, svc, p, today) for p in rows], total=total,
                                 limit=limit, offset=offset)


@router.get("/participations/{participation_id}", response_model=ParticipationDetail, responses=RESPONSES,
            summary="One programme of a household with its observations and notices 项目详情")
def get_participation(participation_id: str, request: Request, principal: CurrentPrincipal):
    _staff(principal)
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session:
        p = _participation_in_area(session, principal, participation_id)
        return participation_detail(session, svc, p, _today(request), principal.role)


@router.post("/participations/{participation_id}/review", response_model=ParticipationDetail, responses=RESPONSES,
             openapi_extra=route_emits("gradual_exit.notice.published", "gradual_exit.observation.reverted"),
             summary="Township review of the exit: propose it (public notice) or continue support 乡镇审核")
def review_exit(participation_id: str, body: ReviewCreate, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.review_exit(
        s, svc, principal, participation_id, outcome=body.outcome, opinion=body.opinion))


@router.post("/participations/{participation_id}/objections/{objection_id}/resolution",
             response_model=ParticipationDetail, responses=RESPONSES,
             openapi_extra=route_emits("gradual_exit.objection.resolved", "gradual_exit.notice.closed"),
             summary="Resolve an objection to the exit notice; upheld withdraws the notice and sends the exit back to "
                     "the township review 异议处理")
def resolve_objection(participation_id: str, objection_id: str, body: ObjectionResolution, request: Request,
                      principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.resolve_objection(
        s, svc, principal, participation_id, objection_id, outcome=body.outcome, reason=body.reason))


@router.post("/participations/{participation_id}/notice/close", response_model=ParticipationDetail,
             responses=RESPONSES, openapi_extra=route_emits("gradual_exit.notice.closed"),
             summary="Close the exit notice after its period, with no open objection 公示期满")
def close_notice(participation_id: str, request: Request, principal: CurrentPrincipal):
    return _act(request, principal, lambda s, svc: handlers.close_notice(s, svc, principal, participation_id))


@router.post("/participations/{participation_id}/decision", response_model=ParticipationDetail, responses=RESPONSES,
             openapi_extra=route_emits("gradual_exit.household.exited", "gradual_exit.observation.reverted"),
             summary="County decision: the household leaves this programme, or support continues; refused while an "
                     "objection is open 县级审批")
def decide_exit(participation_id: str, body: DecisionCreate, request: Request, principal: CurrentPrincipal):
    reasons = [r.model_dump() for r in body.reasons] if body.reasons else None
    return _act(request, principal, lambda s, svc: handlers.decide_exit(
        s, svc, principal, participation_id, outcome=body.outcome, reasons=reasons))


# -- public ---------------------------------------------------------------------------------------------------------------------

@public.get("/exit-notices", response_model=PublicExitNoticePage, summary="Exit notices now running (masked) 退出公示")
def public_exit_notices(request: Request, division_code: Annotated[str | None, DIVISION_PREFIX] = None,
                        limit: Annotated[int, LIMIT] = 50, offset: Annotated[int, OFFSET] = 0):
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.public_notices(session, division_code, _today(request), limit, offset)
        return PublicExitNoticePage(items=[PublicExitNotice(notice_id=n.id, division_code=n.division_code,
                                                            programme=n.programme, first_day=n.first_day,
                                                            last_day=n.last_day, text_en=n.text_en, text_zh=n.text_zh)
                                           for n in rows], total=total, limit=limit, offset=offset)


@public.post("/exit-notices/{notice_id}/objections", status_code=201, response_model=ObjectionReceipt,
             openapi_extra=route_emits("gradual_exit.objection.lodged"),
             responses={404: {"description": "No such notice running"},
                        409: {"description": "The notice period is over"},
                        422: {"description": "A field breaks a rule; the error names the field and the rule"}},
             summary="Object to a proposed exit while its notice runs (no account needed) 对退出公示提出异议")
def lodge_objection(notice_id: Annotated[str, Path(max_length=64)], body: ObjectionCreate, request: Request):
    runtime, svc = request.app.state.runtime, request.app.state.services
    with runtime.session_factory() as session, session.begin():
        o = handlers.lodge_objection(session, svc, notice_id, grounds=body.grounds, contact=body.contact)
        return ObjectionReceipt(objection_id=o.id, notice_id=o.notice_id, status=o.status, lodged_at=o.lodged_at,
                                message="Your objection was recorded; the township civil-affairs office will look "
                                        "into it before the exit is decided.",
                                message_zh="您的异议已记录，乡镇（街道）民政部门将在作出退出决定前进行核查。")
