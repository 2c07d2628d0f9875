"""discovery's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI

from discovery.api.routes import router
from discovery.bootstrap import build_runtime
from shared.clock import Clock, SystemClock
from shared.runtime import ServiceRuntime
from shared.web import create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    return create_service_app(
        service="discovery", title="discovery 快速发现",
        description="Rapid discovery of households in hardship: online applications. 困难家庭快速发现：在线申请。",
        routers=[router], runtime=runtime or build_runtime(), clock=clock or SystemClock(), start_workers=start_workers)
