"""The petition channel (信访举报) in the portal: a citizen files a petition (no account, anonymous allowed) and
follows it by tracking number + secret; a handling officer works the queue of their area (accept, decline, extend,
reply). Every rule is oversight's (its API answers 422/409 with the field and the rule); these handlers only turn
form fields into oversight's bodies and its answers back into pages.

`send_petition`, `petition_status`, `load_queue`, `load_petition` and `send_step` are what the routes call; they take
the clients (and, for staff, the officer's Authorization header), so tests use them without a request."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from portal import picker
from portal.clients import Answer, ServiceClients
from portal.forms import FieldError, Form, field_errors
from portal.pages import clients, form_values, render
from portal.staff.session import Officer, officer_headers, require_officer, verify_csrf
from shared.divisions import registry
from shared.emits import route_emits

router = APIRouter(include_in_schema=False)
CurrentOfficer = Annotated[Officer, Depends(require_officer)]

CATEGORIES = ("wrongly_enrolled", "wrongly_missed", "staff_conduct", "service_provider", "decision")
STATUSES = ("filed", "accepted", "declined", "replied")
STEPS = {"accept": ("acceptance", "reason"), "decline": ("declination", "reason"),
         "extend": ("extension", "reason"), "reply": ("reply", "reply")}
ATTACHMENT_ROWS = 3
TEXT_FIELDS = ("description", "subject_name", "file_number")
CONTACT_FIELDS = ("name", "phone", "address")
# ids looked up from data (the catalogue test checks each exists in both languages)
DYNAMIC_IDS = (["pt.category." + c for c in CATEGORIES] + ["pt.status." + s for s in STATUSES]
               + ["pt.step." + s for s in STEPS] + ["pt.level." + lv for lv in ("township", "county")]
               + ["pt.done." + s for s in STEPS]
               + ["field." + f for f in ("category", "description", "subject_name", "file_number", "contact_name",
                                         "contact_phone", "contact_address", "attachments", "tracking_number",
                                         "petition_secret", "reason", "reply", "petition_area")])


def chosen_area(chain) -> str:
    """The deepest county, township or village chosen in the picker ("" above a county)."""
    for d in reversed(chain):
        if d.level in ("county", "township", "village"):
            return d.code
    return ""


def petition_body(values: dict[str, str], division_code: str) -> dict:
    """Form fields -> oversight's PetitionCreate. A blank field is left out; a size not a number is sent as typed."""
    body: dict = {"category": values.get("category", ""), "division_code": division_code,
                  "description": values.get("description", "").strip()}
    for name in ("subject_name", "file_number"):
        if values.get(name, "").strip():
            body[name] = values[name].strip()
    contact = {k: values.get(f"contact_{k}", "").strip() for k in CONTACT_FIELDS}
    contact = {k: v for k, v in contact.items() if v}
    if contact and values.get("anonymous") != "yes":
        body["contact"] = contact
    attachments = []
    for i in range(ATTACHMENT_ROWS):
        name, size = values.get(f"a-{i}-name", "").strip(), values.get(f"a-{i}-size", "").strip()
        if name or size:
            try:
                size_bytes: object = int(round(float(size) * 1024))
            except ValueError:
                size_bytes = size
            attachments.append({"name": name, "size_bytes": size_bytes})
    body["attachments"] = attachments
    return body


def form_field(api_field: str, picker_field: str) -> str | None:
    """oversight's error field -> the form's input id."""
    if api_field == "division_code":
        return picker_field
    if api_field in ("category",) + TEXT_FIELDS:
        return api_field
    match = re.fullmatch(r"contact\.(\w+)", api_field)
    if match and match.group(1) in CONTACT_FIELDS:
        return "contact_" + match.group(1)
    if api_field.startswith("attachments"):
        match = re.fullmatch(r"attachments\[(\d+)\]\.(name|size_bytes)", api_field)
        return f"a-{match.group(1)}-{'name' if match.group(2) == 'name' else 'size'}" if match else "attachments"
    return None


@dataclass
class Sent:
    answer: Answer
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.answer.ok


def send_petition(clients_: ServiceClients, values: dict[str, str], division_code: str, picker_field: str,
                  idempotency_key: str) -> Sent:
    answer = clients_.oversight.call("POST", "/api/v1/public/petitions", json=petition_body(values, division_code),
                                     headers={"Idempotency-Key": idempotency_key})
    errors = field_errors(answer.field_errors(), lambda f, _r: form_field(f, picker_field))
    return Sent(answer, errors)


def petition_status(clients_: ServiceClients, tracking_number: str, secret: str) -> Answer:
    return clients_.oversight.call("GET", f"/api/v1/public/petitions/{quote(tracking_number, safe='')}",
                                   headers={"X-Petition-Secret": secret})


def timeline(status: dict) -> list[tuple[str, str, str | None]]:
    """(message id, date or time, text) of each step the petition went through, then what is due next."""
    steps = [("pt.timeline.filed", status.get("filed_on"), None)]
    if status.get("decided_at"):
        declined = status.get("status") == "declined"
        steps.append(("pt.timeline.declined" if declined else "pt.timeline.accepted", status["decided_at"],
                      status.get("decline_reason")))
    if status.get("extended"):
        steps.append(("pt.timeline.extended", status.get("reply_due_on"), status.get("extension_reason")))
    if status.get("replied_at"):
        steps.append(("pt.timeline.replied", status["replied_at"], status.get("reply")))
    return steps


# -- the citizen's pages ------------------------------------------------------------------------------------------
def _catalogue(request: Request):
    return request.app.state.services.catalogue


def new_page(request: Request, form: Form, status: int = 200, chain=None, **extra) -> HTMLResponse:
    chain = picker.chosen(form.values, registry()) if chain is None else chain
    area = chosen_area(chain)
    return render(request, "petition/new.html", status, form=form, picker=picker.levels(chain, registry()),
                  village=area, village_name=registry().full_name(area) if area else "", categories=CATEGORIES,
                  attachment_rows=range(ATTACHMENT_ROWS), **extra)


@router.get("/petitions/new", response_class=HTMLResponse)
def petition_form(request: Request, category: Annotated[str | None, Query(max_length=30)] = None):
    values = {"idempotency_key": str(uuid.uuid4())}
    if category in CATEGORIES:
        values["category"] = category
    return new_page(request, Form(values))


@router.post("/petitions/new", response_class=HTMLResponse, openapi_extra=route_emits(
    none="forwards the petition to oversight (POST /api/v1/public/petitions, which writes its event) with the form's "
         "Idempotency-Key; stores nothing in the portal"))
async def petition_submit(request: Request):
    values = await form_values(request)
    values["idempotency_key"] = values.get("idempotency_key") or str(uuid.uuid4())
    chain = picker.chosen(values, registry())
    if "pick" in values:
        return new_page(request, Form(values), chain=chain)
    shown = picker.levels(chain, registry())
    picker_field = shown[-1].name if shown else "division_code"
    area = chosen_area(chain)
    if not area:
        cat = _catalogue(request)
        error = FieldError(picker_field, "choose_area", cat.gettext("en")("pt.error.choose_area"),
                           cat.gettext("zh-CN")("pt.error.choose_area"))
        return new_page(request, Form(values, errors=[error]), 422, chain=chain)
    sent = send_petition(clients(request), values, area, picker_field, values["idempotency_key"])
    if sent.answer.unavailable:
        return new_page(request, Form(values), 503, chain=chain, unavailable=True)
    if sent.answer.status == 422:
        return new_page(request, Form(values, errors=sent.errors), 422, chain=chain,
                        refused=None if sent.errors else sent.answer.body)
    if not sent.ok:  # 413, 429: oversight's own words
        detail = sent.answer.body.get("detail")
        return new_page(request, Form(values), sent.answer.status, chain=chain,
                        refused=detail if isinstance(detail, dict) else sent.answer.body)
    return render(request, "petition/done.html", receipt=sent.answer.body)


@router.get("/petitions/status", response_class=HTMLResponse)
def status_form(request: Request, tracking_number: Annotated[str, Query(max_length=24)] = ""):
    return render(request, "petition/status.html", form=Form({"tracking_number": tracking_number}))


@router.post("/petitions/status", response_class=HTMLResponse, openapi_extra=route_emits(
    none="reads oversight's public status of a petition; a POST so the secret stays out of URLs and logs"))
async def status(request: Request):
    values = await form_values(request)
    number, secret = values.get("tracking_number", "").strip(), values.get("petition_secret", "").strip()
    cat = _catalogue(request)
    missing = [FieldError(name, "missing", cat.gettext("en")("error.required"), cat.gettext("zh-CN")("error.required"))
               for name, value in (("tracking_number", number), ("petition_secret", secret)) if not value]
    if missing:
        return render(request, "petition/status.html", 422, form=Form(values, errors=missing))
    answer = petition_status(clients(request), number[:24], secret[:64])
    if answer.unavailable:
        return render(request, "petition/status.html", 503, form=Form(values), unavailable=True)
    if answer.status in (404, 422):
        return render(request, "petition/status.html", 404, form=Form(values), not_found=True)
    if not answer.ok:
        detail = answer.body.get("detail")
        return render(request, "petition/status.html", answer.status, form=Form(values),
                      refused=detail if isinstance(detail, dict) else answer.body)
    return render(request, "petition/status_result.html", petition=answer.body, steps=timeline(answer.body))


# -- the handler's queue --------------------------------------------------------------------------------------
PER_PAGE = 20


def load_queue(clients_: ServiceClients, authorization: dict, status: str | None = None, overdue: bool = False,
               offset: int = 0) -> Answer:
    params: dict = {"limit": PER_PAGE, "offset": offset}
    if status in STATUSES:
        params["status"] = status
    if overdue:
        params["overdue"] = "true"
    return clients_.as_officer("oversight", "GET", "/api/v1/petitions", authorization, params=params)


def load_petition(clients_: ServiceClients, authorization: dict, petition_id: str) -> Answer:
    return clients_.as_officer("oversight", "GET", f"/api/v1/petitions/{quote(petition_id, safe='')}", authorization)


def send_step(clients_: ServiceClients, authorization: dict, petition_id: str, step: str,
              values: dict[str, str]) -> Sent:
    """accept / decline / extend / reply: the form's text as oversight's body, its 422 on the form's field."""
    path, name = STEPS[step]
    text = values.get(f"{step}-{name}", values.get(name, "")).strip()
    body = {name: text} if text or step != "accept" else {}
    answer = clients_.as_officer("oversight", "POST", f"/api/v1/petitions/{quote(petition_id, safe='')}/{path}",
                                 authorization, json=body)
    errors = field_errors(answer.field_errors(), lambda f, _r: f"{step}-{name}" if f in (name, "body") else None)
    return Sent(answer, errors)


@router.get("/staff/petitions", response_class=HTMLResponse)
def queue(request: Request, officer: CurrentOfficer, status: Annotated[str | None, Query(max_length=20)] = None,
          overdue: bool = False, page: Annotated[int, Query(ge=1, le=10_000)] = 1):
    status = status if status in STATUSES else None
    answer = load_queue(clients(request), officer_headers(request, officer), status, overdue, (page - 1) * PER_PAGE)
    return render(request, "petition/queue.html", 503 if answer.unavailable else 200, officer=officer,
                  answer=answer, items=answer.body.get("items", []) if answer.ok else [],
                  total=answer.body.get("total", 0), page=page, per_page=PER_PAGE, chosen_status=status, overdue=overdue,
                  statuses=STATUSES)


def _detail(request: Request, officer: Officer, petition_id: str, status: int = 200, **extra) -> HTMLResponse:
    answer = load_petition(clients(request), officer_headers(request, officer), petition_id)
    if not answer.ok:
        return render(request, "petition/staff_unavailable.html", 503 if answer.unavailable else answer.status,
                      officer=officer, answer=answer)
    extra.setdefault("form", Form())
    return render(request, "petition/staff_petition.html", status, officer=officer, p=answer.body, steps=STEPS,
                  **extra)


@router.get("/staff/petitions/{petition_id}", response_class=HTMLResponse)
def petition_page(request: Request, petition_id: Annotated[str, Path(max_length=64)], officer: CurrentOfficer,
                  done: Annotated[str | None, Query(max_length=20)] = None):
    return _detail(request, officer, petition_id, done=done if done in STEPS else None)


@router.post("/staff/petitions/{petition_id}/{step}", response_class=HTMLResponse,
             dependencies=[Depends(verify_csrf)], openapi_extra=route_emits(
                 none="forwards the step to oversight (POST /api/v1/petitions/{id}/acceptance|declination|extension|"
                      "reply, which writes its event); stores nothing in the portal"))
async def petition_step(request: Request, petition_id: Annotated[str, Path(max_length=64)],
                        step: Annotated[str, Path(max_length=20)], officer: CurrentOfficer):
    if step not in STEPS:
        return render(request, "petition/staff_unavailable.html", 404, officer=officer, answer=Answer(404))
    values = await form_values(request)
    values.pop("csrf_token", None)
    sent = send_step(clients(request), officer_headers(request, officer), petition_id, step, values)
    if sent.ok:
        return RedirectResponse(f"/staff/petitions/{quote(petition_id, safe='')}?done={step}", status_code=303)
    answer = sent.answer
    refused = None
    if not sent.errors and not answer.unavailable:
        detail = answer.body.get("detail")
        refused = detail if isinstance(detail, dict) else answer.body
    return _detail(request, officer, petition_id, answer.status, form=Form(values, errors=sent.errors),
                   posted=step, refused=refused, unavailable=answer.unavailable)
