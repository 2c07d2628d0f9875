"""Request and response bodies of gradual_exit's API."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from stdnum.cn import ric

from gradual_exit.domain.situation import Member, SituationUpdate


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def check_resident_id(value: str) -> str:
    """An 18-character resident ID number with a valid ISO 7064 MOD 11-2 check digit (python-stdnum's cn.ric)."""
    number = ric.compact(value or "")
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise PydanticCustomError("id_number_format", "a resident ID number is 17 digits followed by a digit or X",
                                  {"message_zh": "居民身份证号码须为 17 位数字加 1 位数字或 X"})
    if number[-1] != ric.calc_check_digit(number):
        raise PydanticCustomError("id_number_checksum", "the check digit (ISO 7064 MOD 11-2) does not match",
                                  {"message_zh": "校验码（ISO 7064 MOD 11-2）不正确"})
    return number


class MemberIn(_Strict):
    labour_capacity: Literal["full", "partial", "none"] = Field(description="劳动能力: full 完全, partial 部分, none 无")
    name: str | None = Field(None, min_length=1, max_length=50)
    id_number: str | None = Field(None, description="resident ID number (checked; masked in every answer)")
    relationship: str | None = Field(None, min_length=1, max_length=20, description="self, spouse, child, …")

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return None if value is None else check_resident_id(value)


class GuaranteesIn(_Strict):
    """两不愁三保障及饮水安全: true = secured, false = not secured; leave out what was not checked."""

    food: bool | None = None
    clothing: bool | None = None
    compulsory_education: bool | None = None
    basic_medical: bool | None = None
    safe_housing: bool | None = None
    drinking_water: bool | None = None


class SituationCreate(_Strict):
    """A re-check, partner signal or caseworker entry: state only what was established; the rest stays as known."""

    kind: Literal["review", "update"] = Field(
        "update", description="review = the periodic review (定期核查, staff only, resets its due date); update = any "
                              "other re-check or signal")
    per_capita_monthly_income_yuan: Decimal | None = Field(None, ge=0, le=10_000_000, max_digits=10, decimal_places=2)
    income_stable: bool | None = Field(None, description="the caseworker's judgement that the income is stable")
    members: list[MemberIn] | None = Field(None, min_length=1, max_length=30,
                                           description="every member with their labour capacity (replaces the list)")
    guarantees: GuaranteesIn | None = None
    assistance_measures_received: int | None = Field(None, ge=0, le=1000,
                                                     description="assistance measures received since enrolment")
    lasting_income_source: bool | None = Field(
        None, description="a lasting income source independent of labour (pension, maintenance) is confirmed")
    note: str | None = Field(None, min_length=1, max_length=2000)

    @field_validator("members")
    @classmethod
    def _one_head(cls, members: list[MemberIn] | None) -> list[MemberIn] | None:
        if members and sum(m.relationship == "self" for m in members) > 1:
            raise PydanticCustomError("one_head_of_household", "at most one member is the head (relationship self)",
                                      {"message_zh": "户主（与户主关系为本人）至多一人"})
        numbers = [m.id_number for m in members or [] if m.id_number]
        if len(numbers) != len(set(numbers)):
            raise PydanticCustomError("members_unique", "a resident ID number appears twice",
                                      {"message_zh": "家庭成员身份证号码重复"})
        return members

    @model_validator(mode="after")
    def _states_something(self) -> "SituationCreate":
        if not self.to_update().states_anything():
            raise PydanticCustomError("at_least_one_fact", "state at least one fact: income, stability, members, "
                                      "guarantees, assistance measures or a lasting income source",
                                      {"message_zh": "至少填写一项情况：收入、稳定性、成员、保障、帮扶措施或稳定收入来源"})
        return self

    def to_update(self) -> SituationUpdate:
        guarantees = {k: v for k, v in (self.guarantees.model_dump() if self.guarantees else {}).items()
                      if v is not None}
        return SituationUpdate(
            per_capita_monthly_income_yuan=self.per_capita_monthly_income_yuan, income_stable=self.income_stable,
            members=None if self.members is None else tuple(Member(**m.model_dump()) for m in self.members),
            guarantees=guarantees or None, assistance_measures_received=self.assistance_measures_received,
            lasting_income_source=self.lasting_income_source)


class ReviewCreate(_Strict):
    outcome: Literal["propose_exit", "continue_support"]
    opinion: str = Field(min_length=2, max_length=2000)


class ObjectionCreate(_Strict):
    """An objection to a proposed exit (no account needed): what is wrong with it; never published."""

    grounds: str = Field(min_length=2, max_length=2000, description="why the household should not leave the programme")
    contact: str | None = Field(None, min_length=1, max_length=100,
                                description="how the township can reach you; kept for the investigation, never published")


class ObjectionResolution(_Strict):
    outcome: Literal["upheld", "dismissed"] = Field(
        description="upheld: the notice is withdrawn and the exit goes back to the township review; dismissed: the "
                    "notice runs on")
    reason: str = Field(min_length=2, max_length=2000)


class ReasonIn(_Strict):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$")
    en: str = Field(min_length=1, max_length=2000)
    zh: str = Field(min_length=1, max_length=2000)


class DecisionCreate(_Strict):
    outcome: Literal["exit", "continue_support"]
    reasons: list[ReasonIn] | None = Field(
        None, max_length=20, validate_default=True,
        description="for exit: added to the exit conditions found; for continue_support: required")

    @field_validator("reasons")
    @classmethod
    def _reasons_for_continue(cls, reasons: list[ReasonIn] | None, info: ValidationInfo) -> list[ReasonIn] | None:
        if info.data.get("outcome") == "continue_support" and not reasons:
            raise PydanticCustomError("required_for_continue_support",
                                      "a decision to continue support states its reasons",
                                      {"message_zh": "决定继续救助须说明理由"})
        return reasons


class MemberRead(BaseModel):
    name: str | None
    id_number_masked: str | None
    relationship: str | None
    labour_capacity: str


class ObservationRead(BaseModel):
    observation_id: str
    started_on: date
    ends_on: date
    line_yuan_per_person_month: Decimal
    start_income_yuan: Decimal
    lowest_income_yuan: Decimal
    support_schedule: list[dict]
    support_share_now: float | None
    rule_version: str
    outcome: str | None
    ended_at: datetime | None
    trigger: str | None
    reasons: list[dict] | None
    verdict: dict | None
    review: dict | None
    decision: dict | None


class NoticeRead(BaseModel):
    notice_id: str
    status: str
    first_day: date
    last_day: date
    text_en: str
    text_zh: str


class ObjectionRead(BaseModel):
    objection_id: str
    notice_id: str
    lodged_at: datetime
    grounds: str
    contact: str | None = Field(description="shown to the township, county and admin who investigate")
    status: str = Field(description="open, upheld, dismissed, or lapsed (its notice was withdrawn first)")
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class ObjectionReceipt(BaseModel):
    objection_id: str
    notice_id: str
    status: str
    lodged_at: datetime
    message: str
    message_zh: str


class ParticipationRead(BaseModel):
    participation_id: str
    household_id: str
    programme: str
    programme_en: str
    programme_zh: str
    status: str
    staff_actions: list[str]
    division_code: str
    enrolled_at: datetime
    line_yuan_per_person_month: Decimal | None
    rule_version: str
    observation: ObservationRead | None
    notice: NoticeRead | None
    open_objections: int = Field(description="objections to the current exit notice not yet resolved")
    exit_id: str | None
    exited_at: datetime | None


class ParticipationPage(BaseModel):
    items: list[ParticipationRead]
    total: int
    limit: int
    offset: int


class ParticipationDetail(ParticipationRead):
    observations: list[ObservationRead]
    notices: list[NoticeRead]
    objections: list[ObjectionRead]


class HouseholdRead(BaseModel):
    household_id: str
    division_code: str
    file_number: str | None
    member_count: int
    per_capita_monthly_income_yuan: Decimal | None
    income_stable: bool | None
    has_labour_capacity: bool | None
    lasting_income_source: bool | None
    guarantees: dict
    assistance_measures: int
    enrolled_at: datetime
    last_enrolled_at: datetime
    last_reviewed_at: datetime | None
    next_review_due: date | None
    review_interval_months: int | None
    review_basis: str | None
    review_overdue: bool
    programmes: list[ParticipationRead]


class HouseholdPage(BaseModel):
    items: list[HouseholdRead]
    total: int
    limit: int
    offset: int


class HouseholdDetail(HouseholdRead):
    members: list[MemberRead]


class SituationRead(BaseModel):
    situation_id: str
    household_id: str
    kind: str
    source: str
    recorded_at: datetime
    recorded_by: str
    recorder_role: str
    facts: dict
    note: str | None
    decisions: list[dict] | None = Field(description="per programme: what the update changed and why (staff only)")


class SituationPage(BaseModel):
    items: list[SituationRead]
    total: int
    limit: int
    offset: int


class PublicExitNotice(BaseModel):
    notice_id: str
    division_code: str
    programme: str
    first_day: date
    last_day: date
    text_en: str
    text_zh: str


class PublicExitNoticePage(BaseModel):
    items: list[PublicExitNotice]
    total: int
    limit: int
    offset: int
