"""policy's tables (its own database): every version of every region's rule set, from draft to published, plus
outbox, inbox, idempotency keys and the audit trail. A published version is never changed or deleted."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import define_audit_table
from shared.db import UtcDateTime
from shared.messaging_tables import define_messaging_tables

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class RuleSet(Base):
    """One version of one region's policy: the overrides as proposed, and the resolved document it publishes."""

    __tablename__ = "rulesets"
    __table_args__ = (UniqueConstraint("region", "version", name="uq_rulesets_region_version"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(12), index=True)  # "" = national
    version: Mapped[int] = mapped_column(Integer)
    rule_version: Mapped[str] = mapped_column(String(40), unique=True)  # what decisions cite, e.g. 53-v2
    status: Mapped[str] = mapped_column(String(20), index=True)  # submitted, rejected, published
    title: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[dict] = mapped_column(JSON)
    overrides: Mapped[dict] = mapped_column(JSON)
    document: Mapped[dict] = mapped_column(JSON)  # resolved: the replaced document merged with the overrides
    replaces: Mapped[str | None] = mapped_column(String(40))  # rule_version of the document it was merged onto
    source: Mapped[str] = mapped_column(String(20))  # national, api, folder, shipped, rebased
    source_file: Mapped[str | None] = mapped_column(String(200))
    proposed_by: Mapped[str] = mapped_column(String(128))
    proposed_by_role: Mapped[str] = mapped_column(String(20))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
metadata = Base.metadata
