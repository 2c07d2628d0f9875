"""What discovery's routes share: the runtime and use-case context, staff checks, and the one transaction per request."""
from __future__ import annotations

from typing import Annotated, Iterable

from fastapi import Depends, HTTPException, Request

from discovery.domain.lifecycle import ROLE_LABELS
from discovery.handlers import Context
from shared.auth import CurrentPrincipal, Principal, require_area
from shared.unit_of_work import caller_scope, idempotent, transaction  # noqa: F401 (the routes' one transaction)


def context(request: Request) -> Context:
    return request.app.state.runtime.services


Ctx = Annotated[Context, Depends(context)]


def role_zh(role: str) -> str:
    return ROLE_LABELS.get(role, ("", "其他角色"))[1]


def staff_scope(principal: Principal) -> str:
    return caller_scope(principal)


def _roles(roles: Iterable[str], action_en: str, action_zh: str):
    roles = tuple(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles and principal.role != "admin":
            raise HTTPException(403, detail={
                "error": "role_not_allowed", "allowed_roles": list(roles),
                "message": f"{action_en} needs one of the roles {', '.join(roles)}; you are {principal.role}.",
                "message_zh": f"{action_zh}需要以下角色之一：{'、'.join(role_zh(r) for r in roles)}；"
                              f"当前角色为{role_zh(principal.role)}。"})
        return principal
    return Annotated[Principal, Depends(check)]


Staff = _roles(("village", "township", "county"), "Viewing discovery records", "查看发现记录")
FieldStaff = _roles(("village", "township"), "Recording a home visit or an assisted application", "登记入户走访或协助申请")
DecidingStaff = _roles(("township", "county"), "Referring or dismissing a clue", "线索转入认定或排除")
PartnerDepartment = _roles(("partner",), "Sending partner signals", "报送部门预警数据")


def in_area(principal: Principal, division_code: str) -> None:
    """Outside one's area a record, or a place to record something, does not exist for that officer: 404."""
    require_area(principal, division_code)
