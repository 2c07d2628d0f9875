"""Request and response bodies of policy's API."""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LegalBasis(BaseModel):
    model_config = ConfigDict(extra="forbid")
    document_number: str = Field(min_length=1, max_length=100, examples=["云民发〔2026〕12号"],
                                 description="the published document that sets the rules / 依据文件文号")
    url: str | None = Field(None, max_length=500, pattern=r"^https?://[^\s]+$", description="a link to it / 链接")


def _finite(value: Any, path: str = "overrides") -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path} must be a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _finite(item, f"{path}.{index}")


class DraftCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^[0-9]{2,12}$", description="division-code prefix within your area: 2 digits a "
                                                             "province, 4 a prefecture, 6 a county / 区划代码前缀")
    version: int = Field(ge=1, le=1_000_000, description="above every earlier version of the region / 版本号")
    effective_from: date
    effective_to: date | None = None
    title: str = Field(min_length=1, max_length=200)
    legal_basis: LegalBasis
    overrides: dict[str, Any] = Field(
        description="a partial policy document (contracts/policy/policy-document.schema.json): only the parameters "
                    "that change, e.g. {\"standards\": {\"dibao_standard_yuan_per_person_month\": 650}} / 覆盖参数",
        examples=[{"standards": {"dibao_standard_yuan_per_person_month": 650}}])

    @field_validator("overrides")
    @classmethod
    def finite(cls, value: dict) -> dict:
        _finite(value)
        return value


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=2000)


class RejectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Change(BaseModel):
    path: str
    before: Any = None
    after: Any = None


class RuleSetRead(BaseModel):
    ruleset_id: str
    region: str
    version: int
    rule_version: str
    status: str
    title: str
    effective_from: date
    effective_to: date | None
    legal_basis: dict
    overrides: dict
    source: str
    source_file: str | None
    replaces: str | None
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    allowed_actions: list[str]


class RuleSetDetail(RuleSetRead):
    document: dict
    replaced: RuleSetRead | None = Field(None, description="the version the draft replaces (in force for the region "
                                                           "on its effective_from)")
    changes: list[Change] = Field(description="every parameter whose value differs from the replaced version")


class RuleSetPage(BaseModel):
    items: list[RuleSetRead]
    total: int
    limit: int
    offset: int


class ResolvedRead(BaseModel):
    division_code: str
    on: date
    rule_version: str
    region: str
    effective_from: date
    effective_to: date | None
    document: dict
