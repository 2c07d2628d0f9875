"""A signed-in officer as every staff page sees them, and the two dependencies every staff route uses.

The interface is fixed (other staff modules import it): `Officer`, `require_officer` (a FastAPI dependency: the
officer of the request's session, or a redirect to the sign-in page) and `verify_csrf` (a dependency for every
POST of a staff form: the form's `csrf_token` must be the session's). The session store behind them is
portal.staff.accounts; the cookie is HttpOnly, SameSite=Lax, and Secure on HTTPS (or when
PORTAL_SESSION_COOKIE_SECURE says the portal sits behind a TLS proxy)."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from starlette.responses import Response

from shared.access_audit import FORWARDED_FOR, request_address
from shared.auth import issue_token
from shared.unit_of_work import transaction

SESSION_COOKIE = "portal_staff"
SIGN_IN = "/staff/sign-in"
HOME = "/staff"


@dataclass(frozen=True)
class Officer:
    subject: str           # the account's login, also the `sub` of the tokens minted for it
    role: str              # village | township | county (shared.auth.STAFF_ROLES)
    area: str              # division-code prefix the officer works in (12, 9 or 6 digits)
    name: str = ""
    session_id: str = ""
    csrf_token: str = ""

    def covers(self, division_code: str) -> bool:
        return (division_code or "").startswith(self.area)

    def authorization(self, secret: str, minutes: int = 10) -> dict[str, str]:
        """The Authorization header for one call to a service, minted for this officer (short-lived)."""
        token = issue_token(secret, subject=self.subject, role=self.role, area=self.area, name=self.name,
                            ttl=timedelta(minutes=minutes))
        return {"Authorization": f"Bearer {token}"}


def officer_headers(request: Request, officer: Officer) -> dict[str, str]:
    settings = request.app.state.runtime.settings
    # the officer's address travels to the service, which records it with each read of personal data (it believes
    # X-Forwarded-For only from the proxies it trusts: shared.access_audit)
    return {**officer.authorization(settings.jwt_secret, settings.staff_token_minutes),
            FORWARDED_FOR: request_address(request)}


class SignInRequired(HTTPException):
    """No live session: 303 to the sign-in page, which comes back here afterwards (`next`)."""

    def __init__(self, request: Request):
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = safe_next(back) if request.method in ("GET", "HEAD") else HOME  # a POST cannot be replayed by a GET
        status, headers = 303, {}
        if request.headers.get("HX-Request") == "true":
            # htmx would follow a 303 inside the page and put the sign-in form into a fragment: it is told to
            # load the sign-in page instead, coming back to the page the officer was on
            page = urlsplit(request.headers.get("HX-Current-URL", ""))
            target = safe_next(page.path + (f"?{page.query}" if page.query else ""))
            status = 401
        location = f"{SIGN_IN}?next={quote(target, safe='/')}"
        headers["HX-Redirect" if status == 401 else "Location"] = location
        if SESSION_COOKIE in request.cookies:  # an ended session's cookie goes too
            headers["Set-Cookie"] = f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=lax"
        super().__init__(status, detail="sign in first", headers=headers)


class CsrfRefused(HTTPException):
    """A staff form posted without its session's token (a forged or stale form): 403, rendered as a page by
    portal.staff.routes.install."""

    def __init__(self):
        super().__init__(403, detail="the form's security token does not match your session")


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path on this site ("/staff/..."), never another host ("//evil",
    "https://evil", "/\\evil"), so the sign-in page cannot be used to send an officer elsewhere."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    return value


def cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https" or bool(request.app.state.runtime.settings.session_cookie_secure)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    settings = request.app.state.runtime.settings
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_max_hours * 3600, path="/", httponly=True,
                        samesite="lax", secure=cookie_secure(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request))


def directory(request: Request):
    """The account and session store (portal.staff.accounts.StaffDirectory), wired in portal.bootstrap."""
    return request.app.state.services.staff


def current_officer(request: Request) -> Officer | None:
    """The signed-in officer, or None (for pages that show a sign-in link instead of redirecting)."""
    cached = getattr(request.state, "officer", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    officer = transaction(request.app.state.runtime, lambda session: directory(request).officer_for(session, token))
    request.state.officer = officer
    return officer


def require_officer(request: Request) -> Officer:
    """The officer of the request's live session (its last-seen time refreshed); otherwise a 303 to sign-in."""
    officer = current_officer(request)
    if officer is None:
        raise SignInRequired(request)
    return officer


async def verify_csrf(request: Request, officer: Officer = Depends(require_officer)) -> None:
    """The form's `csrf_token` must be the session's (compared in constant time); otherwise 403."""
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not officer.csrf_token or \
            not hmac.compare_digest(sent.encode(), officer.csrf_token.encode()):
        raise CsrfRefused()
