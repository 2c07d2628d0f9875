"""identification's tables (its own database): cases, plus outbox, inbox and idempotency keys."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.messaging_tables import define_messaging_tables


class Base(DeclarativeBase):
    pass


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    # One application opens at most one case, whatever the broker redelivers.
    application_id: Mapped[str] = mapped_column(String(64), unique=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(String(50))
    member_count: Mapped[int]
    household_monthly_income_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    hardship_reason: Mapped[str] = mapped_column(String(30))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    correlation_id: Mapped[str | None] = mapped_column(String(128))


messaging = define_messaging_tables(Base.metadata)
metadata = Base.metadata
