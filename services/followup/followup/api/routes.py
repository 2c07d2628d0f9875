"""followup's routes (thin): staff read plans and record check-ins in their area; partners report risk signals."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from followup import handlers, repository
from shared.unit_of_work import caller_scope as principal_scope, idempotent, transaction
from followup.api.schemas import (
    CheckinCreate,
    CheckinOutcome,
    CheckinRead,
    ClosureCreate,
    PartnerSignalCreate,
    PlanDetail,
    PlanPage,
    PlanRead,
    RelapseRead,
    ScheduledRead,
    SignalRead,
    SignalReceipt,
)
from followup.domain.identity import mask
from followup.domain.plan import STATUSES, allowed_actions
from followup.models import Checkin, PartnerSignal, Plan, Relapse, audit_log
from shared import audit
from shared.auth import STAFF_ROLES, CurrentPrincipal, require_area
from shared.emits import route_emits

router = APIRouter(prefix="/api/v1", tags=["follow-up plans"])
partners = APIRouter(prefix="/api/v1", tags=["partner signals"])

ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "Your role may not take this step"},
          404: {"description": "No such plan in your area"},
          409: {"description": "Not allowed in the plan's current status; the answer says why"},
          422: {"description": "A field breaks a rule; the error names the field and the rule"}}


# -- views --------------------------------------------------------------------------------------------------------

def plan_read(session, p: Plan) -> PlanRead:
    schedule = repository.schedule_of(session, p.id)
    pending = [r for r in schedule if r.status == "pending"]
    return PlanRead(
        plan_id=p.id, household_id=p.household_id, division_code=p.division_code, status=p.status,
        allowed_actions=[a for a in allowed_actions(p.status) if a in ("checkin", "close_episode")],
        programmes=list(p.programmes), file_number=p.file_number, member_count=p.member_count,
        baseline_per_capita_monthly_income_yuan=p.baseline_per_capita_monthly_income_yuan,
        rule_version=p.rule_version, interval_months=p.interval_months, duration_months=p.duration_months,
        grace_days=p.grace_days, anchor_on=p.anchor_on, ends_on=p.ends_on,
        next_due_on=min((r.due_on for r in pending), default=None),
        overdue=any(r.overdue_reported_at is not None for r in pending), open_relapse_id=p.open_relapse_id,
        relapse_count=p.relapse_count, started_at=p.started_at, cycle_started_at=p.cycle_started_at,
        completed_at=p.completed_at)


def checkin_read(c: Checkin) -> CheckinRead:
    return CheckinRead(checkin_id=c.id, visited_on=c.visited_on, recorded_at=c.recorded_at, recorded_by=c.recorded_by,
                       recorded_by_role=c.recorded_by_role, observed=c.observed, notes=c.notes, fulfils=c.fulfils,
                       at_risk=c.at_risk, assessment=c.assessment, rule_version=c.rule_version,
                       relapse_id=c.relapse_id)


def relapse_read(r: Relapse) -> RelapseRead:
    return RelapseRead(relapse_id=r.id, status=r.status, detected_at=r.detected_at, risk_kind=r.risk_kind,
                       risk_kinds=r.risk_kinds, reasons=r.reasons, rule_version=r.rule_version,
                       source_type=r.source_type, source_id=r.source_id, closed_at=r.closed_at,
                       close_outcome=r.close_outcome, close_reason=r.close_reason)


def signal_read(s: PartnerSignal) -> SignalRead:
    return SignalRead(signal_id=s.id, source_department=s.source_department, external_id=s.external_id,
                      channel=s.channel, kind=s.kind, id_number=mask(s.id_number), occurred_on=s.occurred_on,
                      amounts=s.amounts, received_at=s.received_at, at_risk=s.at_risk, assessment=s.assessment,
                      relapse_id=s.relapse_id)


def plan_detail(session, p: Plan) -> PlanDetail:
    return PlanDetail(
        **plan_read(session, p).model_dump(),
        members=[{**m, "id_number": mask(m.get("id_number"))} for m in p.members],
        exits=[{"exit_id": e.exit_id, "programme": e.programme, "exited_at": e.exited_at, "effect": e.effect,
                "remaining_programmes": e.remaining_programmes, "rule_version": e.rule_version,
                "per_capita_monthly_income_yuan": e.per_capita_monthly_income_yuan}
               for e in repository.exits_of(session, p.id)],
        schedule=[ScheduledRead(seq=r.seq, due_on=r.due_on, window_opens=r.window_opens, on_time_until=r.overdue_after,
                                status=r.status, completed_on=r.completed_on, late=r.late,
                                overdue_reported=r.overdue_reported_at is not None, checkin_id=r.checkin_id)
                  for r in repository.schedule_of(session, p.id)],
        checkins=[checkin_read(c) for c in repository.checkins_of(session, p.id)],
        relapses=[relapse_read(r) for r in repository.relapses_of(session, p.id)],
        signals=[signal_read(s) for s in repository.signals_of(session, p.id)])


def _staff(principal) -> None:
    handlers.require_role_zh(principal, STAFF_ROLES, "read")


def _visible_plan(session, principal, plan_id: str) -> Plan:
    plan = repository.get_plan(session, plan_id)
    if plan is None:
        raise handlers.NotFound(plan_id)
    require_area(principal, plan.division_code)
    return plan


# -- staff --------------------------------------------------------------------------------------------------------

@router.get("/plans", response_model=PlanPage, summary="Follow-up plans in your area 辖区跟踪计划列表", responses=ERRORS)
def list_plans(request: Request, principal: CurrentPrincipal,
               household_id: Annotated[str | None, Query(max_length=64)] = None,
               division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$", description="prefix of the division code")] = None,
               status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
               overdue: Annotated[bool | None, Query(description="only plans with a check-in reported overdue (true) or without (false)")] = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_plans(session, area=principal.area, household_id=household_id,
                                            division_prefix=division_code, status=status, overdue=overdue,
                                            limit=limit, offset=offset)
        return PlanPage(items=[plan_read(session, p) for p in rows], total=total, limit=limit, offset=offset)


@router.get("/plans/{plan_id}", response_model=PlanDetail, responses=ERRORS,
            summary="One plan: schedule, check-ins, partner signals, relapse episodes 跟踪计划详情")
def get_plan(plan_id: str, request: Request, principal: CurrentPrincipal):
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        return plan_detail(session, _visible_plan(session, principal, plan_id))


@router.get("/plans/{plan_id}/audit", summary="Who did what to the plan, when 操作记录", responses=ERRORS)
def plan_audit(plan_id: str, request: Request, principal: CurrentPrincipal) -> list[dict]:
    _staff(principal)
    with request.app.state.runtime.session_factory() as session:
        _visible_plan(session, principal, plan_id)
        return audit.trail(session, audit_log, "plan", plan_id)


@router.post("/plans/{plan_id}/checkins", status_code=201, response_model=CheckinOutcome, responses=ERRORS,
             openapi_extra=route_emits("followup.checkin.recorded", "followup.relapse.detected"),
             summary="Record a follow-up visit 记录回访",
             description="Village or township staff record what the visit found. The visit fulfils every scheduled "
                         "check-in whose window has opened; the risk rules in force on the visit day judge it, and a "
                         "risk opens a relapse episode (one followup.relapse.detected) or joins the open one. "
                         "An Idempotency-Key makes a retried request return the first answer.")
def record_checkin(plan_id: str, body: CheckinCreate, request: Request, principal: CurrentPrincipal,
                   idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    runtime, svc = request.app.state.runtime, request.app.state.services
    report = handlers.CheckinReport(**body.model_dump(exclude={"members"}),
                                    members=tuple(m.model_dump() for m in body.members) if body.members else None)

    def work(session) -> dict:
        result = handlers.record_checkin(session, svc, principal, plan_id, report)
        return CheckinOutcome(checkin=checkin_read(result.checkin), plan=plan_read(session, result.plan),
                              relapse=relapse_read(result.outcome.relapse) if result.outcome.relapse else None,
                              new_episode=result.outcome.new_episode).model_dump(mode="json")
    return idempotent(runtime, f"POST checkins {principal_scope(principal)} {plan_id}", idempotency_key,
                      body.model_dump(mode="json"), 201, work)


@router.post("/plans/{plan_id}/relapses/{relapse_id}/closure", response_model=PlanDetail, responses=ERRORS,
             openapi_extra=route_emits("followup.relapse.closed"),
             summary="Close a relapse episode: risk resolved or not confirmed 结束返贫风险事件")
def close_episode(plan_id: str, relapse_id: str, body: ClosureCreate, request: Request, principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services

    def work(session):
        plan = handlers.close_episode(session, svc, principal, plan_id, relapse_id, outcome=body.outcome,
                                      reason=body.reason)
        return plan_detail(session, plan)
    return transaction(runtime, work)


# -- partners -----------------------------------------------------------------------------------------------------

@partners.post("/partner-signals", status_code=201, response_model=SignalReceipt,
               openapi_extra=route_emits("followup.signal.received", "followup.relapse.detected"),
               summary="Report a risk about a household under follow-up 部门报送跟踪对象风险",
               description="For partner departments (role partner; the department comes from the token). The "
                           "household is found by its id or by a member's resident ID number. A resent record (same "
                           "department and external_id) answers 200 with the first receipt and changes nothing.",
               responses={**ERRORS, 200: {"description": "The same record was already received"},
                          404: {"description": "No household under follow-up matches"}})
def report_signal(body: PartnerSignalCreate, request: Request, principal: CurrentPrincipal):
    handlers.require_role_zh(principal, ("partner",), "report_signal")
    department = principal.department
    if not department:
        raise HTTPException(403, detail={"error": "department_required",
                                         "message": "The partner token names no department.",
                                         "message_zh": "部门令牌未注明所属部门。"})
    if not body.household_id and not body.id_number:
        raise HTTPException(422, detail={
            "error": "validation_failed", "message": "The request is not valid; see errors.",
            "message_zh": "请求内容不符合要求，详见 errors。",
            "errors": [{"field": "household_id", "rule": "household_or_id_number_required",
                        "message": "give household_id or the person's id_number",
                        "message_zh": "必须提供家庭编号或当事人的居民身份证号码"}]})
    runtime, svc = request.app.state.runtime, request.app.state.services

    def work(session):
        result = handlers.take_partner_signal(
            session, svc, principal, department=department, external_id=body.external_id, kind=body.kind,
            household_id=body.household_id, id_number=body.id_number, occurred_on=body.occurred_on,
            amounts=body.amounts, note=body.note, channel="api")
        return result.signal.id, result.signal.received_at, result.duplicate

    signal_id, received_at, duplicate = transaction(runtime, work)
    receipt = SignalReceipt(signal_id=signal_id, received_at=received_at, duplicate=duplicate,
                            message="Received; the civil-affairs office follows it up." if not duplicate else
                            "This record was already received.",
                            message_zh="已收到，民政部门将跟进。" if not duplicate else "该记录此前已收到。")
    if duplicate:
        return JSONResponse(status_code=200, content=receipt.model_dump(mode="json"))
    return receipt
