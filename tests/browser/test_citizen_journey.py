"""A citizen on a phone, in a real browser (Debian's Chromium driven by Playwright), against the real stack:
discovery, identification and the portal as their own processes on the real broker and PostgreSQL.

Self-check -> "apply with these answers" -> the application in steps (the village from the division picker, the
household with a row added and removed, income, hardship, consent) -> check your answers -> discovery's error
shown on its step and field -> back to check your answers, a change link -> submit (double-clicked: one
application) -> receipt -> status, until identification has opened the case from discovery's event. Then the
officers (identification's API, minted tokens) take the case to its public notice, and the citizen finds the
notice of the village with the picker and objects to it (an error first); then the complaints page. On every
page: an axe-core scan finds no serious or critical violation, nothing is loaded from another origin, nothing is
wider than the 360-px screen, and a screenshot goes to var/artefacts/screenshots/."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

from shared.auth import issue_token
from tests.fixtures import service_env, wait_until
from tests.services import ROOT

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SHOTS = ROOT / "var" / "artefacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 360, "height": 740}
VILLAGE = "530102001001"
APPLICANT_ID, SPOUSE_ID, BAD_ID = "11010519491231002X", "110105195001011234", "110105195001011235"


class Checks:
    """What every page of the journey must satisfy, and its screenshot."""

    def __init__(self, page: Page, origin: str, prefix: str = ""):
        self.page, self.origin, self.count, self.prefix = page, origin, 0, prefix
        self.outside: list[str] = []
        page.on("request", lambda request: None if request.url.startswith((origin, "data:"))
                else self.outside.append(request.url))
        SHOTS.mkdir(parents=True, exist_ok=True)

    def page_ok(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))""")
        assert violations == [], f"{name}: accessibility violations {violations}"
        width, screen = page.evaluate("document.documentElement.scrollWidth"), page.viewport_size["width"]
        assert width <= screen, f"{name}: {width}px wide, wider than the {screen}px screen"
        assert self.outside == [], f"{name}: requests to other origins {self.outside}"
        self.count += 1
        page.screenshot(path=str(SHOTS / f"{self.prefix}{self.count:02d}-{name}.png"), full_page=True)


def applications_of(discovery_url: str) -> list[dict]:
    token = issue_token(os.environ["DISCOVERY_JWT_SECRET"], subject="browser-test", role="admin", area="")
    answer = httpx.get(discovery_url + "/api/v1/applications", params={"division_code": VILLAGE},
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def officer(role: str, area: str) -> dict:
    token = issue_token(os.environ["IDENTIFICATION_JWT_SECRET"], subject=f"browser-{role}", role=role, area=area)
    return {"Authorization": f"Bearer {token}"}


def publish_notice(identification_url: str, application_id: str) -> str:
    """The village assesses and reviews the case, the township publishes its notice (identification's API)."""
    village, township = officer("village", VILLAGE), officer("township", VILLAGE[:9])
    with httpx.Client(base_url=identification_url, timeout=10) as http:
        cases = http.get("/api/v1/cases", params={"application_id": application_id}, headers=village).json()["items"]
        case = cases[0]["case_id"]
        steps = [("/assessment/start", village, None),
                 ("/assessment", village, {"facts": {"members": [
                     {"age": 67, "labour_capacity": "none", "chronic_illness": True},
                     {"age": 66, "labour_capacity": "partial"}], "monthly_income_yuan": "300",
                     "residence_months": 60, "housing_safe": True},
                     "authorisation": {"authorised": True, "method": "signed_form", "reference": "AUTH-BROWSER-1"}}),
                 ("/review", village, {"attendees": ["村主任", "村民代表"], "opinions": ["情况属实"],
                                       "outcome": "propose_approval"}),
                 ("/notice", township, {})]
        for path, headers, body in steps:
            answer = http.post(f"/api/v1/cases/{case}{path}", headers=headers, json=body)
            assert answer.status_code == 200, f"{path}: {answer.text}"
    return case


def objections_of(identification_url: str, case: str) -> list[dict]:
    answer = httpx.get(f"{identification_url}/api/v1/cases/{case}", headers=officer("township", VILLAGE[:9]),
                       timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json().get("objections") or (answer.json().get("notice") or {}).get("objections") or []


def test_a_citizen_checks_applies_and_follows_the_application_on_a_phone(kafka_bootstrap, databases, topic_prefix,
                                                                        processes):
    discovery = processes("discovery", "api", service_env("discovery", databases.create("discovery"),
                                                          kafka_bootstrap, topic_prefix))
    identification = processes("identification", "api", service_env(
        "identification", databases.create("identification"), kafka_bootstrap, topic_prefix))
    portal = processes("portal", "api", service_env("portal", databases.create("portal"), kafka_bootstrap, topic_prefix,
                                                    discovery_url=discovery.url,
                                                    identification_url=identification.url))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # bypass_csp: only so that the test can inject axe-core; the pages themselves allow no inline script
        context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", bypass_csp=True, is_mobile=True,
                                      has_touch=True)
        page = context.new_page()
        checks = Checks(page, portal.url)
        try:
            journey(page, checks, portal.url, discovery.url, identification.url)
        finally:
            context.close()
            browser.close()


def choose_village(page: Page) -> None:
    """The division picker, level by level: each choice brings the next level (htmx)."""
    for level, code in (("#division-0", "530000"), ("#division-1", "530100"), ("#division-2", "530102"),
                        ("#division-3", "530102001"), ("#division_code", VILLAGE)):
        page.select_option(level, code)
    expect(page.locator("#division-chosen")).to_contain_text(VILLAGE)


def journey(page: Page, checks: Checks, portal: str, discovery: str, identification: str) -> None:
    page.goto(portal + "/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    checks.page_ok("home")

    # -- what can I get? ------------------------------------------------------------------------------------
    page.get_by_role("link", name="我能申请什么").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我能申请什么")
    page.fill("#m-0-age", "67")
    page.select_option("#m-0-labour", "none")
    page.check("#m-0-illness")
    page.get_by_role("button", name="再添加一位成员").click()  # htmx adds the row in place
    expect(page.locator("#m-1-age")).to_be_visible()
    page.fill("#m-1-age", "12")
    page.select_option("#m-1-school", "compulsory")
    page.fill("#income", "300")
    page.fill("#medical", "9000")
    page.check("#housing_safe-yes")
    page.fill("#residence_months", "60")
    choose_village(page)
    checks.page_ok("self-check")
    page.get_by_role("button", name="查看结果").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("可能符合的救助项目")
    expect(page.locator(".programme").first).to_be_visible()
    assert page.locator(".programme--fit").count() >= 1, "a household of two on ¥300 a month fits something"
    expect(page.get_by_role("heading", name="最低生活保障", exact=True)).to_have_count(1)
    checks.page_ok("self-check-result")

    # -- apply in steps, with the self-check's answers --------------------------------------------------------
    page.get_by_role("button", name="用这些回答去申请").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("您住在哪里")
    expect(page.locator("#division_code")).to_have_value(VILLAGE)  # the self-check's village, in the picker
    page.select_option("#division-3", "530102002")  # another township: htmx brings its villages
    expect(page.locator("#division_code option[value='530102002001']")).to_have_count(1)
    expect(page.locator("#division-3")).to_be_focused()
    page.select_option("#division-3", "530102001")
    expect(page.locator("#division_code option[value='530102001001']")).to_have_count(1)
    page.select_option("#division_code", VILLAGE)
    expect(page.locator("#division-chosen")).to_contain_text(VILLAGE)
    checks.page_ok("apply-where")
    page.get_by_role("button", name="继续").click()

    expect(heading).to_have_text("家庭成员")
    page.fill("#applicant_name", "张三")
    page.fill("#applicant_id", APPLICANT_ID)
    page.fill("#applicant_phone", "13800000000")
    page.fill("#p-0-name", "李四")
    page.fill("#p-0-id", BAD_ID)
    page.select_option("#p-0-rel", "spouse")
    page.get_by_role("button", name="再添加一位成员").click()
    expect(page.locator("#p-1-name")).to_be_visible()
    page.fill("#p-1-name", "王五")
    page.get_by_role("button", name="删去第2位其他成员").click()
    expect(page.locator("#p-1-name")).to_have_count(0)
    checks.page_ok("apply-household")
    page.get_by_role("button", name="继续").click()

    expect(heading).to_have_text("收入")
    expect(page.locator("#income")).to_have_value("300")
    checks.page_ok("apply-income")
    page.get_by_role("button", name="继续").click()
    expect(heading).to_have_text("遇到的困难")
    expect(page.locator("#hardship_reason")).to_have_value("illness")
    page.fill("#hardship_description", "户主长期住院")
    checks.page_ok("apply-hardship")
    page.get_by_role("button", name="继续").click()
    expect(heading).to_have_text("授权核对")
    page.check("#consent")
    checks.page_ok("apply-consent")
    page.get_by_role("button", name="继续").click()

    expect(heading).to_have_text("提交前请核对您的回答")
    expect(page.locator("main")).to_contain_text("云南省昆明市五华区样例乡镇001样例村001")
    expect(page.locator("main")).not_to_contain_text("王五")
    checks.page_ok("apply-check")
    page.get_by_role("button", name="提交申请").click()

    # discovery's 422 lands on its step and field
    expect(heading).to_have_text("家庭成员")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.locator("#p-0-id-error")).to_contain_text("校验码")
    expect(summary.locator('a[href="#p-0-id"]')).to_have_count(1)
    expect(page.locator("#p-0-id")).to_have_attribute("aria-invalid", "true")
    checks.page_ok("apply-errors")
    summary.locator('a[href="#p-0-id"]').click()
    expect(page.locator("#p-0-id")).to_be_focused()
    page.fill("#p-0-id", SPOUSE_ID)
    page.get_by_role("button", name="继续").click()
    expect(heading).to_have_text("提交前请核对您的回答")  # straight back, not through every step

    page.get_by_role("button", name="修改 收入").click()
    expect(heading).to_have_text("收入")
    page.fill("#income", "320")
    page.get_by_role("button", name="继续").click()
    expect(heading).to_have_text("提交前请核对您的回答")
    expect(page.locator("main")).to_contain_text("320")
    page.get_by_role("button", name="提交申请").dblclick()

    # -- receipt ------------------------------------------------------------------------------------------
    expect(heading).to_have_text("申请已提交")
    number = page.locator("#application-number").inner_text().strip()
    assert number
    assert APPLICANT_ID not in page.content(), "the receipt shows the masked ID number"
    checks.page_ok("receipt")
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()  # the print stylesheet: the receipt without the site's frame
    page.screenshot(path=str(SHOTS / "receipt-print.png"), full_page=True)
    page.emulate_media(media="screen")
    page.reload()  # the browser sends the same answers again: still one application
    expect(page.locator("#application-number")).to_have_text(number)
    assert [a["application_id"] for a in applications_of(discovery)] == [number], "one application, not two"

    # -- where is my application? -------------------------------------------------------------------------
    page.get_by_role("link", name="查询办理进度").click()
    expect(page.locator("#application_id")).to_have_value(number)
    checks.page_ok("status-form")

    def stage() -> str | None:
        page.goto(portal + f"/status?application={number}")
        page.fill("#id_number", APPLICANT_ID)
        page.get_by_role("button", name="查询").click()
        expect(page.locator(".timeline li").first).to_be_visible()
        return page.locator("#current-status").inner_text() if page.locator(".timeline li").count() >= 2 else None

    wait_until(stage, timeout=60, interval=0.5, message="identification to open the case from discovery's event")
    expect(page.locator(".timeline li")).not_to_have_count(0)
    checks.page_ok("status")

    # -- the public notice of the village, and an objection -------------------------------------------------
    case = publish_notice(identification, number)
    page.get_by_role("link", name="公示", exact=True).click()
    expect(heading).to_have_text("公示")
    choose_village(page)
    page.get_by_role("button", name="查看公示").click()
    expect(page.locator(".notice-card")).to_have_count(1)
    content = page.content()
    assert "张三" not in content and APPLICANT_ID not in content, "the notice is masked as identification masks it"
    checks.page_ok("notices")
    page.locator(".notice-card a").first.click()
    expect(heading).to_have_text("对公示提出异议")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator(".error-summary a[href='#grounds']")).to_have_count(1)
    expect(page.locator("#grounds")).to_have_attribute("aria-invalid", "true")
    checks.page_ok("objection-errors")
    page.fill("#grounds", "户主有稳定工作")
    page.get_by_role("button", name="提交异议").click()
    expect(heading).to_have_text("异议已提交")
    objection_id = page.locator("#objection-number").inner_text().strip()
    assert objection_id
    checks.page_ok("objection-done")
    assert objection_id in [o.get("objection_id") or o.get("id") for o in objections_of(identification, case)]

    # -- complaints ---------------------------------------------------------------------------------------
    page.get_by_role("link", name="投诉与求助").last.click()
    expect(heading).to_have_text("投诉与求助")
    expect(page.locator("#petition-online")).to_be_visible()
    checks.page_ok("complaints")

    page.goto(portal + f"/status?application={number}")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(heading).to_have_text("Where is my application?")
    checks.page_ok("status-form-en")
    page.goto(portal + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
