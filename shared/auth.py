"""Staff and partner identity: signed JWTs carrying role and administrative area, and the checks every endpoint uses.

A token's `area` is a division-code prefix: a township officer with area 530102001 sees and acts only on cases
whose division code starts with it. Roles: village, township, county (staff, each limited to its area),
partner (a department sending signals; `department` names it), admin (operations; area "" = everywhere).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Annotated, Iterable

import jwt
from fastapi import Depends, HTTPException, Request

STAFF_ROLES = ("village", "township", "county")
# policy: a rules officer of a province (2 digits), prefecture (4) or county (6): drafts and approves rule versions
ROLES = STAFF_ROLES + ("policy", "partner", "admin")
ALGORITHM = "HS256"
ISSUER = "lowincome-platform"
# Which area length each staff role works at: village 12 digits, township 9, county 6.
ROLE_AREA_LENGTH = {"village": 12, "township": 9, "county": 6}
POLICY_AREA_LENGTHS = (2, 4, 6)
# How Chinese messages name each role: staff by administrative level, partners as the sending department.
ROLE_ZH = {
    "village": "村级工作人员",
    "township": "乡镇级工作人员",
    "county": "县级工作人员",
    "policy": "政策规则管理人员",
    "partner": "协作部门",
    "admin": "系统管理员",
    "public": "公众",
    "system": "系统",
}
# When a caller gives no Chinese wording for its action, a neutral phrase: the English action never enters message_zh.
DEFAULT_ACTION_ZH = "此操作"


def role_zh(role: str) -> str:
    return ROLE_ZH.get(role, "未知角色")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    area: str
    name: str = ""
    department: str | None = None

    def covers(self, division_code: str) -> bool:
        return division_code.startswith(self.area)

    def audit_actor(self) -> dict:
        return {"subject": self.subject, "role": self.role, "area": self.area, "name": self.name}


def _error(status: int, code: str, message: str, message_zh: str, **extra) -> HTTPException:
    return HTTPException(status, detail={"error": code, "message": message, "message_zh": message_zh, **extra},
                         headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


def issue_token(secret: str, *, subject: str, role: str, area: str, name: str = "", department: str | None = None,
                ttl: timedelta = timedelta(hours=8), now: datetime | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role in STAFF_ROLES and len(area) != ROLE_AREA_LENGTH[role]:
        raise ValueError(f"a {role} officer's area is a {ROLE_AREA_LENGTH[role]}-digit division code")
    if role == "policy" and (len(area) not in POLICY_AREA_LENGTHS or not area.isdigit()):
        raise ValueError("a policy officer's area is a province (2 digits), prefecture (4) or county (6) code")
    now = now or datetime.now(timezone.utc)
    claims = {"sub": subject, "role": role, "area": area, "name": name, "iss": ISSUER,
              "iat": int(now.timestamp()), "exp": int((now + ttl).timestamp())}
    if department:
        claims["department"] = department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "role", "area", "exp", "iss"]})
    except jwt.ExpiredSignatureError:
        raise _error(401, "token_expired", "The token has expired.", "令牌已过期。") from None
    except jwt.PyJWTError as exc:
        raise _error(401, "token_invalid", f"The token is not valid: {exc}", "令牌无效。") from None
    if claims["role"] not in ROLES:
        raise _error(401, "token_invalid", "Unknown role in token.", "令牌中的角色无效。")
    return Principal(claims["sub"], claims["role"], claims["area"], claims.get("name", ""), claims.get("department"))


def current_principal(request: Request) -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise _error(401, "authentication_required", "A staff or partner token is required (Authorization: Bearer …).",
                     "需要工作人员或部门令牌（Authorization: Bearer …）。")
    return decode_token(request.app.state.runtime.settings.jwt_secret, header.removeprefix("Bearer ").strip())


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_role(principal: Principal, roles: Iterable[str], action: str, *, action_zh: str | None = None) -> None:
    """403 unless the principal has one of `roles` (admin always passes); `action_zh` names the action in Chinese."""
    roles = tuple(roles)
    if principal.role not in roles and principal.role != "admin":
        raise _error(403, "role_not_allowed", f"{action} needs one of the roles {', '.join(roles)}; you are {principal.role}.",
                     f"{action_zh or DEFAULT_ACTION_ZH}需要以下角色之一：{'、'.join(role_zh(r) for r in roles)}；"
                     f"当前角色为{role_zh(principal.role)}。",
                     allowed_roles=list(roles))


def require_area(principal: Principal, division_code: str) -> None:
    """Outside one's area a record does not exist for that officer: answer 404, not 403, so nothing leaks."""
    if not principal.covers(division_code):
        raise _error(404, "not_found", "No such record in your area.", "您的辖区内没有该记录。")
