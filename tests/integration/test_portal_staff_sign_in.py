"""Staff sign-in on the real stack: the portal's migrations on PostgreSQL (revision 0002), an officer added with
`python -m portal officers add`, then, with the portal running as its own process, sign-in → my account →
sign-out over HTTP, each step in the audit trail; `seed-demo` refused without the development switches."""
import re
import subprocess
import sys

import httpx
from sqlalchemy import create_engine, text

from tests.fixtures import service_env
from tests.services import ROOT

PASSWORD = "a long enough password"


def officers(env: dict, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "portal", "officers", *args], env=env, cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_an_officer_signs_in_reads_their_account_and_signs_out(kafka_bootstrap, databases, topic_prefix, processes):
    url = databases.create("portal")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version_portal")).scalar() == "0004_access"  # the newest revision: staff accounts (0002), the household file (0003), the access log (0004_access)

    env = service_env("portal", url, kafka_bootstrap, topic_prefix)
    added = officers(env, "add", "--login", "Zhang.Township", "--role", "township", "--area", "530102001",
                     "--name", "张乡镇", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    refused = officers(env, "seed-demo")  # no dev token issuer, no training mode: a production-like portal
    assert refused.returncode == 2 and "PORTAL_DEV_TOKEN_ISSUER=true" in refused.stderr

    portal = processes("portal", "api", env)
    with httpx.Client(base_url=portal.url, timeout=10) as browser:
        away = browser.get("/staff/account")
        assert away.status_code == 303 and away.headers["location"] == "/staff/sign-in?next=/staff/account"
        form = browser.get(away.headers["location"])
        assert form.status_code == 200 and "工作人员登录" in form.text
        token = re.search(r'name="signin_token" value="([^"]+)"', form.text).group(1)
        wrong = browser.post("/staff/sign-in", data={"signin_token": token, "login": "zhang.township",
                                                     "password": "not the password", "next": "/staff/account"})
        assert wrong.status_code == 400 and "登录名或密码不正确" in wrong.text
        signed_in = browser.post("/staff/sign-in", data={"signin_token": token, "login": "zhang.township",
                                                         "password": PASSWORD, "next": "/staff/account"})
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/staff/account"
        cookie = signed_in.headers["set-cookie"]
        assert "portal_staff=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie

        account = browser.get("/staff/account")
        assert account.status_code == 200
        assert "张乡镇" in account.text and "530102001" in account.text and "乡镇级工作人员" in account.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', account.text).group(1)

        assert browser.post("/staff/sign-out", data={"csrf_token": "forged"}).status_code == 403
        out = browser.post("/staff/sign-out", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/staff/sign-in?signed_out=1"
        assert browser.get("/staff/account").status_code == 303

    with engine.connect() as conn:
        actions = conn.execute(text("SELECT action FROM audit_log WHERE entity_id = 'zhang.township' ORDER BY id")
                               ).scalars().all()
        sessions = conn.execute(text("SELECT count(*) FROM staff_sessions")).scalar()
    engine.dispose()
    assert actions == ["staff.account_created", "staff.sign_in_failed", "staff.sign_in", "staff.sign_out"]
    assert sessions == 0
