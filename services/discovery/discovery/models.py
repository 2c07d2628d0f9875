"""discovery's tables (its own database): households and their one open record, applications, home visits, partner
signals and risk clues, referrals, the audit trail, the replica of published policy (screening rules), plus outbox,
inbox and idempotency keys."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from shared.db import UtcDateTime
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm import relationship as relation

from shared.access_audit import define_access_table
from shared.audit import define_audit_table
from shared.messaging_tables import define_messaging_tables
from shared.policy_client import define_policy_table

BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class Household(Base):
    """One household, one record (一户一档): recognised by its members' resident ID numbers."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    lifecycle_status: Mapped[str] = mapped_column(String(20), index=True)
    case_id: Mapped[str | None] = mapped_column(String(64))  # identification's latest case of the household
    file_number: Mapped[str | None] = mapped_column(String(40))
    programmes: Mapped[list] = mapped_column(JSON, default=list)
    decision_reasons: Mapped[list | None] = mapped_column(JSON)  # [{code, en, zh}] of a rejection
    appeal: Mapped[dict | None] = mapped_column(JSON)  # {en, zh}
    notice_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # where its latest case stands (identification's step, see lifecycle.CASE_STEPS) and when that step happened
    case_status: Mapped[str | None] = mapped_column(String(20))
    case_status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HouseholdMember(Base):
    """A person belongs to one household record: the key of 'one household, one record'."""

    __tablename__ = "household_members"

    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(50))
    relationship: Mapped[str | None] = mapped_column(String(20))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DiscoveryRecord(Base):
    """The household's discovery record: applications, visits and clues gather on the one that is not closed."""

    __tablename__ = "discovery_records"
    __table_args__ = (
        # At most one record per household that is not closed, whatever the races.
        Index("uq_discovery_records_one_open", "household_id", unique=True,
              postgresql_where=text("status <> 'closed'"), sqlite_where=text("status <> 'closed'")),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))  # open | referred | closed
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(30))


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("discovery_records.id", name="fk_applications_record_id"),
                                                  index=True)
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
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    # assisted application 协助申请: who entered it and the household's authorisation
    assisted_by_subject: Mapped[str | None] = mapped_column(String(128))
    assisted_by_role: Mapped[str | None] = mapped_column(String(20))
    assisted_by_area: Mapped[str | None] = mapped_column(String(12))
    assisted_by_name: Mapped[str | None] = mapped_column(String(100))
    authorisation_method: Mapped[str | None] = mapped_column(String(20))
    authorisation_reference: Mapped[str | None] = mapped_column(String(200))
    authorisation_obtained_on: Mapped[date | None] = mapped_column(Date)
    # where it stands in identification
    case_id: Mapped[str | None] = mapped_column(String(64))
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    members: Mapped[list["ApplicationMember"]] = relation(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationMember.position")
    timeline: Mapped[list["ApplicationTimelineEntry"]] = relation(
        cascade="all, delete-orphan",
        order_by="[ApplicationTimelineEntry.at, ApplicationTimelineEntry.id]")


class ApplicationMember(Base):
    __tablename__ = "application_members"

    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18))
    relationship: Mapped[str] = mapped_column(String(20))

    application: Mapped[Application] = relation(back_populates="members")

    __table_args__ = (Index("ix_application_members_id_number", "id_number"),)


class ApplicationTimelineEntry(Base):
    """What the citizen sees happen to an application, in both languages."""

    __tablename__ = "application_timeline"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    text_en: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)


class Visit(Base):
    """A home visit 入户走访 by village or township staff: a survey, or the verification of a risk clue."""

    __tablename__ = "visits"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("discovery_records.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # survey | clue_verification
    clue_id: Mapped[str | None] = mapped_column(String(64), index=True)
    visitor_subject: Mapped[str] = mapped_column(String(128))
    visitor_role: Mapped[str] = mapped_column(String(20))
    visitor_area: Mapped[str] = mapped_column(String(12))
    visitor_name: Mapped[str | None] = mapped_column(String(100))
    visited_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    members: Mapped[list] = mapped_column(JSON, default=list)  # [{name, id_number, relationship}] seen at the visit
    observations: Mapped[dict] = mapped_column(JSON, default=dict)
    indicators: Mapped[list] = mapped_column(JSON, default=list)
    recommendation: Mapped[str | None] = mapped_column(String(20))  # refer | monitor | no_action
    confirmed: Mapped[bool | None] = mapped_column(Boolean)
    sudden_hardship: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    linked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    referral_id: Mapped[str | None] = mapped_column(String(64), index=True)


class Signal(Base):
    """Every partner record taken in, once: unique (source_department, external_id) makes resending harmless."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("source_department", "external_id", name="uq_signals_source_external"),
                      {"info": {"event_exempt": "raw partner records taken in once (deduplication key); a record that "
                                                "becomes a clue is published as discovery.clue.raised"}})

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    source_department: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(30))
    division_code: Mapped[str] = mapped_column(String(12))
    occurred_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(10))  # http | topic
    upload_id: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(10))  # clue | no_clue
    clue_id: Mapped[str | None] = mapped_column(String(64))


class Clue(Base):
    """A risk clue 风险线索: a screening hit on a partner's signal, or a household a re-assessment under a new policy
    version found newly eligible (kind reassessment, source identification), verified by a home visit, then referred
    to identification or dismissed."""

    __tablename__ = "clues"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    record_id: Mapped[str | None] = mapped_column(ForeignKey("discovery_records.id"), index=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id"))
    source_department: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(30))
    rule_id: Mapped[str] = mapped_column(String(80))
    rule_version: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    # the person it is about; none for a clue about the whole household (a re-assessment's)
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    evidence: Mapped[dict] = mapped_column(JSON)
    explanation_en: Mapped[str] = mapped_column(Text)
    explanation_zh: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    task_area: Mapped[str | None] = mapped_column(String(12))  # whose staff must visit
    task_due_on: Mapped[date | None] = mapped_column(Date)
    verification_visit_id: Mapped[str | None] = mapped_column(String(64))
    dismissed_by: Mapped[str | None] = mapped_column(String(128))
    dismissed_reason_code: Mapped[str | None] = mapped_column(String(30))
    dismissed_reason: Mapped[str | None] = mapped_column(Text)
    referral_id: Mapped[str | None] = mapped_column(String(64), index=True)
    overdue_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # discovery.clue.overdue, once


class Referral(Base):
    """A hand-over of a household to identification (discovery.household.referred)."""

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("discovery_records.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    referred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    referred_by: Mapped[str] = mapped_column(String(128))
    trigger_type: Mapped[str] = mapped_column(String(10))  # clue | visit | relapse
    trigger_id: Mapped[str] = mapped_column(String(64))
    channels: Mapped[list] = mapped_column(JSON)
    reasons: Mapped[list] = mapped_column(JSON)
    application_ids: Mapped[list] = mapped_column(JSON)
    clue_ids: Mapped[list] = mapped_column(JSON)
    visit_ids: Mapped[list] = mapped_column(JSON)
    sudden_hardship: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))  # sent | case_opened | case_linked | enrolled | rejected | withdrawn
    case_id: Mapped[str | None] = mapped_column(String(64))


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
access_log = define_access_table(Base.metadata)
policy_rulesets = define_policy_table(Base.metadata)  # replica of policy.ruleset.published
metadata = Base.metadata
