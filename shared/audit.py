"""The audit trail: who did what, when, to which record, from which state to which, in the same transaction as the change."""
from __future__ import annotations

import json
from datetime import datetime

from shared.db import UtcDateTime
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.observability import correlation_id

SYSTEM = Principal(subject="system", role="system", area="", name="platform")


def define_audit_table(metadata: MetaData) -> Table:
    table = Table(
        "audit_log",
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
        Column("at", UtcDateTime, nullable=False),
        Column("actor", String(128), nullable=False),
        Column("actor_role", String(20), nullable=False),
        Column("actor_area", String(12), nullable=False),
        Column("action", String(64), nullable=False),
        Column("entity_type", String(32), nullable=False),
        Column("entity_id", String(64), nullable=False),
        Column("from_state", String(40), nullable=True),
        Column("to_state", String(40), nullable=True),
        Column("details", Text, nullable=True),
        Column("correlation_id", String(128), nullable=True),
    )
    Index("ix_audit_log_entity", table.c.entity_type, table.c.entity_id, table.c.id)
    return table


def record(session: Session, table: Table, *, actor: Principal, at: datetime, action: str, entity_type: str,
           entity_id: str, from_state: str | None = None, to_state: str | None = None, details: dict | None = None) -> None:
    session.execute(insert(table).values(
        at=at, actor=actor.subject, actor_role=actor.role, actor_area=actor.area, action=action,
        entity_type=entity_type, entity_id=entity_id, from_state=from_state, to_state=to_state,
        details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
        correlation_id=correlation_id.get()))


def trail(session: Session, table: Table, entity_type: str, entity_id: str) -> list[dict]:
    rows = session.execute(select(table).where(table.c.entity_type == entity_type, table.c.entity_id == entity_id)
                           .order_by(table.c.id)).mappings().all()
    return [{**dict(r), "details": json.loads(r["details"]) if r["details"] else None} for r in rows]
