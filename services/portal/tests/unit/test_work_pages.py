"""My work and the case page against fake services (httpx.MockTransport), with the signed-in officer and the CSRF
check overridden: what each page asks, how a service that is down shows, the forms built from actions_for_you, and
a step's 422 errors on its fields, its 409 in words, its success as a redirect with a confirmation."""
from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.clients import ServiceClients
from portal.i18n import LANGUAGES, read_messages
from portal.staff import cases
from portal.staff.session import Officer, require_officer, verify_csrf
from tests.fuzz.apps import build

OFFICER = Officer(subject="twp-1", role="township", area="530102001", name="王乡镇", session_id="s", csrf_token="tok")
CASE = {
    "case_id": "case-1", "household_id": "hh-1", "application_id": "app-1", "source_type": "application",
    "division_code": "530102001001", "status": "awaiting_notice", "channel": "online", "applicant_name": "张三",
    "allowed_actions": ["publish_notice", "withdraw"], "actions_for_you": ["publish_notice", "withdraw"],
    "member_count": 2, "household_monthly_income_yuan": "600", "hardship_reason": "illness",
    "opened_at": "2026-12-01T01:00:00+00:00", "deadline": "2026-12-30", "overdue": False, "file_number": None,
    "decision": None, "sources": [], "reviews": [{"review_id": "r1", "held_at": "2026-12-01T02:00:00+00:00",
                                                  "attendees": ["村主任"], "opinions": ["情况属实"],
                                                  "outcome": "propose_approval"}],
    "assessment": {"assessment_id": "a1", "assessed_at": "2026-12-01T01:30:00+00:00", "assessed_by": "vil-1",
                   "rule_version": "53-v2", "emergency": False,
                   "dimensions": [{"dimension": "income", "score": 0.8, "explanation_en": "Income is low.",
                                   "explanation_zh": "收入低。"}],
                   "programmes": [{"programme": "dibao", "eligible": True, "category": None,
                                   "reasons": [{"code": "income", "passed": True, "en": "Below the standard.",
                                                "zh": "低于低保标准。", "waived": False}]},
                                  {"programme": "tekun", "eligible": False, "category": None,
                                   "reasons": [{"code": "age", "passed": False, "en": "No one is 60.",
                                                "zh": "没有60周岁以上成员。", "waived": False}]}],
                   "eligible": ["dibao"], "categories": {}, "explanation_en": "May get dibao.",
                   "explanation_zh": "可纳入低保。"},
    "notices": [], "objections": []}
AUDIT = [{"id": 1, "at": "2026-12-01T01:00:00+00:00", "actor": "system", "actor_role": "system", "actor_area": "",
          "action": "open_case", "entity_type": "case", "entity_id": "case-1", "from_state": None,
          "to_state": "opened", "details": None, "correlation_id": None}]


class FakeServices:
    def __init__(self):
        self.requests: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], httpx.Response] = {}
        self.down: set[int] = set()  # ports that refuse connections

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.port in self.down:
            raise httpx.ConnectError("refused", request=request)
        response = self.answers.get((request.method, request.url.path))
        if response is not None:
            return response
        if request.method == "GET" and request.url.path.startswith("/api/v1/") and "/cases/" not in request.url.path:
            return httpx.Response(200, json={"items": [], "total": 0, "limit": 200, "offset": 0})
        return httpx.Response(404, json={"error": "not_found", "message": "No such record.", "message_zh": "没有该记录。"})

    def sent(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]


@pytest.fixture
def fake():
    f = FakeServices()
    f.answers[("GET", "/api/v1/cases/case-1")] = httpx.Response(200, json=CASE)
    f.answers[("GET", "/api/v1/cases/case-1/audit")] = httpx.Response(200, json=AUDIT)
    return f


@pytest.fixture
def svc(fake, tmp_path):
    svc = build("portal", f"sqlite:///{tmp_path}/portal.db")
    svc.runtime.services.clients = ServiceClients.from_settings(svc.runtime.settings, transport=httpx.MockTransport(fake))
    svc.app.dependency_overrides[require_officer] = lambda: OFFICER
    svc.app.dependency_overrides[verify_csrf] = lambda: None
    return svc


@pytest.fixture
def client(svc):
    with TestClient(svc.app) as c:
        yield c


def port(svc, service: str) -> int:
    return httpx.URL(getattr(svc.runtime.settings, f"{service}_url")).port


def test_my_work_asks_every_service_with_the_officers_token_and_orders_by_deadline(client, fake, svc):
    fake.answers[("GET", "/api/v1/cases")] = httpx.Response(200, json={"items": [
        {**CASE, "case_id": "case-2", "status": "township_review", "deadline": "2026-12-10", "overdue": False},
        {**CASE, "case_id": "case-3", "status": "public_notice", "deadline": "2026-11-20", "overdue": True}],
        "total": 2, "limit": 200, "offset": 0})
    fake.answers[("GET", "/api/v1/clues")] = httpx.Response(200, json={"items": [
        {"clue_id": "clue-9", "household_id": "hh-9", "division_code": "530102001001", "status": "raised",
         "task_due_on": "2026-12-05", "overdue": False, "explanation_en": "A hospital bill.",
         "explanation_zh": "大额住院费用。"}], "total": 1, "limit": 200, "offset": 0})
    page = client.get("/staff")
    assert page.status_code == 200
    cases_asked = fake.sent("/api/v1/cases")[0]
    assert cases_asked.url.params["actionable"] == "true" and cases_asked.url.params["order"] == "deadline"
    assert cases_asked.headers["Authorization"].startswith("Bearer ")
    assert {r.url.path for r in fake.requests} >= {"/api/v1/clues", "/api/v1/cases", "/api/v1/waitlist",
                                                   "/api/v1/participations", "/api/v1/plans"}
    order = [m.group(1) for m in re.finditer(r'href="(/staff/(?:cases|clues)/[^"]+)"', page.text)]
    assert order == ["/staff/cases/case-3", "/staff/clues/clue-9", "/staff/cases/case-2"]
    assert "已逾期" in page.text and "乡镇审核" in page.text and "大额住院费用。" in page.text


def test_a_service_that_is_down_shows_its_notice_and_the_rest_still_renders(client, fake, svc):
    fake.down.add(port(svc, "assistance"))
    fake.answers[("GET", "/api/v1/cases")] = httpx.Response(200, json={"items": [CASE], "total": 1, "limit": 200,
                                                                        "offset": 0})
    page = client.get("/staff?lang=en")
    assert page.status_code == 200
    assert "Assistance (waitlist) cannot answer right now" in page.text
    assert 'href="/staff/cases/case-1"' in page.text
    zh = client.get("/staff?lang=zh-CN")
    assert "救助服务（待匹配）暂时无法访问" in zh.text


def test_filters_and_pagination_links_keep_each_other(client, fake):
    items = [{**CASE, "case_id": f"case-{i}", "deadline": f"2026-12-{i + 1:02d}", "overdue": i < 3}
             for i in range(25)]
    fake.answers[("GET", "/api/v1/cases")] = httpx.Response(200, json={"items": items, "total": 25, "limit": 200,
                                                                        "offset": 0})
    first = client.get("/staff?kind=notice")
    assert first.text.count('class="work-item') == 20 and 'href="/staff?kind=notice&amp;page=2"' in first.text
    overdue = client.get("/staff?kind=notice&overdue=true")
    assert overdue.text.count('class="work-item') == 3


def test_the_case_page_shows_the_assessment_eligibility_rule_version_audit_and_only_the_officers_forms(client, fake):
    page = client.get("/staff/cases/case-1")
    assert page.status_code == 200
    text = page.text
    assert "53-v2" in text and "收入低。" in text and "低于低保标准。" in text and "没有60周岁以上成员。" in text
    assert 'href="/staff/households/hh-1"' in text and "立案" in text
    assert "None" not in text, "a first step (no state before it) shows only the state it led to"
    forms = re.findall(r'<form method="post" action="(/staff/cases/[^"]+)"', text)
    assert forms == ["/staff/cases/case-1/notice", "/staff/cases/case-1/withdrawal"]
    assert text.count('name="csrf_token" value="tok"') == 3  # the two case forms and the header's sign-out
    assert re.search(r'id="notice_programme_dibao"[^>]*checked', text), "the eligible programme is proposed"
    assert not re.search(r'id="notice_programme_tekun"[^>]*checked', text)


def test_a_step_the_state_machine_allows_but_the_officer_may_not_take_is_named_not_offered(client, fake):
    fake.answers[("GET", "/api/v1/cases/case-1")] = httpx.Response(200, json={
        **CASE, "status": "county_decision", "allowed_actions": ["decide", "withdraw"], "actions_for_you": ["withdraw"]})
    text = client.get("/staff/cases/case-1").text
    assert re.findall(r'<form method="post" action="(/staff/cases/[^"]+)"', text) == ["/staff/cases/case-1/withdrawal"]
    assert "由其他人员办理的下一步：县级审批" in text


def test_a_step_goes_to_identification_and_success_redirects_with_a_confirmation(client, fake):
    fake.answers[("POST", "/api/v1/cases/case-1/notice")] = httpx.Response(200, json=CASE)
    done = client.post("/staff/cases/case-1/notice", data={"csrf_token": "tok", "notice_programme_dibao": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/staff/cases/case-1?done=notice"
    assert json.loads(fake.sent("/api/v1/cases/case-1/notice")[0].content) == {"programmes": ["dibao"]}
    assert "已完成：发布公示。" in client.get(done.headers["location"]).text


def test_a_422_is_shown_on_its_field_with_the_summary_in_the_page_language(client, fake):
    fake.answers[("POST", "/api/v1/cases/case-1/assessment")] = httpx.Response(422, json={
        "error": "validation_failed", "message": "Not valid.", "message_zh": "不符合要求。", "errors": [
            {"field": "facts.members[0].age", "rule": "less_than_equal", "message": "must be at most 130",
             "message_zh": "不能大于130"},
            {"field": "authorisation.reference", "rule": "string_too_short", "message": "too short",
             "message_zh": "至少1个字符"}]})
    fake.answers[("GET", "/api/v1/cases/case-1")] = httpx.Response(200, json={
        **CASE, "status": "field_assessment", "allowed_actions": ["complete_assessment", "withdraw"],
        "actions_for_you": ["complete_assessment", "withdraw"]})
    form = {"csrf_token": "tok", "rows": "2", "m-0-age": "", "m-1-age": "200", "m-1-labour": "none", "income": "600",
            "residence_months": "24", "authorised": "yes", "auth_method": "signed_form", "auth_reference": ""}
    page = client.post("/staff/cases/case-1/assessment", data=form)
    assert page.status_code == 422
    sent = json.loads(fake.sent("/api/v1/cases/case-1/assessment")[0].content)
    assert sent["facts"]["members"] == [{"age": 200, "labour_capacity": "none", "chronic_illness": False,
                                         "employed": False, "in_compulsory_education": False,
                                         "in_higher_education": False}]
    assert sent["facts"]["monthly_income_yuan"] == "600" and sent["authorisation"]["authorised"] is True
    assert 'href="#m-1-age"' in page.text and "第2位成员 · 年龄：不能大于130" in page.text
    assert re.search(r'id="m-1-age"[^>]*aria-invalid="true"', page.text) and 'value="200"' in page.text
    assert 'href="#auth_reference"' in page.text
    en = client.post("/staff/cases/case-1/assessment?lang=en", data=form)
    assert "Member 2 · Age: must be at most 130" in en.text


def test_a_409_is_shown_in_words_with_the_steps_possible_now(client, fake):
    fake.answers[("POST", "/api/v1/cases/case-1/notice/close")] = httpx.Response(409, json={
        "error": "condition_not_met", "message": "the notice period runs until 2026-12-09",
        "message_zh": "公示期至2026-12-09（含当日）结束", "rule": "notice_running",
        "allowed_actions": ["lodge_objection", "resolve_objection", "close_notice", "withdraw"]})
    page = client.post("/staff/cases/case-1/notice-close", data={"csrf_token": "tok"})
    assert page.status_code == 409 and "公示期至2026-12-09（含当日）结束" in page.text and "当前可执行的步骤：" in page.text


def test_identification_down_on_the_case_page_says_so(client, fake, svc):
    fake.down.add(port(svc, "identification"))
    page = client.get("/staff/cases/case-1")
    assert page.status_code == 503 and "认定服务（案件）暂时无法访问" in page.text
    assert client.get("/staff/cases/nope").status_code == 503


def test_an_unknown_case_is_404_and_an_unknown_step_is_refused_without_calling_anyone(client, fake):
    assert client.get("/staff/cases/nope").status_code == 404
    before = len(fake.requests)
    assert client.post("/staff/cases/case-1/fly", data={"csrf_token": "tok"}).status_code == 404
    assert len(fake.requests) == before


def test_adding_a_member_row_sends_nothing(client, fake):
    fake.answers[("GET", "/api/v1/cases/case-1")] = httpx.Response(200, json={
        **CASE, "status": "field_assessment", "allowed_actions": ["complete_assessment"],
        "actions_for_you": ["complete_assessment"]})
    page = client.post("/staff/cases/case-1/assessment", data={"csrf_token": "tok", "rows": "1", "m-0-age": "45",
                                                               "add_row": "1"})
    assert page.status_code == 200 and 'id="m-1-age"' in page.text and 'value="45"' in page.text
    assert not fake.sent("/api/v1/cases/case-1/assessment")


def test_every_form_body_matches_identifications_endpoints():
    assert cases.BY_SLUG["review"].build({"review_attendees": "甲\n\n乙 ", "review_opinions": "属实",
                                           "review_outcome": "propose_approval"})[0] == {
        "attendees": ["甲", "乙"], "opinions": ["属实"], "outcome": "propose_approval"}
    assert cases.BY_SLUG["decision"].build({"decision_outcome": "reject", "decision_reason": "有稳定收入"})[0] == {
        "outcome": "reject", "reasons": [{"code": "county_decision", "en": "有稳定收入", "zh": "有稳定收入"}]}
    assert cases.BY_SLUG["decision"].build({"decision_outcome": "approve"})[0] == {"outcome": "approve"}
    assert cases.BY_SLUG["start-assessment"].build({})[0] is None
    assert {a.action for a in cases.ACTIONS.values()} == {
        "start_assessment", "complete_assessment", "complete_review", "publish_notice", "resolve_objection",
        "close_notice", "complete_township_review", "decide", "withdraw"}


def test_every_id_built_at_run_time_is_in_both_languages():
    from portal.staff import work
    ids = set(cases.FIELD_NAMES) | {"work.kind." + k for k in work.KINDS} | {
        "work.service." + s for s in work.SERVICES} | {"work.action." + a for a in cases.ACTIONS} | {
        "work.hint." + a for a in cases.ACTIONS} | {"work.outcome." + o for o in (
            *cases.REVIEW_OUTCOMES, *cases.OBJECTION_OUTCOMES, *cases.TOWNSHIP_OUTCOMES, *cases.DECISION_OUTCOMES)} | {
        "work.state." + s for s in (*work.CASE_KINDS, *work.EXIT_KINDS)}
    for folder in LANGUAGES.values():
        table = read_messages(folder)
        assert not sorted(i for i in ids if i not in table), folder


def test_every_step_checks_the_forms_csrf_token_before_anything_is_sent(svc, fake):
    from fastapi import HTTPException

    def refuse():
        raise HTTPException(403, detail={"error": "csrf", "message": "Form expired.", "message_zh": "表单已失效。"})
    svc.app.dependency_overrides[verify_csrf] = refuse
    with TestClient(svc.app) as c:
        for slug in cases.BY_SLUG:
            assert c.post(f"/staff/cases/case-1/{slug}", data={"csrf_token": "forged"}).status_code == 403, slug
    assert not [r for r in fake.requests if r.method == "POST"]


def test_without_a_signed_in_officer_no_page_asks_any_service(svc, fake):
    from fastapi import HTTPException

    def signed_out():
        raise HTTPException(303, headers={"Location": "/staff/sign-in"})
    svc.app.dependency_overrides[require_officer] = signed_out
    with TestClient(svc.app) as c:
        for path in ("/staff", "/staff/cases/case-1"):
            answer = c.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/staff/sign-in", path
    assert not fake.requests


VERIFICATION = {
    "request_id": "vr-1", "requested_at": "2026-12-01T01:00:00+00:00", "due_date": "2026-12-15",
    "rule_version": "verification-2026.1", "authorisation": {"reference": "application:app-1"},
    "departments": [{"department": "human_resources", "fact_kinds": ["income_records"], "status": "answered",
                     "answered_at": "2026-12-03T01:00:00+00:00"},
                    {"department": "market_regulation", "fact_kinds": ["business_registration"], "status": "no_answer",
                     "answered_at": None}],
    "facts": [{"fact": "monthly_income_yuan", "member": None, "value": "600.00",
               "source": {"kind": "declared", "date": "2026-12-01"}},
              {"fact": "income_records", "member": {"id_number": "530102197803120035", "name": "张三"},
               "value": {"kind": "wage", "amount_yuan": "7500", "period_start": "2026-09-01",
                         "period_end": "2026-11-30"},
               "source": {"kind": "reported", "department": "human_resources", "date": "2026-12-03"}},
              {"fact": "monthly_income_yuan", "member": None, "value": "650",
               "source": {"kind": "observed", "date": "2026-12-04"}}],
    "prefill": {"monthly_income_yuan": {"value": "2500.00", "source": {"kind": "reported",
                                                                        "department": "human_resources",
                                                                        "date": "2026-12-03"}}},
    "discrepancies": [{"fact": "monthly_income_yuan", "declared": "600.00", "reported": "2500.00",
                       "department": "human_resources", "tolerance": "100", "rule_version": "verification-2026.1"}]}


def test_the_case_page_shows_each_fact_with_its_source_and_the_discrepancy(client, fake):
    fake.answers[("GET", "/api/v1/cases/case-1")] = httpx.Response(200, json={**CASE, "verification": VERIFICATION})
    text = client.get("/staff/cases/case-1").text
    assert "经济状况核对" in text and "2026-12-15" in text and "application:app-1" in text
    assert "家庭申报" in text and "人力资源社会保障部门于2026-12-03核对反馈" in text and "2026-12-04入户核查所见" in text
    assert text.count('data-source="reported"') == 1 and text.count('data-source="declared"') == 1
    assert 'data-department="market_regulation" data-status="no_answer"' in text and "逾期未反馈" in text
    discrepancy = re.search(r'id="verification-discrepancies".*?</div>', text, re.S).group(0)
    assert "家庭申报 600.00" in discrepancy and "核对结果 2500.00" in discrepancy and "verification-2026.1" in discrepancy
    assert "金额（元）：7500" in text
    english = client.get("/staff/cases/case-1?lang=en").text
    assert "Reported by Human resources and social security on 2026-12-03" in english
    assert "declared 600.00" in english and "Declared by the household" in english


def test_a_case_without_a_check_shows_no_check_section(client, fake):
    assert "经济状况核对" not in client.get("/staff/cases/case-1").text
