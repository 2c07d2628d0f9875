"""followup's tables (its own database): plans, their schedule, check-ins, partner signals and relapse episodes,
plus outbox, inbox, idempotency keys, the audit trail and the replica of published policy. Nothing here is ever deleted."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from shared.db import UtcDateTime
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import define_audit_table
from shared.messaging_tables import define_messaging_tables
from shared.policy_client import define_policy_table

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Plan(Base):
    """One follow-up plan per household; exits extend or restart it, relapses mark it, it is never deleted."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("household_id", name="uq_plans_household_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # active, relapsed, completed
    programmes: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # every programme exited
    # The programme whose overrides in the rule data set the cadence and thresholds: the exit that (re)started it.
    rule_programme: Mapped[str] = mapped_column(String(20))
    file_number: Mapped[str | None] = mapped_column(String(40))
    members: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # [{name, id_number, relationship}]
    member_count: Mapped[int | None] = mapped_column(Integer)
    baseline_per_capita_monthly_income_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    last_household_monthly_income_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    rule_version: Mapped[str] = mapped_column(String(120))  # the set that fixed the cadence
    interval_months: Mapped[int]
    duration_months: Mapped[int]
    grace_days: Mapped[int]
    early_days: Mapped[int]
    anchor_on: Mapped[date] = mapped_column(Date)  # check-in k is due anchor + k x interval
    last_k: Mapped[int]
    ends_on: Mapped[date] = mapped_column(Date, index=True)  # the last scheduled check-in
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cycle_started_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the latest start or restart
    open_relapse_id: Mapped[str | None] = mapped_column(String(64))
    relapse_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class PlanMember(Base):
    """The plan's members by resident ID number, so a partner's signal about a person finds the household."""

    __tablename__ = "plan_members"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True, index=True)
    name: Mapped[str | None] = mapped_column(String(50))
    relationship: Mapped[str | None] = mapped_column(String(30))


class PlanExit(Base):
    """Every exit that started, extended or restarted the plan; the key makes intake idempotent."""

    __tablename__ = "plan_exits"

    exit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    exited_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    effect: Mapped[str] = mapped_column(String(20))  # start, extend, restart
    remaining_programmes: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    per_capita_monthly_income_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    rule_version: Mapped[str] = mapped_column(String(120))


class ScheduledCheckin(Base):
    """One due check-in: pending until a visit fulfils it; reported overdue at most once."""

    __tablename__ = "scheduled_checkins"
    __table_args__ = (UniqueConstraint("plan_id", "seq", name="uq_scheduled_checkins_plan_id_seq"),
                      Index("ix_scheduled_checkins_pending", "status", "overdue_after"))

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    seq: Mapped[int]  # 1, 2, ... over the plan's whole life (restarts continue the numbering)
    k: Mapped[int]  # the index in the current cadence: due = anchor + k x interval
    due_on: Mapped[date] = mapped_column(Date)
    window_opens: Mapped[date] = mapped_column(Date)
    overdue_after: Mapped[date] = mapped_column(Date)  # the last day it is on time
    status: Mapped[str] = mapped_column(String(20))  # pending, completed, waived, cancelled
    completed_on: Mapped[date | None] = mapped_column(Date)
    checkin_id: Mapped[str | None] = mapped_column(String(64))
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    overdue_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Checkin(Base):
    """A visit by village or township staff: what they observed and what the risk rules made of it."""

    __tablename__ = "checkins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_by_role: Mapped[str] = mapped_column(String(20))
    observed: Mapped[dict] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    fulfils: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # seqs of scheduled check-ins
    assessment: Mapped[dict] = mapped_column(JSON)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rule_version: Mapped[str] = mapped_column(String(120))
    relapse_id: Mapped[str | None] = mapped_column(String(64))


class PartnerSignal(Base):
    """A partner department's report about a household under follow-up; unique per (department, external id)."""

    __tablename__ = "partner_signals"
    __table_args__ = (UniqueConstraint("source_department", "external_id", name="uq_partner_signals_source"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    source_department: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(10))  # api, topic
    kind: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str | None] = mapped_column(String(18))
    occurred_on: Mapped[date] = mapped_column(Date)
    amounts: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    note: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assessment: Mapped[dict] = mapped_column(JSON)
    at_risk: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    rule_version: Mapped[str] = mapped_column(String(120))
    relapse_id: Mapped[str | None] = mapped_column(String(64))


class Relapse(Base):
    """One risk episode: opened by the first risk (one followup.relapse.detected), joined by later ones until closed."""

    __tablename__ = "relapses"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20))  # open, closed
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    risk_kind: Mapped[str] = mapped_column(String(20))
    risk_kinds: Mapped[list] = mapped_column(JSON)
    reasons: Mapped[list] = mapped_column(JSON)
    evidence: Mapped[dict] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(120))
    source_type: Mapped[str] = mapped_column(String(20))  # checkin, partner_signal
    source_id: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(128))
    close_outcome: Mapped[str | None] = mapped_column(String(20))  # resolved, not_confirmed, exited_again
    close_reason: Mapped[str | None] = mapped_column(Text)


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
# the replica of the policy service's published documents, where followup's rules come from (followup.policy)
policy_rulesets = define_policy_table(Base.metadata)
metadata = Base.metadata
