"""An officer signs in on a phone in a real browser (Debian's Chromium, Playwright) against the portal as its own
process on PostgreSQL: the sign-in page, a wrong password (error summary focused, linked to its field), the
account page with the officer in the header, sign-out. Each page: axe-core finds no serious or critical
violation, nothing loads from elsewhere, nothing is wider than 360 px, a screenshot (tests/browser Checks)."""
from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.test_citizen_journey import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Checks
from tests.fixtures import service_env
from tests.services import ROOT

PASSWORD = "a long enough password"


def test_an_officer_signs_in_sees_their_account_and_signs_out_on_a_phone(kafka_bootstrap, databases, topic_prefix,
                                                                       processes):
    env = service_env("portal", databases.create("portal"), kafka_bootstrap, topic_prefix)
    added = subprocess.run([sys.executable, "-m", "portal", "officers", "add", "--login", "li.village", "--role",
                            "village", "--area", "530102001001", "--name", "李村官"], env=env, cwd=ROOT,
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    portal = processes("portal", "api", env)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", bypass_csp=True, is_mobile=True,
                                      has_touch=True)
        page = context.new_page()
        checks = Checks(page, portal.url)
        try:
            page.goto(portal.url + "/staff/account")  # no session: sent to sign-in, and back here afterwards
            expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
            checks.page_ok("staff-sign-in")
            page.get_by_label("登录名").fill("li.village")
            page.get_by_label("密码", exact=True).fill("not the password")
            page.get_by_role("button", name="登录").click()
            summary = page.locator(".error-summary")
            expect(summary).to_be_focused()
            expect(summary).to_contain_text("登录名或密码不正确")
            expect(page.locator("#password")).to_have_value("")
            checks.page_ok("staff-sign-in-error")
            page.get_by_label("密码", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("我的账号")
            expect(page.locator(".officer-bar")).to_contain_text("李村官")
            staff_nav = page.get_by_role("navigation", name="工作人员导航")
            expect(staff_nav.get_by_role("link", name="工作台")).to_be_visible()
            checks.page_ok("staff-account")
            page.get_by_role("button", name="退出登录").click()
            expect(page.locator(".notice--ok")).to_contain_text("您已安全退出")
            page.goto(portal.url + "/staff/account")
            expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
        finally:
            context.close()
            browser.close()
