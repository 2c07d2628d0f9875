"""oversight's request and response bodies."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oversight.domain.petitions import CATEGORIES

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
DIVISION = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Contact(Strict):
    name: str | None = Field(None, min_length=1, max_length=50)
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 -]{4,19}$", description="digits, spaces, hyphens")
    address: str | None = Field(None, min_length=1, max_length=200)


class Attachment(Strict):
    name: str = Field(min_length=1, max_length=200, description="the file's name; the file itself is handed in "
                                                               "when the handler asks for it")
    size_bytes: int = Field(ge=1, le=50_000_000)


class PetitionCreate(Strict):
    category: Category = Field(description="wrongly_enrolled 错保, wrongly_missed 漏保, staff_conduct 工作人员作风, "
                                           "service_provider 服务机构, decision 决定")
    division_code: str = Field(pattern=DIVISION, description="the area it concerns; a village (12 digits) for a "
                                                            "wrongly missed household")
    description: str = Field(min_length=10, max_length=4000)
    household_id: str | None = Field(None, min_length=1, max_length=64, description="for a household matter, if known")
    file_number: str | None = Field(None, min_length=1, max_length=40,
                                    description="the enrolled household's file number 档案编号, if known")
    subject_name: str | None = Field(None, min_length=1, max_length=100,
                                     description="the staff member, provider or decision complained about")
    contact: Contact | None = Field(None, description="optional: leave out to file anonymously; shown only to "
                                                      "the handler")
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)


class PetitionReceipt(BaseModel):
    tracking_number: str
    secret: str = Field(description="keep it: with the tracking number it shows the petition's status (shown once)")
    status: str
    category: str
    filed_at: datetime
    acceptance_due_on: date
    handling_level: str
    anonymous: bool
    message: str
    message_zh: str


class PublicStatus(BaseModel):
    tracking_number: str
    category: str
    status: str
    status_label: str
    status_label_zh: str
    filed_on: date
    acceptance_due_on: date
    decided_at: datetime | None = None
    decline_reason: str | None = None
    reply_due_on: date | None = None
    extended: bool = False
    extension_reason: str | None = None
    replied_at: datetime | None = None
    reply: str | None = None


class DecisionCreate(Strict):
    reason: str | None = Field(None, min_length=2, max_length=2000)


class ReasonCreate(Strict):
    reason: str = Field(min_length=2, max_length=2000)


class ReplyCreate(Strict):
    reply: str = Field(min_length=10, max_length=8000, description="the written reply 答复意见 to the complainant")


class PetitionRead(BaseModel):
    petition_id: str
    tracking_number: str
    category: str
    division_code: str
    handling_level: str
    handling_area: str
    status: str
    allowed_steps: list[str]
    household_id: str | None
    file_number: str | None
    subject_name: str | None
    description: str
    contact: dict | None = Field(description="masked unless you handle the petition")
    contact_masked: bool
    anonymous: bool
    attachments: list[dict]
    rule_version: str
    filed_at: datetime
    acceptance_due_on: date
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str | None
    decided_on_time: bool | None
    reply_due_on: date | None
    extensions: int
    extension_reason: str | None
    replied_at: datetime | None
    reply: str | None
    replied_on_time: bool | None
    overdue: str | None = Field(description="acceptance or reply: the deadline now missed (reported), else null")


class PetitionPage(BaseModel):
    items: list[PetitionRead]
    total: int
    limit: int
    offset: int
