"""What discovery's routes share: the runtime and use-case context, staff checks, and the one transaction per request."""
from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Callable, Iterable, TypeVar

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from discovery.handlers import Context
from shared import idempotency
from shared.auth import CurrentPrincipal, Principal, require_area

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


def context(request: Request) -> Context:
    return request.app.state.runtime.services


Ctx = Annotated[Context, Depends(context)]


def transaction(runtime, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Runs `work` in one transaction and commits it (the only place a request commits).

    A deadlock, a serialization failure or a unique-key race (two requests recognising the same new household) is
    retried: the work reads the state again and finds what the other transaction wrote.
    """
    for attempt in range(attempts):
        try:
            with runtime.session_factory() as session, session.begin():
                return work(session)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            log.info("unique-key race; retrying the transaction")
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == attempts - 1:
                raise
            log.info("deadlock or serialization failure; retrying the transaction")
    raise AssertionError("unreachable")


def idempotent(runtime, scope: str, key: str | None, body: dict, status: int,
               work: Callable[[Session], dict]) -> JSONResponse:
    """The request's work in one transaction; a retry with the same Idempotency-Key returns the first answer."""
    idempotency.validate_key(key)
    body_hash = idempotency.request_hash(body)
    scope = scope[:100]

    def attempt(session: Session) -> tuple[int, dict, bool]:
        if key:
            stored = idempotency.replay(session, runtime.tables.idempotency, scope, key, body_hash)
            if stored:
                return stored[0], stored[1], True
        result = work(session)
        if key:
            idempotency.remember(session, runtime.tables.idempotency, scope, key, body_hash, status, result)
        return status, result, False

    code, content, replayed = transaction(runtime, attempt)
    return JSONResponse(status_code=code, content=content, headers={"Idempotency-Replayed": "true"} if replayed else None)


def staff_scope(principal: Principal) -> str:
    """An Idempotency-Key belongs to the officer who sent it."""
    return hashlib.sha256(principal.subject.encode()).hexdigest()[:16]


def _roles(roles: Iterable[str], action_en: str, action_zh: str):
    roles = tuple(roles)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles and principal.role != "admin":
            raise HTTPException(403, detail={
                "error": "role_not_allowed", "allowed_roles": list(roles),
                "message": f"{action_en} needs one of the roles {', '.join(roles)}; you are {principal.role}.",
                "message_zh": f"{action_zh}需要以下角色之一：{'、'.join(roles)}；当前角色为 {principal.role}。"})
        return principal
    return Annotated[Principal, Depends(check)]


Staff = _roles(("village", "township", "county"), "Viewing discovery records", "查看发现记录")
FieldStaff = _roles(("village", "township"), "Recording a home visit or an assisted application", "登记入户走访或协助申请")
DecidingStaff = _roles(("township", "county"), "Referring or dismissing a clue", "线索转入认定或排除")
PartnerDepartment = _roles(("partner",), "Sending partner signals", "报送部门预警数据")


def in_area(principal: Principal, division_code: str) -> None:
    """Outside one's area a record, or a place to record something, does not exist for that officer: 404."""
    require_area(principal, division_code)
