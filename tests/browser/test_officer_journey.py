"""Officers of the three levels in a real browser (Debian's Chromium driven by Playwright), against the real stack:
discovery, identification, assistance, gradual_exit, followup and the portal as their own processes on the real
broker and PostgreSQL, in training mode with one shared training clock.

A citizen's application (discovery's API: the citizen journey already walks the apply pages) -> the village officer
signs in, finds the case in My work, opens the case page, starts the assessment, enters the facts (an error first,
a member row added) with the household's authorisation, records the democratic review -> the township officer (a
browser of their own) publishes the notice -> the trainer moves the training clock past the notice period -> the
township officer closes the notice and records the township review -> the county officer approves -> the citizen's
status page shows the decision and the programmes granted -> the household file shows the timeline up to the
decision. Then a partner signal raises a clue, the village officer finds it in My work, verifies it through the
clue's form and the page confirms. Every page: an axe-core scan finds no serious or critical violation, nothing is
loaded from another origin, nothing is wider than the viewport (1280 px for officers, My work and the assessed case
also at 360 px, the citizen's status at 360 px), and a screenshot goes to var/artefacts/screenshots/ (officer-*.png)."""
from __future__ import annotations

import json
import subprocess
import sys

import httpx
from playwright.sync_api import Browser, Page, expect, sync_playwright

from shared.synthetic import HouseholdFactory
from tests.browser.test_citizen_journey import CHROMIUM, CHROMIUM_ARGS, SHOTS, VIEWPORT, Checks
from tests.fixtures import service_env, wait_until
from tests.services import ROOT

DESKTOP = {"width": 1280, "height": 900}
VILLAGE, TOWNSHIP, COUNTY = "530102001001", "530102001", "530102"
BACKENDS = ("discovery", "identification", "assistance", "gradual_exit", "followup")
OFFICERS = {"village": ("wang.village", VILLAGE, "王村官"), "township": ("zhao.township", TOWNSHIP, "赵乡官"),
            "county": ("qian.county", COUNTY, "钱县官")}
PASSWORD = "a long enough password"


def add_officer(env: dict[str, str], role: str) -> None:
    login, area, name = OFFICERS[role]
    added = subprocess.run([sys.executable, "-m", "portal", "officers", "add", "--login", login, "--role", role,
                            "--area", area, "--name", name], env=env, cwd=ROOT, input=PASSWORD + "\n",
                           capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr


def dev_token(service_url: str, **claims) -> str:
    answer = httpx.post(service_url + "/dev/tokens", json=claims, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


class Officer:
    """One officer in a browser of their own (a separate context: their own session cookie)."""

    def __init__(self, browser: Browser, portal: str, role: str, shots: str = ""):
        self.portal, self.role = portal, role
        self.context = browser.new_context(viewport=DESKTOP, locale="zh-CN", bypass_csp=True)
        self.page = self.context.new_page()
        self.checks = Checks(self.page, portal, prefix=f"officer-{shots or role}-")

    def sign_in(self) -> None:
        page = self.page
        page.goto(self.portal + "/staff")  # no session: the sign-in page, then back to My work
        expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
        page.get_by_label("登录名").fill(OFFICERS[self.role][0])
        page.get_by_label("密码", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
        expect(page.locator(".officer-bar")).to_contain_text(OFFICERS[self.role][2])

    def find_in_my_work(self, kind: str, link_name: str, url_part: str) -> None:
        """Waits until My work lists the item (events travel between services), then opens it."""
        page = self.page

        def listed() -> bool:
            page.goto(self.portal + f"/staff?kind={kind}")
            return page.locator(f".work-item a[href*='{url_part}']").count() > 0
        wait_until(listed, timeout=60, interval=1, message=f"My work of the {self.role} officer to list {url_part}")
        item = page.locator(".work-item").filter(has=page.locator(f"a[href*='{url_part}']"))
        expect(item.get_by_role("link", name=link_name)).to_be_visible()

    def act(self, button: str, done: str) -> None:
        self.page.get_by_role("button", name=button, exact=True).click()
        expect(self.page.locator(".work-done")).to_contain_text(f"已完成：{done}")

    def close(self) -> None:
        self.context.close()


def test_officers_take_a_case_to_its_decision_and_verify_a_clue_in_a_browser(kafka_bootstrap, databases,
                                                                             topic_prefix, processes, tmp_path):
    training = {"training_mode": "true", "dev_token_issuer": "true", "training_clock_file": str(tmp_path / "clock.json")}
    urls = {svc: processes(svc, "api", service_env(svc, databases.create(svc), kafka_bootstrap, topic_prefix,
                                                   **training)).url for svc in BACKENDS}
    env = service_env("portal", databases.create("portal"), kafka_bootstrap, topic_prefix, **training,
                      **{f"{svc}_url": url for svc, url in urls.items()})
    for role in OFFICERS:
        add_officer(env, role)
    portal = processes("portal", "api", env).url

    factory = HouseholdFactory(4242)
    body = factory.application_body(division=VILLAGE, size=2)
    applicant = body["applicant"]
    submitted = httpx.post(urls["discovery"] + "/api/v1/applications", json=body, timeout=10,
                           headers={"Idempotency-Key": "officer-journey-1"})
    assert submitted.status_code == 201, submitted.text
    number = submitted.json()["application_id"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            case_journey(browser, portal, urls, number, applicant)
            clue_journey(browser, portal, urls, factory)
        finally:
            browser.close()


def case_journey(browser: Browser, portal: str, urls: dict[str, str], number: str, applicant: dict) -> None:
    heading_name = f"{applicant['name']}户认定案件"

    # -- the village officer: My work -> the case -> assessment -> democratic review ----------------------------
    village = Officer(browser, portal, "village")
    page = village.page
    village.sign_in()
    village.find_in_my_work("assessment", applicant["name"], "/staff/cases/")
    village.checks.page_ok("my-work")
    page.set_viewport_size(VIEWPORT)  # the queue on a phone, once
    village.checks.page_ok("my-work-phone")
    page.set_viewport_size(DESKTOP)
    page.locator(".work-item").get_by_role("link", name=applicant["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading_name)
    case_url = page.url
    household_link = page.locator("dl.summary a[href^='/staff/households/']")
    household_id = household_link.inner_text().strip()
    assert applicant["id_number"] not in page.content(), "the case page shows no full ID number to a village officer"
    village.checks.page_ok("case-opened")
    village.act("开始入户核查", "开始入户核查")
    village.checks.page_ok("case-assessment-started")

    page.fill("#m-0-age", "67")
    page.select_option("#m-0-labour", label="无劳动能力")
    page.get_by_label("患慢性病或重病").first.check()
    page.get_by_role("button", name="增加一位成员").click()  # the form comes back with a second member's row
    expect(page.locator("#m-1-age")).to_be_visible()
    expect(page.locator("#m-0-age")).to_have_value("67")
    page.fill("#m-1-age", "200")  # beyond any age: identification's 422 on its field
    page.select_option("#m-1-labour", label="部分劳动能力")
    page.get_by_label("家庭月收入（元）").fill("300")
    page.get_by_label("在本地居住月数").fill("60")
    page.get_by_label("家庭已授权核查收入和财产").check()
    page.get_by_label("授权方式").select_option(label="签字授权书")
    page.get_by_label("授权书编号").fill("AUTH-BROWSER-7")
    page.get_by_role("button", name="提交核查评估").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a[href='#m-1-age']")).to_have_count(1)
    expect(page.locator("#m-1-age")).to_have_attribute("aria-invalid", "true")
    village.checks.page_ok("case-assessment-errors")
    summary.locator("a[href='#m-1-age']").click()
    expect(page.locator("#m-1-age")).to_be_focused()
    page.fill("#m-1-age", "66")
    expect(page.get_by_label("家庭已授权核查收入和财产")).to_be_checked()  # the answers survive the error
    page.get_by_role("button", name="提交核查评估").click()
    expect(page.locator(".work-done")).to_contain_text("已完成：提交核查评估")
    expect(page.locator(".work-table tbody tr").first).to_be_visible()  # the per-dimension scores
    expect(page.locator(".programme--fit").first).to_be_visible()
    village.checks.page_ok("case-assessed")
    page.evaluate("document.getElementById('assessment').scrollIntoView()")  # one screen of scores (docs/)
    page.screenshot(path=str(SHOTS / "officer-village-case-assessment-screen.png"))
    page.set_viewport_size(VIEWPORT)  # the scores table and the review form on a phone
    village.checks.page_ok("case-assessed-phone")
    page.set_viewport_size(DESKTOP)

    page.get_by_label("参会人员").fill("村主任\n村民代表甲\n村民代表乙")
    page.get_by_label("评议意见").fill("情况属实，同意纳入")
    page.get_by_label("评议结论").select_option(label="拟同意")
    village.act("记录民主评议", "记录民主评议")
    expect(page.locator("#next")).to_be_visible()
    village.checks.page_ok("case-reviewed")

    # -- the township officer: publish the notice ----------------------------------------------------------------
    township = Officer(browser, portal, "township")
    tpage = township.page
    township.sign_in()
    township.find_in_my_work("notice", applicant["name"], "/staff/cases/")
    township.checks.page_ok("my-work")
    tpage.locator(".work-item").get_by_role("link", name=applicant["name"]).click()
    expect(tpage.get_by_role("heading", level=1)).to_have_text(heading_name)
    proposed = tpage.locator("#notice_programmes input[type=checkbox]:checked")
    expect(proposed).not_to_have_count(0)  # the notice proposes what the assessment found eligible
    programme = tpage.locator(f"label[for='{proposed.first.get_attribute('id')}']").inner_text().strip()
    township.checks.page_ok("case-before-notice")
    township.act("发布公示", "发布公示")
    expect(tpage.locator(".work-record").filter(has_text="公示中")).to_have_count(1)
    township.checks.page_ok("case-notice-published")

    # -- the trainer's action, not an officer's: the shared training clock moves past the notice period ----------
    identification = urls["identification"]
    admin = {"Authorization": "Bearer " + dev_token(identification, subject="trainer", role="admin", area="")}
    before = httpx.get(identification + "/dev/clock", timeout=10).json()
    moved = httpx.post(identification + "/dev/clock", json={"advance_days": 8}, headers=admin, timeout=10)
    assert moved.status_code == 200, moved.text
    wait_until(lambda: httpx.get(urls["discovery"] + "/dev/clock", timeout=10).json()["now_china"][:10]
               > before["now_china"][:10], timeout=20, message="the services to read the moved training clock")

    # -- the township officer: close the notice, township review -------------------------------------------------
    tpage.goto(case_url)
    township.act("结束公示", "结束公示")
    township.checks.page_ok("case-notice-closed")
    tpage.get_by_label("审核结论").select_option(label="建议批准")
    tpage.get_by_label("审核意见").fill("经审核，情况属实，建议批准")
    township.act("乡镇审核", "乡镇审核")
    township.checks.page_ok("case-township-reviewed")
    township.close()

    # -- the county officer: the decision ------------------------------------------------------------------------
    county = Officer(browser, portal, "county")
    cpage = county.page
    county.sign_in()
    county.find_in_my_work("county_decision", applicant["name"], "/staff/cases/")
    county.checks.page_ok("my-work")
    cpage.locator(".work-item").get_by_role("link", name=applicant["name"]).click()
    expect(cpage.get_by_role("heading", level=1)).to_have_text(heading_name)
    county.checks.page_ok("case-before-decision")
    cpage.get_by_label("审批结论").select_option(label="批准")
    cpage.get_by_label(programme, exact=True).check()
    county.act("县级审批", "县级审批")
    expect(cpage.locator("main")).to_contain_text("审批")
    county.checks.page_ok("case-decided")
    county.close()

    # -- the citizen: the decision and the programmes granted, on a phone ----------------------------------------
    citizen = browser.new_context(viewport=VIEWPORT, locale="zh-CN", bypass_csp=True, is_mobile=True, has_touch=True)
    spage = citizen.new_page()
    checks = Checks(spage, portal, prefix="officer-citizen-")

    def decided() -> bool:
        spage.goto(portal + f"/status?application={number}")
        spage.fill("#id_number", applicant["id_number"])
        spage.get_by_role("button", name="查询").click()
        return spage.locator("#programmes-title").count() > 0 and "已批准" in spage.locator(
            "#programmes-title").inner_text()
    wait_until(decided, timeout=60, interval=1, message="the decision to reach the citizen's status page")
    expect(spage.locator("main")).to_contain_text(programme)
    checks.page_ok("status-decided")
    citizen.close()

    # -- the household file: one household, one file, up to the decision (the read model follows the events) -----
    def filed() -> bool:
        page.goto(portal + f"/staff/households/{household_id}")
        return page.locator(".hh-timeline").count() > 0 and "建档立卡" in page.locator(".hh-timeline").inner_text()
    wait_until(filed, timeout=60, interval=1, message="the household file to show the enrolment")
    village.checks.page_ok("household-file")
    # the newest first, across services (assistance's matches follow the enrolment); identification's steps alone:
    page.get_by_label("按环节筛选").select_option(value="identification")
    page.get_by_role("button", name="筛选").click()
    timeline = page.locator(".hh-timeline")
    for step in ("立案", "实地核查", "民主评议", "公示发布", "乡镇审核", "认定通过"):
        expect(timeline).to_contain_text(step)
    village.checks.page_ok("household-file-identification")
    village.close()


def clue_journey(browser: Browser, portal: str, urls: dict[str, str], factory: HouseholdFactory) -> None:
    discovery = urls["discovery"]
    partner = dev_token(discovery, subject="mi-bureau", role="partner", department="medical_insurance")
    today = httpx.get(discovery + "/dev/clock", timeout=10).json()["now_china"][:10]
    person = factory.resident_id(VILLAGE, factory.birth_date(40, 50))
    record = {"source_department": "medical_insurance", "external_id": "MI-browser-1", "kind": "medical_expense",
              "id_number": person, "division_code": VILLAGE, "occurred_on": today,
              "amounts": {"per_stay_yuan": 15000}}
    raised = httpx.post(discovery + "/api/v1/signals", content=json.dumps(record).encode() + b"\n", timeout=30,
                        headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {partner}"})
    assert raised.status_code == 200, raised.text
    [line] = [json.loads(x) for x in raised.text.splitlines() if x]
    assert line["status"] == "clue", line
    clue_id = line["clue_id"]

    village = Officer(browser, portal, "village", shots="clue")
    page = village.page
    try:
        village.sign_in()
        wait_until(lambda: page.goto(portal + "/staff?kind=clue") and page.locator(
            f".work-item a[href='/staff/clues/{clue_id}']").count() > 0, timeout=30, interval=1,
            message="My work to list the clue")
        village.checks.page_ok("my-work-clue")
        page.locator(f".work-item a[href='/staff/clues/{clue_id}']").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("风险线索")
        assert person not in page.content(), "the clue shows the ID number masked"
        expect(page.locator("main")).to_contain_text("大额医疗支出")  # the signal's kind and evidence in words
        expect(page.locator("main")).not_to_contain_text("parameter_value")
        village.checks.page_ok("clue")
        form = page.locator(f"form[action='/staff/clues/{clue_id}/verification']")
        form.get_by_label("属实：家庭确有困难").check()
        form.get_by_label("走访日期").fill(today)
        form.get_by_label("家庭月收入（元）").fill("700")
        form.get_by_label("走访情况").fill("户主住院，无法务农")
        form.get_by_role("button", name="保存核实结果").click()
        expect(page.locator(".notice--ok")).to_contain_text("核实走访已登记。")
        expect(page.locator("dl.summary").first).to_contain_text("核实属实")
        village.checks.page_ok("clue-verified")
    finally:
        village.close()
