"""assistance's tables (its own database): households, needs, providers and capacity, referrals, benefits, feedback, plus outbox, inbox, idempotency, audit and the replica of published policy."""
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
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import define_audit_table
from shared.messaging_tables import define_messaging_tables
from shared.policy_client import define_policy_table


class Base(DeclarativeBase):
    pass


class Household(Base):
    """An enrolled household as assistance knows it: from identification's enrolment, completed by needs assessments."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the platform-wide household id
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    file_number: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(String(64))  # the latest enrolment's case
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")  # active, exited
    programmes: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # programmes in force
    categories: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    member_count: Mapped[int]
    per_capita_monthly_income_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    scores: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    sudden_hardship: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    care_level: Mapped[str | None] = mapped_column(String(20))
    identification_rule_version: Mapped[str] = mapped_column(String(80))
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Enrolment(Base):
    """Every identification.household.enrolled applied; the case id makes intake idempotent."""

    __tablename__ = "enrolments"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    programmes: Mapped[list] = mapped_column(JSON)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProgrammeExit(Base):
    """Every gradual_exit.household.exited received, kept even for a household not (yet) known here."""

    __tablename__ = "programme_exits"
    __table_args__ = {"info": {"event_exempt": "gradual_exit's exits as received (kept for a later enrolment); "
                                               "what they change here is announced when applied"}}

    exit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    remaining_programmes: Mapped[list] = mapped_column(JSON)
    reasons: Mapped[list] = mapped_column(JSON)
    exited_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Need(Base):
    """One service a household needs; it waits, is referred to a provider, is in service, delivered or cancelled."""

    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_type_status", "need_type", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(64))  # the enrolment (identification case) it belongs to
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    need_type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))  # waiting, referred, in_service, delivered, cancelled
    source: Mapped[str] = mapped_column(String(20))  # derived (rules) or caseworker
    grounds: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # why the need exists
    note: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    priority_points: Mapped[int] = mapped_column(Integer, index=True)
    priority_detail: Mapped[dict] = mapped_column(JSON)  # components and explanation
    # What the priority was computed from (domain.priority.inputs_signature): unchanged inputs, no recomputation.
    priority_signature: Mapped[str] = mapped_column(String(64), default="", server_default="")
    rule_version: Mapped[str] = mapped_column(String(80))
    waiting_since: Mapped[datetime] = mapped_column(UtcDateTime)
    excluded_providers: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # declined it before
    wait_reason: Mapped[dict | None] = mapped_column(JSON)  # while waiting: code, en, zh, facts
    wait_code: Mapped[str | None] = mapped_column(String(40))  # wait_reason's code and a hash of it, so that
    wait_signature: Mapped[str | None] = mapped_column(String(64))  # matching compares without loading the JSON
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_reason: Mapped[dict | None] = mapped_column(JSON)


class Provider(Base):
    """A government department or a purchased third-party / social-organisation service in the catalogue."""

    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # also the `department` of its partner tokens
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # government_department, third_party, social_organisation
    owner_area: Mapped[str] = mapped_column(String(12), index=True)  # the area of the office that manages it
    areas: Mapped[list] = mapped_column(JSON)  # division-code prefixes it serves
    constraints: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProviderService(Base):
    """One service type a provider offers: places per period and unit cost."""

    __tablename__ = "provider_services"

    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    service_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    capacity_per_period: Mapped[int]
    period_kind: Mapped[str] = mapped_column(String(10))  # month, quarter, year
    unit_cost_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CapacityUsage(Base):
    """Places taken of one provider's service in one period (a match takes one; a decline or cancellation gives it back)."""

    __tablename__ = "capacity_usage"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Referral(Base):
    """A match of a need to a provider: referred, accepted, delivered, or declined / cancelled."""

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    need_id: Mapped[str] = mapped_column(ForeignKey("needs.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(30))
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    reason: Mapped[dict] = mapped_column(JSON)  # why this match: code, en, zh, facts
    rule_version: Mapped[str] = mapped_column(String(80))
    matched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivery: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_reason: Mapped[dict | None] = mapped_column(JSON)


class Benefit(Base):
    """A cash entitlement: active (monthly) or granted (one-off); superseded, stopped, awaiting income or not due."""

    __tablename__ = "benefits"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    case_id: Mapped[str] = mapped_column(String(64))
    programme: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    frequency: Mapped[str] = mapped_column(String(10))  # monthly, one_off
    effective_from: Mapped[date] = mapped_column(Date)
    rule_version: Mapped[str] = mapped_column(String(80))
    calculation: Mapped[dict] = mapped_column(JSON)
    explanation_en: Mapped[str] = mapped_column(Text)
    explanation_zh: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stop_reason: Mapped[dict | None] = mapped_column(JSON)
    # During a gradual-exit observation only a share of the amount is paid (domain/taper.py): what is paid this month.
    paid_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))  # None: no taper, the full amount
    paid_amount_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    observation_id: Mapped[str | None] = mapped_column(String(64))  # the taper applied (kept after a revert)


class Taper(Base):
    """One gradual_exit observation of a cash programme: the support schedule that tapers its monthly benefit."""

    __tablename__ = "tapers"

    observation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participation_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))  # observing, completed (exit under review), reverted, exited
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_on: Mapped[date] = mapped_column(Date)  # China Standard Time: month 1 starts that day
    ends_on: Mapped[date] = mapped_column(Date)
    schedule: Mapped[list] = mapped_column(JSON)  # [{month, share}] as gradual_exit sent it
    reasons: Mapped[list] = mapped_column(JSON)  # why the observation started (gradual_exit's reasons, en/zh)
    rule_version: Mapped[str] = mapped_column(String(80))  # gradual_exit's rule set
    current_month: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # last month paid
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reasons: Mapped[list | None] = mapped_column(JSON)
    end_rule_version: Mapped[str | None] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaperMonth(Base):
    """The monthly entitlement of a tapered benefit: one row per observation month reached, per change within it."""

    __tablename__ = "taper_months"
    __table_args__ = (Index("ix_taper_months_observation", "observation_id", "month"),)

    # a sequence: rows recorded by one transaction (a revert right after a month's row) keep their order
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=True)
    observation_id: Mapped[str] = mapped_column(ForeignKey("tapers.observation_id"))
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    benefit_id: Mapped[str | None] = mapped_column(String(64))
    month: Mapped[int]  # 0: not tapered (restored in full)
    share: Mapped[Decimal] = mapped_column(Numeric(5, 4))
    full_amount_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    effective_from: Mapped[date] = mapped_column(Date)
    change: Mapped[str] = mapped_column(String(30))
    explanation_en: Mapped[str] = mapped_column(Text)
    explanation_zh: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Feedback(Base):
    """A rating (1-5) of one delivered or accepted referral by the household or a caseworker; a complaint is a flag."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("referral_id", "source", "author", name="uq_feedback_referral_source_author"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    household_id: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))  # household, caseworker
    author: Mapped[str] = mapped_column(String(128))  # "household" or the caseworker's subject
    rating: Mapped[int]
    complaint: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    complaint_status: Mapped[str | None] = mapped_column(String(20))  # open, resolved
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class NeedsAssessment(Base):
    """A caseworker's needs assessment: what it changed about the household and its needs."""

    __tablename__ = "needs_assessments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assessed_by: Mapped[str] = mapped_column(String(128))
    changes: Mapped[dict] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(80))


class ServiceState(Base):
    """Small pieces of service-wide state, e.g. the capacity period last reconsidered."""

    __tablename__ = "service_state"
    __table_args__ = {"info": {"event_exempt": "the timers' last-run markers, no domain state"}}

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Reassessment(Base):
    """A county officer's re-assessment of an area's cash benefits under the rules in force on the day it ran."""

    __tablename__ = "reassessments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    area: Mapped[str] = mapped_column(String(12), index=True)
    run_on: Mapped[date] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    considered: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    rule_versions: Mapped[list] = mapped_column(JSON)
    changes: Mapped[list] = mapped_column(JSON)  # at most CHANGES_KEPT entries; `changed` counts them all


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
# the published policy versions (a replica kept by shared.policy_client.PolicyStore; the rules come from here)
policy_rulesets = define_policy_table(Base.metadata)
metadata = Base.metadata
