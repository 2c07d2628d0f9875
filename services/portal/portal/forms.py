"""Form fields <-> the services' request bodies, and their 422 errors back onto the fields a person filled in.
No rule lives here: a value that is not a number is sent as typed, so the service names the rule it breaks."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

MAX_ROWS = 30
LABOUR = ("full", "partial", "none")
SCHOOL = ("none", "compulsory", "higher")
RELATIONSHIPS = ("spouse", "child", "parent", "grandparent", "grandchild", "sibling", "other")
HARDSHIP_REASONS = ("illness", "disability", "disaster", "unemployment", "education", "accident", "death_of_earner",
                    "old_age", "other")


@dataclass
class FieldError:
    field: str | None  # the form field's name (its input id), None when it belongs to no single field
    rule: str
    message: str
    message_zh: str

    def text(self, lang: str) -> str:
        return self.message_zh if lang == "zh-CN" else self.message


@dataclass
class Form:
    """What a person typed (to show it again) and the errors to show beside each field."""

    values: dict[str, str] = field(default_factory=dict)
    rows: int = 1
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> FieldError | None:
        return next((e for e in self.errors if e.field == name), None)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def row_count(values: dict[str, str], name: str, default: int = 1) -> int:
    try:
        return max(1, min(MAX_ROWS, int(values.get(name, default))))
    except ValueError:
        return default


def _number(raw: str, kind=int):
    raw = raw.strip().replace(",", "")
    try:
        return kind(raw)
    except (ValueError, InvalidOperation):
        return raw  # the service says which rule it breaks


def _money(raw: str):
    value = _number(raw, Decimal)
    return str(value) if isinstance(value, Decimal) else value


def _put(target: dict, key: str, raw: str | None, convert) -> None:
    if raw is not None and raw.strip() != "":
        target[key] = convert(raw)


# -- the self-check (identification's FactsIn) --------------------------------------------------------------------
SELF_CHECK_MONEY = {"income": "monthly_income_yuan", "savings": "savings_yuan", "vehicles": "vehicles_value_yuan",
                    "medical": "medical_expense_yuan_year", "education": "education_expense_yuan_year"}
MEMBER_FIELDS = {"age": "age", "labour_capacity": "labour", "disability_grade": "disability",
                 "chronic_illness": "illness", "in_compulsory_education": "school",
                 "in_higher_education": "school"}


def self_check_body(values: dict[str, str]) -> tuple[str, dict, list[int]]:
    """(division_code, facts, the form row of each member sent). A row left blank (no age) is not a member."""
    members, sent_rows = [], []
    for i in range(row_count(values, "rows")):
        age = values.get(f"m-{i}-age", "").strip()
        if not age:
            continue
        school = values.get(f"m-{i}-school", "none")
        member = {"age": _number(age), "labour_capacity": values.get(f"m-{i}-labour", "full"),
                  "chronic_illness": values.get(f"m-{i}-illness") == "yes",
                  "in_compulsory_education": school == "compulsory", "in_higher_education": school == "higher"}
        _put(member, "disability_grade", values.get(f"m-{i}-disability"), _number)
        members.append(member)
        sent_rows.append(i)
    facts: dict = {"members": members, "housing_safe": values.get("housing_safe", "yes") != "no",
                   "sudden_hardship": values.get("sudden_hardship") == "yes"}
    for name, key in SELF_CHECK_MONEY.items():
        _put(facts, key, values.get(name), _money)
    _put(facts, "residence_months", values.get("residence_months"), _number)
    return values.get("division_code", "").strip(), facts, sent_rows


def self_check_field(api_field: str, sent_rows: list[int]) -> str | None:
    if api_field == "division_code":
        return "division_code"
    name = api_field.removeprefix("facts.")
    if name == "members":
        return "m-0-age"
    match = re.fullmatch(r"members\[(\d+)\]\.(\w+)", name)
    if match:
        k = int(match.group(1))
        row = sent_rows[k] if k < len(sent_rows) else 0
        return f"m-{row}-{MEMBER_FIELDS.get(match.group(2), 'age')}"
    for form_name, key in SELF_CHECK_MONEY.items():
        if name == key:
            return form_name
    if name in ("residence_months", "housing_safe", "sudden_hardship"):
        return name
    return None


# -- the application (discovery's ApplicationCreate) --------------------------------------------------------------
def application_body(values: dict[str, str]) -> tuple[dict, list[int]]:
    """(the body, the form row of each further member sent). The applicant is member 0 (relationship self)."""
    applicant = {"name": values.get("applicant_name", ""), "id_number": values.get("applicant_id", "")}
    _put(applicant, "phone", values.get("applicant_phone"), str.strip)
    members = [{"name": applicant["name"], "id_number": applicant["id_number"], "relationship": "self"}]
    sent_rows = []
    for i in range(row_count(values, "rows", 0) if values.get("rows") else 0):
        name, number = values.get(f"p-{i}-name", "").strip(), values.get(f"p-{i}-id", "").strip()
        if not name and not number:
            continue
        members.append({"name": name, "id_number": number, "relationship": values.get(f"p-{i}-rel", "")})
        sent_rows.append(i)
    body = {"division_code": values.get("division_code", "").strip(), "applicant": applicant, "members": members,
            "hardship_reason": values.get("hardship_reason", ""), "consent_to_data_check": values.get("consent") == "yes"}
    _put(body, "household_monthly_income_yuan", values.get("income"), _money)
    _put(body, "hardship_description", values.get("hardship_description"), str.strip)
    return body, sent_rows


APPLICATION_FIELDS = {"division_code": "division_code", "household_monthly_income_yuan": "income",
                      "hardship_reason": "hardship_reason", "hardship_description": "hardship_description",
                      "consent_to_data_check": "consent", "applicant.name": "applicant_name",
                      "applicant.id_number": "applicant_id", "applicant.phone": "applicant_phone",
                      "applicant": "applicant_name", "members": "applicant_id"}
# errors of the whole body (a model rule): the field a person should change
APPLICATION_RULES = {"consent_required": "consent", "members_unique_id_number": "applicant_id",
                     "members_include_applicant": "applicant_id"}
PERSON_FIELDS = {"name": "name", "id_number": "id", "relationship": "rel"}


def application_field(api_field: str, rule: str, sent_rows: list[int]) -> str | None:
    if api_field in ("body", ""):
        return APPLICATION_RULES.get(rule)
    if api_field in APPLICATION_FIELDS:
        return APPLICATION_FIELDS[api_field]
    match = re.fullmatch(r"members\[(\d+)\]\.(\w+)", api_field)
    if match:
        k, part = int(match.group(1)), match.group(2)
        if k == 0:
            return {"name": "applicant_name", "id_number": "applicant_id"}.get(part, "applicant_id")
        row = sent_rows[k - 1] if k - 1 < len(sent_rows) else 0
        return f"p-{row}-{PERSON_FIELDS.get(part, 'name')}"
    return None


def field_errors(api_errors: list[dict], mapper) -> list[FieldError]:
    """The service's errors on the form's fields, one per field and rule (the applicant's ID number is checked
    twice by discovery, as applicant and as member 0: shown once)."""
    out, seen = [], set()
    for e in api_errors:
        name = mapper(str(e.get("field", "")), str(e.get("rule", "")))
        key = (name, e.get("rule"))
        if key in seen:
            continue
        seen.add(key)
        out.append(FieldError(name, str(e.get("rule", "")), str(e.get("message", "")), str(e.get("message_zh", ""))))
    return out


def prefill_from_self_check(values: dict[str, str]) -> dict[str, str]:
    """The self-check's answers that the application asks again: area, income, number of further members, and
    a hardship reason the answers point to (the person can change it)."""
    _division, facts, rows = self_check_body(values)
    reason = ""
    members = facts.get("members", [])
    if facts.get("sudden_hardship"):
        reason = "accident"
    elif any(m.get("chronic_illness") for m in members):
        reason = "illness"
    elif any(m.get("disability_grade") for m in members):
        reason = "disability"
    return {"division_code": values.get("division_code", "").strip(), "income": values.get("income", "").strip(),
            "rows": str(max(1, len(rows) - 1)), "hardship_reason": reason}


# -- labels of fields named in the error summary -------------------------------------------------------------------
ROW_PARTS = {"m": ("selfcheck.member_n", "selfcheck.member."), "p": ("apply.person_n", "apply.person.")}
# ids built from parts at run time (the catalogue test checks each exists in both languages)
DYNAMIC_IDS = (["selfcheck.member." + p for p in ("age", "labour", "disability", "illness", "school")]
               + ["apply.person." + p for p in ("name", "id", "rel")]
               + ["field." + f for f in ("income", "savings", "vehicles", "medical", "education", "housing_safe",
                                         "residence_months", "sudden_hardship", "division_code", "applicant_name",
                                         "applicant_id", "applicant_phone", "hardship_reason",
                                         "hardship_description", "consent", "application_id", "status_id",
                                         "grounds", "contact")]
               + ["apply.step." + s for s in ("where", "household", "income", "hardship", "consent")]
               + ["picker." + level for level in ("province", "prefecture", "county", "township", "village")]
               + ["notices.kind." + k for k in ("prior", "post_hoc")]
               + ["programme." + p for p in ("tekun", "dibao", "near_dibao", "rigid_expense", "monitoring",
                                             "temporary", "medical", "education", "housing")])
FIELD_LABEL_ALIASES = {"id_number": "status_id"}


def label(name: str, _) -> str:
    if re.fullmatch(r"division-\d", name):  # a level of the division picker
        return _("field.division_code")
    match = re.fullmatch(r"([mp])-(\d+)-(\w+)", name)
    if match:
        row_id, part_prefix = ROW_PARTS[match.group(1)]
        return f"{_(row_id, n=int(match.group(2)) + 1)} · {_(part_prefix + match.group(3))}"
    return _("field." + FIELD_LABEL_ALIASES.get(name, name))


def programme_name(code: str, _) -> str:
    message_id = "programme." + code
    text = _(message_id)
    return code if text == message_id else text
