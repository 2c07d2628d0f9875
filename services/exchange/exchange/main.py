"""exchange's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI, Request

from exchange.api.routes import router
from exchange.bootstrap import build_runtime
from exchange.handlers import InvalidInput, NotFound
from exchange.webhooks.api import jwks_router
from exchange.webhooks.signing import load_or_create
from shared.clock import Clock
from shared.runtime import ServiceRuntime
from shared.web import api_error, create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    runtime = runtime or build_runtime(clock=clock)
    app = create_service_app(
        service="exchange", title="exchange 数据共享",
        description="Partner exchange: projects the internal events onto one minimised stream per partner department "
                    "and data-sharing agreement (topics partner.<department>.<stream>), respecting each household's "
                    "consent per purpose. 数据共享：按共享协议向协作部门推送最小必要数据，尊重家庭的授权同意。",
        routers=[router, jwks_router(lambda: [load_or_create(runtime.settings.webhook_key_path)])], runtime=runtime, clock=clock, start_workers=start_workers)
    app.state.services = runtime.services

    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound):
        return api_error(404, "not_found", "No such household in your area.", "您的辖区内没有该家庭。")

    @app.exception_handler(InvalidInput)
    async def invalid(_request: Request, exc: InvalidInput):
        return api_error(422, "validation_failed", "The request is not valid; see errors.",
                         "请求内容不符合要求，详见 errors。", errors=[p.as_dict() for p in exc.problems])

    return app
