"""identification's tables (its own database): cases and their workflow records, plus outbox, inbox, idempotency, audit
and the replica of published policy."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from shared.db import UtcDateTime
from sqlalchemy import JSON, Boolean, false, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.access_audit import define_access_table
from shared.audit import define_audit_table
from shared.messaging_tables import define_messaging_tables
from shared.policy_client import define_policy_table


class Base(DeclarativeBase):
    pass


class Case(Base):
    """One identification case per household at a time; further applications and referrals join it (case_sources)."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("file_number", name="uq_cases_file_number"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    # The application that opened the case (None for a referral); unique, so an application opens at most one case.
    application_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    source_type: Mapped[str] = mapped_column(String(20), default="application", server_default="application")
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)  # the workflow state
    channel: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(String(50))
    member_count: Mapped[int]
    members: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")  # [{name, id_number, relationship}] for notices and files
    household_monthly_income_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    hardship_reason: Mapped[str] = mapped_column(String(30))
    sudden_hardship: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[date | None] = mapped_column(Date)
    overdue_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    assessment_id: Mapped[str | None] = mapped_column(String(64))  # the latest
    notice_held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    file_number: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision: Mapped[dict | None] = mapped_column(JSON)  # the county decision with its reasons or programmes
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(128))
    # The household's authorisation to check its economic status (discovery's consent_to_data_check), or None when
    # it was not recorded (a referral): economic-status checks are requested only when it is recorded.
    data_check_authorisation: Mapped[dict | None] = mapped_column(JSON)


class CaseSource(Base):
    """Every application or referral a case was opened from or joined by; the key makes intake idempotent."""

    __tablename__ = "case_sources"

    source_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assessed_by: Mapped[str] = mapped_column(String(128))
    rule_version: Mapped[str] = mapped_column(String(40))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    authorisation: Mapped[dict] = mapped_column(JSON)
    facts: Mapped[dict] = mapped_column(JSON)
    dimensions: Mapped[list] = mapped_column(JSON)
    programmes: Mapped[list] = mapped_column(JSON)  # every programme with eligible/category/reasons
    eligible: Mapped[list] = mapped_column(JSON)
    categories: Mapped[dict] = mapped_column(JSON)
    explanation_en: Mapped[str] = mapped_column(Text)
    explanation_zh: Mapped[str] = mapped_column(Text)


class Review(Base):
    """民主评议: who attended, what they said, what they proposed."""

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    held_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(128))
    attendees: Mapped[list] = mapped_column(JSON)
    opinions: Mapped[list] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(30))


class Notice(Base):
    """决议公示: only masked data; objections may be lodged while it is open."""

    __tablename__ = "notices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    programmes: Mapped[list] = mapped_column(JSON)
    text_en: Mapped[str] = mapped_column(Text)
    text_zh: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # open, closed, withdrawn; published (post hoc, informs only)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # prior: published before the decision, objections may be lodged; post_hoc: assistance granted first (先行救助),
    # published after the decision for post_hoc_notice_days.
    kind: Mapped[str] = mapped_column(String(20), default="prior", server_default="prior")
    days: Mapped[int | None] = mapped_column(Integer)  # the notice period in days (0: no waiting needed)
    closed_reason: Mapped[str | None] = mapped_column(String(30))  # period_ended, case_withdrawn, objection_upheld


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    notice_id: Mapped[str] = mapped_column(ForeignKey("notices.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    lodged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    grounds: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))  # kept for the investigation, never published
    status: Mapped[str] = mapped_column(String(20))  # open, upheld, dismissed
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Reassessment(Base):
    """One run of the re-assessment command over an area: what it considered and flagged, under which rule versions.

    The households flagged are published one by one (identification.reassessment.flagged); ``summary`` keeps the
    counts and at most 200 household entries (``truncated`` says whether there were more)."""

    __tablename__ = "reassessments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the area run over (a division-code prefix)
    run_on: Mapped[date] = mapped_column(Date)  # the day whose rules in force were applied (China date)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    considered: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    no_longer_eligible: Mapped[int] = mapped_column(Integer)
    rule_versions: Mapped[dict] = mapped_column(JSON)  # {"current": [...], "previous": [...]}
    summary: Mapped[dict] = mapped_column(JSON)


class Recheck(Base):
    """A re-check 复查 of an enrolled household opened by an accepted petition that says it should not receive
    assistance (错保, oversight.petition.accepted): a review flag on the case for the county, one per petition."""

    __tablename__ = "rechecks"
    __table_args__ = (UniqueConstraint("petition_id", name="uq_rechecks_petition_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    petition_id: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)  # what the complainant reported
    status: Mapped[str] = mapped_column(String(20))  # open
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VerificationRequest(Base):
    """An economic-status check 经济状况核对 of a household, asked of the partner departments that hold the facts."""

    __tablename__ = "verification_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    rule_version: Mapped[str] = mapped_column(String(60))
    authorisation: Mapped[dict] = mapped_column(JSON)
    members: Mapped[list] = mapped_column(JSON)
    fact_kinds: Mapped[list] = mapped_column(JSON)
    declared: Mapped[dict] = mapped_column(JSON)  # what the household declared when asked (monthly_income_yuan, ...)


class VerificationDepartment(Base):
    """One department's part of a request: asked, answered, or no answer after the due date."""

    __tablename__ = "verification_departments"

    request_id: Mapped[str] = mapped_column(ForeignKey("verification_requests.id"), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    fact_kinds: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), index=True)  # asked, answered, no_answer
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overdue_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class VerificationAnswer(Base):
    """A department's answer, kept as it came with its source and date; one per (request, department)."""

    __tablename__ = "verification_answers"
    __table_args__ = (UniqueConstraint("request_id", "department", name="uq_verification_answers_department"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("verification_requests.id"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_on: Mapped[date] = mapped_column(Date)  # the date the department says its records are as of
    answered_by: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    members: Mapped[dict] = mapped_column(JSON)  # {id_number: {income_records: [...], vehicles: [...], ...}}
    discrepancies: Mapped[list] = mapped_column(JSON)


class FileSequence(Base):
    """The last household file number issued per county and year (建档立卡 numbering)."""

    __tablename__ = "file_sequences"
    __table_args__ = (UniqueConstraint("county_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int]
    last: Mapped[int]


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
access_log = define_access_table(Base.metadata)
# the replica of the policy service's published rule sets, read by the rules (shared.policy_client.PolicyRules)
policy_rulesets = define_policy_table(Base.metadata)
metadata = Base.metadata
