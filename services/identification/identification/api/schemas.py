"""Response bodies of identification's API."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


class CaseRead(BaseModel):
    case_id: str
    household_id: str
    application_id: str
    division_code: str
    status: str
    channel: str
    applicant_name: str
    member_count: int
    household_monthly_income_yuan: Decimal
    hardship_reason: str
    opened_at: datetime


class CasePage(BaseModel):
    items: list[CaseRead]
    total: int
    limit: int
    offset: int
