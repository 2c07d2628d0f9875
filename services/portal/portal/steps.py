"""The multi-step application (GOV.UK "one thing per page"): which fields each step owns, how a step's answers
join the ones carried from earlier steps, where the person goes next, and which step a 422 from discovery sends
them back to. Pure functions; the answers travel between steps in one hidden field, signed with the portal's
secret (HMAC-SHA256) so a page only ever continues answers this portal handed out. Nothing is stored."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from portal import forms

STEPS = ("where", "household", "income", "hardship", "consent")
CHECK = "check"
# the form fields each step owns (the household's rows p-<i>-name|id|rel belong to "household")
STEP_FIELDS = {"where": ("division_code",), "household": ("applicant_name", "applicant_id", "applicant_phone", "rows"),
               "income": ("income",), "hardship": ("hardship_reason", "hardship_description"), "consent": ("consent",)}
CARRIED = ("idempotency_key", "reached_check")  # kept across steps, never posted by a step's own fields
ROW = re.compile(r"p-(\d+)-(name|id|rel)")
MAX_STATE_CHARS = 40_000


def step_of(field_name: str | None) -> str | None:
    """The step on which a form field is asked (None: no step owns it)."""
    if not field_name:
        return None
    if ROW.fullmatch(field_name):
        return "household"
    return next((step for step, names in STEP_FIELDS.items() if field_name in names), None)


def owned(step: str, values: dict[str, str]) -> dict[str, str]:
    """The posted values that belong to `step` (anything else in a post is ignored)."""
    return {k: v for k, v in values.items() if step_of(k) == step}


def compact_rows(values: dict[str, str]) -> dict[str, str]:
    """The household's further members renumbered 0..n-1 with the blank rows (a person removed, or never filled
    in) left out; `rows` says how many there are (at least one empty row to fill in)."""
    rest = {k: v for k, v in values.items() if not ROW.fullmatch(k) and k != "rows"}
    count = forms.row_count(values, "rows", 0) if values.get("rows") else 0
    count = max(count, *(int(m.group(1)) + 1 for m in map(ROW.fullmatch, values) if m), 0)
    kept = 0
    for i in range(min(count, forms.MAX_ROWS)):
        row = {part: values.get(f"p-{i}-{part}", "").strip() for part in ("name", "id", "rel")}
        if not row["name"] and not row["id"]:
            continue
        for part, value in row.items():
            rest[f"p-{kept}-{part}"] = value
        kept += 1
    rest["rows"] = str(max(1, kept))
    return rest


def merge(state: dict[str, str], step: str, posted: dict[str, str]) -> dict[str, str]:
    """The answers after `step` was sent: that step's fields replaced by what was posted (a box left unticked
    is not posted, so it is cleared), every other step's kept."""
    if step not in STEPS:
        raise ValueError(step)
    kept = {k: v for k, v in state.items() if step_of(k) != step}
    merged = kept | owned(step, posted)
    return compact_rows(merged) if step == "household" else merged


def next_step(step: str, state: dict[str, str]) -> str:
    """After a step: the next one, or straight back to "check your answers" once the person has seen it."""
    if state.get("reached_check") == "yes" or step == STEPS[-1]:
        return CHECK
    return STEPS[STEPS.index(step) + 1]


def previous_step(step: str) -> str | None:
    if step == CHECK:
        return STEPS[-1]
    i = STEPS.index(step)
    return STEPS[i - 1] if i else None


def step_number(step: str) -> int:
    """1-based, for "第 2 步，共 5 步"."""
    return STEPS.index(step) + 1


def first_step_with_errors(errors: list[forms.FieldError]) -> str:
    """The earliest step holding a field named by an error (an error that names no field: the consent step,
    where the person sends the application again)."""
    steps = {step_of(e.field) for e in errors}
    return next((s for s in STEPS if s in steps), STEPS[-1])


def errors_on(step: str, errors: list[forms.FieldError]) -> list[forms.FieldError]:
    return [e for e in errors if step_of(e.field) == step or (e.field is None and step == STEPS[-1])]


def errors_elsewhere(step: str, errors: list[forms.FieldError]) -> list[tuple[str, forms.FieldError]]:
    """The errors of the later steps, (step, error), named in the summary so the person knows what follows (they
    are shown on their fields when the application is sent again from "check your answers")."""
    shown = errors_on(step, errors)
    return [(step_of(e.field) or STEPS[-1], e) for e in errors if e not in shown]


def start(prefill: dict[str, str], idempotency_key: str) -> dict[str, str]:
    """A new application: the self-check's answers the steps ask again, and its one Idempotency-Key."""
    state = {k: v for k, v in prefill.items() if step_of(k) and k != "consent"}
    state["idempotency_key"] = idempotency_key
    return compact_rows(state) if "rows" in state else state


# -- the answers in one hidden field --------------------------------------------------------------------------------
def _mac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), b"portal.apply.v1." + payload, hashlib.sha256).hexdigest()


def encode(state: dict[str, str], secret: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(state, ensure_ascii=False, sort_keys=True).encode()).rstrip(b"=")
    return payload.decode() + "." + _mac(secret, payload)


def decode(token: str | None, secret: str) -> dict[str, str] | None:
    """The answers, or None when the field is missing, too long, changed or not signed by this portal."""
    if not token or len(token) > MAX_STATE_CHARS or "." not in token:
        return None
    payload, mac = token.rsplit(".", 1)
    if not hmac.compare_digest(mac, _mac(secret, payload.encode())):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        return None
    return data


# -- "check your answers" ------------------------------------------------------------------------------------------
RELATIONSHIPS = forms.RELATIONSHIPS


def check_sections(state: dict[str, str], _, place_name) -> list[dict]:
    """Each step's answers as (label, value) rows, in the page language; `place_name(code)` names the village."""
    code = state.get("division_code", "")
    rows = forms.row_count(state, "rows")
    household = [(_("field.applicant_name"), state.get("applicant_name", "")),
                 (_("field.applicant_id"), state.get("applicant_id", "")),
                 (_("field.applicant_phone"), state.get("applicant_phone", ""))]
    for i in range(rows):
        name, number = state.get(f"p-{i}-name", ""), state.get(f"p-{i}-id", "")
        if not name and not number:
            continue
        rel = state.get(f"p-{i}-rel", "")
        household.append((_("apply.person_n", n=i + 1),
                          " · ".join(x for x in (name, number, _("relationship." + rel) if rel in RELATIONSHIPS else "")
                                     if x)))
    reason = state.get("hardship_reason", "")
    return [
        {"step": "where", "rows": [(_("field.division_code"), f"{place_name(code)} ({code})" if code else "")]},
        {"step": "household", "rows": household},
        {"step": "income", "rows": [(_("field.income"), state.get("income", ""))]},
        {"step": "hardship", "rows": [(_("field.hardship_reason"),
                                       _("hardship." + reason) if reason in forms.HARDSHIP_REASONS else ""),
                                      (_("field.hardship_description"), state.get("hardship_description", ""))]},
        {"step": "consent", "rows": [(_("field.consent"), _("answer.yes") if state.get("consent") == "yes"
                                      else _("answer.no"))]},
    ]
