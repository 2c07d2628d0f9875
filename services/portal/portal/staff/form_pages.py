"""The staff side's forms for work that existed only as API: a clue and its verification, the home-visit record, the
assisted application (discovery); the needs assessment, the provider catalogue and a referral (assistance); situation
updates and the exit flow of a participation (gradual_exit); a follow-up plan and its check-ins (followup).

Thin handlers: read the form, build the body (portal.staff.staff_forms), call the service as the signed-in officer
(a token the portal mints), then either 303 back to the page with a confirmation banner or show the page again with
the service's 422 errors beside their fields, or its 403/404/409 as a notice. Each `send_*` function is what a
route calls; it takes the clients and the officer's Authorization header, so it can be used without a request."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from portal.clients import Answer, ServiceClients
from portal.forms import FieldError, Form, row_count
from portal.i18n import COOKIE, pick
from portal.pages import render
from portal.staff import staff_forms as sf
from portal.staff.session import Officer, officer_headers, require_officer, verify_csrf
from shared.emits import route_emits

router = APIRouter(include_in_schema=False)
CurrentOfficer = Annotated[Officer, Depends(require_officer)]
CSRF = [Depends(verify_csrf)]
PAGE_SIZE = 20

# the confirmation banner after a successful step (?done=<key>)
DONE = {"verification": "sf.done.verification", "dismissal": "sf.done.dismissal", "referral": "sf.done.referral",
        "visit": "sf.done.visit", "application": "sf.done.application", "needs": "sf.done.needs",
        "provider": "sf.done.provider", "service": "sf.done.service", "status": "sf.done.status",
        "cancellation": "sf.done.cancellation", "feedback": "sf.done.feedback", "resolution": "sf.done.resolution",
        "situation": "sf.done.situation", "review": "sf.done.review", "objection": "sf.done.objection",
        "notice": "sf.done.notice", "decision": "sf.done.decision", "checkin": "sf.done.checkin",
        "closure": "sf.done.closure"}
# what a refusal is called, above the service's own words
PROBLEMS = {401: "sf.problem.forbidden", 403: "sf.problem.forbidden", 404: "sf.problem.not_found",
            409: "sf.problem.conflict", 422: "sf.problem.invalid", 503: "sf.problem.unavailable"}
# statuses of assistance's households, needs, referrals, benefits and complaints, and of followup's scheduled check-ins
STATUS_WORDS = ("active", "exited", "waiting", "referred", "in_service", "delivered", "cancelled", "accepted",
                "declined", "observing", "completed", "reverted", "open", "resolved", "awaiting_income", "pending",
                "waived", "closed")
# ids looked up from data at run time (the catalogue test of the staff forms checks each exists in both languages)
DYNAMIC_IDS = (list(DONE.values()) + list(set(PROBLEMS.values())) + ["sf.problem.refused"]
               + ["sf.indicator." + i for i in sf.INDICATORS] + ["sf.dismissal." + r for r in sf.DISMISSAL_REASONS]
               + ["sf.recommendation." + r for r in sf.RECOMMENDATIONS]
               + ["sf.authorisation." + m for m in sf.AUTHORISATION_METHODS]
               + ["sf.service_type." + s for s in sf.SERVICE_TYPES] + ["sf.dimension." + d for d in sf.DIMENSIONS]
               + ["sf.care_level." + c for c in sf.CARE_LEVELS] + ["sf.provider_kind." + k for k in sf.PROVIDER_KINDS]
               + ["sf.period." + p for p in sf.PERIOD_KINDS] + ["sf.guarantee." + g for g in sf.GUARANTEES]
               + ["sf.clue_status." + s for s in ("raised", "verified", "unconfirmed", "referred", "dismissed", "linked")]
               + ["sf.exit_state." + s for s in ("supported", "observation", "exit_review", "exit_notice",
                                                  "exit_decision", "exited")]
               + ["sf.plan_status." + s for s in ("active", "relapsed", "completed")] + ["sf.relationship.self"]
               + ["sf.status." + s for s in STATUS_WORDS]
               + ["sf.delivery." + k for k in ("units", "unit_cost_yuan", "cost_yuan", "delivered_on", "note")]
               + ["sf.source." + k for k in ("household", "caseworker")])


@dataclass
class Problem:
    """A service's refusal as a page shows it: what kind (our words) and why (the service's words)."""

    title_id: str
    message: str = ""
    message_zh: str = ""
    allowed: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, answer: Answer) -> "Problem":
        body = answer.body or {}
        allowed = body.get("allowed_next_steps") or body.get("allowed_actions") or []
        return cls(PROBLEMS.get(answer.status, "sf.problem.refused"), str(body.get("message") or ""),
                   str(body.get("message_zh") or ""), [str(a) for a in allowed] if isinstance(allowed, list) else [])


@dataclass
class Outcome:
    """What a form's call to a service came to: the answer, and its 422 errors on the form's fields."""

    answer: Answer
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.answer.ok

    def problem(self) -> Problem | None:
        """A notice for everything but success and field errors (a 422 naming no field is a notice too)."""
        if self.ok or (self.answer.status == 422 and self.errors):
            return None
        return Problem.of(self.answer)


def _path(template: str, *ids: str) -> str:
    return template.format(*(quote(i, safe="") for i in ids))


def _send(clients: ServiceClients, service: str, method: str, path: str, authorization: dict, body: dict | None,
          mapper: Callable[[str, str], str | None], key: str | None = None) -> Outcome:
    headers = {"Idempotency-Key": key} if key else None
    answer = clients.as_officer(service, method, path, authorization, json=body, headers=headers)
    return Outcome(answer, sf.map_errors(answer.field_errors(), mapper))


# -- the calls the routes make (usable without a request: the integration test calls them) --------------------------
def send_verification(clients, authorization, clue_id: str, values: dict) -> Outcome:
    body, rows = sf.verification_body(values)
    return _send(clients, "discovery", "POST", _path("/api/v1/clues/{}/verification", clue_id), authorization,
                 body, lambda f, r: sf.visit_field(f, r, rows))


def send_dismissal(clients, authorization, clue_id: str, values: dict) -> Outcome:
    return _send(clients, "discovery", "POST", _path("/api/v1/clues/{}/dismissal", clue_id), authorization,
                 sf.dismissal_body(values), sf.dismissal_field)


def send_referral(clients, authorization, clue_id: str, _values: dict) -> Outcome:
    return _send(clients, "discovery", "POST", _path("/api/v1/clues/{}/referral", clue_id), authorization, None,
                 lambda f, r: None)


def send_visit(clients, authorization, values: dict) -> Outcome:
    body, rows = sf.visit_body(values)
    return _send(clients, "discovery", "POST", "/api/v1/visits", authorization, body,
                 lambda f, r: sf.visit_field(f, r, rows), values.get("idempotency_key"))


def send_assisted_application(clients, authorization, values: dict) -> Outcome:
    body, rows = sf.assisted_application_body(values)
    return _send(clients, "discovery", "POST", "/api/v1/assisted-applications", authorization, body,
                 lambda f, r: sf.assisted_application_field(f, r, rows), values.get("idempotency_key"))


def send_needs_assessment(clients, authorization, household_id: str, values: dict, open_need_ids: list[str]) -> Outcome:
    body, added, cancelled = sf.needs_assessment_body(values, open_need_ids)
    return _send(clients, "assistance", "POST", _path("/api/v1/households/{}/needs-assessment", household_id),
                 authorization, body, lambda f, r: sf.needs_assessment_field(f, r, added, cancelled),
                 values.get("idempotency_key"))


def send_provider(clients, authorization, values: dict) -> Outcome:
    body, rows = sf.provider_body(values)
    return _send(clients, "assistance", "POST", "/api/v1/providers", authorization, body,
                 lambda f, r: sf.provider_field(f, r, rows), values.get("idempotency_key"))


def send_service(clients, authorization, provider_id: str, values: dict) -> Outcome:
    service_type, body = sf.service_body(values)
    if service_type not in sf.SERVICE_TYPES:  # a path part, not a body field: assistance would answer 422 on the path
        return Outcome(Answer(422), [FieldError("service_type", "choose", "choose a service type", "请选择服务类型")])
    return _send(clients, "assistance", "PUT", _path("/api/v1/providers/{}/services/{}", provider_id, service_type),
                 authorization, body, sf.service_field)


def send_provider_status(clients, authorization, provider_id: str, values: dict) -> Outcome:
    return _send(clients, "assistance", "POST", _path("/api/v1/providers/{}/status", provider_id), authorization,
                 sf.provider_status_body(values), sf.provider_status_field)


def send_cancellation(clients, authorization, referral_id: str, values: dict) -> Outcome:
    return _send(clients, "assistance", "POST", _path("/api/v1/referrals/{}/cancellation", referral_id), authorization,
                 sf.cancellation_body(values), sf.cancellation_field)


def send_feedback(clients, authorization, referral_id: str, values: dict) -> Outcome:
    return _send(clients, "assistance", "POST", _path("/api/v1/referrals/{}/feedback", referral_id), authorization,
                 sf.feedback_body(values), sf.feedback_field, values.get("idempotency_key"))


def send_resolution(clients, authorization, feedback_id: str, values: dict) -> Outcome:
    return _send(clients, "assistance", "POST", _path("/api/v1/feedback/{}/resolution", feedback_id), authorization,
                 sf.resolution_body(values), sf.resolution_field)


def send_situation(clients, authorization, household_id: str, values: dict) -> Outcome:
    return _send(clients, "gradual_exit", "POST", _path("/api/v1/households/{}/situations", household_id),
                 authorization, sf.situation_body(values), sf.situation_field, values.get("idempotency_key"))


def send_review(clients, authorization, participation_id: str, values: dict) -> Outcome:
    return _send(clients, "gradual_exit", "POST", _path("/api/v1/participations/{}/review", participation_id),
                 authorization, sf.review_body(values), sf.review_field)


def send_objection_resolution(clients, authorization, participation_id: str, objection_id: str, values: dict) -> Outcome:
    return _send(clients, "gradual_exit", "POST",
                 _path("/api/v1/participations/{}/objections/{}/resolution", participation_id, objection_id),
                 authorization, sf.objection_resolution_body(values, objection_id),
                 lambda f, r: sf.objection_resolution_field(f, r, objection_id))


def send_notice_close(clients, authorization, participation_id: str, _values: dict) -> Outcome:
    return _send(clients, "gradual_exit", "POST", _path("/api/v1/participations/{}/notice/close", participation_id),
                 authorization, None, lambda f, r: None)


def send_decision(clients, authorization, participation_id: str, values: dict) -> Outcome:
    return _send(clients, "gradual_exit", "POST", _path("/api/v1/participations/{}/decision", participation_id),
                 authorization, sf.decision_body(values), sf.decision_field)


def send_checkin(clients, authorization, plan_id: str, values: dict) -> Outcome:
    return _send(clients, "followup", "POST", _path("/api/v1/plans/{}/checkins", plan_id), authorization,
                 sf.checkin_body(values), sf.checkin_field, values.get("idempotency_key"))


def send_closure(clients, authorization, plan_id: str, relapse_id: str, values: dict) -> Outcome:
    return _send(clients, "followup", "POST", _path("/api/v1/plans/{}/relapses/{}/closure", plan_id, relapse_id),
                 authorization, sf.closure_body(values), sf.closure_field)


# -- page plumbing -----------------------------------------------------------------------------------------------------
def clients_of(request: Request) -> ServiceClients:
    return request.app.state.services.clients


async def read_values(request: Request) -> dict[str, str]:
    """The posted form; a field sent several times (checkboxes) joined by commas (staff_forms.chosen splits it)."""
    data = await request.form()
    out: dict[str, str] = {}
    for name in data.keys():
        parts = [v for v in data.getlist(name) if isinstance(v, str)]
        out[name] = sf.joined(parts) if len(parts) > 1 else (parts[0] if parts else "")
    return out


def staff_render(request: Request, template: str, officer: Officer, status: int = 200, **context) -> HTMLResponse:
    catalogue = request.app.state.services.catalogue
    _ = catalogue.gettext(pick(request.query_params.get("lang"), request.cookies.get(COOKIE)))
    done = DONE.get(request.query_params.get("done", "")) if status == 200 else None
    context.setdefault("failed", None)
    context.setdefault("form", Form())
    return render(request, template, status, officer=officer, done=done, ref=request.query_params.get("ref", ""),
                  ref_household=request.query_params.get("household", ""),
                  ref_referral=request.query_params.get("referral", ""), blank=fresh(keyed=True),
                  label_of=lambda name: sf.label(name, _), codes=sf,
                  options=lambda prefix, codes: [(c, _(prefix + c)) for c in codes],
                  name_of=lambda prefix, code: name_of(_, prefix, code), offered=lambda step: sf.offered(step, officer.role),
                  chosen=lambda form, name: sf.chosen(form.values, name), **context)


def name_of(_, prefix: str, code) -> str:
    """A code from a service's answer in words, or the code itself when the catalogue has no words for it."""
    if code in (None, ""):
        return "—"
    text = _(f"{prefix}{code}")
    return str(code) if text == f"{prefix}{code}" else text


def fresh(values: dict | None = None, keyed: bool = False) -> Form:
    values = dict(values or {})
    if keyed:
        values.setdefault("idempotency_key", str(uuid.uuid4()))
    return Form(values)


def back(url: str, done: str, **params) -> RedirectResponse:
    query = urlencode({"done": done, **{k: v for k, v in params.items() if v}})
    return RedirectResponse(f"{url}{'&' if '?' in url else '?'}{query}", status_code=303)


def failed_status(outcome: Outcome) -> int:
    return 503 if outcome.answer.unavailable else outcome.answer.status


def settle(outcome: Outcome, values: dict, step: str, url: str, page) -> object:
    """How every staff form ends: back to `url` with its confirmation, or `page(status, **context)` again with the
    service's errors on the form's fields and its refusal in words."""
    if outcome.ok:
        return back(url, step)
    return page(failed_status(outcome), failed=step, form=Form(values, errors=outcome.errors),
                problem=outcome.problem())


def load(clients: ServiceClients, service: str, path: str, authorization: dict, params: dict | None = None
         ) -> tuple[dict | None, Problem | None, int]:
    answer = clients.as_officer(service, "GET", path, authorization, params=params)
    if answer.ok:
        return answer.body, None, 200
    return None, Problem.of(answer), 503 if answer.unavailable else answer.status


# -- discovery: a clue -------------------------------------------------------------------------------------------------
def clue_page(request: Request, officer: Officer, clue_id: str, status: int = 200, **context) -> HTMLResponse:
    auth = officer_headers(request, officer)
    clue, problem, load_status = load(clients_of(request), "discovery", _path("/api/v1/clues/{}", clue_id), auth)
    history = []
    if clue is not None:
        trail, _p, _s = load(clients_of(request), "discovery", "/api/v1/audit", auth,
                             {"entity_type": "clue", "entity_id": clue_id})
        history = (trail or {}).get("items", [])
    context.setdefault("problem", problem)
    return staff_render(request, "staff_forms/clue.html", officer, status if clue is not None else load_status,
                        clue=clue, history=history, clue_id=clue_id, **context)


@router.get("/staff/clues/{clue_id}", response_class=HTMLResponse)
def clue(request: Request, clue_id: str, officer: CurrentOfficer):
    return clue_page(request, officer, clue_id)


CLUE_STEPS = {"verification": send_verification, "dismissal": send_dismissal, "referral": send_referral}


@router.post("/staff/clues/{clue_id}/{step}", response_class=HTMLResponse, dependencies=CSRF,
             openapi_extra=route_emits(none="forwards the step to discovery (its verification, dismissal or referral "
                                            "endpoint, which writes the events); stores nothing in the portal"))
async def clue_step(request: Request, clue_id: str, step: str, officer: CurrentOfficer):
    if step not in CLUE_STEPS:
        return clue_page(request, officer, clue_id, 404, problem=Problem("sf.problem.not_found"))
    values = await read_values(request)
    outcome = CLUE_STEPS[step](clients_of(request), officer_headers(request, officer), clue_id, values)
    return settle(outcome, values, step, _path("/staff/clues/{}", clue_id),
                  lambda status, **context: clue_page(request, officer, clue_id, status, **context))


# -- discovery: a home visit -------------------------------------------------------------------------------------------
def visit_prefill(household: dict | None) -> dict[str, str]:
    """The household's division and members as discovery knows them (ID numbers are masked there: typed again)."""
    if not household:
        return {"rows": str(sf.VISIT_ROWS)}
    members = household.get("members") or []
    values = {"division_code": household.get("division_code", ""), "rows": str(max(sf.VISIT_ROWS, len(members)))}
    for i, m in enumerate(members[:30]):
        values[f"v-{i}-name"] = m.get("name") or ""
        values[f"v-{i}-rel"] = m.get("relationship") or ""
    return values


@router.get("/staff/visits/new", response_class=HTMLResponse)
def visit_form(request: Request, officer: CurrentOfficer, clue_id: str | None = None, household_id: str | None = None):
    if clue_id:  # a clue's home visit is its verification visit: recorded on the clue's page
        return RedirectResponse(_path("/staff/clues/{}", clue_id) + "#verification", status_code=303)
    household, problem, status = None, None, 200
    if household_id:
        household, problem, status = load(clients_of(request), "discovery", _path("/api/v1/households/{}", household_id),
                                          officer_headers(request, officer))
    form = fresh(visit_prefill(household), keyed=True)
    return staff_render(request, "staff_forms/visit.html", officer, status, form=form, problem=problem,
                        household_id=household_id if household else None)


@router.post("/staff/visits/new", response_class=HTMLResponse, dependencies=CSRF, openapi_extra=route_emits(
    none="forwards the visit to discovery (POST /api/v1/visits, which writes its events); stores nothing"))
async def visit_submit(request: Request, officer: CurrentOfficer):
    values = await read_values(request)
    values.setdefault("idempotency_key", str(uuid.uuid4()))
    if "add_row" in values:
        values["rows"] = str(min(30, row_count(values, "rows", sf.VISIT_ROWS) + 1))
        return staff_render(request, "staff_forms/visit.html", officer, form=Form(values))
    outcome = send_visit(clients_of(request), officer_headers(request, officer), values)
    if outcome.ok:
        visit = outcome.answer.body.get("visit") or {}
        return back("/staff/visits/new", "visit", ref=visit.get("visit_id", ""),
                    household=visit.get("household_id", ""), referral=outcome.answer.body.get("referral_id") or "")
    return staff_render(request, "staff_forms/visit.html", officer, failed_status(outcome),
                        form=Form(values, errors=outcome.errors), problem=outcome.problem(), failed="visit")


# -- discovery: the assisted application -------------------------------------------------------------------------------
@router.get("/staff/applications/new", response_class=HTMLResponse)
def application_form(request: Request, officer: CurrentOfficer):
    return staff_render(request, "staff_forms/application.html", officer, form=fresh({"rows": "1"}, keyed=True))


@router.post("/staff/applications/new", response_class=HTMLResponse, dependencies=CSRF, openapi_extra=route_emits(
    none="forwards the application to discovery (POST /api/v1/assisted-applications, which writes its events)"))
async def application_submit(request: Request, officer: CurrentOfficer):
    values = await read_values(request)
    values.setdefault("idempotency_key", str(uuid.uuid4()))
    rows = row_count(values, "rows")
    if "add_row" in values:
        values["rows"] = str(min(30, rows + 1))
        return staff_render(request, "staff_forms/application.html", officer, form=Form(values, rows + 1))
    outcome = send_assisted_application(clients_of(request), officer_headers(request, officer), values)
    if outcome.ok:
        return back("/staff/applications/new", "application", ref=outcome.answer.body.get("application_id", ""),
                    household=outcome.answer.body.get("household_id", ""))
    return staff_render(request, "staff_forms/application.html", officer, failed_status(outcome),
                        form=Form(values, rows, outcome.errors), problem=outcome.problem(), failed="application")


# -- assistance: one household's needs, benefits and matches ------------------------------------------------------------
OPEN_NEEDS = ("waiting", "referred", "in_service")  # assistance repository.OPEN_NEED_STATES


def open_need_ids(household: dict | None) -> list[str]:
    return [n["need_id"] for n in (household or {}).get("needs", []) if n.get("status") in OPEN_NEEDS]


def assistance_page(request: Request, officer: Officer, household_id: str, status: int = 200, **context):
    household, problem, load_status = load(clients_of(request), "assistance",
                                           _path("/api/v1/households/{}", household_id),
                                           officer_headers(request, officer))
    context.setdefault("problem", problem)
    context.setdefault("form", fresh(keyed=True))
    return staff_render(request, "staff_forms/assistance_household.html", officer,
                        status if household is not None else load_status, household=household,
                        household_id=household_id, open_needs=open_need_ids(household), **context)


@router.get("/staff/assistance/households/{household_id}", response_class=HTMLResponse)
def assistance_household(request: Request, household_id: str, officer: CurrentOfficer):
    return assistance_page(request, officer, household_id)


@router.post("/staff/assistance/households/{household_id}/needs-assessment", response_class=HTMLResponse,
             dependencies=CSRF, openapi_extra=route_emits(none="forwards the needs assessment to assistance"))
async def needs_assessment(request: Request, household_id: str, officer: CurrentOfficer):
    values = await read_values(request)
    auth = officer_headers(request, officer)
    household, _problem, _status = load(clients_of(request), "assistance", _path("/api/v1/households/{}", household_id),
                                        auth)
    outcome = send_needs_assessment(clients_of(request), auth, household_id, values, open_need_ids(household))
    return settle(outcome, values, "needs", _path("/staff/assistance/households/{}", household_id),
                  lambda status, **context: assistance_page(request, officer, household_id, status, **context))


# -- assistance: the provider catalogue ---------------------------------------------------------------------------------
def providers_page(request: Request, officer: Officer, status: int = 200, **context) -> HTMLResponse:
    auth = officer_headers(request, officer)
    q = request.query_params
    offset = int(q["offset"]) if q.get("offset", "").isdigit() else 0
    params = {"limit": PAGE_SIZE, "offset": offset}
    if q.get("service_type") in sf.SERVICE_TYPES:
        params["service_type"] = q["service_type"]
    if q.get("active") in ("true", "false"):
        params["active"] = q["active"]
    page, problem, load_status = load(clients_of(request), "assistance", "/api/v1/providers", auth, params)
    provider_id = context.pop("provider_id", None) or q.get("provider_id")
    provider = None
    if provider_id and page is not None:
        provider, problem, load_status = load(clients_of(request), "assistance",
                                              _path("/api/v1/providers/{}", provider_id), auth)
    context.setdefault("problem", problem)
    context.setdefault("form", fresh(keyed=True))
    ok = page is not None and (provider is not None or not provider_id)
    filters = {k: v for k, v in params.items() if k in ("service_type", "active")}
    return staff_render(request, "staff_forms/providers.html", officer, status if ok else load_status, page=page,
                        provider=provider, filters=filters, offset=offset, page_size=PAGE_SIZE,
                        page_link=lambda o: "/staff/providers?" + urlencode({**filters, "offset": o}), **context)


@router.get("/staff/providers", response_class=HTMLResponse)
def providers(request: Request, officer: CurrentOfficer):
    return providers_page(request, officer)


@router.post("/staff/providers", response_class=HTMLResponse, dependencies=CSRF,
             openapi_extra=route_emits(none="forwards the new provider to assistance (POST /api/v1/providers)"))
async def provider_register(request: Request, officer: CurrentOfficer):
    values = await read_values(request)
    outcome = send_provider(clients_of(request), officer_headers(request, officer), values)
    if outcome.ok:
        return back(_path("/staff/providers?provider_id={}", outcome.answer.body.get("provider_id", "")), "provider")
    return providers_page(request, officer, failed_status(outcome), failed="provider",
                          form=Form(values, errors=outcome.errors), problem=outcome.problem())


PROVIDER_STEPS = {"services": (send_service, "service"), "status": (send_provider_status, "status")}


@router.post("/staff/providers/{provider_id}/{step}", response_class=HTMLResponse, dependencies=CSRF,
             openapi_extra=route_emits(none="forwards a capacity change or a suspension to assistance"))
async def provider_step(request: Request, provider_id: str, step: str, officer: CurrentOfficer):
    if step not in PROVIDER_STEPS:
        return providers_page(request, officer, 404, provider_id=provider_id, problem=Problem("sf.problem.not_found"))
    values = await read_values(request)
    send, done = PROVIDER_STEPS[step]
    outcome = send(clients_of(request), officer_headers(request, officer), provider_id, values)
    return settle(outcome, values, done, _path("/staff/providers?provider_id={}", provider_id),
                  lambda status, **context: providers_page(request, officer, status, provider_id=provider_id,
                                                           **context))


# -- assistance: a referral ---------------------------------------------------------------------------------------------
def referral_page(request: Request, officer: Officer, referral_id: str, status: int = 200, **context):
    referral, problem, load_status = load(clients_of(request), "assistance", _path("/api/v1/referrals/{}", referral_id),
                                          officer_headers(request, officer))
    context.setdefault("problem", problem)
    context.setdefault("form", fresh(keyed=True))
    return staff_render(request, "staff_forms/referral.html", officer, status if referral is not None else load_status,
                        referral=referral, referral_id=referral_id, **context)


@router.get("/staff/referrals/{referral_id}", response_class=HTMLResponse)
def referral(request: Request, referral_id: str, officer: CurrentOfficer):
    return referral_page(request, officer, referral_id)


@router.post("/staff/referrals/{referral_id}/{step}", response_class=HTMLResponse, dependencies=CSRF,
             openapi_extra=route_emits(none="forwards a withdrawal, a rating or a complaint's resolution to assistance"))
async def referral_step(request: Request, referral_id: str, step: str, officer: CurrentOfficer):
    values = await read_values(request)
    auth = officer_headers(request, officer)
    if step == "cancellation":
        outcome = send_cancellation(clients_of(request), auth, referral_id, values)
    elif step == "feedback":
        outcome = send_feedback(clients_of(request), auth, referral_id, values)
    elif step == "resolution" and values.get("feedback_id"):
        outcome = send_resolution(clients_of(request), auth, values["feedback_id"], values)
    else:
        return referral_page(request, officer, referral_id, 404, problem=Problem("sf.problem.not_found"))
    return settle(outcome, values, step, _path("/staff/referrals/{}", referral_id),
                  lambda status, **context: referral_page(request, officer, referral_id, status, **context))


# -- gradual_exit: a participation ----------------------------------------------------------------------------------------
def participation_page(request: Request, officer: Officer, participation_id: str, status: int = 200, **context):
    auth = officer_headers(request, officer)
    participation, problem, load_status = load(clients_of(request), "gradual_exit",
                                               _path("/api/v1/participations/{}", participation_id), auth)
    situations = []
    if participation is not None:
        page, _p, _s = load(clients_of(request), "gradual_exit",
                            _path("/api/v1/households/{}/situations", participation["household_id"]), auth,
                            {"limit": 10})
        situations = (page or {}).get("items", [])
    context.setdefault("problem", problem)
    context.setdefault("form", fresh(keyed=True))
    return staff_render(request, "staff_forms/participation.html", officer,
                        status if participation is not None else load_status, participation=participation,
                        participation_id=participation_id, situations=situations, **context)


@router.get("/staff/exit/participations/{participation_id}", response_class=HTMLResponse)
def participation(request: Request, participation_id: str, officer: CurrentOfficer):
    return participation_page(request, officer, participation_id)


@router.post("/staff/exit/participations/{participation_id}/{step}", response_class=HTMLResponse, dependencies=CSRF,
             openapi_extra=route_emits(none="forwards a situation update or an exit step to gradual_exit"))
async def participation_step(request: Request, participation_id: str, step: str, officer: CurrentOfficer):
    values = await read_values(request)
    auth, clients = officer_headers(request, officer), clients_of(request)
    if step == "situation":
        participation, problem, status = load(clients, "gradual_exit",
                                              _path("/api/v1/participations/{}", participation_id), auth)
        if participation is None:
            return participation_page(request, officer, participation_id, status, problem=problem)
        outcome = send_situation(clients, auth, participation["household_id"], values)
    elif step == "review":
        outcome = send_review(clients, auth, participation_id, values)
    elif step == "notice":
        outcome = send_notice_close(clients, auth, participation_id, values)
    elif step == "decision":
        outcome = send_decision(clients, auth, participation_id, values)
    elif step == "objection" and values.get("objection_id"):
        outcome = send_objection_resolution(clients, auth, participation_id, values["objection_id"], values)
    else:
        return participation_page(request, officer, participation_id, 404, problem=Problem("sf.problem.not_found"))
    return settle(outcome, values, step, _path("/staff/exit/participations/{}", participation_id),
                  lambda status, **context: participation_page(request, officer, participation_id, status, **context))


# -- followup: a plan -----------------------------------------------------------------------------------------------------
def plan_page(request: Request, officer: Officer, plan_id: str, status: int = 200, **context):
    plan, problem, load_status = load(clients_of(request), "followup", _path("/api/v1/plans/{}", plan_id),
                                      officer_headers(request, officer))
    context.setdefault("problem", problem)
    context.setdefault("form", fresh(keyed=True))
    return staff_render(request, "staff_forms/plan.html", officer, status if plan is not None else load_status,
                        plan=plan, plan_id=plan_id, **context)


@router.get("/staff/followup/plans/{plan_id}", response_class=HTMLResponse)
def plan(request: Request, plan_id: str, officer: CurrentOfficer):
    return plan_page(request, officer, plan_id)


@router.post("/staff/followup/plans/{plan_id}/{step}", response_class=HTMLResponse, dependencies=CSRF,
             openapi_extra=route_emits(none="forwards a check-in or an episode's closure to followup"))
async def plan_step(request: Request, plan_id: str, step: str, officer: CurrentOfficer):
    values = await read_values(request)
    auth = officer_headers(request, officer)
    if step == "checkin":
        outcome = send_checkin(clients_of(request), auth, plan_id, values)
    elif step == "closure" and values.get("relapse_id"):
        outcome = send_closure(clients_of(request), auth, plan_id, values["relapse_id"], values)
    else:
        return plan_page(request, officer, plan_id, 404, problem=Problem("sf.problem.not_found"))
    return settle(outcome, values, step, _path("/staff/followup/plans/{}", plan_id),
                  lambda status, **context: plan_page(request, officer, plan_id, status, **context))
