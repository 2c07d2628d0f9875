"""A citizen files a petition in a real browser (Debian's Chromium, Playwright) against the portal and oversight as
their own processes: the complaints page links to the form, the form refuses a too-short description (error summary
focused), the confirmation shows the tracking number and the secret, the status page shows the timeline. Then a
county officer opens the KPI dashboard (the chart canvases are drawn by the vendored ECharts). Each page: axe-core
finds no serious or critical violation, nothing loads from elsewhere (tests/browser Checks); screenshots go to
docs/screenshots/ too."""
from __future__ import annotations

import shutil
import subprocess
import sys

from playwright.sync_api import expect, sync_playwright

from tests.browser.test_citizen_journey import CHROMIUM, CHROMIUM_ARGS, SHOTS, VIEWPORT, Checks
from tests.fixtures import service_env
from tests.services import ROOT

VILLAGE = "530102001001"
PASSWORD = "a long enough password"
DOCS = ROOT / "docs" / "screenshots"


def test_a_citizen_files_a_petition_and_reads_its_status_and_a_county_officer_opens_the_dashboard(
        kafka_bootstrap, databases, topic_prefix, processes):
    oversight = processes("oversight", "api", service_env("oversight", databases.create("oversight"),
                                                          kafka_bootstrap, topic_prefix))
    env = service_env("portal", databases.create("portal"), kafka_bootstrap, topic_prefix,
                      oversight_url=oversight.url)
    added = subprocess.run([sys.executable, "-m", "portal", "officers", "add", "--login", "qian.county", "--role",
                            "county", "--area", VILLAGE[:6], "--name", "钱县"], env=env, cwd=ROOT,
                           input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    portal = processes("portal", "api", env)
    DOCS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", bypass_csp=True, is_mobile=True,
                                      has_touch=True)
        page = context.new_page()
        checks = Checks(page, portal.url, prefix="petition-")
        try:
            page.goto(portal.url + "/complaints")
            page.locator("#petition-link").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("信访举报")
            checks.page_ok("form")
            page.locator("#category-wrongly_missed").check()
            for depth, code in enumerate((VILLAGE[:2] + "0000", VILLAGE[:4] + "00", VILLAGE[:6], VILLAGE[:9])):
                page.locator(f"#division-{depth}").select_option(code)
                page.locator(f"#division-{depth + 1}" if depth < 3 else "#division_code").wait_for()
            page.locator("#division_code").select_option(VILLAGE)
            page.locator("#description").fill("太短")
            page.locator("#send-petition").click()
            expect(page.locator(".error-summary")).to_be_focused()
            checks.page_ok("form-error")
            page.locator("#description").fill("村里的张大爷独居，没有收入，生病多年，一直没有纳入低保。")
            page.locator("#anonymous").check()
            page.locator("#send-petition").click()
            expect(page.locator("#keep-secret")).to_be_visible()
            number, secret = page.locator("#tracking-number").inner_text(), page.locator("#petition-secret").inner_text()
            checks.page_ok("done")
            shutil.copy(sorted(SHOTS.glob("petition-*-done.png"))[-1], DOCS / "petition-confirmation.png")
            page.locator("#to-status").click()
            expect(page.locator("#tracking_number")).to_have_value(number)
            page.locator("#petition_secret").fill(secret)
            page.locator("#show-status").click()
            expect(page.locator("#petition-status")).to_have_text("已登记，待决定是否受理")
            checks.page_ok("status")
            shutil.copy(sorted(SHOTS.glob("petition-*-status.png"))[-1], DOCS / "petition-status.png")

            page.set_viewport_size({"width": 1100, "height": 900})
            page.goto(portal.url + "/staff/sign-in?next=/staff/dashboard")
            page.get_by_label("登录名").fill("qian.county")
            page.get_by_label("密码", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("绩效看板")
            expect(page.locator("#db-kpis")).to_be_visible()
            if page.locator("#db-children").count():
                expect(page.locator("#db-charts canvas").first).to_be_visible()
                page.screenshot(path=str(DOCS / "dashboard-county.png"), full_page=True)
                above = page.locator(".crumbs li").count()  # province … county
                page.locator("#db-children tbody a").first.click()
                expect(page.locator(".crumbs li")).to_have_count(above + 1)  # one level down
                expect(page.locator("#db-kpis")).to_be_visible()
            else:
                page.screenshot(path=str(DOCS / "dashboard-county.png"), full_page=True)
            assert checks.outside == [], checks.outside
            page.goto(portal.url + "/staff/petitions")
            expect(page.locator("#petition-queue")).to_contain_text(number)
            page.screenshot(path=str(DOCS / "petition-queue.png"), full_page=True)
        finally:
            context.close()
            browser.close()
