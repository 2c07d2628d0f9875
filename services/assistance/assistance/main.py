"""assistance's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from assistance.api.routes import partner, public, router
from assistance.bootstrap import build_runtime
from assistance.domain.referrals import IllegalTransition
from assistance.domain.rules import NoRuleSet
from assistance.handlers import Conflict, InvalidInput, NotFound
from assistance.reassessment import OutsideArea
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="assistance", title="assistance 科学施策",
        description="Assistance matching with priority: needs derived from enrolment and completed by caseworkers, "
                    "cash benefits, a provider catalogue with capacity, explainable urgency scores, matching within "
                    "capacity highest priority first, waitlist, delivery and quality feedback. "
                    "科学施策：需求评估、现金救助、服务方目录与容量、可解释的优先级、按优先级匹配、候补、服务确认与质量评价。",
        routers=[router, partner, public], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such record in your area.", "您的辖区内没有该记录。")

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict):
        return api_error(409, "conflict", exc.en, exc.zh, rule=exc.code, **exc.extra)

    @app.exception_handler(IllegalTransition)
    async def illegal(_request: Request, exc: IllegalTransition):
        return api_error(409, "illegal_transition", str(exc), exc.zh, rule="referral_state", state=exc.state,
                         action=exc.action, allowed_actions=list(exc.allowed))

    @app.exception_handler(InvalidInput)
    async def invalid(_request: Request, exc: InvalidInput):
        return api_error(422, "validation_failed", "The request is not valid; see errors.",
                         "请求内容不符合要求，详见 errors。",
                         errors=[{"field": exc.field, "rule": exc.rule, "message": exc.en, "message_zh": exc.zh}])

    @app.exception_handler(OutsideArea)
    async def outside(_request: Request, exc: OutsideArea):
        return api_error(403, "outside_area", exc.en, exc.zh, rule="division_within_area")

    @app.exception_handler(NoRuleSet)
    async def no_rules(_request: Request, exc: NoRuleSet):
        return api_error(409, "no_rule_set", str(exc), "该地区该日期没有生效的救助规则。", rule="no_rule_set")

    return app
