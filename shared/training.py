"""Training mode: the shared training clock in every service, its admin endpoint, and the start-up refusals.

Training mode is for a person trying the platform (`make run`, `make demo`): every service reads one persisted
offset (shared.clock.TrainingClock) through its injected clock, and `POST /dev/clock {"advance_days": 7}` on any
service, or `python -m shared.clock advance 7d`, moves all of them. It is refused unless the development token
issuer is on, because both only belong on a machine with no real households.
"""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import CurrentPrincipal, require_role
from shared.clock import TrainingClock
from shared.config import DEV_JWT_SECRET, ServiceSettings
from shared.emits import route_emits


class ConfigurationError(RuntimeError):
    """A service was configured in a way it must not start with; the message names the variable to change."""


def training_problem(settings: ServiceSettings) -> str | None:
    if settings.training_mode and not settings.dev_token_issuer:
        return (f"{settings.env_name('training_mode')}=true needs {settings.env_name('dev_token_issuer')}=true: "
                f"the training clock moves every deadline and belongs only on a development machine "
                f"(训练模式只能与开发令牌签发同时开启)")
    return None


def secret_problem(settings: ServiceSettings) -> str | None:
    if settings.jwt_secret == DEV_JWT_SECRET and not (settings.dev_token_issuer or settings.training_mode):
        return (f"{settings.env_name('jwt_secret')} is the published development default, with which anyone can sign "
                f"staff tokens: set it to a long random secret, the same on every service "
                f"(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) "
                f"(JWT_SECRET 仍是公开的开发默认值，请设置为随机密钥)")
    return None


def check_training(settings: ServiceSettings) -> None:
    problem = training_problem(settings)
    if problem:
        raise ConfigurationError(problem)


def check_startup(settings: ServiceSettings, serving_api: bool = True) -> None:
    """Called by `python -m <service> ...` before anything runs. The secret only guards the HTTP API, so the
    relay and consumer processes (which verify no tokens) do not need it."""
    problems = [p for p in (training_problem(settings), secret_problem(settings) if serving_api else None) if p]
    if problems:
        raise ConfigurationError("; ".join(problems))


def training_clock(settings: ServiceSettings) -> TrainingClock | None:
    check_training(settings)
    return TrainingClock(settings.training_clock_file) if settings.training_mode else None


class AdvanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    advance_days: int = Field(0, ge=0, le=3650, description="whole days to move the clock forward")
    advance_hours: int = Field(0, ge=0, le=23, description="and hours")


def dev_clock_router() -> APIRouter:
    router = APIRouter(prefix="/dev/clock", tags=["training"])

    def clock_of(request: Request) -> TrainingClock:
        return request.app.state.runtime.training_clock

    @router.get("", include_in_schema=False)
    def show(request: Request) -> dict:
        return clock_of(request).show()

    @router.post("", include_in_schema=False,
                 openapi_extra=route_emits(none="moves the shared training clock; the periodic jobs it wakes emit"))
    def advance(body: AdvanceRequest, request: Request, principal: CurrentPrincipal) -> dict:
        from shared.web import api_error  # here: shared.web mounts this router, so it may import this module

        require_role(principal, ("admin",), "advance the training clock")
        delta = timedelta(days=body.advance_days, hours=body.advance_hours)
        if delta <= timedelta(0):
            return api_error(422, "validation_failed", "The request is not valid; see errors.",
                             "请求内容不符合要求，详见 errors。", errors=[{
                                 "field": "advance_days", "rule": "greater_than",
                                 "message": "advance the clock by at least one day or one hour",
                                 "message_zh": "至少推进一天或一小时"}])
        service = request.app.state.runtime.settings.service_name
        # every service's periodic jobs watch the clock file and run within a second (shared.runtime)
        return clock_of(request).advance(delta, by=f"{principal.role}:{principal.subject}@{service}")
    return router


def install_dev_clock(app: FastAPI, runtime) -> None:
    """Mounts GET/POST /dev/clock when the runtime runs on the training clock; safe to call twice."""
    if getattr(runtime, "training_clock", None) is None or getattr(app.state, "dev_clock_mounted", False):
        return
    app.include_router(dev_clock_router())
    app.state.dev_clock_mounted = True
