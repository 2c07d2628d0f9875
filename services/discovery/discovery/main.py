"""discovery's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from discovery.api.routes import router
from discovery.bootstrap import build_runtime
from discovery.handlers import Refused
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import create_service_app

DESCRIPTION = """Rapid discovery of households in hardship 困难家庭快速发现, through four channels:
online applications by citizens 在线申请, assisted applications by staff 协助申请, home-visit surveys 入户走访,
and partner-department signals screened into risk clues 部门筛查预警. One household, one record 一户一档:
whatever the channel, reports about the same family join its one open record and are referred to identification once.

Staff endpoints need a signed token (Authorization: Bearer) carrying role (village, township, county) and area
(a division-code prefix); records outside one's area answer 404. Partners send signals with a partner token naming
their department. Every staff action is written to the audit trail."""


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(service="discovery", title="discovery 快速发现", description=DESCRIPTION,
                             routers=[router], runtime=runtime, clock=clock, start_workers=start_workers)

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused):
        return JSONResponse(status_code=exc.status, content=exc.body)

    return app
