"""gradual_exit's tables (its own database): households, their participations per programme, observations, exit
notices with their objections and recorded situations, plus outbox, inbox, idempotency and audit, and the replica of
the published policy versions (policy_rulesets, kept by the policy consumer)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from shared.db import UtcDateTime
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import define_audit_table
from shared.messaging_tables import define_messaging_tables
from shared.policy_client import define_policy_table


class Base(DeclarativeBase):
    pass


class Household(Base):
    """An enrolled household as gradual_exit knows it: the latest facts and its periodic-review schedule."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the platform's household id
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    file_number: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[str] = mapped_column(String(64))  # the latest enrolment's identification case
    member_count: Mapped[int]
    members: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # [{name, id_number, relationship, labour_capacity}]
    categories: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    per_capita_monthly_income_yuan: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    income_stable: Mapped[bool | None] = mapped_column(Boolean)
    has_labour_capacity: Mapped[bool | None] = mapped_column(Boolean)
    lasting_income_source: Mapped[bool | None] = mapped_column(Boolean)
    guarantees: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    assistance_measures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the first enrolment: monitored since
    # The latest enrolment: identification's field assessment then counts as a check, so reviews run from it.
    last_enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_review_due: Mapped[date | None] = mapped_column(Date, index=True)
    review_interval_months: Mapped[int | None] = mapped_column(Integer)
    review_basis: Mapped[str | None] = mapped_column(String(30))
    review_rule_version: Mapped[str | None] = mapped_column(String(80))
    # The due date already raised as gradual_exit.review.due, so each due review is reported once.
    review_due_reported_for: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Enrolment(Base):
    """Every identification enrolment received; the key makes intake idempotent."""

    __tablename__ = "enrolments"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    programmes: Mapped[list] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(80))
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Participation(Base):
    """One household in one programme: its own state, so that exit is per programme."""

    __tablename__ = "participations"
    __table_args__ = (UniqueConstraint("household_id", "programme", "case_id",
                                       name="uq_participations_household_programme_case"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # the exit_flow state
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    observation_id: Mapped[str | None] = mapped_column(String(64))  # the current (or last) observation
    # Copied from the current observation so that the timer finds the periods whose time is up with one index.
    observation_ends_on: Mapped[date | None] = mapped_column(Date, index=True)
    exit_id: Mapped[str | None] = mapped_column(String(64))
    exited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Observation(Base):
    """One observation period of a participation, from its start to its revert or exit, with the exit flow's records."""

    __tablename__ = "observations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participation_id: Mapped[str] = mapped_column(ForeignKey("participations.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    line_yuan_per_person_month: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    start_income_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    lowest_income_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    rule_version: Mapped[str] = mapped_column(String(80))
    support_schedule: Mapped[list] = mapped_column(JSON)
    started_by_situation: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(20))  # None while open; reverted or exited
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    trigger: Mapped[str | None] = mapped_column(String(30))  # why a revert happened
    reasons: Mapped[list | None] = mapped_column(JSON)  # of the revert, or of the exit
    verdict: Mapped[dict | None] = mapped_column(JSON)  # the exit conditions when the period was completed
    review: Mapped[dict | None] = mapped_column(JSON)
    decision: Mapped[dict | None] = mapped_column(JSON)


class ExitNotice(Base):
    """The public notice of a proposed exit: masked data only."""

    __tablename__ = "exit_notices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    participation_id: Mapped[str] = mapped_column(ForeignKey("participations.id"), index=True)
    observation_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    programme: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    text_en: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open, closed, withdrawn
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ExitObjection(Base):
    """An objection lodged by anyone while an exit notice runs; recorded for the township, never published."""

    __tablename__ = "exit_objections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("exit_notices.id"), index=True)
    participation_id: Mapped[str] = mapped_column(ForeignKey("participations.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64))
    lodged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    grounds: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))  # kept for the investigation, never published
    # open; upheld or dismissed once resolved; lapsed when its notice was withdrawn before anyone resolved it
    status: Mapped[str] = mapped_column(String(20), index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Situation(Base):
    """A re-check, partner signal or caseworker entry, as recorded (gradual_exit.situation.recorded)."""

    __tablename__ = "situations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # review (counts as the periodic review) or update
    source: Mapped[str] = mapped_column(String(20))  # caseworker or partner
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorder_role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(64))
    facts: Mapped[dict] = mapped_column(JSON)  # what the update stated, as in the event
    note: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decisions: Mapped[list | None] = mapped_column(JSON)  # per programme: what the update changed and why


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
policy_rulesets = define_policy_table(Base.metadata)
metadata = Base.metadata
