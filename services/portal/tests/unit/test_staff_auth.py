"""Staff sign-in (portal.staff): argon2 hashes, lock-out at its boundaries, the sign-in form's pre-session token and
every staff form's CSRF token, `next=` that cannot leave the site, idle and absolute session expiry, the cookie's
flags, a new session id at each sign-in, the account page, the CLI's demo officers; on SQLite with a fixed clock."""
from __future__ import annotations

import io
import re
import stat
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from argon2 import PasswordHasher
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from portal.models import audit_log
from portal.staff import cli
from portal.staff.accounts import (AccountError, FailureCount, LockoutPolicy, StaffDirectory, after_failure, digest,
                                   is_locked)
from portal.staff.session import SESSION_COOKIE, Officer, require_officer, safe_next, verify_csrf
from portal.staff.tables import staff_accounts, staff_sessions
from shared.clock import FixedClock
from shared.unit_of_work import transaction
from tests.fuzz.apps import build

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"
FAST = dict(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id still, cheap enough for many tests


@pytest.fixture
def svc(tmp_path):
    svc = build("portal", f"sqlite:///{tmp_path}/portal.db")
    clock = FixedClock(T0)
    svc.runtime.services.staff = StaffDirectory(svc.runtime.settings, hasher=PasswordHasher(**FAST), clock=clock)
    svc.clock = clock
    add(svc, "li.village", "village", "530102001001", "李村官")
    return svc


@pytest.fixture
def client(svc):
    with TestClient(svc.app) as c:
        yield c


def add(svc, login, role, area, name, password=PASSWORD):
    return transaction(svc.runtime, lambda s: svc.runtime.services.staff.create_account(
        s, login=login, role=role, area=area, name=name, password=password))


def signin_token(page_html: str) -> str:
    return re.search(r'name="signin_token" value="([^"]+)"', page_html).group(1)


def sign_in(client, login="li.village", password=PASSWORD, next_path=None):
    """Loads the form and posts it; a session cookie the browser already has is sent with the POST (a signed-in
    officer who opens the form is sent on to `next` instead)."""
    held = [c for c in client.cookies.jar if c.name == SESSION_COOKIE]
    client.cookies.delete(SESSION_COOKIE)
    page = client.get("/staff/sign-in" + (f"?next={next_path}" if next_path else ""))
    assert page.status_code == 200, page.text
    for cookie in held:
        client.cookies.jar.set_cookie(cookie)
    form = {"signin_token": signin_token(page.text), "login": login, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/staff/sign-in", data=form, follow_redirects=False)


def csrf_of(client) -> str:
    page = client.get("/staff/account")
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def audited(svc, action) -> int:
    with svc.runtime.session_factory() as s:
        return s.execute(select(func.count()).select_from(audit_log).where(audit_log.c.action == action)).scalar()


# -- hashing ---------------------------------------------------------------------------------------------------
def test_the_password_is_kept_only_as_an_argon2id_hash(svc):
    with svc.runtime.session_factory() as s:
        stored = s.execute(select(staff_accounts.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)  # any argon2 verifier reads it: the library's format


def test_a_weaker_hash_is_upgraded_at_the_next_sign_in(svc, client):
    directory = svc.runtime.services.staff
    directory.hasher = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    assert sign_in(client).status_code == 303
    with svc.runtime.session_factory() as s:
        stored = s.execute(select(staff_accounts.c.password_hash)).scalar()
    assert "m=2048,t=2" in stored


def test_accounts_are_checked_when_created(svc):
    with pytest.raises(AccountError) as exc:
        add(svc, "wang", "township", "530102", "王")
    assert exc.value.rule == "area_length"
    with pytest.raises(AccountError) as exc:
        add(svc, "LI.VILLAGE", "village", "530102001001", "李")
    assert exc.value.rule == "login_taken"
    with pytest.raises(AccountError) as exc:
        add(svc, "short.pw", "county", "530102", "短", password="123")
    assert exc.value.rule == "password_length"


# -- lock-out --------------------------------------------------------------------------------------------------
POLICY = LockoutPolicy(5, timedelta(minutes=15), timedelta(minutes=15))


def test_the_fifth_failure_within_the_window_locks_and_the_fourth_does_not():
    count = FailureCount(0, None, None)
    for n in range(1, 5):
        count = after_failure(count, T0 + timedelta(minutes=n), POLICY)
        assert count.attempts == n and count.locked_until is None
    count = after_failure(count, T0 + timedelta(minutes=5), POLICY)
    assert count.locked_until == T0 + timedelta(minutes=20)
    assert is_locked(count.locked_until, T0 + timedelta(minutes=19, seconds=59))
    assert not is_locked(count.locked_until, T0 + timedelta(minutes=20))


def test_failures_further_apart_than_the_window_do_not_add_up():
    count = FailureCount(0, None, None)
    for n in range(4):
        count = after_failure(count, T0, POLICY)
    count = after_failure(count, T0 + timedelta(minutes=15), POLICY)  # the window has closed: a new one opens
    assert count.attempts == 1 and count.locked_until is None and count.window_started_at == T0 + timedelta(minutes=15)


def test_four_failed_sign_ins_still_let_the_right_password_in(svc, client):
    for _ in range(4):
        assert sign_in(client, password="wrong password").status_code == 400
    assert sign_in(client).status_code == 303
    with svc.runtime.session_factory() as s:
        assert s.execute(select(staff_accounts.c.failed_attempts)).scalar() == 0  # success starts the count afresh


def test_five_failures_lock_the_account_for_fifteen_minutes_with_a_clear_message(svc, client):
    for _ in range(4):
        sign_in(client, password="wrong password")
    fifth = sign_in(client, password="wrong password")
    assert fifth.status_code == 429
    assert "账号已锁定至 09:15" in fifth.text  # 01:15 UTC is 09:15 China time
    refused = sign_in(client)  # the right password while locked
    assert refused.status_code == 429 and SESSION_COOKIE not in refused.cookies
    assert audited(svc, "staff.account_locked") == 1 and audited(svc, "staff.sign_in_refused_locked") == 1
    svc.clock.advance(minutes=14, seconds=59)
    assert sign_in(client).status_code == 429
    svc.clock.advance(seconds=1)
    assert sign_in(client).status_code == 303


def test_the_lock_out_numbers_come_from_the_settings(tmp_path):
    svc = build("portal", f"sqlite:///{tmp_path}/p.db", lockout_attempts=2, lockout_minutes=60)
    svc.runtime.services.staff = StaffDirectory(svc.runtime.settings, hasher=PasswordHasher(**FAST),
                                                clock=FixedClock(T0))
    add(svc, "li.village", "village", "530102001001", "李村官")
    with TestClient(svc.app) as c:
        assert sign_in(c, password="wrong password").status_code == 400
        locked = sign_in(c, password="wrong password")
    assert locked.status_code == 429 and "10:00" in locked.text and "60" in locked.text


def test_a_wrong_login_and_a_wrong_password_read_the_same(client):
    wrong_password = sign_in(client, password="wrong password")
    unknown = sign_in(client, login="nobody.here")
    assert wrong_password.status_code == unknown.status_code == 400
    text = lambda r: re.search(r'<div class="error-summary".*?</div>', r.text, re.S).group(0)  # noqa: E731
    assert text(wrong_password) == text(unknown) and "登录名或密码不正确" in text(unknown)


def test_missing_fields_are_named_in_both_languages(client):
    page = client.get("/staff/sign-in?lang=en")
    answer = client.post("/staff/sign-in", data={"signin_token": signin_token(page.text), "login": "", "password": ""})
    assert answer.status_code == 422
    assert 'href="#login"' in answer.text and "Enter your login" in answer.text and "Enter your password" in answer.text
    page = client.get("/staff/sign-in?lang=zh-CN")
    answer = client.post("/staff/sign-in", data={"signin_token": signin_token(page.text), "login": "x"})
    assert "请输入密码" in answer.text


# -- CSRF ------------------------------------------------------------------------------------------------------
def test_the_sign_in_form_needs_its_pre_session_token(svc, client):
    client.get("/staff/sign-in")
    forged = client.post("/staff/sign-in", data={"signin_token": "x" * 43, "login": "li.village", "password": PASSWORD},
                         follow_redirects=False)
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.cookies
    with TestClient(svc.app) as fresh:  # a browser that never loaded the form has no token cookie at all
        answer = fresh.post("/staff/sign-in", data={"signin_token": "", "login": "li.village", "password": PASSWORD},
                            follow_redirects=False)
    assert answer.status_code == 403 and audited(svc, "staff.sign_in") == 0


def test_sign_out_without_the_session_token_is_refused_with_a_page(svc, client):
    sign_in(client)
    for data in ({}, {"csrf_token": "not-the-token"}):
        refused = client.post("/staff/sign-out", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
        assert "为了安全没有提交" in refused.text
    assert client.get("/staff/account").status_code == 200  # still signed in
    out = client.post("/staff/sign-out", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/staff/sign-in?signed_out=1"
    assert client.get("/staff/account", follow_redirects=False).status_code == 303
    with svc.runtime.session_factory() as s:
        assert s.execute(select(func.count()).select_from(staff_sessions)).scalar() == 0


def test_a_password_change_without_the_token_changes_nothing(svc, client):
    sign_in(client)
    refused = client.post("/staff/account", data={"current_password": PASSWORD, "new_password": "another long one",
                                                  "repeat_password": "another long one"})
    assert refused.status_code == 403 and audited(svc, "staff.password_changed") == 0


def test_verify_csrf_uses_the_officer_of_the_request(svc):
    """Other staff routes depend on verify_csrf; with require_officer overridden (as their unit tests do) it
    compares with that officer's token."""
    from fastapi import APIRouter
    router = APIRouter()

    @router.post("/staff/probe", dependencies=[Depends(verify_csrf)])
    def probe():
        return {"ok": True}
    svc.app.include_router(router)
    svc.app.dependency_overrides[require_officer] = lambda: Officer("t", "village", "530102001001", csrf_token="tok")
    with TestClient(svc.app) as c:
        assert c.post("/staff/probe", data={"csrf_token": "tok"}).status_code == 200
        assert c.post("/staff/probe", data={"csrf_token": "tok2"}).status_code == 403


# -- next= -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                   "javascript:alert(1)", "evil.example", "", None, "/\r\nSet-Cookie:x=1",
                                   "http:/staff"])
def test_next_never_leaves_the_site(value):
    assert safe_next(value) == "/staff"


def test_next_keeps_a_path_on_the_site():
    assert safe_next("/staff/households?q=1&page=2") == "/staff/households?q=1&page=2"


def test_sign_in_returns_to_next_or_to_my_work(client):
    assert sign_in(client, next_path="/staff/households?page=2").headers["location"] == "/staff/households?page=2"
    client.cookies.clear()
    assert sign_in(client, next_path="//evil.example/").headers["location"] == "/staff"


def test_a_signed_in_officer_opening_the_sign_in_page_goes_on_to_next(client):
    sign_in(client)
    answer = client.get("/staff/sign-in?next=/staff/households", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/households"


def test_a_staff_page_without_a_session_redirects_to_sign_in_with_next(client):
    answer = client.get("/staff/account?x=1", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/sign-in?next=/staff/account%3Fx%3D1"


# -- sessions and the cookie -----------------------------------------------------------------------------------
def test_the_session_ends_after_30_idle_minutes(svc, client):
    sign_in(client)
    svc.clock.advance(minutes=29)
    assert client.get("/staff/account").status_code == 200  # activity moves the idle deadline
    svc.clock.advance(minutes=29)
    assert client.get("/staff/account").status_code == 200
    svc.clock.advance(minutes=30)
    answer = client.get("/staff/account", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/staff/sign-in")
    assert "Max-Age=0" in answer.headers.get("set-cookie", "")


def test_the_session_ends_after_12_hours_however_busy(svc, client):
    sign_in(client)
    for _ in range(47):  # every quarter of an hour for 11 h 45 min
        svc.clock.advance(minutes=15)
        assert client.get("/staff/account").status_code == 200
    svc.clock.advance(minutes=15)
    assert client.get("/staff/account", follow_redirects=False).status_code == 303


def test_the_cookie_is_httponly_and_samesite_and_secure_only_on_https(svc, client):
    cookie = sign_in(client).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    with TestClient(svc.app, base_url="https://testserver") as https:
        assert "Secure" in sign_in(https).headers["set-cookie"]
    svc.runtime.settings.session_cookie_secure = True  # behind a TLS proxy the portal itself sees HTTP
    with TestClient(svc.app) as proxied:
        page = proxied.get("/staff/sign-in")
        assert "Secure" in page.headers["set-cookie"]


def test_each_sign_in_gets_a_new_session_id_and_ends_the_old_one(svc, client):
    client.cookies.set(SESSION_COOKIE, "planted-by-someone-else", domain="testserver.local")
    first = sign_in(client).cookies[SESSION_COOKIE]
    assert first != "planted-by-someone-else"
    second = sign_in(client).cookies[SESSION_COOKIE]
    assert second != first
    with svc.runtime.session_factory() as s:
        ids = set(s.execute(select(staff_sessions.c.id)).scalars())
    assert ids == {digest(second)}  # the table holds the SHA-256, never the cookie's value
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, first, domain="testserver.local")
    assert client.get("/staff/account", follow_redirects=False).status_code == 303


# -- my account, the header ------------------------------------------------------------------------------------
def test_the_account_page_shows_who_and_where_and_the_header_the_officer(client):
    sign_in(client)
    page = client.get("/staff/account")
    assert "李村官" in page.text and "530102001001" in page.text and "村级工作人员" in page.text
    for link in ("/staff", "/staff/households", "/staff/applications/new", "/staff/providers"):
        assert f'href="{link}"' in page.text
    assert 'action="/staff/sign-out"' in page.text and "/static/css/staff.css" in page.text
    assert 'href="/self-check"' not in page.text
    english = client.get("/staff/account?lang=en")
    assert "Village officer" in english.text and "Change your password" in english.text


def test_citizen_pages_show_no_staff_header(client):
    sign_in(client)
    home = client.get("/")
    assert "/staff/sign-out" not in home.text and 'href="/self-check"' in home.text


def test_a_password_change_needs_the_current_password_and_ends_other_sessions(svc, client):
    sign_in(client)
    with TestClient(svc.app) as other_device:
        sign_in(other_device)
        token = csrf_of(client)
        wrong = client.post("/staff/account", data={"csrf_token": token, "current_password": "wrong password",
                                                    "new_password": "a new long password",
                                                    "repeat_password": "a new long password"})
        assert wrong.status_code == 422 and 'href="#current_password"' in wrong.text
        short = client.post("/staff/account", data={"csrf_token": token, "current_password": PASSWORD,
                                                    "new_password": "short", "repeat_password": "short"})
        assert short.status_code == 422 and "至少 10 个字符" in short.text
        done = client.post("/staff/account", data={"csrf_token": token, "current_password": PASSWORD,
                                                   "new_password": "a new long password",
                                                   "repeat_password": "a new long password"}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/staff/account?changed=1"
        assert client.get("/staff/account").status_code == 200
        assert other_device.get("/staff/account", follow_redirects=False).status_code == 303
    client.cookies.clear()
    assert sign_in(client, password=PASSWORD).status_code == 400
    assert sign_in(client, password="a new long password").status_code == 303
    assert audited(svc, "staff.password_changed") == 1


# -- the CLI ---------------------------------------------------------------------------------------------------
def test_seed_demo_refuses_outside_development_and_training(tmp_path, capsys):
    svc = build("portal", f"sqlite:///{tmp_path}/p.db", dev_token_issuer=False, training_mode=False)
    assert cli.seed_demo(svc.runtime, SimpleNamespace(file=str(tmp_path / "demo.txt"))) == 2
    assert "PORTAL_DEV_TOKEN_ISSUER=true" in capsys.readouterr().err
    assert not (tmp_path / "demo.txt").exists()


def test_seed_demo_creates_one_officer_per_level_once(svc, tmp_path):
    path = tmp_path / "var" / "demo.txt"
    out = io.StringIO()
    assert cli.seed_demo(svc.runtime, SimpleNamespace(file=str(path)), out=out) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [line.split() for line in out.getvalue().splitlines()]
    assert [(role, login, area) for role, login, _pw, area in lines] == [
        ("village", "demo-village", "530102001001"), ("township", "demo-township", "530102001"),
        ("county", "demo-county", "530102")]
    passwords = {login: pw for _r, login, pw, _a in lines}
    again = io.StringIO()
    cli.seed_demo(svc.runtime, SimpleNamespace(file=str(path)), out=again)
    assert again.getvalue() == out.getvalue()  # existing accounts untouched, their passwords still listed
    with TestClient(svc.app) as c:
        assert sign_in(c, "demo-county", passwords["demo-county"]).status_code == 303
        assert "530102" in c.get("/staff/account").text
    other = build("portal", f"sqlite:///{tmp_path}/other.db")
    other_out = io.StringIO()
    cli.seed_demo(other.runtime, SimpleNamespace(file=str(tmp_path / "other.txt")), out=other_out)
    assert other_out.getvalue().split()[2] != lines[0][2]  # generated per installation, no default password


def test_add_reads_the_password_from_stdin_or_generates_one(svc, monkeypatch):
    args = SimpleNamespace(login="Wang.Li", role="township", area="530102001", name="王丽")
    monkeypatch.setattr("sys.stdin", io.StringIO("a typed long password\n"))
    out = io.StringIO()
    assert cli.add(svc.runtime, args, out=out) == 0 and "password" not in out.getvalue()
    with TestClient(svc.app) as c:
        assert sign_in(c, "wang.li", "a typed long password").status_code == 303
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    out = io.StringIO()
    assert cli.add(svc.runtime, SimpleNamespace(login="zhao", role="county", area="530102", name="赵"), out=out) == 0
    generated = out.getvalue().rsplit(": ", 1)[1].strip()
    with TestClient(svc.app) as c:
        assert sign_in(c, "zhao", generated).status_code == 303


def test_an_htmx_request_without_a_session_is_told_to_load_the_sign_in_page(client):
    answer = client.get("/staff/account", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://testserver/staff/households?page=3"},
                        follow_redirects=False)
    assert answer.status_code == 401 and "location" not in answer.headers
    assert answer.headers["hx-redirect"] == "/staff/sign-in?next=/staff/households%3Fpage%3D3"


def test_the_language_switch_keeps_where_the_sign_in_goes_next(client):
    page = client.get("/staff/sign-in?next=/staff/households")
    assert 'href="?next=/staff/households&amp;lang=en"' in page.text
    english = client.get("/staff/sign-in?next=/staff/households&lang=en")
    assert 'href="?next=/staff/households&amp;lang=zh-CN"' in english.text and "Staff sign-in" in english.text
