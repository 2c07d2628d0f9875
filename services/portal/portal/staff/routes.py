"""Staff sign-in pages: GET/POST /staff/sign-in, POST /staff/sign-out, GET/POST /staff/account.

Sign-in has no session yet, so its CSRF protection is a pre-session token: GET sets a random value in an
HttpOnly, SameSite=Lax cookie and in the form, and POST accepts only when both agree (double submit). Chosen over
an Origin/Referer check because those headers are stripped or rewritten by some proxies and browsers on
government networks, which would lock officers out, while a token works in every browser and without
JavaScript. A failure says only that login or password is wrong, never which."""
from __future__ import annotations

import hmac
import re
import secrets

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from portal.forms import FieldError, Form
from portal.i18n import COOKIE, pick
from portal.pages import form_values, render
from portal.staff.session import (SESSION_COOKIE, CsrfRefused, Officer, clear_session_cookie, cookie_secure,
                                  current_officer, directory, require_officer, safe_next, set_session_cookie,
                                  verify_csrf)
from shared.clock import china_time
from shared.emits import route_emits
from shared.unit_of_work import transaction

router = APIRouter(include_in_schema=False)
SIGN_IN_COOKIE = "portal_signin"  # the pre-session CSRF token of the sign-in form
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
NO_EVENT = ("the portal's own sign-in records (staff_accounts, staff_sessions: event-exempt) and the audit trail; "
            "no domain state, no event")


def texts(request: Request):
    lang = pick(request.query_params.get("lang"), request.cookies.get(COOKIE))
    return request.app.state.services.catalogue.gettext(lang)


def staff_render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    """portal.pages.render with the staff forms' field labels (auth.field.<name>)."""
    gettext = texts(request)
    return render(request, template, status, label_of=lambda name: gettext("auth.field." + name),
                  password_min_length=request.app.state.runtime.settings.password_min_length, **context)


def error(request: Request, field: str | None, rule: str, message_id: str, **values) -> FieldError:
    catalogue = request.app.state.services.catalogue
    return FieldError(field, rule, catalogue.gettext("en")(message_id, **values),
                      catalogue.gettext("zh-CN")(message_id, **values))


def runtime(request: Request):
    return request.app.state.runtime


# -- sign-in ---------------------------------------------------------------------------------------------------
def sign_in_page(request: Request, status: int = 200, form: Form | None = None, **context) -> HTMLResponse:
    token = request.cookies.get(SIGN_IN_COOKIE, "")
    if not TOKEN.fullmatch(token) or status == 403:
        token = secrets.token_urlsafe(32)
    response = staff_render(request, "staff/sign_in.html", status, form=form or Form(), signin_token=token, **context)
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=2 * 3600, path="/staff/sign-in", httponly=True,
                        samesite="lax", secure=cookie_secure(request))
    return response


@router.get("/staff/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/staff", signed_out: str = ""):
    if current_officer(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return sign_in_page(request, form=Form({"next": safe_next(next)}), signed_out=bool(signed_out))


@router.post("/staff/sign-in", response_class=HTMLResponse, openapi_extra=route_emits(none=NO_EVENT))
async def sign_in(request: Request):
    values = await form_values(request)
    values["next"] = safe_next(values.get("next"))
    sent, expected = values.get("signin_token", ""), request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return sign_in_page(request, 403, Form({"login": values.get("login", ""), "next": values["next"]},
                                               errors=[error(request, None, "csrf", "auth.error.form_expired")]))
    login, password = values.get("login", "").strip(), values.get("password", "")
    missing = [error(request, name, "missing", message_id) for name, value, message_id in
               (("login", login, "auth.error.login_missing"), ("password", password, "auth.error.password_missing"))
               if not value]
    form = Form({"login": login, "next": values["next"]}, errors=missing)
    if missing:
        return sign_in_page(request, 422, form)
    old = request.cookies.get(SESSION_COOKIE)
    result = transaction(runtime(request), lambda s: directory(request).sign_in(s, login, password, replaces=old))
    if result.locked_until is not None:
        until = china_time(result.locked_until).strftime("%H:%M")
        form.errors = [error(request, "login", "locked", "auth.error.locked", until=until,
                             minutes=runtime(request).settings.lockout_minutes)]
        return sign_in_page(request, 429, form)
    if not result.ok:
        form.errors = [error(request, "login", "credentials", "auth.error.credentials")]
        return sign_in_page(request, 400, form)
    response = RedirectResponse(values["next"], status_code=303)
    set_session_cookie(response, request, result.token)  # a new id at every sign-in: no session fixation
    response.delete_cookie(SIGN_IN_COOKIE, path="/staff/sign-in")
    return response


@router.post("/staff/sign-out", dependencies=[Depends(verify_csrf)], openapi_extra=route_emits(none=NO_EVENT))
def sign_out(request: Request):
    token = request.cookies.get(SESSION_COOKIE, "")
    transaction(runtime(request), lambda s: directory(request).end_session(s, token))
    response = RedirectResponse("/staff/sign-in?signed_out=1", status_code=303)
    clear_session_cookie(response, request)
    return response


# -- my account ------------------------------------------------------------------------------------------------
@router.get("/staff/account", response_class=HTMLResponse)
def account(request: Request, officer: Officer = Depends(require_officer), changed: str = ""):
    return staff_render(request, "staff/account.html", officer=officer, form=Form(), changed=bool(changed))


PASSWORD_MESSAGES = {"wrong_password": "auth.error.current_wrong", "password_length": "auth.error.password_length",
                     "passwords_differ": "auth.error.passwords_differ",
                     "password_unchanged": "auth.error.password_unchanged"}


@router.post("/staff/account", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)],
             openapi_extra=route_emits(none=NO_EVENT))
async def change_password(request: Request, officer: Officer = Depends(require_officer)):
    values = await form_values(request)
    missing = [error(request, name, "missing", "auth.error.required")
               for name in ("current_password", "new_password", "repeat_password") if not values.get(name)]
    if missing:
        return staff_render(request, "staff/account.html", 422, officer=officer, form=Form(errors=missing))
    result = transaction(runtime(request), lambda s: directory(request).change_password(
        s, officer, values["current_password"], values["new_password"], values["repeat_password"]))
    if not result.ok:
        problem = error(request, result.field, result.rule, PASSWORD_MESSAGES[result.rule],
                        n=runtime(request).settings.password_min_length)
        return staff_render(request, "staff/account.html", 422, officer=officer, form=Form(errors=[problem]))
    return RedirectResponse("/staff/account?changed=1", status_code=303)


def install(app: FastAPI) -> None:
    """The staff sign-in routes and the page a refused form gets (403, not the API's JSON)."""
    app.include_router(router)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: CsrfRefused):
        return staff_render(request, "staff/forbidden.html", 403, officer=getattr(request.state, "officer", None))
