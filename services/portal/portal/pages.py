"""The citizen's pages: home, the self-check (我能申请什么), the application and its receipt, the status.

Thin handlers: read the form, call a service through portal.clients, render a template. Every text comes from
the catalogue (portal.i18n) or, for what a service answers, from its own en/zh fields."""
from __future__ import annotations

import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal import forms, picker, steps
from portal.i18n import COOKIE, LANGUAGES, pick
from shared.divisions import registry
from shared.emits import route_emits

router = APIRouter(include_in_schema=False)
STATELESS = "renders a page; stores nothing in the portal"


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    services = request.app.state.services
    settings = request.app.state.runtime.settings
    lang = pick(request.query_params.get("lang"), request.cookies.get(COOKIE))
    _ = services.catalogue.gettext(lang)
    response = request.app.state.templates.TemplateResponse(request, template, {
        "lang": lang, "other_lang": "en" if lang == "zh-CN" else "zh-CN", "_": _,
        "label_of": lambda name: forms.label(name, _), "programme_name": lambda code: forms.programme_name(code, _),
        "t": lambda en, zh: services.catalogue.pick_text(lang, en, zh),
        "phone": settings.complaints_phone, "phone_is_example": settings.complaints_phone_is_example,
        "path": request.url.path, **context}, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax")
    return response


async def form_values(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def clients(request: Request):
    return request.app.state.services.clients


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    return render(request, "home.html")


# -- what can I get? -------------------------------------------------------------------------------------------
def self_check_page(request: Request, form: forms.Form, status: int = 200, chain=None, **extra) -> HTMLResponse:
    chain = picker.chosen(form.values, registry()) if chain is None else chain
    return render(request, "self_check.html", status, form=form, **picker_context(chain), **extra)


@router.get("/self-check", response_class=HTMLResponse)
def self_check_form(request: Request):
    return self_check_page(request, forms.Form(values={"housing_safe": "yes"}, rows=1))


@router.get("/self-check/member-row", response_class=HTMLResponse)
def self_check_member_row(request: Request, index: int = 0):
    """One more member (htmx); without JavaScript the 'add' button posts the form and gets it back longer."""
    index = max(0, min(forms.MAX_ROWS - 1, index))
    return render(request, "fragments/self_check_row.html", i=index, form=forms.Form(), oob=True)


@router.post("/self-check", response_class=HTMLResponse, openapi_extra=route_emits(
    none="asks identification's stateless public eligibility check; stores nothing"))
async def self_check(request: Request):
    values = await form_values(request)
    rows = forms.row_count(values, "rows")
    chain = picker.chosen(values, registry())
    values["division_code"] = picker.village_code(chain)
    if "add_row" in values:
        return self_check_page(request, forms.Form(values, min(forms.MAX_ROWS, rows + 1)), chain=chain)
    if "pick" in values:
        return self_check_page(request, forms.Form(values, rows), chain=chain)
    if not values["division_code"]:
        return self_check_page(request, forms.Form(values, rows, [choose_village(request, chain)]), 422, chain=chain)
    division, facts, sent_rows = forms.self_check_body(values)
    answer = clients(request).eligibility_check(division, facts)
    if answer.unavailable:
        return self_check_page(request, forms.Form(values, rows), 503, chain=chain, unavailable=True)
    if answer.status == 422:
        errors = forms.field_errors(answer.field_errors(), lambda f, _r: forms.self_check_field(f, sent_rows))
        return self_check_page(request, forms.Form(values, rows, errors), 422, chain=chain)
    if not answer.ok:
        return self_check_page(request, forms.Form(values, rows), answer.status, chain=chain, refused=answer.body)
    return render(request, "self_check_result.html", result=answer.body,
                  prefill=forms.prefill_from_self_check(values))


# -- apply, in steps ------------------------------------------------------------------------------------------
PREFILL = ("division_code", "income", "hardship_reason", "rows")


def secret(request: Request) -> str:
    return request.app.state.runtime.settings.jwt_secret


def picker_context(chain: list) -> dict:
    village = picker.village_code(chain)
    return {"picker": picker.levels(chain, registry()), "village": village,
            "village_name": registry().full_name(village) if village else ""}


def show_step(request: Request, step: str, state: dict[str, str], errors=(), status: int = 200, chain=None,
              **extra) -> HTMLResponse:
    """One step of the application, or "check your answers", with the answers so far in the signed hidden field."""
    if step == steps.CHECK:
        state = state | {"reached_check": "yes"}
        _ = request.app.state.services.catalogue.gettext(pick(request.query_params.get("lang"),
                                                              request.cookies.get(COOKIE)))
        return render(request, "apply_check.html", status, token=steps.encode(state, secret(request)),
                      sections=steps.check_sections(state, _, registry().full_name), **extra)
    form = forms.Form(state, forms.row_count(state, "rows"), list(errors))
    context = picker_context(picker.chosen(state, registry()) if chain is None else chain) if step == "where" else {}
    extra.setdefault("other_errors", ())
    return render(request, "apply_step.html", status, step=step, form=form, token=steps.encode(state, secret(request)),
                  back=steps.previous_step(step) if step != steps.STEPS[0] else None, number=steps.step_number(step),
                  total=len(steps.STEPS), **context, **extra)


def lost_answers(request: Request) -> HTMLResponse:
    return render(request, "apply_lost.html", 400)


@router.get("/apply", response_class=HTMLResponse)
def apply_start(request: Request):
    """A new application (one Idempotency-Key for all its steps), with the self-check's answers if it came from
    there."""
    prefill = {k: request.query_params[k] for k in PREFILL if k in request.query_params}
    return show_step(request, steps.STEPS[0], steps.start(prefill, str(uuid.uuid4())))


@router.get("/apply/person-row", response_class=HTMLResponse)
def apply_person_row(request: Request, index: int = 0):
    index = max(0, min(forms.MAX_ROWS - 1, index))
    return render(request, "fragments/apply_row.html", i=index, form=forms.Form(), oob=True)


@router.post("/apply/step", response_class=HTMLResponse, openapi_extra=route_emits(
    none="one step of the application: the answers travel in a signed hidden field; stores nothing"))
async def apply_step(request: Request):
    values = await form_values(request)
    state = steps.decode(values.get("state"), secret(request))
    if state is None:
        return lost_answers(request)
    nav = values.get("nav", "")
    if nav in steps.STEPS or nav == steps.CHECK:  # "back" and "change": no answers posted
        return show_step(request, nav, state)
    step = values.get("step", "")
    if step not in steps.STEPS:
        return lost_answers(request)
    if step == "where":
        chain = picker.chosen(values, registry())
        state = state | {"division_code": picker.village_code(chain)}
        if "pick" in values:
            return show_step(request, step, state, chain=chain)
        if not state["division_code"]:
            return show_step(request, step, state, [choose_village(request, chain)], 422, chain=chain)
    else:
        state = steps.merge(state, step, values)
    if "add_row" in values and step == "household":
        return show_step(request, step, state | {"rows": str(min(forms.MAX_ROWS, forms.row_count(state, "rows") + 1))})
    return show_step(request, steps.next_step(step, state), state)


def choose_village(request: Request, chain: list) -> forms.FieldError:
    """"Choose down to your village", on the deepest select the picker shows (the one to choose next)."""
    catalogue = request.app.state.services.catalogue
    shown = picker.levels(chain, registry())
    return forms.FieldError(shown[-1].name if shown else "division_code", "choose_village", catalogue.gettext("en")("error.choose_village"),
                            catalogue.gettext("zh-CN")("error.choose_village"))


@router.post("/apply/submit", response_class=HTMLResponse, openapi_extra=route_emits(
    none="forwards the application to discovery (POST /api/v1/applications, which writes its events) with the "
         "application's one Idempotency-Key; stores nothing in the portal"))
async def apply_submit(request: Request):
    values = await form_values(request)
    state = steps.decode(values.get("state"), secret(request))
    if state is None or not state.get("idempotency_key"):
        return lost_answers(request)
    body, sent_rows = forms.application_body(state)
    answer = clients(request).submit_application(body, state["idempotency_key"])
    if answer.unavailable:
        return show_step(request, steps.CHECK, state, status=503, unavailable=True)
    if answer.status == 422:
        errors = forms.field_errors(answer.field_errors(), lambda f, r: forms.application_field(f, r, sent_rows))
        step = steps.first_step_with_errors(errors)
        return show_step(request, step, state, steps.errors_on(step, errors), 422,
                         other_errors=steps.errors_elsewhere(step, errors))
    if not answer.ok:  # 409: this application was already sent with other answers
        return show_step(request, steps.CHECK, state, status=answer.status, refused=answer.body)
    return render(request, "receipt.html", application=answer.body,
                  place=registry().full_name(answer.body.get("division_code")))


# -- the division picker's next level (htmx) -------------------------------------------------------------------
@router.get("/divisions/{code}/children", response_class=HTMLResponse)
def division_children(request: Request, code: str):
    """The picker down to `code` with a select of its children (86: the provinces), as a fragment."""
    chain = picker.children_chain(code, registry())
    if chain is None:
        return HTMLResponse("", status_code=404)
    return render(request, "fragments/division_picker.html", form=forms.Form(), **picker_context(chain))


# -- where is my application? ----------------------------------------------------------------------------------
@router.get("/status", response_class=HTMLResponse)
def status_form(request: Request):
    return render(request, "status.html", form=forms.Form({"application_id": request.query_params.get("application", "")}))


@router.post("/status", response_class=HTMLResponse, openapi_extra=route_emits(
    none="reads discovery's status of an application; a POST so the ID number stays out of URLs and logs"))
async def status(request: Request):
    values = await form_values(request)
    application_id, id_number = values.get("application_id", "").strip(), values.get("id_number", "").strip()
    catalogue = request.app.state.services.catalogue
    required_en, required_zh = catalogue.gettext("en")("error.required"), catalogue.gettext("zh-CN")("error.required")
    missing = [forms.FieldError(name, "missing", required_en, required_zh) for name, value in
               (("application_id", application_id), ("id_number", id_number)) if not value]
    if missing:
        return render(request, "status.html", 422, form=forms.Form(values, errors=missing))
    answer = clients(request).application_status(application_id, id_number)
    if answer.unavailable:
        return render(request, "status.html", 503, form=forms.Form(values), unavailable=True)
    if answer.status in (404, 422):
        return render(request, "status.html", 404, form=forms.Form(values), not_found=True)
    if not answer.ok:
        return render(request, "status.html", answer.status, form=forms.Form(values), refused=answer.body)
    return render(request, "status_result.html", progress=answer.body)


# -- public notices (公示) of a village, and an objection -------------------------------------------------------
NOTICES_PER_PAGE = 10


def notices_of(request: Request, village: str, offset: int = 0):
    return clients(request).identification.call("GET", "/api/v1/public/notices", params={
        "division_code": village, "limit": NOTICES_PER_PAGE, "offset": offset})


@router.get("/notices", response_class=HTMLResponse, openapi_extra=route_emits(
    none="reads identification's public notices (masked by identification); stores nothing"))
def notices(request: Request, offset: int = 0):
    values = dict(request.query_params)
    chain = picker.chosen(values, registry())
    context = picker_context(chain)
    village, form = context["village"], forms.Form(values)
    if not village or "pick" in values:
        errors = [choose_village(request, chain)] if "show" in values and not village else []
        return render(request, "notices.html", 422 if errors else 200, form=forms.Form(values, errors=errors),
                      **context)
    offset = max(0, offset)
    answer = notices_of(request, village, offset)
    if not answer.ok:
        return render(request, "notices.html", 503 if answer.unavailable else answer.status, form=form,
                      unavailable=answer.unavailable, refused=None if answer.unavailable else answer.body, **context)
    page = answer.body
    return render(request, "notices.html", form=form, notices=page.get("items", []), total=page.get("total", 0),
                  offset=offset, per_page=NOTICES_PER_PAGE, **context)


def find_notice(request: Request, notice_id: str, village: str) -> dict | None:
    if not village:
        return None
    answer = clients(request).identification.call("GET", "/api/v1/public/notices",
                                                  params={"division_code": village, "limit": 200})
    return next((n for n in answer.body.get("items", []) if n.get("notice_id") == notice_id), None) if answer.ok else None


def objection_page(request: Request, notice_id: str, values: dict[str, str], status: int = 200, **extra):
    village = values.get("division_code", "")
    village = village if registry().is_village(village) else ""
    return render(request, "objection.html", status, notice_id=notice_id, village=village,
                  notice=find_notice(request, notice_id, village), form=extra.pop("form", forms.Form(values)), **extra)


@router.get("/notices/{notice_id}/objection", response_class=HTMLResponse)
def objection_form(request: Request, notice_id: str, division_code: str = ""):
    return objection_page(request, notice_id[:64], {"division_code": division_code})


OBJECTION_FIELDS = ("grounds", "contact")


@router.post("/notices/{notice_id}/objection", response_class=HTMLResponse, openapi_extra=route_emits(
    none="forwards the objection to identification (POST /api/v1/public/notices/{id}/objections, which writes "
         "its event); stores nothing in the portal"))
async def objection(request: Request, notice_id: str):
    notice_id = notice_id[:64]
    values = await form_values(request)
    body = {"grounds": values.get("grounds", "").strip()}
    if values.get("contact", "").strip():
        body["contact"] = values["contact"].strip()
    answer = clients(request).identification.call("POST", f"/api/v1/public/notices/{quote(notice_id, safe='')}/objections",
                                                  json=body)
    if answer.unavailable:
        return objection_page(request, notice_id, values, 503, unavailable=True)
    if answer.status == 422:
        errors = forms.field_errors(answer.field_errors(), lambda f, _r: f.removeprefix("body.")
                                    if f.removeprefix("body.") in OBJECTION_FIELDS else None)
        return objection_page(request, notice_id, values, 422, form=forms.Form(values, errors=errors))
    if not answer.ok:  # 404: no such notice; 409: the notice is no longer open
        refused = answer.body.get("detail") if isinstance(answer.body.get("detail"), dict) else answer.body
        return objection_page(request, notice_id, values, answer.status, refused=refused)
    return render(request, "objection_done.html", objection=answer.body, village=values.get("division_code", ""))


# -- complaints ------------------------------------------------------------------------------------------------
@router.get("/complaints", response_class=HTMLResponse)
def complaints(request: Request):
    return render(request, "complaints.html", hours=request.app.state.runtime.settings.complaints_hours)
