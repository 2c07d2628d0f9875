"""exchange's tables (its own database): consent records, the roster of households as the internal events told it,
the ledger of projections (agreement, source event), plus outbox, inbox, idempotency keys and the audit trail."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import define_audit_table
from shared.db import UtcDateTime
from shared.messaging_tables import define_messaging_tables

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Consent(Base):
    """One consent decision of a household for one purpose (a grant or a withdrawal); the latest one counts."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_household_purpose", "household_id", "purpose", "recorded_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(10))  # granted | withdrawn
    method: Mapped[str] = mapped_column(String(20))  # signed_form | recorded_verbal | electronic
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    effective_on: Mapped[str] = mapped_column(String(10))  # ISO date (China) from which the decision applies
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class Household(Base):
    """What the internal events said about a household that partners may need (members, programmes): a copy of
    other services' events, so no event of its own."""

    __tablename__ = "households"
    __table_args__ = {"info": {"event_exempt": "a copy of other services' events as received (members, programmes)"}}

    household_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    members: Mapped[list] = mapped_column(JSON, default=list)  # [{name, id_number, relationship, labour_capacity}]
    programmes: Mapped[list] = mapped_column(JSON, default=list)  # programmes the household is enrolled in
    file_number: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Projection(Base):
    """That a source event was projected under an agreement (whatever it yielded): replays and back-fills skip it."""

    __tablename__ = "projections"
    __table_args__ = {"info": {"event_exempt": "bookkeeping of which source events an agreement has seen; the "
                                               "partner events themselves are outbox rows"}}

    agreement_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    source_event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_type: Mapped[str] = mapped_column(String(128))
    emitted: Mapped[int] = mapped_column(default=0)
    projected_at: Mapped[datetime] = mapped_column(UtcDateTime)


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
metadata = Base.metadata
