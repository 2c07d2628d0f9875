"""exchange's request and response bodies."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DIVISION = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentCreate(Strict):
    purpose: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$",
                         description="the purpose consented to or withdrawn, as the agreements name it "
                                     "(e.g. medical_insurance_premium_subsidy)")
    decision: Literal["granted", "withdrawn"]
    division_code: str = Field(pattern=DIVISION, description="the household's division code (in your area)")
    method: Literal["signed_form", "recorded_verbal", "electronic"] = Field(
        description="how the household gave or withdrew it")
    reference: str | None = Field(None, min_length=1, max_length=200, description="e.g. the signed form's number")
    note: str | None = Field(None, min_length=1, max_length=1000)
    effective_on: date | None = Field(None, description="from which day (China date) it applies; default today")


class ConsentRead(BaseModel):
    consent_id: str
    household_id: str
    division_code: str
    purpose: str
    decision: str
    method: str
    reference: str | None
    note: str | None
    effective_on: date
    recorded_at: datetime
    recorded_by: str


class ConsentPage(BaseModel):
    items: list[ConsentRead]
    total: int
    limit: int
    offset: int
    current: dict[str, str] = Field(description="purpose -> the decision in effect today")
