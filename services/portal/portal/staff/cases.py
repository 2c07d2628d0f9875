"""The case page (案件页): one identification case, its assessment, notices, objections and audit trail, and its next
steps as forms built from what identification says the officer may do now (`actions_for_you`, a subset of the
state machine's `allowed_actions`), so no page offers a step the workflow refuses.

Each form's fields map to the body of identification's endpoint and its 422 errors back onto those fields. No rule
lives here: what a person typed is sent as typed (a number that is not one stays text), so the service names the
rule it breaks. `load` and `perform` are what the routes call (and the integration test, against the real service)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from portal.clients import Answer
from portal.forms import Form, _money, _number, field_errors, row_count

# identification's programmes, in its order (the forms offer those the assessment looked at)
PROGRAMMES = ("tekun", "dibao", "near_dibao", "rigid_expense", "monitoring", "temporary", "medical", "education",
              "housing", "employment")
GUARANTEES = ("food", "clothing", "compulsory_education", "basic_medical", "safe_housing", "drinking_water")
FLAGS = ("owns_business", "formerly_poor", "income_unstable", "sudden_hardship",
         "has_legal_supporter_able_to_support", "owns_commercial_property", "has_public_payroll_member")
MONEY = {"income": "monthly_income_yuan", "savings": "savings_yuan", "vehicles": "vehicles_value_yuan",
         "medical": "medical_expense_yuan_year", "education": "education_expense_yuan_year",
         "care": "care_expense_yuan_year"}
WHOLE = {"residence_months": "residence_months", "extra_housing_units": "extra_housing_units"}
LABOUR = ("full", "partial", "none")
SCHOOL = ("none", "compulsory", "higher")
AUTH_METHODS = ("signed_form", "recorded_verbal", "electronic")
REVIEW_OUTCOMES = ("propose_approval", "propose_rejection")
OBJECTION_OUTCOMES = ("dismissed", "upheld")
TOWNSHIP_OUTCOMES = ("recommend_approval", "recommend_rejection", "return_for_assessment")
DECISION_OUTCOMES = ("approve", "reject")
MEMBER_PARTS = {"age": "age", "labour_capacity": "labour", "disability_grade": "disability",
                "chronic_illness": "illness", "in_compulsory_education": "school", "in_higher_education": "school",
                "employed": "employed"}
MAX_MEMBERS = 20


def _q(value: str) -> str:
    return quote(value, safe="")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _yes(values: dict, name: str) -> bool:
    return values.get(name) == "yes"


def _programmes(values: dict, prefix: str) -> list[str]:
    return [p for p in PROGRAMMES if _yes(values, f"{prefix}_{p}")]


# -- bodies ---------------------------------------------------------------------------------------------------------
def assessment_body(values: dict) -> tuple[dict, list[int]]:
    """identification's AssessmentCreate from the assessment form; (body, the form row of each member sent)."""
    members, sent = [], []
    for i in range(row_count(values, "rows")):
        age = values.get(f"m-{i}-age", "").strip()
        if not age:
            continue
        school = values.get(f"m-{i}-school", "none")
        member = {"age": _number(age), "labour_capacity": values.get(f"m-{i}-labour", "full"),
                  "chronic_illness": _yes(values, f"m-{i}-illness"), "employed": _yes(values, f"m-{i}-employed"),
                  "in_compulsory_education": school == "compulsory", "in_higher_education": school == "higher"}
        if values.get(f"m-{i}-disability", "").strip():
            member["disability_grade"] = _number(values[f"m-{i}-disability"])
        members.append(member)
        sent.append(i)
    facts: dict = {"members": members, "housing_safe": not _yes(values, "housing_unsafe"),
                   "guarantees": {g: not _yes(values, f"lacks_{g}") for g in GUARANTEES}}
    for name, key in MONEY.items():
        raw = values.get(name, "").strip()
        if raw or name == "income":
            facts[key] = _money(raw) if raw else raw  # an empty income is sent, so the service says it is needed
    for name, key in WHOLE.items():
        raw = values.get(name, "").strip()
        if raw or name == "residence_months":
            facts[key] = _number(raw) if raw else raw
    facts.update({flag: _yes(values, flag) for flag in FLAGS})
    body = {"facts": facts, "emergency": _yes(values, "emergency"),
            "authorisation": {"authorised": _yes(values, "authorised"), "method": values.get("auth_method", ""),
                              "reference": values.get("auth_reference", "").strip()}}
    return body, sent


def assessment_field(api_field: str, _rule: str, sent: list[int]) -> str | None:
    name = api_field.removeprefix("facts.")
    match = re.fullmatch(r"members\[(\d+)\](?:\.(\w+))?", name)
    if match:
        k = int(match.group(1))
        row = sent[k] if k < len(sent) else 0
        return f"m-{row}-{MEMBER_PARTS.get(match.group(2) or 'age', 'age')}"
    if name == "members":
        return "m-0-age"
    for form_name, key in {**MONEY, **WHOLE}.items():
        if name == key:
            return form_name
    if name.startswith("guarantees."):
        return "lacks_" + name.removeprefix("guarantees.")
    if name == "housing_safe":
        return "housing_unsafe"
    if name in FLAGS or name == "emergency":
        return name
    return {"authorisation.authorised": "authorised", "authorisation.method": "auth_method",
            "authorisation.reference": "auth_reference", "authorisation": "authorised"}.get(api_field)


def _simple(mapping: dict[str, str]):
    def mapper(api_field: str, _rule: str, _sent) -> str | None:
        return mapping.get(re.sub(r"\[\d+\]$", "", api_field))
    return mapper


@dataclass(frozen=True)
class ActionForm:
    """One next step: the page's form (slug, in the URL /staff/cases/{id}/<slug>) and identification's endpoint."""

    action: str                       # identification's action name (allowed_actions)
    slug: str
    path: str                         # identification's path after /api/v1/cases/{case_id}
    build: object                     # values -> (body or None, sent rows)
    field_of: object                  # (api field, rule, sent rows) -> form field or None


def _review(values):
    return {"attendees": _lines(values.get("review_attendees", "")), "opinions": _lines(values.get("review_opinions", "")),
            "outcome": values.get("review_outcome", "")}, []


def _notice(values):
    return {"programmes": _programmes(values, "notice_programme")}, []


def _objection(values):
    return {"outcome": values.get("objection_outcome", ""), "reason": values.get("objection_reason", "").strip()}, []


def _township(values):
    return {"outcome": values.get("township_outcome", ""), "opinion": values.get("township_opinion", "").strip()}, []


def _decision(values):
    body: dict = {"outcome": values.get("decision_outcome", "")}
    chosen = _programmes(values, "decision_programme")
    if chosen:
        body["programmes"] = chosen  # none ticked: identification grants every eligible programme that may be granted
    reason = values.get("decision_reason", "").strip()
    if reason:
        body["reasons"] = [{"code": "county_decision", "en": reason, "zh": reason}]
    return body, []


def _withdrawal(values):
    return {"reason": values.get("withdraw_reason", "").strip()}, []


ACTIONS: dict[str, ActionForm] = {a.action: a for a in (
    ActionForm("start_assessment", "start-assessment", "/assessment/start", lambda v: (None, []), _simple({})),
    ActionForm("complete_assessment", "assessment", "/assessment", assessment_body, assessment_field),
    ActionForm("complete_review", "review", "/review", _review,
               _simple({"attendees": "review_attendees", "opinions": "review_opinions", "outcome": "review_outcome"})),
    ActionForm("publish_notice", "notice", "/notice", _notice, _simple({"programmes": "notice_programmes"})),
    ActionForm("resolve_objection", "objection-resolution", "/objections/{objection_id}/resolution", _objection,
               _simple({"outcome": "objection_outcome", "reason": "objection_reason"})),
    ActionForm("close_notice", "notice-close", "/notice/close", lambda v: (None, []), _simple({})),
    ActionForm("complete_township_review", "township-review", "/township-review", _township,
               _simple({"outcome": "township_outcome", "opinion": "township_opinion"})),
    ActionForm("decide", "decision", "/decision", _decision,
               _simple({"outcome": "decision_outcome", "programmes": "decision_programmes",
                        "reasons": "decision_reason", "reasons.en": "decision_reason"})),
    ActionForm("withdraw", "withdrawal", "/withdrawal", _withdrawal, _simple({"reason": "withdraw_reason"})),
)}
BY_SLUG = {a.slug: a for a in ACTIONS.values()}


# -- what the routes call ---------------------------------------------------------------------------------------------
@dataclass
class CaseView:
    answer: Answer                               # GET /api/v1/cases/{id}
    audit: Answer | None = None                  # GET /api/v1/cases/{id}/audit

    @property
    def case(self) -> dict:
        return self.answer.body if self.answer.ok else {}

    def actions(self) -> list[str]:
        """The forms to show: the steps this officer may take now (identification's actions_for_you, always within
        allowed_actions); an older identification without it: allowed_actions less the public's objection."""
        case = self.case
        allowed = list(case.get("allowed_actions") or [])
        mine = case.get("actions_for_you")
        chosen = mine if mine is not None else [a for a in allowed if a != "lodge_objection"]
        return [a for a in chosen if a in allowed and a in ACTIONS]

    def others(self) -> list[str]:
        """Steps the workflow allows now that are someone else's (another level, or the public)."""
        return [a for a in self.case.get("allowed_actions") or [] if a not in self.actions()]

    def open_objections(self) -> list[dict]:
        return [o for o in self.case.get("objections") or [] if o.get("status") == "open"]

    def assessed_programmes(self) -> list[str]:
        assessment = self.case.get("assessment") or {}
        return [p["programme"] for p in assessment.get("programmes") or [] if p.get("programme")]

    def eligible(self) -> list[str]:
        return list((self.case.get("assessment") or {}).get("eligible") or [])

    def audit_entries(self) -> list[dict]:
        return list((self.audit.body.get("items") or []) if self.audit and self.audit.ok else [])


def load(clients, authorization: dict, case_id: str, with_audit: bool = True) -> CaseView:
    path = f"/api/v1/cases/{_q(case_id)}"
    answer = clients.as_officer("identification", "GET", path, authorization)
    audit = clients.as_officer("identification", "GET", path + "/audit", authorization) if (
        with_audit and answer.ok) else None
    return CaseView(answer, audit)


@dataclass
class Outcome:
    answer: Answer
    form: Form = field(default_factory=Form)  # what was typed, with the service's errors on its fields

    @property
    def ok(self) -> bool:
        return self.answer.ok


def perform(clients, authorization: dict, case_id: str, slug: str, values: dict[str, str]) -> Outcome:
    """Sends one step to identification: the body from the form, the answer and its 422 errors on the fields."""
    spec = BY_SLUG[slug]
    body, sent = spec.build(values)
    tail = spec.path.format(objection_id=_q(values.get("objection_id", "") or "-"))
    answer = clients.as_officer("identification", "POST", f"/api/v1/cases/{_q(case_id)}{tail}", authorization,
                                json=body)
    rows = row_count(values, "rows")
    errors = field_errors(answer.field_errors(), lambda f, r: spec.field_of(f, r, sent)) if answer.status == 422 else []
    return Outcome(answer, Form(values, rows, errors))


def initial_values(view: CaseView) -> dict[str, str]:
    """Defaults for the forms: the notice proposes what the assessment found eligible."""
    values = {f"notice_programme_{p}": "yes" for p in view.eligible()}
    objections = view.open_objections()
    if objections:
        values["objection_id"] = objections[0].get("objection_id", "")
    values.update({"review_outcome": "propose_approval", "auth_method": "signed_form", "rows": "1"})
    return values


def add_member_row(values: dict[str, str]) -> dict[str, str]:
    return {**values, "rows": str(min(MAX_MEMBERS, row_count(values, "rows") + 1))}


# -- the options of the forms' lists, in the page language ----------------------------------------------------------
def _named(_, prefix: str, code: str) -> str:
    text = _(prefix + code)
    return code if text == prefix + code else text


def programme_label(_, code: str) -> str:
    text = _("programme." + code)
    return text if text != "programme." + code else _named(_, "work.programme.", code)


def choices(view: CaseView, _) -> dict[str, list[tuple[str, str]]]:
    def outcomes(codes):
        return [(o, _named(_, "work.outcome.", o)) for o in codes]
    return {
        "review_outcome": outcomes(REVIEW_OUTCOMES), "objection_outcome": outcomes(OBJECTION_OUTCOMES),
        "township_outcome": outcomes(TOWNSHIP_OUTCOMES), "decision_outcome": outcomes(DECISION_OUTCOMES),
        "notice_programmes": [(f"notice_programme_{p}", programme_label(_, p)) for p in view.assessed_programmes()],
        "decision_programmes": [(f"decision_programme_{p}", programme_label(_, p)) for p in view.eligible()],
        "objection_id": [(o.get("objection_id", ""), f"{str(o.get('lodged_at', ''))[:10]} · {o.get('grounds', '')[:40]}")
                         for o in view.open_objections()],
        "labour": [(v, _named(_, "work.labour.", v)) for v in LABOUR],
        "school": [(v, _named(_, "work.school.", v)) for v in SCHOOL],
        "auth_method": [(v, _named(_, "work.auth_method.", v)) for v in AUTH_METHODS]}


# -- labels of the fields an error summary names (message ids in work.po) -----------------------------------------
def label(name: str, _) -> str:
    match = re.fullmatch(r"m-(\d+)-(\w+)", name)
    if match:
        return f"{_('work.member_n', n=int(match.group(1)) + 1)} · {_('work.member.' + match.group(2))}"
    return _("work.field." + name)


FIELD_NAMES = (["work.field." + f for f in (
    "income", "savings", "vehicles", "medical", "education", "care", "residence_months", "extra_housing_units",
    "housing_unsafe", "emergency", "authorised", "auth_method", "auth_reference", "review_attendees",
    "review_opinions", "review_outcome", "notice_programmes", "objection_id", "objection_outcome",
    "objection_reason", "township_outcome", "township_opinion", "decision_outcome", "decision_programmes",
    "decision_reason", "withdraw_reason", *FLAGS, *("lacks_" + g for g in GUARANTEES))]
    + ["work.member." + p for p in ("age", "labour", "disability", "illness", "school", "employed")])
