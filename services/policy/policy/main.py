"""policy's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from policy.api.routes import router
from policy.bootstrap import build_runtime
from policy.handlers import InvalidDraft, NotFound, Refused
from policy.scheduled import seed
from shared.clock import Clock
from shared.rule_data import NoRuleSet
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="policy", title="policy 政策规则",
        description="Policy as data, owned once: the national defaults and every region's versioned, effective-dated "
                    "overrides (dibao standard, monitoring line, reference income and every service's parameters) in "
                    "one document per region; a county or provincial officer drafts a version for their area, a "
                    "second officer approves it, and policy.ruleset.published carries the resolved document to every "
                    "service. 政策规则：全国默认与各地分版本、按生效日期的规则，起草、复核批准后以事件发布。",
        routers=[router], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services
    if start_workers:
        # the national defaults and POLICY_DIR before the first request; a bad file stops the start, naming it
        seed(runtime)

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such rule set version in your area.", "您的辖区内没有该规则版本。")

    @app.exception_handler(NoRuleSet)
    async def no_rules(_request: Request, exc: NoRuleSet):
        return api_error(404, "no_rule_set", str(exc), "该地区该日期没有生效的规则。")

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused):
        return api_error(exc.status, exc.code, exc.en, exc.zh, **exc.extra)

    @app.exception_handler(InvalidDraft)
    async def invalid(_request: Request, exc: InvalidDraft):
        return api_error(422, "validation_failed", "The draft is not valid; see errors. Nothing was published.",
                         "草案不符合要求，详见 errors；未发布任何内容。", errors=[p.as_dict() for p in exc.problems])

    return app
