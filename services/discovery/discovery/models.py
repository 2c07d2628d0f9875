"""discovery's tables (its own database): applications and their members, plus outbox, inbox and idempotency keys."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm import relationship as relation

from shared.messaging_tables import define_messaging_tables


class Base(DeclarativeBase):
    pass


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    applicant_name: Mapped[str] = mapped_column(String(50))
    applicant_id_number: Mapped[str] = mapped_column(String(18), index=True)
    applicant_phone: Mapped[str | None] = mapped_column(String(11))
    household_monthly_income_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    hardship_reason: Mapped[str] = mapped_column(String(30))
    hardship_description: Mapped[str | None] = mapped_column(Text)
    consent_to_data_check: Mapped[bool]
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    correlation_id: Mapped[str | None] = mapped_column(String(128))

    members: Mapped[list["ApplicationMember"]] = relation(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationMember.position")


class ApplicationMember(Base):
    __tablename__ = "application_members"

    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18))
    relationship: Mapped[str] = mapped_column(String(20))

    application: Mapped[Application] = relation(back_populates="members")

    __table_args__ = (Index("ix_application_members_id_number", "id_number"),)


messaging = define_messaging_tables(Base.metadata)
metadata = Base.metadata
