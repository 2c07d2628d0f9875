"""FastAPI pieces every service mounts: correlation ids, latency metrics, health, readiness, metrics, bilingual errors,
and the API docs page served from vendored Swagger UI."""
from __future__ import annotations

import logging
import json
import time
import uuid
from pathlib import Path
from typing import Callable

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.observability import HTTP_LATENCY, correlation_id

log = logging.getLogger(__name__)
CORRELATION_HEADER = "X-Correlation-ID"

# Errors that Starlette raises itself (no route, wrong method, ...): a stable code and both languages.
HTTP_STATUS_ERRORS = {
    400: ("bad_request", "The request is malformed.", "请求格式不正确。"),
    401: ("authentication_required", "Authentication is required.", "需要身份认证。"),
    403: ("forbidden", "You may not do this.", "您无权执行此操作。"),
    404: ("not_found", "No such resource.", "请求的地址或记录不存在。"),
    405: ("method_not_allowed", "This method is not allowed here.", "该地址不支持此请求方法。"),
    406: ("not_acceptable", "The requested representation is not available.", "无法提供所请求的响应格式。"),
    409: ("conflict", "The request conflicts with the current state.", "请求与当前状态冲突。"),
    413: ("payload_too_large", "The request body is too large.", "请求内容过大。"),
    415: ("unsupported_media_type", "The request body must be JSON.", "请求内容必须是 JSON。"),
    429: ("too_many_requests", "Too many requests; try again shortly.", "请求过于频繁，请稍后重试。"),
}

# Chinese wording for pydantic's rules; a rule not listed gets RULE_ZH_DEFAULT, never pydantic's English.
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
    "finite_number": "必须是有限的数值",
    "bool_parsing": "必须是布尔值",
    "date_from_datetime_parsing": "必须是日期（YYYY-MM-DD）",
    "date_parsing": "必须是日期（YYYY-MM-DD）",
    "datetime_parsing": "必须是带时区的日期时间（RFC 3339）",
    "datetime_from_date_parsing": "必须是带时区的日期时间（RFC 3339）",
    "timezone_aware": "日期时间必须带时区",
    "string_type": "必须是字符串",
    "int_type": "必须是整数",
    "float_type": "必须是数字",
    "list_type": "必须是数组",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "model_attributes_type": "必须是对象",
    "bool_type": "必须是布尔值",
    "uuid_parsing": "必须是 UUID",
    "value_error": "取值无效",
    "decimal_max_digits": "数字位数超出上限",
    "decimal_max_places": "小数位数超出上限",
    "decimal_whole_digits": "整数位数超出上限",
    "int_from_float": "必须是整数",
    "less_than": "数值必须小于上限",
    "multiple_of": "数值不是规定的倍数",
    "none_required": "必须为空",
    "union_tag_invalid": "类型标识无效",
    "decimal_type": "必须是数字",
    "date_type": "必须是日期（YYYY-MM-DD）",
    "datetime_type": "必须是带时区的日期时间（RFC 3339）",
    "time_type": "必须是时间",
    "time_parsing": "必须是时间",
    "date_past": "日期必须早于今天",
    "date_future": "日期必须晚于今天",
    "datetime_past": "时间必须早于当前时间",
    "datetime_future": "时间必须晚于当前时间",
    "timezone_naive": "日期时间不能带时区",
    "string_unicode": "必须是有效的 Unicode 文本",
    "string_sub_type": "必须是字符串",
    "bytes_type": "必须是字节串",
    "int_parsing_size": "整数超出可处理的范围",
    "iterable_type": "必须是数组",
    "tuple_type": "必须是数组",
    "set_type": "必须是数组",
    "frozen_set_type": "必须是数组",
    "mapping_type": "必须是对象",
    "is_instance_of": "类型不符合要求",
    "url_parsing": "必须是有效的网址",
    "url_type": "必须是网址",
    "uuid_type": "必须是 UUID",
    "uuid_version": "UUID 版本不符合要求",
    "missing_argument": "必填字段缺失",
    "unexpected_keyword_argument": "不允许的字段",
    "assertion_error": "取值不符合要求",
    "enum_type": "取值不在允许范围内",
    "complex_type": "必须是数字",
}
# A rule without its own wording still gets Chinese (never pydantic's English sentence).
RULE_ZH_DEFAULT = "取值不符合要求"


def api_error(status: int, code: str, message: str, message_zh: str, **extra) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message, "message_zh": message_zh, **extra})


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (("." if out else "") + p)
    return out or "body"


def internal_error(cid: str | None) -> JSONResponse:
    """The body of every unexpected failure: bilingual like every other error, with the id to find it in the logs."""
    return api_error(500, "internal_error",
                     "An unexpected error occurred; it has been logged. Quote the correlation id when reporting it.",
                     "系统发生意外错误，已记录日志。反馈问题时请提供关联编号（correlation_id）。",
                     correlation_id=cid)


def _nul_in_url(request: Request) -> JSONResponse | None:
    """A NUL character in the path or a query value: refused here, as no database can store or compare it
    (PostgreSQL raises on it), so no route has to remember to."""
    fields = [("path", request.url.path)] if "\x00" in request.url.path else []
    fields += [(name, value) for name, value in request.query_params.multi_items() if "\x00" in name + value]
    if not fields:
        return None
    rule_zh = "不能包含空字符（NUL）"
    return api_error(422, "validation_failed", "The request is not valid; see errors.", "请求内容不符合要求，详见 errors。",
                     errors=[{"field": name, "rule": "no_nul_character", "message": "must not contain a NUL character",
                              "message_zh": rule_zh} for name, _ in fields])


def _nul_paths(node, loc: tuple = ()) -> list[str]:
    """Every place in a JSON value whose text (a string or a key) holds a NUL character, as field names."""
    if isinstance(node, str):
        return [_field(("body", *loc))] if "\x00" in node else []
    if isinstance(node, dict):
        found = []
        for key, value in node.items():
            found += [_field(("body", *loc, key))] if "\x00" in str(key) else []
            found += _nul_paths(value, (*loc, key))
        return found
    if isinstance(node, list):
        return [path for index, item in enumerate(node) for path in _nul_paths(item, (*loc, str(index)))]
    return []


async def _nul_in_json_body(request: Request) -> JSONResponse | None:
    """A NUL character in a JSON body's text: refused like one in the URL, naming each field (PostgreSQL cannot
    store it, so without this a route would answer 500 on it)."""
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    # one JSON document only: a streamed body (NDJSON, CSV) is read line by line by its route and must not be
    # waited for here
    if request.method not in ("POST", "PUT", "PATCH") or not (media_type == "application/json"
                                                             or media_type.endswith("+json")):
        return None
    body = await request.body()
    if b"\x00" not in body and b"\\u0000" not in body.lower():
        return None
    try:
        fields = _nul_paths(json.loads(body))
    except ValueError:
        return None  # not JSON: FastAPI answers 422 for it
    if not fields:
        return None
    return api_error(422, "validation_failed", "The request is not valid; see errors.", "请求内容不符合要求，详见 errors。",
                     errors=[{"field": name, "rule": "no_nul_character", "message": "must not contain a NUL character",
                              "message_zh": "不能包含空字符（NUL）"} for name in fields])


def install_common(app: FastAPI, service: str, check_database: Callable[[], None], check_broker: Callable[[], bool]) -> None:
    @app.middleware("http")
    async def correlation_and_metrics(request: Request, call_next):
        cid = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        token = correlation_id.set(cid)
        start = time.perf_counter()
        status = 500
        try:
            try:
                nul = _nul_in_url(request) or await _nul_in_json_body(request)
                response = nul if nul is not None else await call_next(request)
            except Exception:
                # Caught here rather than by Starlette's outermost handler: the correlation id is still set, so the
                # log line and the body carry it, and the client gets JSON instead of "Internal Server Error".
                log.exception("unhandled error in %s %s", request.method, request.url.path,
                              extra={"correlation_id": cid})
                response = internal_error(cid)
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
                "message_zh": ctx.get("message_zh") or RULE_ZH.get(rule, RULE_ZH_DEFAULT),
            })
        return api_error(422, "validation_failed", "The request is not valid; see errors.",
                         "请求内容不符合要求，详见 errors。", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if isinstance(exc.detail, dict) and {"error", "message", "message_zh"} <= exc.detail.keys():
            return JSONResponse(status_code=exc.status_code, content=exc.detail, headers=headers)
        code, message, message_zh = HTTP_STATUS_ERRORS.get(
            exc.status_code, ("http_error", "The request could not be completed.", "请求无法完成。"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail else message
        extra = {"detail": exc.detail} if isinstance(exc.detail, dict) else {}
        response = api_error(exc.status_code, code, detail, message_zh, **extra)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(OperationalError)
    async def database_down(_request: Request, exc: OperationalError):
        return api_error(503, "database_unavailable", "The database is unavailable; try again shortly.",
                         "数据库暂时不可用，请稍后重试。")

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, exc: DBAPIError):
        if exc.connection_invalidated:
            return api_error(503, "database_unavailable", "The database is unavailable; try again shortly.",
                             "数据库暂时不可用，请稍后重试。")
        log.exception("database error", extra={"correlation_id": correlation_id.get()})
        return internal_error(correlation_id.get())

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
        if ready:
            return JSONResponse(status_code=200, content={"status": "ready", "checks": checks})
        down = [name for name, v in checks.items() if v != "ok"]
        down_zh = "、".join({"database": "数据库", "broker": "消息服务"}[n] for n in down)
        return JSONResponse(status_code=503, content={
            "error": "not_ready", "message": f"Not ready: {', '.join(down)} unreachable.",
            "message_zh": f"服务尚未就绪：{down_zh}不可达。", "status": "not_ready", "checks": checks})

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


# swagger-ui-dist, vendored (see its README.md): FastAPI's own /docs loads it from a CDN, a blank page on
# an isolated network.
SWAGGER_UI_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"
SWAGGER_UI_PATH = "/static/swagger-ui"


def install_docs(app: FastAPI) -> None:
    """GET /docs (and Swagger UI's OAuth2 redirect page) as FastAPI's, but every script, style and icon from the
    service itself. For an app built with docs_url=None; the routes stay out of the OpenAPI document."""
    app.mount(SWAGGER_UI_PATH, StaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui")
    redirect_path = app.swagger_ui_oauth2_redirect_url
    # validatorUrl None: otherwise Swagger UI may ask validator.swagger.io to check the document.
    parameters = {**(app.swagger_ui_parameters or {}), "validatorUrl": None}

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy prefix, as FastAPI's own page
        assets = root + SWAGGER_UI_PATH
        return get_swagger_ui_html(
            openapi_url=root + app.openapi_url, title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js", swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            oauth2_redirect_url=root + redirect_path if redirect_path else None,
            init_oauth=app.swagger_ui_init_oauth, swagger_ui_parameters=parameters)

    if redirect_path:
        @app.get(redirect_path, include_in_schema=False)
        def docs_oauth2_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()


def database_check(engine) -> Callable[[], None]:
    def check() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    return check


def create_service_app(*, service: str, title: str, description: str, routers: list, runtime, clock,
                       start_workers: bool = True) -> FastAPI:
    """The one shape of every service's app: lifespan runs the relay and consumers, common routes mounted, /docs from
    vendored Swagger UI (no ReDoc: its page loads fonts from Google and its script from a CDN)."""
    from contextlib import asynccontextmanager

    from shared.kafka_io import broker_reachable

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        if start_workers:
            runtime.start_workers()
        yield
        if start_workers:  # workers someone else started (a test's runtime, a worker process) are theirs to stop
            runtime.stop_workers()

    app = FastAPI(title=title, version="1.0.0", description=description, lifespan=lifespan, docs_url=None,
                  redoc_url=None)
    if clock is not None:
        runtime.clock = clock
        if hasattr(runtime.services, "clock"):
            runtime.services.clock = clock
    app.state.runtime = runtime
    app.state.clock = runtime.clock
    from shared.unit_of_work import install_runtime_guard

    install_runtime_guard(runtime)
    install_common(app, service, database_check(runtime.engine), lambda: broker_reachable(runtime.settings.kafka_bootstrap))
    install_docs(app)
    for router in routers:
        app.include_router(router)
    if getattr(runtime, "policy_rules", None) is not None:
        from shared.policy_api import policy_router

        app.include_router(policy_router(service))
    from shared.rule_data import NoRuleSet

    @app.exception_handler(NoRuleSet)
    async def no_rule_set(_request: Request, exc: NoRuleSet):  # a service may register its own wording after this
        return api_error(409, "no_rule_set", str(exc), "该地区该日期没有生效的规则。", rule="no_rule_set")
    if runtime.settings.dev_token_issuer:
        _mount_dev_token_issuer(app, runtime.settings.jwt_secret)
        from shared.training import install_dev_clock  # here, not at the top: shared.training imports web

        install_dev_clock(app, runtime)
    return app


class DevTokenRequest(BaseModel):
    subject: str = Field(min_length=1, max_length=128)
    role: str = Field(max_length=20)
    area: str = Field("", max_length=12)
    name: str = Field("", max_length=128)
    department: str | None = Field(None, max_length=128)


def _mount_dev_token_issuer(app: FastAPI, secret: str) -> None:
    """POST /dev/tokens: signs a token for any role and area. Only for `make run` and tests; off by default."""
    from shared.auth import POLICY_AREA_LENGTHS, ROLE_AREA_LENGTH, ROLE_ZH, ROLES, issue_token
    from shared.emits import route_emits

    def invalid(field: str, rule: str, message: str, message_zh: str) -> JSONResponse:
        return api_error(422, "validation_failed", message, message_zh,
                         errors=[{"field": field, "rule": rule, "message": message, "message_zh": message_zh}])

    @app.post("/dev/tokens", include_in_schema=False, openapi_extra=route_emits(none="signs a token; stores nothing"))
    def dev_token(body: DevTokenRequest):
        if body.role not in ROLES:
            return invalid("role", "enum", f"role must be one of {', '.join(ROLES)}.",
                           f"角色必须是以下之一：{'、'.join(ROLE_ZH[r] for r in ROLES)}。")
        digits = ROLE_AREA_LENGTH.get(body.role)
        if digits and (len(body.area) != digits or not body.area.isdigit()):
            return invalid("area", "area_length", f"a {body.role} officer's area is a {digits}-digit division code.",
                           f"{ROLE_ZH[body.role]}的辖区必须是 {digits} 位行政区划代码。")
        if body.role == "policy" and (len(body.area) not in POLICY_AREA_LENGTHS or not body.area.isdigit()):
            return invalid("area", "area_length", "a policy officer's area is a province (2 digits), prefecture (4) "
                           "or county (6) division code.", "政策规则管理人员的辖区必须是 2 位（省）、4 位（市）或 6 位（县）行政区划代码。")
        token = issue_token(secret, subject=body.subject, role=body.role, area=body.area, name=body.name,
                            department=body.department)
        return {"access_token": token, "token_type": "bearer"}
