"""identification's FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI

from identification.api.routes import router
from identification.bootstrap import build_runtime
from shared.clock import Clock, SystemClock
from shared.runtime import ServiceRuntime
from shared.web import create_service_app


def create_app(runtime: ServiceRuntime | None = None, clock: Clock | None = None, start_workers: bool = True) -> FastAPI:
    return create_service_app(
        service="identification", title="identification 精准识别",
        description="Precise identification: a case is opened for every application. 精准识别：每份申请立案一宗。",
        routers=[router], runtime=runtime or build_runtime(clock=clock), clock=clock or SystemClock(),
        start_workers=start_workers)
