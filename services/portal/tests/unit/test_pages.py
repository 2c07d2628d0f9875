"""The citizen's pages against fake discovery and identification (httpx.MockTransport): what each page sends,
how the services' answers and 422 errors are shown, the language switch, and that nothing loads from elsewhere."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.clients import ServiceClients
from tests.fuzz.apps import build

ELIGIBILITY = {
    "division_code": "530102001001", "on": "2026-12-01", "rule_version": "53-v2",
    "programmes": [
        {"programme": "dibao", "name_en": "minimum living guarantee (dibao)", "name_zh": "最低生活保障", "may_fit": True,
         "category": "dibao", "reasons": [{"code": "summary", "en": "Income is below the standard.",
                                           "zh": "家庭人均收入低于低保标准。"}]},
        {"programme": "tekun", "name_en": "extreme-poverty support (tekun)", "name_zh": "特困人员救助供养",
         "may_fit": False, "category": "tekun", "reasons": [{"code": "age", "en": "No member is 60 or older.",
                                                              "zh": "没有60周岁以上的成员。"}]}],
    "next_step": {"en": "Apply online.", "zh": "可以在线申请。"}, "note": {"en": "A guide only.", "zh": "仅供参考。"}}
APPLICATION = {"application_id": "app-123", "submitted_at": "2026-12-01T09:30:00+08:00", "applicant_name": "张三",
               "applicant_id_number_masked": "110105********002X", "members": [{}, {}], "division_code": "530102001001",
               "status_explanation_en": "Received.", "status_explanation_zh": "已受理。"}
STATUS = {"application_id": "app-123", "status": "in_identification", "explanation_en": "Being checked.",
          "explanation_zh": "正在核查。", "updated_at": "2026-12-01T10:00:00+08:00", "reasons": [], "appeal": None,
          "programmes": [], "timeline": [
              {"at": "2026-12-01T09:30:00+08:00", "status": "submitted", "en": "Application received.", "zh": "申请已受理。"},
              {"at": "2026-12-01T10:00:00+08:00", "status": "in_identification", "en": "The township is checking.",
               "zh": "乡镇正在核查。"}]}


class FakeServices:
    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, httpx.Response] = {}
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        for prefix, response in self.answers.items():
            if request.url.path.startswith(prefix):
                return response
        return httpx.Response(404, json={"error": "not_found", "message": "No.", "message_zh": "无。"})

    def last_json(self) -> dict:
        return json.loads(self.requests[-1].content)


@pytest.fixture
def fake():
    return FakeServices()


@pytest.fixture
def client(fake, tmp_path):
    svc = build("portal", f"sqlite:///{tmp_path}/portal.db")
    svc.runtime.services.clients = ServiceClients.from_settings(svc.runtime.settings, transport=httpx.MockTransport(fake))
    with TestClient(svc.app) as c:
        yield c


def error_422(*errors) -> httpx.Response:
    return httpx.Response(422, json={"error": "validation_failed", "message": "Not valid.", "message_zh": "不符合要求。",
                                     "errors": [dict(zip(("field", "rule", "message", "message_zh"), e)) for e in errors]})


SELF_CHECK_FORM = {"rows": "2", "m-0-age": "67", "m-0-labour": "none", "m-0-disability": "2", "m-0-illness": "yes",
                   "m-0-school": "none", "m-1-age": "12", "m-1-labour": "full", "m-1-disability": "",
                   "m-1-school": "compulsory", "income": "600", "savings": "", "vehicles": "0", "medical": "8000",
                   "education": "", "housing_safe": "no", "residence_months": "24", "sudden_hardship": "yes",
                   "division_code": "530102001001"}


def test_the_self_check_sends_identifications_facts_and_shows_each_programme_with_its_reasons(client, fake):
    fake.answers["/api/v1/public/eligibility-check"] = httpx.Response(200, json=ELIGIBILITY)
    page = client.post("/self-check", data=SELF_CHECK_FORM)
    assert page.status_code == 200
    sent = fake.last_json()
    assert sent == {"division_code": "530102001001", "emergency": False, "facts": {
        "members": [{"age": 67, "labour_capacity": "none", "disability_grade": 2, "chronic_illness": True,
                     "in_compulsory_education": False, "in_higher_education": False},
                    {"age": 12, "labour_capacity": "full", "chronic_illness": False, "in_compulsory_education": True,
                     "in_higher_education": False}],
        "monthly_income_yuan": "600", "vehicles_value_yuan": "0", "medical_expense_yuan_year": "8000",
        "housing_safe": False, "residence_months": 24, "sudden_hardship": True}}
    assert "最低生活保障" in page.text and "家庭人均收入低于低保标准。" in page.text and "没有60周岁以上的成员。" in page.text
    assert "可能符合" in page.text and "有 1 个项目可能符合" in page.text
    # "apply with these answers" carries the area, the income, the further members and a reason
    assert re.search(r'name="division_code" value="530102001001"', page.text)
    assert re.search(r'name="income" value="600"', page.text) and re.search(r'name="rows" value="1"', page.text)
    assert re.search(r'name="hardship_reason" value="accident"', page.text)


def test_identifications_422_is_shown_beside_the_member_field_and_in_the_summary(client, fake):
    fake.answers["/api/v1/public/eligibility-check"] = error_422(
        ("facts.members[0].age", "less_than_equal", "Input should be less than or equal to 130", "数值超过上限"))
    form = dict(SELF_CHECK_FORM, **{"m-0-age": "", "m-1-age": "200"})  # row 0 blank: member 0 sent is row 1
    page = client.post("/self-check", data=form)
    assert page.status_code == 422
    assert 'href="#m-1-age"' in page.text and 'id="m-1-age-error"' in page.text
    assert re.search(r'id="m-1-age"[^>]*aria-invalid="true"', page.text)
    assert "第2位成员 · 年龄（周岁）：数值超过上限" in page.text
    assert 'value="200"' in page.text, "what the person typed is kept"


def test_adding_a_member_without_javascript_returns_the_form_one_row_longer(client, fake):
    page = client.post("/self-check", data=dict(SELF_CHECK_FORM, add_row="1"))
    assert page.status_code == 200 and 'id="m-2-age"' in page.text and 'value="67"' in page.text
    assert not fake.requests
    fragment = client.get("/self-check/member-row?index=2")
    assert 'id="m-2-age"' in fragment.text and 'hx-get="/self-check/member-row?index=3"' in fragment.text


def test_the_self_check_asks_for_the_village_with_the_picker(client, fake):
    page = client.get("/self-check")
    assert '<select id="division-0" name="division-0"' in page.text
    unfinished = dict(SELF_CHECK_FORM, **{"division-0": "530000", "division_code": ""})
    shown = client.post("/self-check", data=dict(unfinished, pick="1"))
    assert shown.status_code == 200 and '<option value="530100">昆明市</option>' in shown.text and 'value="67"' in shown.text
    refused = client.post("/self-check", data=unfinished)
    assert refused.status_code == 422 and 'href="#division-1"' in refused.text
    assert not fake.requests, "identification is asked only with a village"


APPLY_FORM = {"idempotency_key": "form-key-1", "applicant_name": "张三", "applicant_id": "11010519491231002X",
              "applicant_phone": "13800000000", "rows": "2", "p-0-name": "", "p-0-id": "", "p-0-rel": "",
              "p-1-name": "李四", "p-1-id": "110105195001011234", "p-1-rel": "spouse", "division_code": "530102001001",
              "income": "800", "hardship_reason": "illness", "hardship_description": "户主长期住院", "consent": "yes"}
PICKED = {"division-0": "530000", "division-1": "530100", "division-2": "530102", "division-3": "530102001",
          "division_code": "530102001001"}


def state_of(page) -> str:
    return re.search(r'name="state" value="([^"]+)"', page.text).group(1)


def heading(page) -> str:
    return re.search(r"<h1>(.*?)</h1>", page.text, re.S).group(1).strip()


def step(client, page, name: str, **fields):
    return client.post("/apply/step", data={"state": state_of(page), "step": name, **fields})


def walk_to_check(client, lang: str = "zh-CN"):
    """Every step in turn with APPLY_FORM's answers; the "check your answers" page."""
    page = client.get(f"/apply?lang={lang}")
    page = step(client, page, "where", **PICKED)
    page = step(client, page, "household", **{k: v for k, v in APPLY_FORM.items()
                                               if k.startswith(("applicant", "p-")) or k == "rows"})
    page = step(client, page, "income", income="800")
    page = step(client, page, "hardship", hardship_reason="illness", hardship_description="户主长期住院")
    return step(client, page, "consent", consent="yes")


def test_the_steps_lead_to_check_your_answers_and_one_application_with_one_key(client, fake):
    fake.answers["/api/v1/applications"] = httpx.Response(201, json=APPLICATION)
    check = walk_to_check(client)
    assert check.status_code == 200 and heading(check) == "提交前请核对您的回答"
    assert "云南省昆明市五华区样例乡镇001样例村001 (530102001001)" in check.text
    assert "李四 · 110105195001011234 · 配偶" in check.text and "户主长期住院" in check.text
    assert not fake.requests, "nothing is sent before the person submits"
    receipt = client.post("/apply/submit", data={"state": state_of(check)})
    assert receipt.status_code == 200
    key = fake.requests[-1].headers["Idempotency-Key"]
    assert fake.last_json() == {
        "division_code": "530102001001",
        "applicant": {"name": "张三", "id_number": "11010519491231002X", "phone": "13800000000"},
        "members": [{"name": "张三", "id_number": "11010519491231002X", "relationship": "self"},
                    {"name": "李四", "id_number": "110105195001011234", "relationship": "spouse"}],
        "household_monthly_income_yuan": "800", "hardship_reason": "illness", "hardship_description": "户主长期住院",
        "consent_to_data_check": True}
    assert 'id="application-number">app-123<' in receipt.text and "110105********002X" in receipt.text
    assert "11010519491231002X" not in receipt.text, "the receipt shows the masked number only"
    client.post("/apply/submit", data={"state": state_of(check)})  # a double click, or the receipt refreshed
    assert fake.requests[-1].headers["Idempotency-Key"] == key, "a second send is the same application"
    assert walk_to_check(client).text != check.text and state_of(walk_to_check(client)) != state_of(check)


def test_a_change_link_goes_to_its_step_and_continue_comes_back_to_check_your_answers(client, fake):
    check = walk_to_check(client)
    assert 'formaction="/apply/step" name="nav" value="income"' in check.text
    income = client.post("/apply/step", data={"state": state_of(check), "nav": "income"})
    assert heading(income) == "收入" and 'value="800"' in income.text
    again = step(client, income, "income", income="650")
    assert heading(again) == "提交前请核对您的回答" and "<dd>650</dd>" in again.text


def test_back_shows_the_previous_step_with_its_answers(client):
    page = step(client, client.get("/apply"), "where", **PICKED)
    assert heading(page) == "家庭成员" and 'name="nav" value="where"' in page.text
    back = client.post("/apply/step", data={"state": state_of(page), "nav": "where"})
    assert heading(back) == "您住在哪里" and '<option value="530102001001" selected>' in back.text


def test_discoverys_422_lands_on_the_step_and_field_it_names_in_the_chosen_language(client, fake):
    fake.answers["/api/v1/applications"] = error_422(
        ("applicant.id_number", "id_number_checksum", "the check digit does not match", "校验码不正确"),
        ("members[0].id_number", "id_number_checksum", "the check digit does not match", "校验码不正确"),
        ("members[1].relationship", "literal_error", "Input should be 'self', 'spouse'", "取值不在允许范围内"),
        ("household_monthly_income_yuan", "decimal_parsing", "Input should be a valid decimal", "应为数字"))
    check = walk_to_check(client, lang="en")
    page = client.post("/apply/submit", data={"state": state_of(check)})
    assert page.status_code == 422 and heading(page) == "Your household", "the earliest step with an error"
    assert page.text.count('href="#applicant_id"') == 1, "the applicant's number checked twice is shown once"
    assert 'href="#p-0-rel"' in page.text, "member 1 sent is the first further person (blank rows dropped)"
    assert "Applicant&#39;s resident ID number: the check digit does not match" in page.text
    assert 'href="#income"' not in page.text, "the income's error waits on its own step"
    assert "Income: " in page.text and "Input should be a valid decimal" in page.text, "but the summary names it"
    assert "校验码不正确" not in page.text
    assert re.search(r'id="applicant_id"[^>]*aria-invalid="true"', page.text)


def test_the_picker_asks_for_a_village_and_works_without_javascript(client):
    start = client.get("/apply")
    assert re.findall(r'<select id="([^"]+)"', start.text) == ["division-0"], "only the provinces at first"
    shown = step(client, start, "where", **{"division-0": "530000", "pick": "1"})
    assert re.findall(r'<select id="([^"]+)"', shown.text) == ["division-0", "division-1"]
    assert '<option value="530100">昆明市</option>' in shown.text
    missing = step(client, shown, "where", **{"division-0": "530000", "division-1": "530100"})
    assert missing.status_code == 422 and 'href="#division-2"' in missing.text, "on the level to choose next"
    assert 'id="division-2-error"' in missing.text and "所在村（社区）的行政区划代码：请逐级选择" in missing.text
    changed = step(client, start, "where", **dict(PICKED, **{"division-0": "110000", "pick": "1"}))
    assert re.findall(r'<select id="([^"]+)"', changed.text) == ["division-0", "division-1"], \
        "a higher level changed: the levels below it start again"


def test_the_self_checks_answers_prefill_the_steps_and_each_application_gets_its_own_key(client):
    from portal import steps
    first = client.get("/apply?division_code=530102001001&income=600&rows=2&hardship_reason=illness")
    secret = client.app.state.runtime.settings.jwt_secret
    state = steps.decode(state_of(first), secret)
    assert state["division_code"] == "530102001001" and state["income"] == "600"
    assert state["hardship_reason"] == "illness" and state["idempotency_key"]
    assert '<option value="530102001001" selected>' in first.text
    assert steps.decode(state_of(client.get("/apply")), secret)["idempotency_key"] != state["idempotency_key"]


def test_answers_changed_in_the_page_are_refused_and_nothing_is_sent(client, fake):
    check = walk_to_check(client)
    payload, mac = state_of(check).rsplit(".", 1)
    forged = client.post("/apply/submit", data={"state": payload[:-2] + "AA." + mac})
    assert forged.status_code == 400 and "重新开始申请" in forged.text
    assert client.post("/apply/step", data={"state": "", "step": "income"}).status_code == 400
    assert not fake.requests


def test_the_division_fragment_gives_the_next_level(client):
    fragment = client.get("/divisions/530102/children")
    assert fragment.status_code == 200 and '<select id="division-3"' in fragment.text
    assert '<option value="530102001">样例乡镇001</option>' in fragment.text and "<html" not in fragment.text
    village = client.get("/divisions/530102001/children")
    assert '<select id="division_code" name="division_code"' in village.text
    assert '<option value="530102001001">样例村001</option>' in village.text
    assert client.get("/divisions/86/children").text.count("<select") == 1
    assert client.get("/divisions/999999/children").status_code == 404


NOTICE = {"notice_id": "n-1", "division_code": "530102001001", "kind": "prior",
          "published_at": "2026-12-01T02:00:00Z", "ends_at": "2026-12-07T16:00:00Z", "first_day": "2026-12-01",
          "last_day": "2026-12-07", "days": 7, "programmes": ["dibao"],
          "text_en": "Household of Zhang* (2 people) proposed for dibao.", "text_zh": "张*户（2人）拟纳入最低生活保障。"}


def test_the_notices_of_a_village_and_an_objection_to_one(client, fake):
    fake.answers["/api/v1/public/notices/n-1/objections"] = httpx.Response(201, json={
        "objection_id": "obj-9", "status": "open", "message": "Your objection was recorded.",
        "message_zh": "您的异议已记录。"})
    fake.answers["/api/v1/public/notices"] = httpx.Response(200, json={"items": [NOTICE], "total": 1, "limit": 10,
                                                                       "offset": 0})
    chooser = client.get("/notices")
    assert chooser.status_code == 200 and "<select" in chooser.text and "notice-card" not in chooser.text
    page = client.get("/notices?division_code=530102001001&show=1")
    assert fake.requests[-1].url.params["division_code"] == "530102001001"
    assert "张*户（2人）拟纳入最低生活保障。" in page.text and "2026-12-01 至 2026-12-07（7天）" in page.text
    assert 'href="/notices/n-1/objection?division_code=530102001001"' in page.text
    form = client.get("/notices/n-1/objection?division_code=530102001001")
    assert form.status_code == 200 and "张*户（2人）" in form.text and 'name="grounds"' in form.text
    done = client.post("/notices/n-1/objection", data={"division_code": "530102001001", "grounds": "户主有稳定工作",
                                                        "contact": ""})
    assert fake.last_json() == {"grounds": "户主有稳定工作"}, "an empty contact is not sent (anonymous)"
    assert done.status_code == 200 and 'id="objection-number">obj-9<' in done.text and "您的异议已记录。" in done.text


def test_an_objections_errors_are_shown_on_their_field_and_a_closed_notice_says_so(client, fake):
    fake.answers["/api/v1/public/notices/n-1/objections"] = error_422(
        ("grounds", "string_too_short", "String should have at least 2 characters", "长度不足"))
    page = client.post("/notices/n-1/objection?lang=en", data={"division_code": "530102001001", "grounds": "x"})
    assert page.status_code == 422 and 'href="#grounds"' in page.text and 'id="grounds-error"' in page.text
    assert "Why you object: String should have at least 2 characters" in page.text and 'x</textarea>' in page.text
    fake.answers["/api/v1/public/notices/n-1/objections"] = httpx.Response(409, json={
        "error": "condition_not_met", "message": "objections can only be lodged while the public notice runs",
        "message_zh": "公示期内才能提出异议"})
    closed = client.post("/notices/n-1/objection", data={"division_code": "530102001001", "grounds": "户主有工作"})
    assert closed.status_code == 409 and "only be lodged while the public notice runs" in closed.text  # English chosen


def test_the_notices_page_asks_for_a_village(client, fake):
    page = client.get("/notices?division-0=530000&show=1")
    assert page.status_code == 422 and 'href="#division-1"' in page.text and not fake.requests


def test_the_complaints_page_gives_the_phone_and_office_hours_and_the_petition_channel(client):
    page = client.get("/complaints")
    settings = client.app.state.runtime.settings
    assert page.status_code == 200 and f'href="tel:{settings.complaints_phone}"' in page.text
    assert settings.complaints_hours in page.text and 'href="/petitions/new"' in page.text
    assert 'href="/complaints"' in client.get("/").text, "every page's footer links to it"


def test_a_refusal_shows_the_reasons_and_the_appeal_route_and_an_approval_the_programmes(client, fake):
    fake.answers["/api/v1/applications/app-123/status"] = httpx.Response(200, json=dict(
        STATUS, status="rejected", reasons=[{"code": "income", "en": "Income above the line.", "zh": "收入高于标准。"}],
        appeal={"en": "You may ask for reconsideration within 60 days.", "zh": "可在60日内申请行政复议。"}))
    refused = client.post("/status", data={"application_id": "app-123", "id_number": "11010519491231002X"})
    assert "收入高于标准。" in refused.text and "可在60日内申请行政复议。" in refused.text
    fake.answers["/api/v1/applications/app-123/status"] = httpx.Response(200, json=dict(
        STATUS, status="enrolled", programmes=["dibao", "medical"], file_number="F-1"))
    granted = client.post("/status", data={"application_id": "app-123", "id_number": "11010519491231002X"})
    assert "最低生活保障" in granted.text and "F-1" in granted.text and "已批准的救助项目" in granted.text


def test_the_status_page_shows_every_step_and_refuses_an_empty_form(client, fake):
    fake.answers["/api/v1/applications/app-123/status"] = httpx.Response(200, json=STATUS)
    page = client.post("/status", data={"application_id": "app-123", "id_number": "11010519491231002X"})
    assert page.status_code == 200
    assert fake.requests[-1].url.params["id_number"] == "11010519491231002X"
    assert "申请已受理。" in page.text and "乡镇正在核查。" in page.text and "正在核查。" in page.text
    empty = client.post("/status", data={"application_id": "", "id_number": ""})
    assert empty.status_code == 422 and 'href="#application_id"' in empty.text and 'href="#id_number"' in empty.text
    unknown = client.post("/status", data={"application_id": "nope", "id_number": "11010519491231002X"})
    assert unknown.status_code == 404 and "没有找到这份申请" in unknown.text


def test_a_service_that_does_not_answer_gives_a_page_that_says_so_and_keeps_the_answers(client, fake):
    check = walk_to_check(client)
    fake.down = True
    page = client.post("/apply/submit", data={"state": state_of(check)})
    assert page.status_code == 503 and "系统暂时无法处理" in page.text and "李四" in page.text
    assert state_of(page) == state_of(check)


def test_the_language_link_sets_a_cookie_that_later_pages_follow(client):
    assert '<html lang="zh-CN">' in client.get("/").text
    english = client.get("/status?lang=en")
    assert '<html lang="en">' in english.text and english.cookies.get("lang") == "en"
    assert '<html lang="en">' in client.get("/").text
    assert '<html lang="zh-CN">' in client.get("/?lang=zh-CN").text


class Urls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in ("href", "src", "action", "hx-get", "hx-post", "formaction") and v]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_no_page_loads_or_links_anything_from_elsewhere(client, fake, lang):
    fake.answers["/api/v1/public/eligibility-check"] = httpx.Response(200, json=ELIGIBILITY)
    fake.answers["/api/v1/applications/app-123/status"] = httpx.Response(200, json=STATUS)
    fake.answers["/api/v1/applications"] = httpx.Response(201, json=APPLICATION)
    fake.answers["/api/v1/public/notices"] = httpx.Response(200, json={"items": [NOTICE], "total": 1, "limit": 10,
                                                                       "offset": 0})
    pages = [client.get(f"/{p}?lang={lang}") for p in ("", "self-check", "apply", "status", "complaints", "notices",
                                                        "notices?division_code=530102001001",
                                                        "notices/n-1/objection?division_code=530102001001")]
    check = walk_to_check(client, lang)
    pages += [client.post(f"/self-check?lang={lang}", data=SELF_CHECK_FORM), check,
              client.post("/apply/submit", data={"state": state_of(check)}),
              client.post("/status", data={"application_id": "app-123", "id_number": "11010519491231002X"})]
    for sheet in ("portal.css", "citizen.css"):
        css = client.get(f"/static/css/{sheet}").text
        assert "url(" not in css and "@import" not in css
    for page in pages:
        assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
        parser = Urls()
        parser.feed(page.text)
        outside = [u for u in parser.urls if re.match(r"^([a-z][a-z0-9+.-]*:|//)", u) and not u.startswith("tel:")]
        assert parser.urls and not outside, f"{page.url}: {outside}"
        for asset in (u for u in parser.urls if u.startswith("/static/")):
            assert client.get(asset).status_code == 200, asset


def test_times_a_person_reads_are_china_time():
    from portal.i18n import china_minutes
    assert china_minutes("2026-12-02T02:32:10+00:00") == "2026-12-02 10:32"
    assert china_minutes("2026-12-31T16:00:00Z") == "2027-01-01 00:00"
    assert china_minutes(None) == ""
