"""Petitions 信访举报 as plain data rules: categories, the level a petition is routed to, the steps each status
allows, the checks of a filing that need more than its schema, and the masking of the complainant's contact.

Routing (who handles it): a matter about a household (错保 wrongly enrolled, 漏保 wrongly missed) goes to the
township (乡镇/街道) of the area, the level that verifies households; a staff member's conduct, a service provider or
a decision goes to the county civil-affairs bureau, above the township staff and the decisions complained about. An
area given only to the county (6 digits) routes household matters to the county too.
"""
from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = ("wrongly_enrolled", "wrongly_missed", "staff_conduct", "service_provider", "decision")
CATEGORY_LABELS = {
    "wrongly_enrolled": ("a household receiving assistance that should not (wrongly enrolled)", "错保"),
    "wrongly_missed": ("a household in hardship that is missed (wrongly missed)", "漏保"),
    "staff_conduct": ("a staff member's conduct", "工作人员作风"),
    "service_provider": ("a service provider", "服务机构"),
    "decision": ("a decision", "决定"),
}
HOUSEHOLD_CATEGORIES = frozenset({"wrongly_enrolled", "wrongly_missed"})
STATUSES = ("filed", "accepted", "declined", "replied")
STATUS_LABELS = {"filed": ("received, acceptance being decided", "已登记，待决定是否受理"),
                 "accepted": ("accepted, being handled", "已受理，办理中"),
                 "declined": ("not accepted", "不予受理"),
                 "replied": ("replied", "已答复")}
# The steps each status allows (the staff actions); anything else is refused with 409 naming what is allowed.
STEPS = {"filed": ("accept", "decline"), "accepted": ("extend", "reply"), "declined": (), "replied": ()}
STEP_LABELS = {"accept": ("accept", "受理"), "decline": ("decline", "不予受理"), "extend": ("extend the deadline", "延期"),
               "reply": ("reply", "答复")}
STAGES = ("acceptance", "reply")


@dataclass(frozen=True)
class Routing:
    level: str  # township | county
    area: str   # the division code of the handling office


def route(category: str, division_code: str) -> Routing:
    if category in HOUSEHOLD_CATEGORIES and len(division_code) >= 9:
        return Routing("township", division_code[:9])
    return Routing("county", division_code[:6])


class IllegalStep(Exception):
    def __init__(self, status: str, step: str):
        self.status, self.step, self.allowed = status, step, STEPS[status]
        allowed_en = ", ".join(STEP_LABELS[s][0] for s in self.allowed) or "none (the petition is closed)"
        allowed_zh = "、".join(STEP_LABELS[s][1] for s in self.allowed) or "无（已办结）"
        self.en = f"A petition that is {status} cannot be {STEP_LABELS[step][0]}ed; allowed steps: {allowed_en}."
        self.zh = f"该信访事项当前状态为“{STATUS_LABELS[status][1]}”，不能{STEP_LABELS[step][1]}；可进行的操作：{allowed_zh}。"
        super().__init__(self.en)


def check_step(status: str, step: str) -> None:
    if step not in STEPS[status]:
        raise IllegalStep(status, step)


@dataclass(frozen=True)
class FieldProblem:
    field: str
    rule: str
    message: str
    message_zh: str

    def as_dict(self) -> dict:
        return {"field": self.field, "rule": self.rule, "message": self.message, "message_zh": self.message_zh}


def filing_problems(category: str, division_code: str, household_id: str | None, file_number: str | None,
                    subject_name: str | None) -> list[FieldProblem]:
    """What a filing breaks beyond its schema: a missed household is reported for a village (the clue goes to the
    village that visits it); a complaint about a person, provider or decision names it."""
    problems = []
    if category == "wrongly_missed" and len(division_code) != 12:
        problems.append(FieldProblem("division_code", "village_code_required",
                                     "a wrongly missed household is reported for its village: a 12-digit division code",
                                     "漏保线索须填写所在村（社区）的12位行政区划代码"))
    if category in ("staff_conduct", "service_provider", "decision") and not subject_name:
        problems.append(FieldProblem("subject_name", "subject_required",
                                     "name the staff member, the provider or the decision the petition is about",
                                     "请填写所反映的工作人员、服务机构或决定"))
    if category not in HOUSEHOLD_CATEGORIES and (household_id or file_number):
        field = "household_id" if household_id else "file_number"
        problems.append(FieldProblem(field, "household_categories_only",
                                     "a household id or file number is given only for a wrongly enrolled or missed "
                                     "household", "仅错保、漏保类信访事项可填写家庭编号或档案编号"))
    return problems


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:3] + "*" * max(len(digits) - 7, 1) + digits[-4:] if len(digits) > 7 else "*" * (len(digits) - 2) + digits[-2:]


def masked_contact(contact: dict | None) -> dict | None:
    if not contact:
        return None
    return {"name": mask_name(contact.get("name")), "phone": mask_phone(contact.get("phone")),
            "address": "***" if contact.get("address") else None}
