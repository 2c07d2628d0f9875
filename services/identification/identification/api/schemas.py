"""Request and response bodies of identification's API."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from identification.domain.assessment import Guarantees, HouseholdFacts, Member
from identification.domain.rules import PROGRAMMES

Programme = Literal[PROGRAMMES]  # type: ignore[valid-type]


def _yuan(default=..., description: str | None = None):
    """A money amount in yuan: 0 to 10,000,000, never inf or nan."""
    return Field(default, ge=0, le=10_000_000, allow_inf_nan=False, description=description)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberFacts(_Strict):
    age: int = Field(ge=0, le=130)
    labour_capacity: Literal["full", "partial", "none"]
    disability_grade: int | None = Field(None, ge=1, le=4, description="1 = most severe")
    chronic_illness: bool = False
    in_compulsory_education: bool = False
    in_higher_education: bool = False
    employed: bool = False


class GuaranteesIn(_Strict):
    food: bool = True
    clothing: bool = True
    compulsory_education: bool = True
    basic_medical: bool = True
    safe_housing: bool = True
    drinking_water: bool = True


class FactsIn(_Strict):
    """What the field assessment established (实地核查): money in yuan, income for the whole household."""

    members: list[MemberFacts] = Field(min_length=1, max_length=50)
    monthly_income_yuan: Decimal = _yuan()
    savings_yuan: Decimal = _yuan(Decimal(0))
    vehicles_value_yuan: Decimal = _yuan(Decimal(0))
    owns_business: bool = False
    extra_housing_units: int = Field(0, ge=0, le=50)
    medical_expense_yuan_year: Decimal = _yuan(Decimal(0))
    education_expense_yuan_year: Decimal = _yuan(Decimal(0))
    care_expense_yuan_year: Decimal = _yuan(Decimal(0))
    housing_safe: bool = True
    guarantees: GuaranteesIn = GuaranteesIn()
    residence_months: int = Field(ge=0, le=1200, description="months living here (no hukou restriction)")
    formerly_poor: bool = False
    income_unstable: bool = False
    sudden_hardship: bool = False
    has_legal_supporter_able_to_support: bool = False
    owns_commercial_property: bool = Field(False, description="shops, offices or other business premises 商业用房 "
                                                              "(relapse-prevention negative list)")
    has_public_payroll_member: bool = Field(False, description="a member paid from public funds 财政供养人员 "
                                                               "(relapse-prevention negative list)")

    def to_domain(self, division_code: str) -> HouseholdFacts:
        return HouseholdFacts(
            division_code=division_code, members=tuple(Member(**m.model_dump()) for m in self.members),
            guarantees=Guarantees(**self.guarantees.model_dump()),
            **self.model_dump(exclude={"members", "guarantees"}))


class Authorisation(_Strict):
    authorised: bool = Field(description="the household authorised checks of its income and assets 授权核查")
    method: Literal["signed_form", "recorded_verbal", "electronic"]
    reference: str = Field(min_length=1, max_length=100)


class AssessmentCreate(_Strict):
    facts: FactsIn
    authorisation: Authorisation
    emergency: bool = Field(False, description="an emergency (急难情形): waives the residence requirement only of the programmes the rules name (default: temporary assistance, 先行救助); every other condition still applies")


class ReviewCreate(_Strict):
    attendees: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=200)
    opinions: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(min_length=1, max_length=200)
    outcome: Literal["propose_approval", "propose_rejection"]


class NoticeCreate(_Strict):
    programmes: list[Programme] | None = Field(
        None, min_length=1, max_length=len(PROGRAMMES),
        description="every programme proposed for the decision (default: every programme the latest assessment "
                    "found); the notice runs the longest period any of them requires")


class ObjectionCreate(_Strict):
    grounds: str = Field(min_length=2, max_length=2000)
    contact: str | None = Field(None, max_length=100, description="kept for the investigation; never published")


class ObjectionResolution(_Strict):
    outcome: Literal["upheld", "dismissed"]
    reason: str = Field(min_length=2, max_length=2000)


class TownshipReviewCreate(_Strict):
    outcome: Literal["recommend_approval", "recommend_rejection", "return_for_assessment"]
    opinion: str = Field(min_length=2, max_length=2000)


class ReasonIn(_Strict):
    code: str = Field(min_length=1, max_length=60)
    en: str = Field(min_length=1, max_length=2000)
    zh: str = Field(min_length=1, max_length=2000)


class DecisionCreate(_Strict):
    outcome: Literal["approve", "reject"]
    reasons: list[ReasonIn] | None = Field(None, max_length=20,
                                           description="for a rejection; default: the criteria the household failed")
    programmes: list[Programme] | None = Field(
        None, min_length=1, max_length=len(PROGRAMMES),
        description="for an approval: the programmes granted. Only programmes whose public notice ran its full period "
                    "may be granted, or those allowed before notice (temporary assistance, 先行救助), which are then "
                    "published after the decision. Default: every eligible programme that may be granted")


class WithdrawalCreate(_Strict):
    reason: str = Field(min_length=2, max_length=2000)


class CaseRead(BaseModel):
    case_id: str
    household_id: str
    application_id: str | None
    source_type: str
    division_code: str
    status: str
    allowed_actions: list[str] = Field(description="the next actions the workflow allows in the case's state")
    actions_for_you: list[str] = Field(description="those of allowed_actions the caller's role may take itself")
    channel: str
    applicant_name: str
    member_count: int
    household_monthly_income_yuan: Decimal
    hardship_reason: str
    opened_at: datetime
    deadline: date | None
    overdue: bool
    file_number: str | None
    decision: dict | None


class CasePage(BaseModel):
    items: list[CaseRead]
    total: int
    limit: int
    offset: int


class RecheckRead(BaseModel):
    recheck_id: str
    case_id: str
    household_id: str
    division_code: str
    petition_id: str
    tracking_number: str
    reason: str
    status: str
    opened_at: datetime


class RecheckPage(BaseModel):
    items: list[RecheckRead]
    total: int
    limit: int
    offset: int


class CaseDetail(CaseRead):
    sources: list[dict]
    assessment: dict | None
    reviews: list[dict]
    notices: list[dict]
    objections: list[dict]
    verification: dict | None = Field(None, description="the economic-status check: each department's status, every "
                                                        "fact with its source, suggested facts, discrepancies")


class PublicNotice(BaseModel):
    notice_id: str
    division_code: str
    kind: Literal["prior", "post_hoc"] = Field(description="prior: before the decision, objections may be lodged; "
                                                          "post_hoc: assistance granted first, published afterwards")
    published_at: datetime
    ends_at: datetime
    first_day: date
    last_day: date
    days: int
    programmes: list[str]
    text_en: str
    text_zh: str


class PublicNoticePage(BaseModel):
    items: list[PublicNotice]
    total: int
    limit: int
    offset: int


class AuditEntry(BaseModel):
    """One step in a case's audit trail: who did what, when (RFC 3339, UTC), from which state to which."""

    id: int
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


# -- re-assessment and policy preview ----------------------------------------------------------------------------

AreaPrefix = Annotated[str, Field(pattern=r"^[0-9]{2,12}$", description="a division-code prefix (2 to 12 digits)")]


class ReassessmentCreate(_Strict):
    division_code: AreaPrefix = Field(description="the area to re-assess: a division-code prefix inside your own area")
    note: str | None = Field(None, max_length=2000, description="why the re-assessment is run, e.g. the new standard")


class ReassessmentRead(BaseModel):
    """One run of the re-assessment command: households considered, flagged (newly eligible, published one by one as
    identification.reassessment.flagged) and no longer eligible (listed only: enrolment is not changed here)."""

    reassessment_id: str
    division_code: str
    run_on: date
    requested_by: str
    requested_at: datetime
    note: str | None
    considered: int
    flagged: int
    no_longer_eligible: int
    rule_versions: dict
    summary: dict


class ReassessmentPage(BaseModel):
    items: list[ReassessmentRead]
    total: int
    limit: int
    offset: int


class PolicyPreviewCreate(_Strict):
    region: Annotated[str, Field(pattern=r"^([0-9]{2,12})?$", description="the candidate's region (\"\" national)")]
    effective_from: date
    rule_version: str = Field(min_length=1, max_length=40)
    document: dict = Field(description="a complete policy document (every section), as the policy service publishes it")


class PolicyPreviewExample(BaseModel):
    household_id: str
    newly_eligible: list[str]
    no_longer_eligible: list[str]


class PolicyPreview(BaseModel):
    """How many households whose latest case ended refused or enrolled would change outcome under the candidate,
    compared with the rules in force on its first day (nothing is written)."""

    service: Literal["identification"]
    region: str
    area: str = Field(description="the region within your area that was compared")
    rule_version: str
    effective_from: date
    compared_with: list[str] = Field(description="the rule versions in force on effective_from for those households")
    households_considered: int
    households_changing: int
    skipped_without_facts: int
    newly_eligible: dict[str, int]
    no_longer_eligible: dict[str, int]
    examples: list[PolicyPreviewExample] = Field(description="the first 20 households that would change")


# -- the citizen's self-check ("What can I get?"), public and stateless -------------------------------------------

class EligibilityCheckCreate(_Strict):
    division_code: Annotated[str, Field(pattern=r"^[0-9]{6,12}$",
                                        description="where the household lives: a division code of 6 to 12 digits")]
    facts: FactsIn = Field(description="the household as the citizen describes it (the same fields as a field "
                                       "assessment records)")
    emergency: bool = Field(False, description="an emergency (急难情形): waives the residence requirement only of the "
                                               "programmes the rules name (default: temporary assistance)")


class PlainText(BaseModel):
    en: str
    zh: str


class PlainReason(BaseModel):
    code: str = Field(description="\"summary\" for the plain summary that comes first, else the criterion's code as "
                                  "eligibility names it (income_below_standard, residence, ...)")
    en: str
    zh: str


class ProgrammeFit(BaseModel):
    programme: Programme
    name_en: str
    name_zh: str
    may_fit: bool = Field(description="an indication from the answers; the decision follows a home visit, the "
                                      "village's review, a public notice and the county's approval")
    category: str | None = Field(description="monitoring's category (unstable, marginal, sudden) when it may fit")
    reasons: list[PlainReason] = Field(description="a plain summary, then every criterion met (may fit) or only the "
                                                   "criteria not met (does not fit)")


class EligibilityCheck(BaseModel):
    """The programmes that may fit the household under the rules in force for its area today; nothing was stored."""

    division_code: str
    on: date = Field(description="the day (China date) whose rules were used")
    rule_version: str = Field(description="the policy version in force for the division on that day, e.g. 53-v2")
    programmes: list[ProgrammeFit] = Field(description="every programme, in the order eligibility evaluates them")
    next_step: PlainText
    note: PlainText


# -- economic-status checks (经济状况核对) -----------------------------------------------------------------------------

class IncomeRecord(_Strict):
    kind: Literal["wage", "business", "pension", "transfer", "property", "other"] = "wage"
    amount_yuan: Decimal = _yuan(description="the amount over the whole period")
    period_start: date = Field(description="first month of the period (any day in it)")
    period_end: date = Field(description="last month of the period (any day in it)")

    @model_validator(mode="after")
    def _period(self) -> "IncomeRecord":
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class VehicleRecord(_Strict):
    value_yuan: Decimal = _yuan()
    plate: str | None = Field(None, max_length=20)
    kind: str | None = Field(None, max_length=40)


class PropertyRecord(_Strict):
    kind: Literal["dwelling", "commercial", "land", "other"] = "dwelling"
    location: str | None = Field(None, max_length=200)
    area_m2: Decimal | None = Field(None, ge=0, le=1_000_000, allow_inf_nan=False)


class BusinessRecord(_Strict):
    name: str = Field(min_length=1, max_length=200)
    registration_number: str | None = Field(None, max_length=40)
    active: bool = True


class SocialInsurancePayment(_Strict):
    scheme: str = Field(min_length=1, max_length=60)
    period: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="the month paid for, YYYY-MM")
    amount_yuan: Decimal = _yuan()


class MemberAnswer(_Strict):
    """The facts a department holds on one member; a kind left out was not looked up, an empty list: none found."""

    id_number: str = Field(pattern=r"^[0-9]{17}[0-9X]$")
    income_records: list[IncomeRecord] | None = Field(None, max_length=200)
    vehicles: list[VehicleRecord] | None = Field(None, max_length=50)
    property: list[PropertyRecord] | None = Field(None, max_length=50)
    business_registration: list[BusinessRecord] | None = Field(None, max_length=50)
    social_insurance_payments: list[SocialInsurancePayment] | None = Field(None, max_length=200)


class VerificationAnswerCreate(_Strict):
    reported_on: date = Field(description="the date the department's records are as of")
    members: list[MemberAnswer] = Field(min_length=1, max_length=50)

    def as_facts(self) -> dict[str, dict]:
        return {m.id_number: m.model_dump(mode="json", exclude={"id_number"}, exclude_none=True) for m in self.members}


class VerificationAnswerRead(BaseModel):
    request_id: str
    answer_id: str
    department: str
    received_at: datetime
    reported_on: date
    discrepancies: list[dict]
    departments: list[dict] = Field(description="every department asked and its status")
