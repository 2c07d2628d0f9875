"""The staff forms' fields <-> the services' request bodies, and the services' 422 errors back onto those fields.

Pure functions (no I/O): each `*_body(values)` builds the JSON a service's endpoint takes from what an officer typed,
each `*_field(api_field, rule)` names the form field an error belongs to. No rule lives here: a value that is not a
number is sent as typed, so the service names the rule it breaks. Multi-valued fields (checkboxes) arrive joined
by commas (see `joined`)."""
from __future__ import annotations

import re

from portal import forms
from portal.forms import _money, _number, _put

INDICATORS = ("illness", "disability", "labour_capacity_lost", "housing_unsafe", "income_loss", "unemployment",
              "medical_costs", "education_burden", "disaster", "elderly_alone", "child_in_difficulty", "debt")
DISMISSAL_REASONS = ("not_confirmed", "already_assisted", "data_error", "duplicate", "moved_away", "other")
RECOMMENDATIONS = ("refer", "monitor", "no_action")
AUTHORISATION_METHODS = ("signed_form", "recorded_verbal", "electronic")
SERVICE_TYPES = ("in_kind", "daily_care", "labour_help", "psychological_support", "skills_training", "job_referral",
                 "medical_assistance", "care_services", "housing_repair", "education_grant")
DIMENSIONS = ("income", "assets", "rigid_expenditure", "labour_capacity", "disability", "health", "dependants",
              "housing_safety", "guarantees")
CARE_LEVELS = ("self_care", "partly_dependent", "fully_dependent")
PROVIDER_KINDS = ("government_department", "third_party", "social_organisation")
PERIOD_KINDS = ("month", "quarter", "year")
GUARANTEES = ("food", "clothing", "compulsory_education", "basic_medical", "safe_housing", "drinking_water")
VISIT_ROWS = 3       # member rows a new home-visit form starts with
VERIFICATION_ROWS = 2  # optional member rows of a clue's verification form
ADD_NEED_ROWS = 2    # needs that one assessment may add from the form
SERVICE_ROWS = 2     # services a new provider is registered with from the form

# Who may take which step, as the services' own role tables say (discovery's api/deps.py, assistance's, gradual_exit's
# and followup's handlers.ROLES): the page offers a form only to those roles; the service still decides.
OFFERED_TO = {
    "clue.verification": ("village", "township"), "clue.referral": ("township", "county"),
    "clue.dismissal": ("township", "county"), "visit": ("village", "township"),
    "assisted_application": ("village", "township"),
    "needs_assessment": ("village", "township"), "provider.register": ("county",), "provider.update": ("county",),
    "referral.cancel": ("village", "township", "county"), "referral.feedback": ("village", "township", "county"),
    "complaint.resolve": ("township", "county"),
    "situation.review": ("village", "township"), "situation.update": ("village", "township"),
    "exit.review": ("township",), "exit.resolve_objection": ("township",), "exit.close_notice": ("township",),
    "exit.decide": ("county",), "checkin": ("village", "township"), "relapse.close": ("township", "county"),
}


def offered(step: str, role: str) -> bool:
    return role in OFFERED_TO.get(step, ())


def joined(items: list[str]) -> str:
    return ",".join(i for i in items if i)


def chosen(values: dict[str, str], name: str) -> list[str]:
    return [v for v in values.get(name, "").split(",") if v]


def tri(raw: str | None) -> bool | None:
    """A yes / no / not-checked select: True, False or None (left out of the body)."""
    return {"yes": True, "no": False}.get((raw or "").strip())


def _text(raw: str | None) -> str:
    return (raw or "").strip()


def _put_tri(target: dict, key: str, raw: str | None) -> None:
    value = tri(raw)
    if value is not None:
        target[key] = value


def map_errors(api_errors: list[dict], mapper) -> list[forms.FieldError]:
    """The service's errors on the form's fields (one per field and rule): portal.forms.field_errors."""
    return forms.field_errors(api_errors, mapper)


# -- discovery: the verification visit of a clue, its dismissal ---------------------------------------------------
def observations(values: dict[str, str]) -> dict:
    out: dict = {}
    _put(out, "monthly_income_yuan", values.get("income"), _money)
    _put_tri(out, "housing_safe", values.get("housing_safe"))
    _put_tri(out, "labour_capacity_lost", values.get("labour_capacity_lost"))
    _put(out, "notes", values.get("notes"), str.strip)
    return out


def verification_body(values: dict[str, str]) -> tuple[dict, list[int]]:
    """(discovery's VerificationCreate, the form row of each member sent). `confirmed` left unanswered is sent as
    typed (""), so discovery names it; members are optional (those learnt at the visit)."""
    confirmed = tri(values.get("confirmed"))
    members, rows = visited_members(values, VERIFICATION_ROWS)
    body = {"confirmed": values.get("confirmed", "") if confirmed is None else confirmed,
            "visited_on": _text(values.get("visited_on")), "observations": observations(values),
            "indicators": chosen(values, "indicators"), "sudden_hardship": values.get("sudden_hardship") == "yes"}
    if members:
        body["members"] = members
    return body, rows


OBSERVATION_FIELDS = {"observations.monthly_income_yuan": "income", "observations.housing_safe": "housing_safe",
                      "observations.labour_capacity_lost": "labour_capacity_lost", "observations.notes": "notes"}


def verification_field(api_field: str, _rule: str = "") -> str | None:
    if api_field in ("confirmed", "visited_on", "sudden_hardship"):
        return api_field
    if api_field == "indicators" or api_field.startswith("indicators["):
        return "indicators"
    return OBSERVATION_FIELDS.get(api_field)


def dismissal_body(values: dict[str, str]) -> dict:
    return {"reason_code": _text(values.get("reason_code")), "reason": _text(values.get("reason"))}


def dismissal_field(api_field: str, _rule: str = "") -> str | None:
    return api_field if api_field in ("reason_code", "reason") else None


# -- discovery: a home-visit survey --------------------------------------------------------------------------------
def visited_members(values: dict[str, str], default_rows: int) -> tuple[list[dict], list[int]]:
    """The members rows (v-<i>-name, -id, -rel) as discovery's VisitedMember list; a row left blank is no member."""
    members, sent_rows = [], []
    for i in range(forms.row_count(values, "rows", default_rows)):
        name, number = _text(values.get(f"v-{i}-name")), _text(values.get(f"v-{i}-id"))
        if not name and not number:
            continue
        member = {"id_number": number}
        _put(member, "name", name, str.strip)
        _put(member, "relationship", values.get(f"v-{i}-rel"), str.strip)
        members.append(member)
        sent_rows.append(i)
    return members, sent_rows


def visit_body(values: dict[str, str]) -> tuple[dict, list[int]]:
    """(discovery's VisitCreate, the form row of each member sent). A row left blank is not a member."""
    members, sent_rows = visited_members(values, VISIT_ROWS)
    body = {"division_code": _text(values.get("division_code")), "visited_on": _text(values.get("visited_on")),
            "members": members, "observations": observations(values), "indicators": chosen(values, "indicators"),
            "recommendation": _text(values.get("recommendation")),
            "sudden_hardship": values.get("sudden_hardship") == "yes"}
    return body, sent_rows


VISIT_MEMBER_PARTS = {"name": "name", "id_number": "id", "relationship": "rel"}


def visit_field(api_field: str, rule: str, sent_rows: list[int]) -> str | None:
    if api_field in ("division_code", "visited_on", "recommendation", "sudden_hardship"):
        return api_field
    if api_field == "members" or (api_field == "body" and rule == "members_unique_id_number"):
        return f"v-{sent_rows[0] if sent_rows else 0}-id"
    match = re.fullmatch(r"members\[(\d+)\]\.(\w+)", api_field)
    if match:
        k = int(match.group(1))
        row = sent_rows[k] if k < len(sent_rows) else 0
        return f"v-{row}-{VISIT_MEMBER_PARTS.get(match.group(2), 'id')}"
    return verification_field(api_field, rule)


# -- discovery: the assisted application ---------------------------------------------------------------------------
def assisted_application_body(values: dict[str, str]) -> tuple[dict, list[int]]:
    """discovery's AssistedApplicationCreate: the citizen's application (portal.forms) and the household's
    authorisation."""
    body, sent_rows = forms.application_body(values)
    authorisation = {"method": _text(values.get("auth_method")), "obtained_on": _text(values.get("auth_obtained_on"))}
    _put(authorisation, "reference", values.get("auth_reference"), str.strip)
    return {**body, "authorisation": authorisation}, sent_rows


AUTHORISATION_FIELDS = {"authorisation": "auth_method", "authorisation.method": "auth_method",
                        "authorisation.reference": "auth_reference", "authorisation.obtained_on": "auth_obtained_on"}


def assisted_application_field(api_field: str, rule: str, sent_rows: list[int]) -> str | None:
    return AUTHORISATION_FIELDS.get(api_field) or forms.application_field(api_field, rule, sent_rows)


# -- assistance: needs assessment ----------------------------------------------------------------------------------
def needs_assessment_body(values: dict[str, str], open_need_ids: list[str]) -> tuple[dict, list[int], list[str]]:
    """(assistance's NeedsAssessmentCreate, the form row of each need added, the need id of each one cancelled)."""
    body: dict = {}
    _put(body, "per_capita_monthly_income_yuan", values.get("income"), _money)
    _put(body, "member_count", values.get("member_count"), _number)
    scores = {}
    for d in DIMENSIONS:
        _put(scores, d, values.get(f"score-{d}"), _number)
    if scores:
        body["scores"] = scores
    _put_tri(body, "sudden_hardship", values.get("sudden_hardship"))
    _put(body, "care_level", values.get("care_level"), str.strip)
    add, added_rows = [], []
    for i in range(ADD_NEED_ROWS):
        need_type = _text(values.get(f"add-{i}-type"))
        if need_type:
            need = {"need_type": need_type}
            _put(need, "note", values.get(f"add-{i}-note"), str.strip)
            add.append(need)
            added_rows.append(i)
    cancel, cancelled = [], []
    for need_id in open_need_ids:
        if values.get(f"cancel-{need_id}") == "yes":
            cancel.append({"need_id": need_id, "reason": _text(values.get(f"cancel-{need_id}-reason"))})
            cancelled.append(need_id)
    body["add_needs"], body["cancel_needs"] = add, cancel
    _put(body, "note", values.get("note"), str.strip)
    return body, added_rows, cancelled


def needs_assessment_field(api_field: str, _rule: str, added_rows: list[int], cancelled: list[str]) -> str | None:
    simple = {"per_capita_monthly_income_yuan": "income", "member_count": "member_count", "care_level": "care_level",
              "sudden_hardship": "sudden_hardship", "note": "note", "scores": f"score-{DIMENSIONS[0]}"}
    if api_field in simple:
        return simple[api_field]
    match = re.fullmatch(r"scores\.(\w+)", api_field)
    if match and match.group(1) in DIMENSIONS:
        return f"score-{match.group(1)}"
    match = re.fullmatch(r"add_needs\[(\d+)\](?:\.(\w+))?", api_field)
    if match:
        k = int(match.group(1))
        row = added_rows[k] if k < len(added_rows) else 0
        return f"add-{row}-{'note' if match.group(2) == 'note' else 'type'}"
    match = re.fullmatch(r"cancel_needs\[(\d+)\](?:\.(\w+))?", api_field)
    if match and int(match.group(1)) < len(cancelled):
        return f"cancel-{cancelled[int(match.group(1))]}-reason"
    return None


# -- assistance: the provider catalogue ----------------------------------------------------------------------------
def _areas(raw: str | None) -> list[str]:
    return [a for a in re.split(r"[\s,，、;；]+", raw or "") if a]


def provider_body(values: dict[str, str]) -> tuple[dict, list[int]]:
    """(assistance's ProviderCreate, the form row of each service sent)."""
    services, sent_rows = [], []
    for i in range(SERVICE_ROWS):
        service_type = _text(values.get(f"s-{i}-type"))
        if not service_type:
            continue
        service = {"service_type": service_type, "capacity_per_period": _number(values.get(f"s-{i}-capacity", "")),
                   "period_kind": _text(values.get(f"s-{i}-period")) or "month",
                   "unit_cost_yuan": _money(values.get(f"s-{i}-cost", ""))}
        services.append(service)
        sent_rows.append(i)
    constraints: dict = {"programmes_any": chosen(values, "programmes_any")}
    _put(constraints, "max_members", values.get("max_members"), _number)
    body = {"provider_id": _text(values.get("provider_id")), "name": _text(values.get("name")),
            "kind": _text(values.get("kind")), "areas": _areas(values.get("areas")), "constraints": constraints,
            "services": services}
    return body, sent_rows


SERVICE_PARTS = {"service_type": "type", "capacity_per_period": "capacity", "period_kind": "period",
                 "unit_cost_yuan": "cost"}


def provider_field(api_field: str, _rule: str, sent_rows: list[int]) -> str | None:
    if api_field in ("provider_id", "name", "kind"):
        return api_field
    if api_field == "areas" or api_field.startswith("areas["):
        return "areas"
    if api_field == "constraints.max_members":
        return "max_members"
    if api_field.startswith("constraints.programmes_any"):
        return "programmes_any"
    if api_field == "services":
        return "s-0-type"
    match = re.fullmatch(r"services\[(\d+)\](?:\.(\w+))?", api_field)
    if match:
        k = int(match.group(1))
        row = sent_rows[k] if k < len(sent_rows) else 0
        return f"s-{row}-{SERVICE_PARTS.get(match.group(2) or '', 'type')}"
    return None


def service_body(values: dict[str, str]) -> tuple[str, dict]:
    """(the service type in the path, assistance's ServiceIn)."""
    return _text(values.get("service_type")), {
        "capacity_per_period": _number(values.get("capacity", "")), "period_kind": _text(values.get("period")) or "month",
        "unit_cost_yuan": _money(values.get("cost", ""))}


def service_field(api_field: str, _rule: str = "") -> str | None:
    return {"capacity_per_period": "capacity", "period_kind": "period", "unit_cost_yuan": "cost",
            "service_type": "service_type"}.get(api_field)


def provider_status_body(values: dict[str, str]) -> dict:
    return {"active": values.get("active") == "yes", "reason": _text(values.get("status_reason"))}


def provider_status_field(api_field: str, _rule: str = "") -> str | None:
    return {"reason": "status_reason", "active": "status_reason"}.get(api_field)


# -- assistance: a referral (staff's steps: withdraw, rate, resolve a complaint) ----------------------------------
def cancellation_body(values: dict[str, str]) -> dict:
    return {"reason": _text(values.get("cancel_reason")), "close_need": values.get("close_need") == "yes"}


def cancellation_field(api_field: str, _rule: str = "") -> str | None:
    return {"reason": "cancel_reason", "close_need": "close_need"}.get(api_field)


def feedback_body(values: dict[str, str]) -> dict:
    body = {"rating": _number(values.get("rating", "")), "complaint": values.get("complaint") == "yes"}
    _put(body, "comment", values.get("comment"), str.strip)
    return body


def feedback_field(api_field: str, _rule: str = "") -> str | None:
    return api_field if api_field in ("rating", "complaint", "comment") else None


def resolution_body(values: dict[str, str]) -> dict:
    return {"resolution": _text(values.get("resolution"))}


def resolution_field(api_field: str, _rule: str = "") -> str | None:
    return "resolution" if api_field == "resolution" else None


# -- gradual_exit: situation updates and the exit flow -------------------------------------------------------------
def situation_body(values: dict[str, str]) -> dict:
    """gradual_exit's SituationCreate: only what was established (the rest stays as known)."""
    body: dict = {"kind": _text(values.get("kind")) or "update"}
    _put(body, "per_capita_monthly_income_yuan", values.get("income"), _money)
    _put_tri(body, "income_stable", values.get("income_stable"))
    _put_tri(body, "lasting_income_source", values.get("lasting_income_source"))
    _put(body, "assistance_measures_received", values.get("assistance_measures"), _number)
    guarantees: dict = {}
    for g in GUARANTEES:
        _put_tri(guarantees, g, values.get(f"g-{g}"))
    if guarantees:
        body["guarantees"] = guarantees
    _put(body, "note", values.get("note"), str.strip)
    return body


def situation_field(api_field: str, rule: str = "") -> str | None:
    simple = {"kind": "kind", "per_capita_monthly_income_yuan": "income", "income_stable": "income_stable",
              "lasting_income_source": "lasting_income_source", "assistance_measures_received": "assistance_measures",
              "note": "note"}
    if api_field in simple:
        return simple[api_field]
    match = re.fullmatch(r"guarantees\.(\w+)", api_field)
    if match and match.group(1) in GUARANTEES:
        return f"g-{match.group(1)}"
    if rule == "at_least_one_fact":
        return "income"
    return None


def review_body(values: dict[str, str]) -> dict:
    return {"outcome": _text(values.get("review_outcome")), "opinion": _text(values.get("opinion"))}


def review_field(api_field: str, _rule: str = "") -> str | None:
    return {"outcome": "review_outcome", "opinion": "opinion"}.get(api_field)


def objection_resolution_body(values: dict[str, str], objection_id: str) -> dict:
    return {"outcome": _text(values.get(f"o-{objection_id}-outcome")),
            "reason": _text(values.get(f"o-{objection_id}-reason"))}


def objection_resolution_field(api_field: str, _rule: str, objection_id: str) -> str | None:
    return {"outcome": f"o-{objection_id}-outcome", "reason": f"o-{objection_id}-reason"}.get(api_field)


def decision_body(values: dict[str, str]) -> dict:
    """gradual_exit's DecisionCreate: one reason (code and both languages) when any part of it is given."""
    body: dict = {"outcome": _text(values.get("decision_outcome"))}
    reason = {k: _text(values.get(f"decision_{k}")) for k in ("code", "zh", "en")}
    if any(reason.values()):
        body["reasons"] = [reason]
    return body


def decision_field(api_field: str, rule: str = "") -> str | None:
    if api_field == "outcome":
        return "decision_outcome"
    match = re.fullmatch(r"reasons(?:\[0\]\.(code|zh|en))?", api_field)
    if match:
        return f"decision_{match.group(1) or 'zh'}"
    return None


# -- followup: a check-in and the closure of a relapse episode -----------------------------------------------------
CHECKIN_MONEY = {"income": "household_monthly_income_yuan", "medical_year": "medical_out_of_pocket_yuan_year",
                 "medical_stay": "medical_per_stay_yuan", "disaster_loss": "disaster_loss_yuan"}


def checkin_body(values: dict[str, str]) -> dict:
    """followup's CheckinCreate. The income is required by followup: left blank it is sent as "" and named."""
    body: dict = {"household_monthly_income_yuan": _money(values.get("income", ""))}
    for name, key in list(CHECKIN_MONEY.items())[1:]:
        _put(body, key, values.get(name), _money)
    _put(body, "member_count", values.get("member_count"), _number)
    _put(body, "disaster_loss_share", values.get("disaster_loss_share"), _money)
    _put(body, "labour_loss_members", values.get("labour_loss_members"), _number)
    body["earner_died"] = values.get("earner_died") == "yes"
    _put(body, "other_risk", values.get("other_risk"), str.strip)
    _put(body, "notes", values.get("notes"), str.strip)
    _put(body, "visited_on", values.get("visited_on"), str.strip)
    return body


def checkin_field(api_field: str, _rule: str = "") -> str | None:
    for name, key in CHECKIN_MONEY.items():
        if api_field == key:
            return name
    if api_field in ("member_count", "disaster_loss_share", "labour_loss_members", "earner_died", "other_risk",
                     "notes", "visited_on"):
        return api_field
    return None


def closure_body(values: dict[str, str]) -> dict:
    return {"outcome": _text(values.get("closure_outcome")), "reason": _text(values.get("closure_reason"))}


def closure_field(api_field: str, _rule: str = "") -> str | None:
    return {"outcome": "closure_outcome", "reason": "closure_reason"}.get(api_field)


# -- labels of the fields named in an error summary ----------------------------------------------------------------
ROW_LABELS = {"v": ("sf.member_n", "sf.field.member_"), "s": ("sf.service_n", "sf.field."),
              "add": ("sf.add_need_n", "sf.field.add_")}


def label(name: str, _) -> str:
    """The label of a staff form's field, for the error summary: `sf.field.<name>`, rows and per-record fields
    with their number."""
    match = re.fullmatch(r"(v|s|add)-(\d+)-(\w+)", name)
    if match:
        row_id, part_prefix = ROW_LABELS[match.group(1)]
        part = "service_type" if (match.group(1), match.group(3)) == ("s", "type") else match.group(3)
        part_id = part_prefix + part
        return f"{_(row_id, n=int(match.group(2)) + 1)} · {_(part_id)}"
    if re.fullmatch(r"cancel-.+-reason", name):
        return _("sf.field.cancel_reason")
    match = re.fullmatch(r"o-.+-(outcome|reason)", name)
    if match:
        return _("sf.field.objection_outcome" if match.group(1) == "outcome" else "sf.field.objection_reason")
    if name.startswith("score-"):
        dimension_id = "sf.dimension." + name.removeprefix("score-")
        return f"{_('sf.field.scores')} · {_(dimension_id)}"
    if name.startswith("g-"):
        guarantee_id = "sf.guarantee." + name.removeprefix("g-")
        return _(guarantee_id)
    message_id = "sf.field." + name
    text = _(message_id)
    return forms.label(name, _) if text == message_id else text  # the citizen's application's own fields
