"""followup's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from followup.api.routes import partners, router
from followup.bootstrap import build_runtime
from followup.domain.plan import IllegalTransition
from followup.domain.rules import NoRuleSet
from followup.domain.signals import InvalidSignal
from followup.handlers import InvalidInput, NotFound, NotUnderFollowUp
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="followup", title="followup 长期跟踪",
        description="Long-term follow-up after exit: a plan of scheduled check-ins per household, visits recorded by "
                    "village and township staff, risk signals from partner departments, and relapse detection that "
                    "sends the household back to discovery on a fast track. "
                    "长期跟踪：退出后按计划回访，部门报送风险，发现返贫风险即快速转回发现环节。",
        routers=[router, partners], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such record in your area.", "您的辖区内没有该记录。")

    @app.exception_handler(NotUnderFollowUp)
    async def not_followed(_request: Request, exc: NotUnderFollowUp):
        return api_error(404, "not_under_follow_up", "No household under follow-up matches.",
                         "没有与之匹配的跟踪对象。")

    @app.exception_handler(IllegalTransition)
    async def illegal(_request: Request, exc: IllegalTransition):
        return api_error(409, exc.code, exc.en, exc.zh, rule=exc.code, plan_status=exc.status, action=exc.action,
                         allowed_actions=list(exc.allowed))

    @app.exception_handler(NoRuleSet)
    async def no_rules(_request: Request, exc: NoRuleSet):
        return api_error(409, "no_rule_set", str(exc), "该地区该日期没有生效的跟踪规则。")

    @app.exception_handler(InvalidInput)
    @app.exception_handler(InvalidSignal)
    async def invalid(_request: Request, exc: InvalidInput | InvalidSignal):
        return api_error(422, "validation_failed", "The request is not valid; see errors.",
                         "请求内容不符合要求，详见 errors。", errors=[exc.as_dict()])

    return app
