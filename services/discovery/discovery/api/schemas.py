"""Request and response bodies of discovery's API; validation errors name the field and the broken rule."""
from __future__ import annotations

from datetime import datetime
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
                                      {"message_zh": "家庭成员中必须且只能有一名申请人本人（relationship 为 self）"})
        return self


class MemberRead(BaseModel):
    name: str
    id_number_masked: str
    relationship: str


class ApplicationRead(BaseModel):
    application_id: str
    household_id: str
    channel: str
    status: str
    division_code: str
    applicant_name: str
    applicant_id_number_masked: str
    members: list[MemberRead]
    household_monthly_income_yuan: Decimal
    hardship_reason: str
    hardship_description: str | None
    submitted_at: datetime


class ApplicationPage(BaseModel):
    items: list[ApplicationRead]
    total: int
    limit: int
    offset: int
