"""The one transaction per request: commit here and nowhere else, retry races, replay Idempotency-Keys."""
from __future__ import annotations

import hashlib
import logging
from typing import Callable, TypeVar

from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from shared import idempotency
from shared.auth import Principal

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


def transaction(runtime, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Runs `work` in one transaction and commits it (the only place a request commits).

    A deadlock, a serialization failure or a unique-key race (two requests writing the same new record) is retried:
    the work reads the state again and finds what the other transaction wrote.
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


def caller_scope(principal: Principal) -> str:
    """An Idempotency-Key belongs to the officer or department that sent it."""
    return hashlib.sha256(principal.subject.encode()).hexdigest()[:16]
