"""Request and response bodies of followup's API (resident ID numbers are masked in every answer)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from followup.domain.identity import IdNumberRuleBroken, check_resident_id
from followup.domain.signals import SIGNAL_KINDS

Yuan = Decimal


def _resident_id(value: str) -> str:
    try:
        return check_resident_id(value)
    except IdNumberRuleBroken as broken:
        raise PydanticCustomError(broken.rule, broken.message, {"message_zh": broken.message_zh}) from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberIn(_Strict):
    name: str | None = Field(None, min_length=1, max_length=50)
    id_number: str = Field(description="18-character resident ID number")
    relationship: str | None = Field(None, max_length=30)

    @field_validator("id_number")
    @classmethod
    def _id(cls, value: str) -> str:
        return _resident_id(value)


class CheckinCreate(_Strict):
    """What the visit found (回访记录). Money in yuan; income for the whole household, per month."""

    household_monthly_income_yuan: Yuan = Field(ge=0, le=10_000_000, max_digits=12, decimal_places=2)
    member_count: int | None = Field(None, ge=1, le=30, description="default: the size on record")
    medical_out_of_pocket_yuan_year: Yuan | None = Field(None, ge=0, le=100_000_000, max_digits=12, decimal_places=2,
                                                         description="out-of-pocket medical costs this year")
    medical_per_stay_yuan: Yuan | None = Field(None, ge=0, le=100_000_000, max_digits=12, decimal_places=2,
                                               description="out-of-pocket cost of the latest hospital stay")
    disaster_loss_yuan: Yuan | None = Field(None, ge=0, le=100_000_000, max_digits=12, decimal_places=2)
    disaster_loss_share: Decimal | None = Field(None, ge=0, le=1, max_digits=5, decimal_places=4,
                                                description="the loss as a share of the household's annual income")
    labour_loss_members: int = Field(0, ge=0, le=30, description="members who lost labour capacity since the last visit")
    earner_died: bool = False
    other_risk: str | None = Field(None, min_length=2, max_length=500,
                                   description="any other risk staff see (reported as risk kind 'other')")
    notes: str | None = Field(None, max_length=2000)
    visited_on: date | None = Field(None, description="default: today; not in the future, not before the plan")
    members: list[MemberIn] | None = Field(None, min_length=1, max_length=30,
                                           description="the household's members as found, replacing those on record")

    @field_validator("members")
    @classmethod
    def _unique(cls, members):
        if members and len({m.id_number for m in members}) != len(members):
            raise PydanticCustomError("members_unique", "each resident ID number may appear once",
                                      {"message_zh": "同一居民身份证号码只能出现一次"})
        return members


class ClosureCreate(_Strict):
    outcome: Literal["resolved", "not_confirmed"] = Field(
        description="resolved: the risk passed without re-enrolment; not_confirmed: the risk was not borne out")
    reason: str = Field(min_length=2, max_length=2000)


SignalKindName = Literal[tuple(SIGNAL_KINDS)]  # type: ignore[valid-type]


class PartnerSignalCreate(_Strict):
    """A partner department's report about a household under follow-up (the department comes from the token)."""

    external_id: str = Field(min_length=1, max_length=128, description="the department's own id of the record; a "
                                                                       "resent record returns the first answer")
    kind: SignalKindName
    household_id: str | None = Field(None, min_length=1, max_length=64)
    id_number: str | None = Field(None, description="resident ID number of the person concerned")
    occurred_on: date
    # The rules per kind (which amounts, shares up to 1, grades 1-4) are checked by domain.signals; the schema bounds
    # the size of what can arrive at all.
    amounts: dict[Annotated[str, StringConstraints(min_length=1, max_length=40)],
                  Annotated[Decimal, Field(ge=0, le=100_000_000, max_digits=14, decimal_places=4)]] = Field(
        default_factory=dict, max_length=10, description="amounts in yuan, shares (0-1) or grades, as the kind needs")
    note: str | None = Field(None, max_length=2000)

    @field_validator("id_number")
    @classmethod
    def _id(cls, value):
        return None if value is None else _resident_id(value)


class ScheduledRead(BaseModel):
    seq: int
    due_on: date
    window_opens: date
    on_time_until: date
    status: str
    completed_on: date | None
    late: bool
    overdue_reported: bool
    checkin_id: str | None


class CheckinRead(BaseModel):
    checkin_id: str
    visited_on: date
    recorded_at: datetime
    recorded_by: str
    recorded_by_role: str
    observed: dict
    notes: str | None
    fulfils: list[int]
    at_risk: bool
    assessment: dict
    rule_version: str
    relapse_id: str | None


class RelapseRead(BaseModel):
    relapse_id: str
    status: str
    detected_at: datetime
    risk_kind: str
    risk_kinds: list[str]
    reasons: list[dict]
    rule_version: str
    source_type: str
    source_id: str
    closed_at: datetime | None
    close_outcome: str | None
    close_reason: str | None


class SignalRead(BaseModel):
    signal_id: str
    source_department: str
    external_id: str
    channel: str
    kind: str
    id_number: str | None = Field(description="masked")
    occurred_on: date
    amounts: dict
    received_at: datetime
    at_risk: bool
    assessment: dict
    relapse_id: str | None


class PlanRead(BaseModel):
    plan_id: str
    household_id: str
    division_code: str
    status: str
    allowed_actions: list[str]
    programmes: list[str]
    file_number: str | None
    member_count: int | None
    baseline_per_capita_monthly_income_yuan: Decimal | None
    rule_version: str
    interval_months: int
    duration_months: int
    grace_days: int
    anchor_on: date
    ends_on: date
    next_due_on: date | None
    overdue: bool
    open_relapse_id: str | None
    relapse_count: int
    started_at: datetime
    cycle_started_at: datetime
    completed_at: datetime | None


class PlanPage(BaseModel):
    items: list[PlanRead]
    total: int
    limit: int
    offset: int


class PlanDetail(PlanRead):
    members: list[dict]
    exits: list[dict]
    schedule: list[ScheduledRead]
    checkins: list[CheckinRead]
    relapses: list[RelapseRead]
    signals: list[SignalRead]


class CheckinOutcome(BaseModel):
    checkin: CheckinRead
    plan: PlanRead
    relapse: RelapseRead | None
    new_episode: bool = Field(description="true when this check-in opened a relapse episode (one relapse event)")


class SignalReceipt(BaseModel):
    signal_id: str
    received_at: datetime
    duplicate: bool
    message: str
    message_zh: str
