"""FastAPI pieces every service mounts: correlation ids, latency metrics, health, readiness, metrics, and bilingual errors."""
from __future__ import annotations

import time
import uuid
from typing import Callable

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.observability import HTTP_LATENCY, correlation_id

CORRELATION_HEADER = "X-Correlation-ID"

# Chinese wording for the pydantic rules that users meet most; anything else falls back to the English message.
RULE_ZH = {
    "missing": "必填字段缺失",
    "string_too_short": "长度不足",
    "string_too_long": "长度超出上限",
    "string_pattern_mismatch": "格式不符合要求",
    "greater_than_equal": "数值低于下限",
    "less_than_equal": "数值超过上限",
    "greater_than": "数值必须大于下限",
    "too_short": "条目数量不足",
    "too_long": "条目数量超出上限",
    "int_parsing": "必须是整数",
    "decimal_parsing": "必须是数字",
    "float_parsing": "必须是数字",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "json_invalid": "请求体不是有效的 JSON",
    "extra_forbidden": "不允许的字段",
}


def api_error(status: int, code: str, message: str, message_zh: str, **extra) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message, "message_zh": message_zh, **extra})


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (("." if out else "") + p)
    return out or "body"


def install_common(app: FastAPI, service: str, check_database: Callable[[], None], check_broker: Callable[[], bool]) -> None:
    @app.middleware("http")
    async def correlation_and_metrics(request: Request, call_next):
        cid = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        token = correlation_id.set(cid)
        start = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            response.headers[CORRELATION_HEADER] = cid
            return response
        finally:
            route = request.scope.get("route")
            HTTP_LATENCY.labels(service, request.method, getattr(route, "path", "unmatched"), str(status)).observe(
                time.perf_counter() - start)
            correlation_id.reset(token)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError):
        errors = []
        for err in exc.errors():
            rule = err.get("type", "invalid")
            ctx = err.get("ctx") or {}
            errors.append({
                "field": _field(tuple(err.get("loc", ()))),
                "rule": rule,
                "message": err.get("msg", ""),
                "message_zh": ctx.get("message_zh") or RULE_ZH.get(rule, err.get("msg", "")),
            })
        return api_error(422, "validation_failed", "The request is not valid; see errors.",
                         "请求内容不符合要求，详见 errors。", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        if isinstance(exc.detail, dict):
            return JSONResponse(status_code=exc.status_code, content=exc.detail, headers=getattr(exc, "headers", None))
        return api_error(exc.status_code, "http_error", str(exc.detail), str(exc.detail))

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, exc: OperationalError):
        return api_error(503, "database_unavailable", "The database is unavailable; try again shortly.",
                         "数据库暂时不可用，请稍后重试。")

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError):
        if exc.connection_invalidated:
            return api_error(503, "database_unavailable", "The database is unavailable; try again shortly.",
                             "数据库暂时不可用，请稍后重试。")
        raise exc

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    def healthz() -> dict:
        return {"status": "ok", "service": service}

    @app.get("/readyz", tags=["operations"], summary="Readiness: database and broker reachable")
    def readyz() -> JSONResponse:
        checks = {}
        try:
            check_database()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["broker"] = "ok" if check_broker() else "unreachable"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(status_code=200 if ready else 503,
                            content={"status": "ready" if ready else "not_ready", "checks": checks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def database_check(engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    return check


def create_service_app(*, service: str, title: str, description: str, routers: list, runtime, clock,
                       start_workers: bool = True) -> FastAPI:
    """The one shape of every service's app: lifespan runs the relay and consumers, common routes mounted."""
    from contextlib import asynccontextmanager

    from shared.kafka_io import broker_reachable

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if start_workers:
            runtime.start_workers()
        yield
        runtime.stop_workers()

    app = FastAPI(title=title, version="1.0.0", description=description, lifespan=lifespan)
    if clock is not None:
        runtime.clock = clock
        if hasattr(runtime.services, "clock"):
            runtime.services.clock = clock
    app.state.runtime = runtime
    app.state.clock = runtime.clock
    install_common(app, service, database_check(runtime.engine), lambda: broker_reachable(runtime.settings.kafka_bootstrap))
    for router in routers:
        app.include_router(router)
    if runtime.settings.dev_token_issuer:
        _mount_dev_token_issuer(app, runtime.settings.jwt_secret)
    return app


class DevTokenRequest(BaseModel):
    subject: str = Field(min_length=1, max_length=128)
    role: str
    area: str = ""
    name: str = ""
    department: str | None = None


def _mount_dev_token_issuer(app: FastAPI, secret: str) -> None:
    """POST /dev/tokens: signs a token for any role and area. Only for `make run` and tests; off by default."""
    from shared.auth import issue_token

    @app.post("/dev/tokens", include_in_schema=False)
    def dev_token(body: DevTokenRequest):
        try:
            token = issue_token(secret, subject=body.subject, role=body.role, area=body.area, name=body.name,
                                department=body.department)
        except ValueError as exc:
            return JSONResponse(status_code=422, content={"error": "validation_failed", "message": str(exc),
                                                          "message_zh": "令牌参数无效。"})
        return {"access_token": token, "token_type": "bearer"}
