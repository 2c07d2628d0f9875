"""identification's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from identification.api.routes import partners, policy, public, router, self_check
from identification.bootstrap import build_runtime
from identification.domain.rules import NoRuleSet
from identification.domain.workflow import ACTION_NAMES_ZH, STATE_NAMES_ZH, ConditionNotMet, IllegalTransition
from identification.handlers import NotFound, OutsideArea
from identification.verification import AlreadyAnswered, InvalidAnswer, NotAsked
from shared.clock import Clock
from shared.working_days import CalendarYearMissing
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="identification", title="identification 精准识别",
        description="Precise identification: multi-dimensional assessment, eligibility per programme and the statutory "
                    "workflow (assessment, democratic review, public notice, township review, county decision). "
                    "精准识别：多维评估、分项目认定与法定流程。",
        routers=[router, policy, public, self_check, partners], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such record in your area.", "您的辖区内没有该记录。")

    @app.exception_handler(OutsideArea)
    async def outside_area(_request: Request, exc: OutsideArea):
        return api_error(403, "outside_area", exc.en, exc.zh, division_code=exc.requested, area=exc.area)

    @app.exception_handler(IllegalTransition)
    async def illegal(_request: Request, exc: IllegalTransition):
        extra = {"state": exc.state, "action": exc.action, "allowed_actions": list(exc.allowed),
                 "state_zh": STATE_NAMES_ZH.get(exc.state), "action_zh": ACTION_NAMES_ZH.get(exc.action),
                 "allowed_actions_zh": [ACTION_NAMES_ZH[a] for a in exc.allowed]}
        if isinstance(exc, ConditionNotMet):
            return api_error(409, "condition_not_met", exc.en, exc.zh, rule=exc.code, **extra)
        return api_error(409, "illegal_transition", str(exc), exc.zh, **extra)

    @app.exception_handler(NotAsked)
    async def not_asked(_request: Request, exc: NotAsked):
        return api_error(403, "department_not_asked", f"Department {exc.department or '(none)'} was not asked on this "
                         "verification request.", f"本次核对未请求{exc.department or '该'}部门。", department=exc.department)

    @app.exception_handler(AlreadyAnswered)
    async def already_answered(_request: Request, exc: AlreadyAnswered):
        return api_error(409, "already_answered", f"Department {exc} answered this request already with other facts.",
                         f"{exc}部门已反馈过本次核对，内容不同。", department=str(exc))

    @app.exception_handler(InvalidAnswer)
    async def invalid_answer(_request: Request, exc: InvalidAnswer):
        return api_error(422, "validation_failed", exc.en, exc.zh,
                         errors=[{"field": exc.field, "rule": exc.rule, "message": exc.en, "message_zh": exc.zh}])

    @app.exception_handler(NoRuleSet)
    async def no_rules(_request: Request, exc: NoRuleSet):
        return api_error(409, "no_rule_set", str(exc), "该地区该日期没有生效的认定规则。")

    @app.exception_handler(CalendarYearMissing)
    async def calendar_missing(_request: Request, exc: CalendarYearMissing):
        # A statutory deadline cannot be computed without that year's working-day calendar: say so, change nothing.
        return api_error(409, exc.code, exc.message, exc.message_zh, year=exc.year)

    return app
