"""gradual_exit's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from gradual_exit.api.routes import public, router
from gradual_exit.bootstrap import build_runtime
from gradual_exit.domain.exit_flow import ConditionNotMet, IllegalTransition, action_zh, actions_zh, staff_actions, state_zh
from gradual_exit.domain.rules import NoRuleSet
from gradual_exit.handlers import NoticeNotRunning, NotFound
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="gradual_exit", title="gradual_exit 渐退机制",
        description="Gradual exit per programme: income and situation updates start or revert an observation period "
                    "against each programme's line; when income stayed stable and the guarantees hold, the exit goes "
                    "through township review, public notice and county decision. Periodic reviews with deadlines. "
                    "渐退机制：按项目设置观察期，收入稳定且保障到位后经审核、公示、审批退出；定期核查。",
        routers=[router, public], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such record in your area.", "您的辖区内没有该记录。")

    @app.exception_handler(NoticeNotRunning)
    async def notice_not_running(_request: Request, exc: NoticeNotRunning):
        return api_error(404, "not_found", "No exit notice with this id is running.", "没有正在公示的该退出公示。")

    @app.exception_handler(IllegalTransition)
    async def illegal(_request: Request, exc: IllegalTransition):
        extra = {"state": exc.state, "action": exc.action, "allowed_actions": list(exc.allowed),
                 "staff_actions": list(staff_actions(exc.state))}
        if isinstance(exc, ConditionNotMet):
            return api_error(409, "condition_not_met", exc.en, exc.zh, rule=exc.code, **extra)
        return api_error(409, "illegal_transition", str(exc),
                         f"当前状态（{state_zh(exc.state)}）不能{action_zh(exc.action)}；可执行：{actions_zh(exc.allowed)}",
                         **extra)

    @app.exception_handler(NoRuleSet)
    async def no_rules(_request: Request, exc: NoRuleSet):
        return api_error(409, "no_rule_set", str(exc), "该地区该日期没有生效的渐退规则。")

    return app
