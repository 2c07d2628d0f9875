"""oversight's tables (its own database): petitions, plus outbox, inbox, idempotency keys and the audit trail.
Nothing here is ever deleted."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import define_audit_table
from shared.db import UtcDateTime
from shared.messaging_tables import define_messaging_tables

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Petition(Base):
    """One petition 信访事项: what it is about, who handles it, its deadlines and every decision on it."""

    __tablename__ = "petitions"
    __table_args__ = (Index("ix_petitions_open_deadlines", "status", "acceptance_due_on", "reply_due_on"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the filer's secret; the secret is never stored
    category: Mapped[str] = mapped_column(String(20), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the area it concerns
    handling_level: Mapped[str] = mapped_column(String(10))  # township | county
    handling_area: Mapped[str] = mapped_column(String(12), index=True)
    household_id: Mapped[str | None] = mapped_column(String(64), index=True)
    file_number: Mapped[str | None] = mapped_column(String(40))
    subject_name: Mapped[str | None] = mapped_column(String(100))  # staff member, provider or decision reference
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[dict | None] = mapped_column(JSON)  # {name, phone, address}; None: anonymous
    attachments: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # [{name, size_bytes}]
    status: Mapped[str] = mapped_column(String(10), index=True)  # filed, accepted, declined, replied
    rule_version: Mapped[str] = mapped_column(String(40))
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    filed_on: Mapped[date] = mapped_column(Date)  # China date
    acceptance_due_on: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_on_time: Mapped[bool | None]
    reply_due_on: Mapped[date | None] = mapped_column(Date)
    extensions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replied_by: Mapped[str | None] = mapped_column(String(128))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_on_time: Mapped[bool | None]
    acceptance_overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # reported once
    reply_overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # reported once
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
metadata = Base.metadata

from oversight.kpis import tables as _kpi_tables  # noqa: E402,F401  (the KPI read model's table)
