"""The one transaction per request: commit here and nowhere else, retry races, replay Idempotency-Keys.

Also the event guard: every transaction that changes domain state must write an outbox row in the same commit.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Counter as TypingCounter
from typing import Callable, Iterable, TypeVar

from fastapi.responses import JSONResponse
from prometheus_client import Counter as Metric
from sqlalchemy import MetaData, Table, event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

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


# -- the event guard ---------------------------------------------------------------------------------------------
EVENTS_MISSING = Metric("events_missing_total",
                         "Committed transactions that changed domain tables without writing an outbox event",
                         ["service"])
# Bookkeeping written alongside (or instead of) a state change; never domain state of its own.
EXEMPT_TABLES = frozenset({"outbox", "inbox", "idempotency_keys", "audit_log", "alembic_version"})
OUTBOX_TABLE = "outbox"
GUARD_ENV = "EVENT_GUARD"  # "strict" raises; anything else (the default) warns and counts
_KEY = "event_guard"
_EXEMPT_KEY = "event_guard_exempt"
# For statements the compiler did not build (text()): the table written by INSERT/UPDATE/DELETE/REPLACE.
_WRITE_SQL = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)'
                        r'\s+(?:"?\w+"?\.)?"?(\w+)"?', re.IGNORECASE)
# Violations seen in this process, for test harnesses that want to name them (the strict error also does).
VIOLATIONS: list["MissingEvent"] = []


class MissingEvent(RuntimeError):
    """A transaction changed domain tables but wrote no event: the state change would be invisible to others."""

    def __init__(self, service: str, tables: Iterable[str]):
        self.service, self.tables = service, sorted(tables)
        super().__init__(f"{service or 'a service'} committed changes to {', '.join(self.tables)} "
                         "without writing an outbox event (every state change is an event)")


@dataclass
class _Changes:
    tables: TypingCounter[str] = field(default_factory=Counter)  # statements that wrote rows, per table
    outbox_rows: int = 0
    open: bool = True


@dataclass
class EventGuard:
    service: str
    tables: dict[str, Table]
    strict: bool | None = None  # None: read EVENT_GUARD at each commit (tests switch it on for the whole run)
    # Test harnesses watch every commit: called with the changed non-exempt tables and the outbox rows written.
    observer: Callable[[set[str], int], None] | None = None

    def is_strict(self) -> bool:
        return self.strict if self.strict is not None else os.environ.get(GUARD_ENV, "").lower() == "strict"

    def exempt(self, name: str) -> bool:
        if name in EXEMPT_TABLES:
            return True
        table = self.tables.get(name)
        return table is not None and bool(table.info.get("event_exempt"))

    def check(self, session: Session, changes: _Changes) -> None:
        changed = {t for t in changes.tables if not self.exempt(t)}
        if self.observer is not None:
            self.observer(changed, changes.outbox_rows)
        self._verdict(session, changed, changes.outbox_rows)

    def _verdict(self, session: Session, changed: set[str], outbox_rows: int, where: str = "") -> None:
        if outbox_rows or not changed or session.info.get(_EXEMPT_KEY):
            return
        violation = MissingEvent(self.service if not where else f"{self.service} ({where})", changed)
        VIOLATIONS.append(violation)
        EVENTS_MISSING.labels(self.service).inc()
        if self.is_strict():
            raise violation
        log.warning("state changed without an event", extra={"tables": violation.tables, "service": self.service})


def _written_table(context, statement: str) -> str | None:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        name = getattr(table, "name", None)
        if name:
            return name
    match = _WRITE_SQL.match(statement)
    return match.group(1) if match else None


def install_event_guard(session_factory: sessionmaker, tables: MetaData | Iterable[Table], *, service: str = "",
                        strict: bool | None = None) -> EventGuard:
    """Makes every commit of a session from `session_factory` check that changed domain tables came with an event.

    Writes are seen where they reach the database (the engine's cursor events), so ORM flushes, Core statements
    and text() all count, and an UPDATE or an INSERT ... ON CONFLICT DO NOTHING that touched no row does not.
    Exempt: outbox, inbox, audit and idempotency tables and any table with `info["event_exempt"]`.
    Installing twice on one factory only adds tables.
    """
    known = {t.name: t for t in (tables.tables.values() if isinstance(tables, MetaData) else tables)}
    existing: EventGuard | None = getattr(session_factory, "_event_guard", None)
    if existing is not None:
        existing.tables.update(known)
        if strict is not None:
            existing.strict = strict
        return existing
    guard = EventGuard(service, known, strict)
    session_factory._event_guard = guard
    engine = session_factory.kw.get("bind")
    if engine is None:
        raise ValueError("the event guard needs a session factory bound to an engine")

    @event.listens_for(session_factory, "after_begin")
    def _bind(session, _transaction, connection):
        changes = session.info.setdefault(_KEY, _Changes())
        session.info[_KEY + ".guard"] = guard
        info = connection.info  # the pooled connection's dict: the cursor listener finds the session's record here
        info[_KEY] = changes
        session.info.setdefault(_KEY + ".conns", []).append(info)

    if not getattr(engine, "_event_guard_listening", False):
        engine._event_guard_listening = True

        @event.listens_for(engine, "after_cursor_execute")
        def _record(conn, cursor, statement, _parameters, context, _executemany):
            changes: _Changes | None = conn.info.get(_KEY)
            if changes is None or not changes.open:
                return
            name = _written_table(context, statement)
            if name is None or cursor.rowcount == 0:  # -1 (unknown) counts as a change
                return
            if name == OUTBOX_TABLE:
                changes.outbox_rows += 1
            changes.tables[name] += 1

    @event.listens_for(session_factory, "before_commit")
    def _check(session):
        session.flush()  # pending ORM changes reach the cursor listener (and may begin the connection) first
        changes = session.info.get(_KEY)
        if changes is not None:
            guard.check(session, changes)

    @event.listens_for(session_factory, "after_transaction_end")
    def _reset(session, transaction):
        if transaction.parent is not None:
            return
        changes = session.info.pop(_KEY, None)
        if changes is not None:
            changes.open = False
        for info in session.info.pop(_KEY + ".conns", []):
            if info.get(_KEY) is changes:
                info.pop(_KEY, None)
        session.info.pop(_EXEMPT_KEY, None)
        session.info.pop(_KEY + ".guard", None)

    return guard


def event_checkpoint(session: Session):
    """Where this transaction's writes stand now; `check_event_since` then judges only what came after.

    For a transaction that applies several units of work (a consumer applying a batch of events): each must
    publish its own change, one handler's event does not excuse another's silent write.
    """
    changes = session.info.get(_KEY)
    return (Counter(changes.tables), changes.outbox_rows) if changes is not None else (Counter(), 0)


def check_event_since(session: Session, mark, where: str) -> None:
    """Raises (strict) or warns when the writes since `mark` changed domain tables without an outbox row."""
    session.flush()
    guard = _guard_of(session)
    if guard is None:
        return
    tables, outbox_rows = event_checkpoint(session)
    before_tables, before_rows = mark
    changed = {t for t, n in (tables - before_tables).items() if n and not guard.exempt(t)}
    guard._verdict(session, changed, outbox_rows - before_rows, where)


def _guard_of(session: Session) -> "EventGuard | None":
    return session.info.get(_KEY + ".guard")


def without_event(session: Session, reason: str) -> None:
    """Lets this transaction change state without an event (test seeding, data repair); the reason is required."""
    if not reason:
        raise ValueError("say why this transaction may change state without an event")
    session.info[_EXEMPT_KEY] = reason


def install_runtime_guard(runtime) -> EventGuard:
    """The guard for a service runtime's sessions (API, consumers and timers share its session factory)."""
    return install_event_guard(runtime.session_factory, runtime.metadata, service=runtime.settings.service_name)
