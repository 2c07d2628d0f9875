"""Request and response bodies of discovery's API; validation errors name the field and the broken rule."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from discovery.domain.identity import IdentityRuleBroken, check_division_code, check_resident_id

Relationship = Literal["self", "spouse", "child", "parent", "grandparent", "grandchild", "sibling", "other"]
HardshipReason = Literal["illness", "disability", "disaster", "unemployment", "education", "accident",
                         "death_of_earner", "old_age", "other"]


def _rule(check):
    def run(value: str) -> str:
        try:
            return check(value)
        except IdentityRuleBroken as broken:
            raise PydanticCustomError(broken.rule, broken.message, {"message_zh": broken.message_zh}) from None
    return run


ResidentId = Annotated[str, Field(description="18-character resident ID number 居民身份证号码", examples=["11010519491231002X"]),
                       AfterValidator(_rule(check_resident_id))]
DivisionCode = Annotated[str, Field(description="administrative division code 行政区划代码 (6/9/12 digits)", examples=["530102001001"]),
                         AfterValidator(_rule(check_division_code))]


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=50, description="姓名")
    id_number: ResidentId


class Applicant(Person):
    phone: str | None = Field(None, pattern=r"^1[0-9]{10}$", description="mobile number 手机号")


class Member(Person):
    relationship: Relationship = Field(description="relationship to the applicant 与申请人关系")


class ApplicationCreate(BaseModel):
    """An online application by a citizen 在线申请."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    division_code: DivisionCode
    applicant: Applicant
    members: list[Member] = Field(min_length=1, max_length=30, description="every household member, applicant included")
    household_monthly_income_yuan: Decimal = Field(ge=0, le=10_000_000, decimal_places=2, description="家庭月收入（元）")
    hardship_reason: HardshipReason
    hardship_description: str | None = Field(None, max_length=2000)
    consent_to_data_check: bool = Field(description="the household authorises checks of its data 授权核对家庭经济状况")

    @model_validator(mode="after")
    def household_rules(self) -> "ApplicationCreate":
        if not self.consent_to_data_check:
            raise PydanticCustomError("consent_required", "consent_to_data_check must be true: the household's authorisation is required",
                                      {"message_zh": "必须授权核对家庭经济状况"})
        ids = [m.id_number for m in self.members]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("members_unique_id_number", "members: each person may appear only once",
                                      {"message_zh": "家庭成员身份证号码不能重复"})
        selves = [m for m in self.members if m.relationship == "self"]
        if len(selves) != 1 or selves[0].id_number != self.applicant.id_number:
            raise PydanticCustomError("members_include_applicant",
                                      "members must contain the applicant exactly once, with relationship 'self'",
                                      {"message_zh": "家庭成员中必须且只能有一名申请人本人（与申请人关系为“本人”）"})
        return self


class Authorisation(BaseModel):
    """The household's authorisation for an application made on its behalf 授权委托."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    method: Literal["signed_form", "recorded_verbal", "electronic"] = Field(
        description="signed form 书面签字, recorded verbal consent 录音口头授权, electronic 电子授权")
    reference: str | None = Field(None, max_length=200, description="e.g. the number of the signed form 授权书编号")
    obtained_on: date = Field(description="when the household gave it 授权日期")


class AssistedApplicationCreate(ApplicationCreate):
    """An application entered by village or township staff on the household's behalf 协助申请."""

    authorisation: Authorisation


class MemberRead(BaseModel):
    name: str | None
    id_number_masked: str
    relationship: str | None


class StaffRead(BaseModel):
    subject: str
    role: str
    area: str
    name: str | None = None


class ApplicationRead(BaseModel):
    application_id: str
    household_id: str
    record_id: str | None
    channel: str
    status: str = Field(description="submitted | in_identification | assessing | assessed | reviewed | in_notice | notice_closed | "
                                    "township_reviewed | enrolled | rejected | withdrawn | linked")
    status_explanation_en: str
    status_explanation_zh: str
    division_code: str
    applicant_name: str
    applicant_id_number_masked: str
    members: list[MemberRead]
    household_monthly_income_yuan: Decimal
    hardship_reason: str
    hardship_description: str | None
    submitted_at: datetime
    case_id: str | None = None
    assisted_by: StaffRead | None = None
    authorisation: Authorisation | None = None


class Page(BaseModel):
    total: int
    limit: int
    offset: int


class ApplicationPage(Page):
    items: list[ApplicationRead]


class Reason(BaseModel):
    code: str
    en: str
    zh: str


class Bilingual(BaseModel):
    en: str
    zh: str


class TimelineEntry(BaseModel):
    at: datetime
    status: str
    en: str
    zh: str


class ApplicationStatus(BaseModel):
    """Where an application stands and why 申请进度, for the citizen."""

    application_id: str
    status: str = Field(description="submitted | in_identification | assessing | assessed | reviewed | in_notice | notice_closed | "
                                    "township_reviewed | enrolled | rejected | withdrawn | linked")
    explanation_en: str
    explanation_zh: str
    updated_at: datetime
    reasons: list[Reason] = Field(default_factory=list, description="why the household was not approved")
    appeal: Bilingual | None = Field(None, description="how to appeal a rejection")
    file_number: str | None = None
    programmes: list[str] = Field(default_factory=list)
    notice_ends_at: datetime | None = None
    withdrawal_reason: str | None = Field(None, description="why the case was withdrawn")
    timeline: list[TimelineEntry] = Field(description="every step, oldest first, in both languages (dates in China time)")


# --- home visits --------------------------------------------------------------------------------------------------
Indicator = Literal["illness", "disability", "labour_capacity_lost", "housing_unsafe", "income_loss", "unemployment",
                    "medical_costs", "education_burden", "disaster", "elderly_alone", "child_in_difficulty", "debt"]


class VisitedMember(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(None, min_length=1, max_length=50)
    id_number: ResidentId
    relationship: Relationship | None = None


class Observations(BaseModel):
    """What staff saw or were told at the visit 走访情况."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    monthly_income_yuan: Decimal | None = Field(None, ge=0, le=10_000_000, decimal_places=2, description="家庭月收入（元）")
    housing_safe: bool | None = Field(None, description="住房安全")
    labour_capacity_lost: bool | None = Field(None, description="主要劳动力丧失劳动能力")
    notes: str | None = Field(None, max_length=2000)


def _unique_people(members: list[VisitedMember]) -> None:
    ids = [m.id_number for m in members]
    if len(set(ids)) != len(ids):
        raise PydanticCustomError("members_unique_id_number", "members: each person may appear only once",
                                  {"message_zh": "家庭成员身份证号码不能重复"})


def _no_repeats(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise PydanticCustomError("indicators_unique", "indicators: each indicator may be given only once",
                                  {"message_zh": "困难指标不能重复"})
    return values


Indicators = Annotated[list[Indicator], AfterValidator(_no_repeats)]


class VisitCreate(BaseModel):
    """A home-visit survey 入户走访调查 by village or township staff."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    division_code: DivisionCode
    visited_on: date
    members: list[VisitedMember] = Field(min_length=1, max_length=30, description="the household's members seen or named")
    observations: Observations = Field(default_factory=Observations)
    indicators: Indicators = Field(default_factory=list, max_length=12, json_schema_extra={"uniqueItems": True},
                                   description="hardship indicators, each once 困难指标")
    recommendation: Literal["refer", "monitor", "no_action"] = Field(
        description="refer to identification 建议转入认定, keep watching 持续关注, nothing to do 无需帮扶")
    sudden_hardship: bool = Field(False, description="a sudden event (accident, death, disaster) 突发困难")

    @model_validator(mode="after")
    def rules(self) -> "VisitCreate":
        _unique_people(self.members)
        return self


class VisitRead(BaseModel):
    visit_id: str
    household_id: str
    record_id: str | None
    division_code: str
    purpose: str
    clue_id: str | None
    visitor: StaffRead
    visited_on: date
    recorded_at: datetime
    member_count: int
    observations: dict
    indicators: list[str]
    recommendation: str | None
    confirmed: bool | None
    sudden_hardship: bool
    linked: bool = Field(description="the household is already enrolled or in follow-up: no referral")
    referral_id: str | None


class VisitOutcomeRead(BaseModel):
    visit: VisitRead
    household_status: str
    referral_id: str | None = None
    merged_households: list[str] = Field(default_factory=list)
    household_conflicts: list[str] = Field(default_factory=list,
                                           description="other household records sharing these people, for staff to resolve")


# --- clues --------------------------------------------------------------------------------------------------------
class VerificationCreate(BaseModel):
    """The verification visit of a risk clue 线索核实走访."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    confirmed: bool = Field(description="the visit confirmed the hardship 核实属实")
    visited_on: date
    observations: Observations = Field(default_factory=Observations)
    indicators: Indicators = Field(default_factory=list, max_length=12, json_schema_extra={"uniqueItems": True})
    members: list[VisitedMember] = Field(default_factory=list, max_length=30,
                                         description="the household's members, if learnt at the visit")
    sudden_hardship: bool = False

    @model_validator(mode="after")
    def rules(self) -> "VerificationCreate":
        _unique_people(self.members)
        return self


class DismissalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason_code: Literal["not_confirmed", "already_assisted", "data_error", "duplicate", "moved_away", "other"]
    reason: str = Field(min_length=1, max_length=2000, description="why the clue is dismissed 排除理由")


class ClueRead(BaseModel):
    clue_id: str
    household_id: str
    record_id: str | None
    status: str = Field(description="raised | verified | unconfirmed | referred | dismissed | linked")
    allowed_next_steps: list[str]
    kind: str = Field(description="the partner signal's kind, or reassessment: a re-assessment under a new policy "
                                  "version found the household newly eligible")
    severity: str
    rule_id: str
    rule_version: str
    evidence: dict
    explanation_en: str
    explanation_zh: str
    division_code: str
    id_number_masked: str | None = Field(description="the person the clue is about; null for a clue about the "
                                                  "whole household (kind reassessment)")
    occurred_on: date
    source_department: str = Field(description="the partner department, or identification for a re-assessment")
    external_id: str
    raised_at: datetime
    task_area: str | None
    task_due_on: date | None = Field(description="the last day for the verification visit (China date)")
    overdue: bool = Field(description="the verification visit is past its due date 核实逾期")
    overdue_reported_at: datetime | None = Field(None, description="when discovery.clue.overdue was raised")
    verification_visit_id: str | None
    dismissed_reason_code: str | None
    dismissed_reason: str | None
    referral_id: str | None


class CluePage(Page):
    items: list[ClueRead]


class ReferralRead(BaseModel):
    referral_id: str
    household_id: str
    record_id: str
    division_code: str
    referred_at: datetime
    referred_by: str
    trigger_type: str
    trigger_id: str
    channels: list[str]
    reasons: list[Reason]
    application_ids: list[str]
    clue_ids: list[str]
    visit_ids: list[str]
    sudden_hardship: bool
    status: str
    case_id: str | None


class VerificationRead(BaseModel):
    clue: ClueRead
    visit: VisitRead


# --- households and the audit trail -------------------------------------------------------------------------------
class RecordRead(BaseModel):
    record_id: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None


class HouseholdRead(BaseModel):
    household_id: str
    division_code: str
    lifecycle_status: str = Field(description="in_discovery | referred | in_identification | in_notice | enrolled | "
                                              "rejected | withdrawn | cleared | follow_up | merged")
    lifecycle_explanation_en: str
    lifecycle_explanation_zh: str
    case_id: str | None
    case_status: str | None = Field(None, description="the step identification's latest case is at: in_identification | "
                                                      "assessing | assessed | reviewed | in_notice | notice_closed | "
                                                      "township_reviewed | enrolled | rejected | withdrawn")
    case_status_at: datetime | None = Field(None, description="when that step happened")
    file_number: str | None
    programmes: list[str]
    notice_ends_at: datetime | None = None
    rejection_reasons: list[Reason] = Field(default_factory=list, description="why the household was not approved")
    appeal: Bilingual | None = Field(None, description="how to appeal the rejection")
    withdrawal_reason: str | None = Field(None, description="why the case was withdrawn")
    merged_into: str | None
    members: list[MemberRead]
    records: list[RecordRead]
    applications: list[ApplicationRead]
    visits: list[VisitRead]
    clues: list[ClueRead]
    referrals: list[ReferralRead]


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    actor_role: str
    actor_area: str
    action: str
    entity_type: str
    entity_id: str
    from_state: str | None
    to_state: str | None
    details: dict | None
    correlation_id: str | None


class AuditPage(Page):
    items: list[AuditEntry]


class SignalResult(BaseModel):
    """One line of the answer to POST /api/v1/signals (application/x-ndjson)."""

    line: int
    external_id: str | None
    status: Literal["clue", "no_clue", "invalid", "duplicate"]
    clue_id: str | None = None
    clue_status: str | None = None
    error: dict | None = Field(None, description="{field, rule, message, message_zh} of an invalid record")
