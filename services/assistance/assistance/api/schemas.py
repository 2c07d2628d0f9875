"""Request and response bodies of assistance's API."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

ServiceType = Literal["in_kind", "daily_care", "labour_help", "psychological_support", "skills_training",
                      "job_referral", "medical_assistance", "care_services", "housing_repair", "education_grant"]
Programme = Literal["dibao", "tekun", "near_dibao", "rigid_expense", "monitoring", "temporary", "medical",
                    "education", "housing", "employment"]
Dimension = Literal["income", "assets", "rigid_expenditure", "labour_capacity", "disability", "health", "dependants",
                    "housing_safety", "guarantees"]
CareLevel = Literal["self_care", "partly_dependent", "fully_dependent"]
PeriodKind = Literal["month", "quarter", "year"]
AREA_PATTERN = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"
ScoreValue = Annotated[int, Field(ge=0, le=100, description="hardship score 0-100")]
# Money: yuan with at most two decimals (no NaN or infinity), per month or per item.
Money = Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=10, decimal_places=2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- requests ----------------------------------------------------------------------------------------------------

class NeedAdd(_Strict):
    need_type: ServiceType
    note: str | None = Field(None, max_length=500, description="shown to the provider the need is referred to")


class NeedCancel(_Strict):
    need_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=2, max_length=500)


class NeedsAssessmentCreate(_Strict):
    """A caseworker's needs assessment (需求评估): every field optional; what is given replaces what was known."""

    per_capita_monthly_income_yuan: Decimal | None = Field(None, ge=0, le=1_000_000, max_digits=9, decimal_places=2)
    member_count: int | None = Field(None, ge=1, le=30)
    scores: dict[Dimension, ScoreValue] | None = Field(None, description="hardship scores 0-100 that replace the "
                                                                          "enrolment's")
    sudden_hardship: bool | None = None
    care_level: CareLevel | None = Field(None, description="sets the care part of extreme-poverty support")
    add_needs: list[NeedAdd] = Field(default_factory=list, max_length=10)
    cancel_needs: list[NeedCancel] = Field(default_factory=list, max_length=20)
    note: str | None = Field(None, max_length=2000)


class ConstraintsIn(_Strict):
    programmes_any: list[Programme] = Field(default_factory=list, description="serves only households in one of these")
    max_members: int | None = Field(None, ge=1, le=30, description="serves households of at most this many members")
    min_scores: dict[Dimension, ScoreValue] = Field(default_factory=dict,
                                                    description="minimum hardship score per dimension")


class ServiceIn(_Strict):
    capacity_per_period: int = Field(ge=0, le=100_000, description="places per period")
    period_kind: PeriodKind = "month"
    unit_cost_yuan: Money


class ProviderServiceIn(ServiceIn):
    service_type: ServiceType


class ProviderCreate(_Strict):
    provider_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$",
                             description="also the `department` claim of the provider's partner tokens")
    name: str = Field(min_length=2, max_length=200)
    kind: Literal["government_department", "third_party", "social_organisation"]
    areas: list[str] = Field(min_length=1, max_length=50, description="division-code prefixes served (2-12 digits)")
    constraints: ConstraintsIn = ConstraintsIn()
    services: list[ProviderServiceIn] = Field(min_length=1, max_length=10)

    @field_validator("areas")
    @classmethod
    def _areas(cls, value: list[str]) -> list[str]:
        import re
        for area in value:
            if not re.fullmatch(AREA_PATTERN, area):
                raise PydanticCustomError("division_prefix", "{area} is not a division-code prefix of 2, 4, 6, 9 or 12 digits",
                                          {"area": area, "message_zh": "区划代码前缀须为2、4、6、9或12位数字"})
        return value

    @field_validator("services")
    @classmethod
    def _unique_types(cls, value: list[ProviderServiceIn]) -> list[ProviderServiceIn]:
        if len({s.service_type for s in value}) != len(value):
            raise PydanticCustomError("unique_service_types", "each service type may be listed once",
                                      {"message_zh": "每种服务类型只能列出一次"})
        return value


class ProviderStatusIn(_Strict):
    active: bool
    reason: str = Field(min_length=2, max_length=500)


class DeclineIn(_Strict):
    reason: str = Field(min_length=2, max_length=500)


class DeliveryIn(_Strict):
    units: int = Field(1, ge=1, le=1000, description="sessions, visits or items delivered")
    delivered_on: date | None = Field(None, description="default: today")
    note: str | None = Field(None, max_length=1000)


class CancellationIn(_Strict):
    reason: str = Field(min_length=2, max_length=500)
    close_need: bool = Field(False, description="true: the need is closed; false: it waits for another provider")


class FeedbackIn(_Strict):
    rating: int = Field(ge=1, le=5)
    complaint: bool = False
    comment: str | None = Field(None, max_length=2000)


class HouseholdFeedbackIn(FeedbackIn):
    code: str = Field(min_length=8, max_length=12, description="the feedback code on the referral slip")


class ComplaintResolutionIn(_Strict):
    resolution: str = Field(min_length=2, max_length=2000)


# --- responses ---------------------------------------------------------------------------------------------------

class Page(BaseModel):
    total: int
    limit: int
    offset: int


class HouseholdRead(BaseModel):
    household_id: str
    division_code: str
    file_number: str | None
    status: str
    programmes: list[str]
    categories: dict
    member_count: int
    per_capita_monthly_income_yuan: Decimal | None
    scores: dict
    sudden_hardship: bool
    care_level: str | None
    enrolled_at: datetime


class HouseholdPage(Page):
    items: list[HouseholdRead]


class NeedRead(BaseModel):
    need_id: str
    household_id: str
    division_code: str
    need_type: str
    status: str
    origin: str
    grounds: list[dict]
    note: str | None
    priority: Decimal
    priority_detail: dict
    rule_version: str
    waiting_since: datetime
    wait_reason: dict | None
    queue_position: int | None = Field(None, description="while waiting: 1 = next in line for this service type "
                                                         "in this county")
    excluded_providers: list[str]
    created_at: datetime
    closed_at: datetime | None
    close_reason: dict | None


class WaitlistPage(Page):
    items: list[NeedRead]


class ReferralRead(BaseModel):
    referral_id: str
    need_id: str
    household_id: str
    provider_id: str
    service_type: str
    period: str
    status: str
    allowed_actions: list[str]
    priority: Decimal
    reason: dict
    matched_at: datetime
    accepted_at: datetime | None
    delivered_at: datetime | None
    delivery: dict | None
    closed_at: datetime | None
    close_reason: dict | None
    feedback_code: str | None = Field(None, description="for the referral slip handed to the household (staff only)")
    feedback: list[dict] = []


class TaperMonthPlanned(BaseModel):
    month: int
    starts_on: date
    ends_on: date
    share: float
    amount_yuan: Decimal = Field(description="the share of this benefit's full monthly amount")


class TaperMonthPaid(BaseModel):
    month: int = Field(description="observation month (1 = from the start day); 0 = the full amount restored")
    share: float
    full_amount_yuan: Decimal
    amount_yuan: Decimal
    effective_from: date
    change: str
    explanation_en: str
    explanation_zh: str
    recorded_at: datetime


class TaperRead(BaseModel):
    """The exit taper of a benefit (渐退期逐月递减): gradual_exit's observation, its schedule and what was paid."""

    observation_id: str
    status: str = Field(description="observing, completed (exit under review), reverted (full amount again), exited")
    started_on: date
    ends_on: date
    rule_version: str = Field(description="gradual_exit's rule set that set the schedule")
    current_month: int
    schedule: list[TaperMonthPlanned]
    months: list[TaperMonthPaid] = Field(description="each monthly entitlement recorded, oldest first")
    reason_en: str
    reason_zh: str
    observation_reasons: list[dict]
    end_reasons: list[dict] | None
    end_rule_version: str | None


class BenefitRead(BaseModel):
    benefit_id: str
    programme: str
    kind: str
    status: str
    amount_yuan: Decimal
    frequency: str
    effective_from: date
    rule_version: str
    calculation: dict
    explanation_en: str
    explanation_zh: str
    granted_at: datetime
    stopped_at: datetime | None
    stop_reason: dict | None
    paid_share: float = Field(1.0, description="the share of the amount paid this month (exit taper); 1 = in full")
    paid_amount_yuan: Decimal = Field(description="what is paid this month: amount_yuan × paid_share")
    taper: TaperRead | None = None


class HouseholdDetail(HouseholdRead):
    needs: list[NeedRead]
    referrals: list[ReferralRead]
    benefits: list[BenefitRead]
    assessments: list[dict]


class ServiceRead(BaseModel):
    service_type: str
    capacity_per_period: int
    period_kind: str
    period: str
    used_this_period: int
    unit_cost_yuan: Decimal


class ProviderRead(BaseModel):
    provider_id: str
    name: str
    kind: str
    owner_area: str
    areas: list[str]
    constraints: dict
    active: bool
    services: list[ServiceRead]


class ProviderPage(Page):
    items: list[ProviderRead]


class QualityRead(BaseModel):
    provider_id: str
    summary: dict
    referrals: dict[str, int]
    open_complaints: list[dict]


class PartnerReferralRead(BaseModel):
    """What a provider sees of a referral: enough to serve the household, nothing about its income or scores."""

    referral_id: str
    household_id: str
    division_code: str
    member_count: int
    service_type: str
    period: str
    status: str
    allowed_actions: list[str]
    note: str | None
    matched_at: datetime
    accepted_at: datetime | None
    delivered_at: datetime | None


class PartnerReferralPage(Page):
    items: list[PartnerReferralRead]


class FeedbackRead(BaseModel):
    feedback_id: str
    referral_id: str
    provider_id: str
    source: str
    rating: int
    complaint: bool
    complaint_status: str | None
    recorded_at: datetime
    resolution: str | None = None


# -- re-assessment and policy preview (issue 8) ------------------------------------------------------------------

class ReassessmentCreate(_Strict):
    division_code: str = Field(pattern=AREA_PATTERN, description="the area to re-assess, within yours 重新核算的地区")
    note: str | None = Field(None, max_length=500)


class BenefitChange(BaseModel):
    household_id: str
    division_code: str
    kind: str
    programme: str
    benefit_id: str
    status: str
    supersedes: str | None
    before_yuan: float | None
    after_yuan: float
    rule_version: str
    previous_rule_version: str | None


class ReassessmentRead(BaseModel):
    reassessment_id: str
    area: str
    run_on: date
    requested_by: str
    requested_at: datetime
    note: str | None
    considered: int = Field(description="active households recalculated 重新核算的家庭数")
    changed: int = Field(description="benefits granted anew or with a new amount 金额变化的救助金数")
    rule_versions: list[str]
    changes: list[BenefitChange] = Field(description="the first changes (at most 200) 变化明细")
    truncated: bool


class ReassessmentPage(Page):
    items: list[ReassessmentRead]


class PolicyPreviewIn(_Strict):
    region: str = Field(pattern=r"^[0-9]{0,12}$", description="the draft's region (\"\" national)")
    rule_version: str = Field(min_length=1, max_length=40)
    effective_from: date
    document: dict = Field(description="the complete policy document the draft would publish")


class PolicyPreviewRead(BaseModel):
    service: str
    region: str
    area: str
    effective_from: date
    rule_version: str
    households_considered: int
    households_changing: int = Field(description="households whose monthly cash would differ 月度救助金将变化的家庭数")
    households_with_own_version: int = Field(description="households under a longer region's own version, which "
                                                         "the draft does not reach 适用下级地区自有版本的家庭")
    changing_by_kind: dict[str, int]
    monthly_change_yuan: float = Field(description="total change of the monthly cash paid 月度救助金合计变化")
    examples: list[dict]
