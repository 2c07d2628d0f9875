"""GET /api/v1/policy/in-force: which published policy version a service applies to a division on a day, and the
shared standards as that service reads them. Mounted by create_service_app on every service whose runtime has
`policy_rules` (a shared.policy_client.PolicyRules), so an officer can check that every programme switched at once.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from shared.auth import STAFF_ROLES, CurrentPrincipal, require_role
from shared.clock import china_time
from shared.policy_client import STANDARD_PATHS, project


class InForceRead(BaseModel):
    service: str
    division_code: str
    on: date
    rule_version: str = Field(description="the version every decision of this service on that day cites")
    region: str = Field(description="the region of the version (\"\" national)")
    effective_from: date
    effective_to: date | None
    standards: dict[str, Any] = Field(description="the shared standards as this service reads them 本服务读取的共用标准")


def _at(params: dict, path: tuple[str, ...]) -> Any:
    node: Any = params
    for key in path:
        node = node[key]
    return node


def in_force(rules, service: str, division_code: str, on: date) -> InForceRead:
    entry = rules.entry_for(division_code, on)
    params = project(entry.document, rules.section)
    standards = {standard: _at(params, path) for path, standard in STANDARD_PATHS.get(rules.section, {}).items()}
    return InForceRead(service=service, division_code=division_code, on=on, rule_version=entry.rule_version,
                       region=entry.region, effective_from=entry.effective_from, effective_to=entry.effective_to,
                       standards=standards)


def policy_router(service: str) -> APIRouter:
    from shared.emits import route_emits

    router = APIRouter(prefix="/api/v1/policy", tags=["policy in force"])

    @router.get("/in-force", response_model=InForceRead, openapi_extra=route_emits(none="reads only"),
                summary="The policy version this service applies to a division on a day 本服务适用的规则版本",
                responses={401: {"description": "No or invalid token"},
                           403: {"description": "Your role may not read rules"},
                           409: {"description": "No policy is in force for the division on the day"}})
    def policy_in_force(request: Request, principal: CurrentPrincipal,
                        division_code: Annotated[str, Query(pattern=r"^[0-9]{0,12}$")],
                        on: Annotated[date | None, Query(description="the day; default today (China time)")] = None):
        require_role(principal, (*STAFF_ROLES, "policy"), "read the rules in force", action_zh="查看生效规则")
        runtime = request.app.state.runtime
        day = on or china_time(runtime.clock.now()).date()
        return in_force(runtime.policy_rules, service, division_code, day)

    return router
