"""oversight's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from oversight.api.routes import public, router
from oversight.bootstrap import build_runtime
from oversight.kpis.routes import router as kpi_router
from oversight.handlers import InvalidInput, NotFound, Refused
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="oversight", title="oversight 监督",
        description="The petition channel 信访举报: anyone may report a wrongly enrolled (错保) or wrongly missed (漏保) "
                    "household, a staff member's conduct, a service provider or a decision, and follow it by its "
                    "tracking number; the township or county office accepts or declines it within 15 days and "
                    "replies within 60 days of acceptance (once extendable by 30), as the 信访工作条例 sets. "
                    "监督：信访举报受理、办理期限与超期提醒。",
        routers=[router, public, kpi_router], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such petition.", "没有该信访事项。")

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused):
        return api_error(409, exc.rule, exc.en, exc.zh, rule=exc.rule, **exc.extra)

    @app.exception_handler(InvalidInput)
    async def invalid(_request: Request, exc: InvalidInput):
        return api_error(422, "validation_failed", "The request is not valid; see errors.",
                         "请求内容不符合要求，详见 errors。", errors=[p.as_dict() for p in exc.problems])

    return app
