"""The staff forms against fake services (httpx.MockTransport) with the officer's session overridden: what each form
sends (body, Idempotency-Key, the officer's token), the services' 422 errors beside their fields with the error
summary, 403/404/409 as notices, success as a 303 back with a banner; and the pure field mapping."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.clients import ServiceClients
from portal.i18n import load_catalogue
from portal.staff import form_pages
from portal.staff import staff_forms as sf
from portal.staff.session import Officer, require_officer, verify_csrf
from shared.auth import decode_token
from tests.fuzz.apps import build

VILLAGE = Officer(subject="village-1", role="village", area="530102001001", name="李村官", csrf_token="tok")
TOWNSHIP = Officer(subject="township-1", role="township", area="530102001", name="王乡", csrf_token="tok")
COUNTY = Officer(subject="county-1", role="county", area="530102", name="赵县", csrf_token="tok")
PORTS = {"8001": "discovery", "8002": "identification", "8003": "assistance", "8004": "gradual_exit", "8005": "followup"}

CLUE = {"clue_id": "clue-1", "household_id": "hh-1", "record_id": "rec-1", "status": "raised",
        "allowed_next_steps": ["verification", "dismissal"], "kind": "medical_expense", "severity": "high",
        "rule_id": "medical.per_stay", "rule_version": "v1", "evidence": {"per_stay_yuan": 12000},
        "explanation_en": "A hospital stay cost ¥12,000.", "explanation_zh": "一次住院自付12000元。",
        "division_code": "530102001001", "id_number_masked": "530102********1234", "occurred_on": "2026-05-20",
        "source_department": "medical_insurance", "external_id": "MI-1", "raised_at": "2026-05-21T02:00:00+00:00",
        "task_area": "530102001001", "task_due_on": "2026-05-28", "overdue": False, "overdue_reported_at": None,
        "verification_visit_id": None, "dismissed_reason_code": None, "dismissed_reason": None, "referral_id": None}
AUDIT = {"items": [{"at": "2026-05-21T02:00:00+00:00", "actor": "dept-medical_insurance", "actor_role": "partner",
                    "actor_area": "", "action": "clue.raised", "entity_type": "clue", "entity_id": "clue-1",
                    "from_state": None, "to_state": "raised", "details": None, "correlation_id": None}],
         "total": 1, "limit": 100, "offset": 0}


class Fake:
    """The five services: answers by (method, service, path); every request kept."""

    def __init__(self):
        self.requests: list[tuple[str, httpx.Request]] = []
        self.answers: dict[tuple[str, str, str], httpx.Response] = {}

    def on(self, method: str, service: str, path: str, status: int = 200, body: dict | None = None) -> None:
        self.answers[(method, service, path)] = httpx.Response(status, json=body or {})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        service = PORTS[str(request.url.port)]
        self.requests.append((service, request))
        answer = self.answers.get((request.method, service, request.url.path))
        return answer or httpx.Response(404, json={"error": "not_found", "message": "No such record in your area.",
                                                   "message_zh": "您的辖区内没有该记录。"})

    def sent(self, method: str, path: str) -> httpx.Request:
        return next(r for _s, r in reversed(self.requests) if r.method == method and r.url.path == path)

    def body(self, method: str, path: str) -> dict:
        return json.loads(self.sent(method, path).content)


@pytest.fixture
def fake():
    return Fake()


@pytest.fixture
def officer():
    return {"who": VILLAGE}


@pytest.fixture
def client(fake, officer, tmp_path):
    svc = build("portal", f"sqlite:///{tmp_path}/portal.db")
    svc.runtime.services.clients = ServiceClients.from_settings(svc.runtime.settings, transport=httpx.MockTransport(fake))
    svc.app.dependency_overrides[require_officer] = lambda: officer["who"]
    svc.app.dependency_overrides[verify_csrf] = lambda: None
    with TestClient(svc.app, follow_redirects=False) as c:
        c.secret = svc.runtime.settings.jwt_secret
        yield c


def error_422(*errors) -> dict:
    return {"error": "validation_failed", "message": "The request is not valid; see errors.",
            "message_zh": "请求内容不符合要求，详见 errors。",
            "errors": [dict(zip(("field", "rule", "message", "message_zh"), e)) for e in errors]}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the clue page ----------------------------------------------------------------------------------------------------
def test_a_clue_shows_its_signal_and_history_and_the_village_officer_gets_the_verification_form(client, fake):
    fake.on("GET", "discovery", "/api/v1/clues/clue-1", body=CLUE)
    fake.on("GET", "discovery", "/api/v1/audit", body=AUDIT)
    r = client.get("/staff/clues/clue-1")
    assert r.status_code == 200
    page = text_of(r.text)
    assert "一次住院自付12000元。" in page and "530102********1234" in page and "medical_insurance" in page
    assert "clue.raised" in page and "待核实" in page
    assert 'action="/staff/clues/clue-1/verification"' in r.text and 'name="csrf_token" value="tok"' in r.text
    assert "/dismissal" not in r.text  # a village officer may not dismiss (discovery: township or county)
    audit = fake.sent("GET", "/api/v1/audit")
    assert audit.url.params["entity_type"] == "clue" and audit.url.params["entity_id"] == "clue-1"
    claims = decode_token(client.secret, audit.headers["Authorization"].removeprefix("Bearer "))
    assert claims.role == "village" and claims.area == "530102001001" and claims.subject == "village-1"


def test_a_clue_names_its_kind_severity_and_evidence_in_words_not_codes(client, fake):
    evidence = {"comparison": ">", "rule_set": "53-v2", "field": "per_stay_yuan", "threshold": "10000",
                "parameter": "medical_per_stay_others_yuan", "parameter_value": "10000", "times": "1",
                "household_status": "none", "value": "15000", "unknown_key": "x"}
    fake.on("GET", "discovery", "/api/v1/clues/clue-1", body={**CLUE, "evidence": evidence})
    fake.on("GET", "discovery", "/api/v1/audit", body=AUDIT)
    page = text_of(client.get("/staff/clues/clue-1").text)
    assert "大额医疗支出" in page and "严重程度 高" in " ".join(page.split())
    for words in ("比较方式", "规则集版本", "阈值", "政策参数", "参数值", "倍数", "实际值", "家庭当时状态"):
        assert words in page, words
    for code in ("comparison", "rule_set", "parameter_value", "household_status", "medical_expense"):
        assert code not in page, code
    assert "unknown_key" in page  # a key the catalogue does not know still shows, as itself
    english = text_of(client.get("/staff/clues/clue-1?lang=en").text)
    assert "Large medical expense" in english and "Threshold" in english


def test_the_verification_is_sent_as_the_officer_and_success_comes_back_with_a_banner(client, fake):
    fake.on("POST", "discovery", "/api/v1/clues/clue-1/verification", body={"clue": {**CLUE, "status": "verified"}})
    r = client.post("/staff/clues/clue-1/verification", data={
        "csrf_token": "tok", "confirmed": "yes", "visited_on": "2026-05-30", "income": "600",
        "housing_safe": "yes", "labour_capacity_lost": "", "indicators": ["illness", "medical_costs"], "notes": "住院"})
    assert r.status_code == 303 and r.headers["location"] == "/staff/clues/clue-1?done=verification"
    assert fake.body("POST", "/api/v1/clues/clue-1/verification") == {
        "confirmed": True, "visited_on": "2026-05-30", "indicators": ["illness", "medical_costs"],
        "observations": {"monthly_income_yuan": "600", "housing_safe": True, "notes": "住院"},
        "sudden_hardship": False}
    fake.on("GET", "discovery", "/api/v1/clues/clue-1", body={**CLUE, "status": "verified",
                                                              "allowed_next_steps": ["referral", "dismissal"]})
    page = client.get(r.headers["location"])
    assert "核实走访已登记。" in page.text and 'role="status"' in page.text


def test_a_422_is_shown_beside_its_field_with_the_summary_in_both_languages(client, fake):
    fake.on("GET", "discovery", "/api/v1/clues/clue-1", body=CLUE)
    fake.on("POST", "discovery", "/api/v1/clues/clue-1/verification", 422, error_422(
        ("visited_on", "date_from_datetime_parsing", "Input should be a valid date", "日期格式不正确"),
        ("observations.monthly_income_yuan", "greater_than_equal", "Input should be >= 0", "不能小于0")))
    data = {"csrf_token": "tok", "confirmed": "yes", "visited_on": "30/05", "income": "-1"}
    r = client.post("/staff/clues/clue-1/verification", data=data)
    assert r.status_code == 422
    assert 'class="error-summary"' in r.text and 'href="#visited_on"' in r.text and 'href="#income"' in r.text
    assert "走访日期：日期格式不正确" in text_of(r.text) and 'id="visited_on-error"' in r.text
    assert 'value="30/05"' in r.text  # what was typed is shown again
    en = client.post("/staff/clues/clue-1/verification?lang=en", data=data)
    assert "Date of the visit: Input should be a valid date" in text_of(en.text)


@pytest.mark.parametrize("status, words", [(403, "您无权办理此事项"), (404, "未找到，或不在您的辖区内"),
                                           (409, "当前状态下不能办理此事项")])
def test_refusals_are_clear_notices(client, fake, officer, status, words):
    officer["who"] = TOWNSHIP
    fake.on("GET", "discovery", "/api/v1/clues/clue-1", body=CLUE)
    fake.on("POST", "discovery", "/api/v1/clues/clue-1/dismissal", status,
            {"error": "step_not_allowed", "message": "Not now.", "message_zh": "当前不能排除。",
             "allowed_next_steps": ["referral"]})
    r = client.post("/staff/clues/clue-1/dismissal", data={"csrf_token": "tok", "reason_code": "duplicate",
                                                         "reason": "重复"})
    assert r.status_code == status
    page = text_of(r.text)
    assert words in page and "当前不能排除。" in page and 'role="alert"' in r.text
    if status == 409:
        assert "referral" in page


def test_a_clue_outside_the_area_is_not_shown(client, fake):
    r = client.get("/staff/clues/elsewhere")
    assert r.status_code == 404 and "未找到，或不在您的辖区内" in r.text and "verification" not in r.text


def test_a_service_that_does_not_answer_is_a_notice_not_an_error(client, fake):
    def down(request):
        raise httpx.ConnectError("refused", request=request)
    client.app.state.services.clients = ServiceClients.from_settings(client.app.state.runtime.settings,
                                                                     transport=httpx.MockTransport(down))
    r = client.get("/staff/clues/clue-1")
    assert r.status_code == 503 and "服务暂时无法访问" in r.text


def test_every_staff_form_route_needs_an_officer_and_every_post_the_csrf_check():
    from portal.main import create_app  # noqa: F401 (the router is in the app)
    for route in form_pages.router.routes:
        deps = [d.call for d in route.dependant.dependencies]
        assert require_officer in deps, route.path
        if "POST" in route.methods:
            assert verify_csrf in deps, route.path


# -- visits and assisted applications -----------------------------------------------------------------------------------
def test_a_home_visit_for_a_household_is_prefilled_and_sent_with_its_idempotency_key(client, fake):
    fake.on("GET", "discovery", "/api/v1/households/hh-1", body={
        "household_id": "hh-1", "division_code": "530102001001",
        "members": [{"name": "张三", "id_number_masked": "530102********1234", "relationship": "self"}]})
    form = client.get("/staff/visits/new?household_id=hh-1")
    assert form.status_code == 200 and 'value="530102001001"' in form.text and 'value="张三"' in form.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
    fake.on("POST", "discovery", "/api/v1/visits", 201, {"visit": {"visit_id": "visit-9", "household_id": "hh-1"},
                                                         "household_status": "referred", "referral_id": "ref-1"})
    r = client.post("/staff/visits/new", data={
        "csrf_token": "tok", "idempotency_key": key, "rows": "3", "division_code": "530102001001",
        "visited_on": "2026-05-30", "v-0-name": "张三", "v-0-id": "11010519491231002X", "v-0-rel": "self",
        "recommendation": "refer", "housing_safe": "no", "indicators": "housing_unsafe"})
    assert r.status_code == 303 and "done=visit" in r.headers["location"] and "ref=visit-9" in r.headers["location"]
    sent = fake.sent("POST", "/api/v1/visits")
    assert sent.headers["Idempotency-Key"] == key
    assert json.loads(sent.content)["members"] == [{"id_number": "11010519491231002X", "name": "张三",
                                                    "relationship": "self"}]
    done = client.get(r.headers["location"])
    assert "visit-9" in done.text and "该户已转入认定。" in done.text


def test_a_visit_for_a_clue_is_its_verification_visit(client):
    r = client.get("/staff/visits/new?clue_id=clue-1")
    assert r.status_code == 303 and r.headers["location"] == "/staff/clues/clue-1#verification"


def test_the_assisted_application_maps_the_citizen_fields_and_the_authorisation(client, fake):
    fake.on("POST", "discovery", "/api/v1/assisted-applications", 422, error_422(
        ("authorisation.obtained_on", "date_parsing", "Input should be a valid date", "日期格式不正确"),
        ("members[1].id_number", "id_number_checksum", "bad check digit", "校验码不正确"),
        ("body", "consent_required", "consent needed", "必须授权核对家庭经济状况")))
    r = client.post("/staff/applications/new", data={
        "csrf_token": "tok", "idempotency_key": "k-1", "rows": "1", "applicant_name": "张三",
        "applicant_id": "11010519491231002X", "p-0-name": "李四", "p-0-id": "110105194912310021", "p-0-rel": "spouse",
        "division_code": "530102001001", "income": "800", "hardship_reason": "illness", "auth_method": "signed_form",
        "auth_obtained_on": "x"})
    assert r.status_code == 422
    for anchor in ("#auth_obtained_on", "#p-0-id", "#consent"):
        assert f'href="{anchor}"' in r.text
    body = fake.body("POST", "/api/v1/assisted-applications")
    assert body["authorisation"] == {"method": "signed_form", "obtained_on": "x"}
    assert body["members"][0]["relationship"] == "self" and body["members"][1]["relationship"] == "spouse"
    assert fake.sent("POST", "/api/v1/assisted-applications").headers["Idempotency-Key"] == "k-1"
    assert 'name="idempotency_key" value="k-1"' in r.text  # the same form keeps its key


def test_a_county_officer_is_not_offered_the_field_forms(client, officer):
    officer["who"] = COUNTY
    r = client.get("/staff/applications/new")
    assert r.status_code == 200 and "<form" not in r.text.split("<main")[1] and "您的角色不办理此事项。" in r.text


# -- assistance ---------------------------------------------------------------------------------------------------------
HOUSEHOLD = {"household_id": "hh-1", "division_code": "530102001001", "file_number": "F-1", "status": "active",
             "programmes": ["dibao"], "categories": {}, "member_count": 3, "per_capita_monthly_income_yuan": "300.00",
             "scores": {}, "sudden_hardship": False, "care_level": None, "enrolled_at": "2026-06-01T00:00:00+00:00",
             "needs": [{"need_id": "need-1", "need_type": "daily_care", "status": "waiting", "priority": "0.8",
                        "queue_position": 2, "note": None}],
             "referrals": [{"referral_id": "ref-1", "service_type": "in_kind", "provider_id": "redcross",
                            "status": "referred", "period": "2026-06"}],
             "benefits": [{"benefit_id": "b-1", "programme": "dibao", "kind": "dibao", "status": "active",
                           "amount_yuan": "1260.00", "paid_amount_yuan": "1260.00", "frequency": "monthly",
                           "explanation_en": "3 × (720 − 300)", "explanation_zh": "3人×（720−300）"}],
             "assessments": []}


def test_the_assistance_page_shows_benefits_with_amounts_needs_and_matches(client, fake):
    fake.on("GET", "assistance", "/api/v1/households/hh-1", body=HOUSEHOLD)
    r = client.get("/staff/assistance/households/hh-1")
    page = text_of(r.text)
    assert r.status_code == 200 and "1260.00" in page and "3人×（720−300）" in page and "日常照料" in page
    assert "排队第2位" in page and 'href="/staff/referrals/ref-1"' in r.text
    assert 'action="/staff/assistance/households/hh-1/needs-assessment"' in r.text


def test_a_needs_assessment_adds_and_cancels_needs_and_maps_errors_back(client, fake):
    fake.on("GET", "assistance", "/api/v1/households/hh-1", body=HOUSEHOLD)
    fake.on("POST", "assistance", "/api/v1/households/hh-1/needs-assessment", 422, error_422(
        ("cancel_needs[0].reason", "string_too_short", "too short", "至少2个字"),
        ("scores.health", "less_than_equal", "<= 100", "不能大于100")))
    r = client.post("/staff/assistance/households/hh-1/needs-assessment", data={
        "csrf_token": "tok", "idempotency_key": "k-2", "score-health": "120", "add-0-type": "skills_training",
        "cancel-need-1": "yes", "cancel-need-1-reason": "x"})
    assert r.status_code == 422 and 'href="#cancel-need-1-reason"' in r.text and 'href="#score-health"' in r.text
    assert fake.body("POST", "/api/v1/households/hh-1/needs-assessment") == {
        "scores": {"health": 120}, "add_needs": [{"need_type": "skills_training"}],
        "cancel_needs": [{"need_id": "need-1", "reason": "x"}]}


PROVIDER = {"provider_id": "redcross", "name": "红十字会", "kind": "social_organisation", "owner_area": "530102",
            "areas": ["530102"], "constraints": {}, "active": True,
            "services": [{"service_type": "in_kind", "capacity_per_period": 10, "period_kind": "month",
                          "period": "2026-06", "used_this_period": 3, "unit_cost_yuan": "200.00"}]}


def test_the_provider_catalogue_lists_pages_and_a_county_officer_registers_and_suspends(client, fake, officer):
    officer["who"] = COUNTY
    fake.on("GET", "assistance", "/api/v1/providers", body={"items": [PROVIDER], "total": 45, "limit": 20, "offset": 20})
    fake.on("GET", "assistance", "/api/v1/providers/redcross", body=PROVIDER)
    listing = client.get("/staff/providers?offset=20&service_type=in_kind")
    assert listing.status_code == 200 and "红十字会" in listing.text and "3/10" in listing.text
    assert fake.sent("GET", "/api/v1/providers").url.params["offset"] == "20"
    assert "offset=0" in listing.text and "offset=40" in listing.text and 'method="post" action="/staff/providers"' in listing.text
    fake.on("POST", "assistance", "/api/v1/providers", 201, PROVIDER)
    r = client.post("/staff/providers", data={
        "csrf_token": "tok", "idempotency_key": "k-3", "provider_id": "redcross", "name": "红十字会",
        "kind": "social_organisation", "areas": "530102, 530103", "s-0-type": "in_kind", "s-0-capacity": "10",
        "s-0-period": "month", "s-0-cost": "200"})
    assert r.status_code == 303 and r.headers["location"] == "/staff/providers?provider_id=redcross&done=provider"
    assert fake.body("POST", "/api/v1/providers")["areas"] == ["530102", "530103"]
    assert fake.body("POST", "/api/v1/providers")["services"] == [
        {"service_type": "in_kind", "capacity_per_period": 10, "period_kind": "month", "unit_cost_yuan": "200"}]
    fake.on("POST", "assistance", "/api/v1/providers/redcross/status", body={**PROVIDER, "active": False})
    s = client.post("/staff/providers/redcross/status", data={"csrf_token": "tok", "active": "no",
                                                              "status_reason": "资质到期"})
    assert s.status_code == 303 and fake.body("POST", "/api/v1/providers/redcross/status") == {
        "active": False, "reason": "资质到期"}
    fake.on("PUT", "assistance", "/api/v1/providers/redcross/services/in_kind", body=PROVIDER)
    c = client.post("/staff/providers/redcross/services", data={"csrf_token": "tok", "service_type": "in_kind",
                                                                "capacity": "12", "period": "month", "cost": "200"})
    assert c.status_code == 303 and fake.body("PUT", "/api/v1/providers/redcross/services/in_kind")[
        "capacity_per_period"] == 12


def test_a_village_officer_sees_the_catalogue_without_the_county_forms(client, fake):
    fake.on("GET", "assistance", "/api/v1/providers", body={"items": [PROVIDER], "total": 1, "limit": 20, "offset": 0})
    r = client.get("/staff/providers")
    assert r.status_code == 200 and 'method="post" action="/staff/providers"' not in r.text and "红十字会" in r.text


REFERRAL = {"referral_id": "ref-1", "need_id": "need-1", "household_id": "hh-1", "provider_id": "redcross",
            "service_type": "in_kind", "period": "2026-06", "status": "delivered", "allowed_actions": [],
            "priority": "0.8", "reason": {}, "matched_at": "2026-06-01T00:00:00+00:00", "accepted_at": None,
            "delivered_at": "2026-06-05T00:00:00+00:00", "delivery": {"units": 1}, "closed_at": None,
            "close_reason": None, "feedback_code": "ABCD1234",
            "feedback": [{"feedback_id": "fb-1", "source": "household", "rating": 2, "complaint": True,
                          "complaint_status": "open", "resolution": None}]}


def test_a_referral_shows_delivery_read_only_and_staff_resolve_a_complaint(client, fake, officer):
    officer["who"] = TOWNSHIP
    fake.on("GET", "assistance", "/api/v1/referrals/ref-1", body=REFERRAL)
    r = client.get("/staff/referrals/ref-1")
    assert r.status_code == 200 and "服务完成由服务方确认" in r.text and "/delivery" not in r.text
    assert "/cancellation" not in r.text  # delivered: assistance allows no withdrawal
    fake.on("POST", "assistance", "/api/v1/feedback/fb-1/resolution", body={})
    s = client.post("/staff/referrals/ref-1/resolution", data={"csrf_token": "tok", "feedback_id": "fb-1",
                                                               "resolution": "已约谈服务方"})
    assert s.status_code == 303 and fake.body("POST", "/api/v1/feedback/fb-1/resolution") == {"resolution": "已约谈服务方"}


# -- gradual exit and follow-up -----------------------------------------------------------------------------------------
PARTICIPATION = {"participation_id": "p-1", "household_id": "hh-1", "programme": "dibao", "programme_en": "dibao",
                 "programme_zh": "最低生活保障", "status": "exit_review", "staff_actions": ["review"],
                 "division_code": "530102001001", "enrolled_at": "2026-01-01T00:00:00+00:00",
                 "line_yuan_per_person_month": "720", "rule_version": "v1",
                 "observation": {"observation_id": "o-1", "started_on": "2026-03-01", "ends_on": "2026-08-31",
                                 "start_income_yuan": "900", "lowest_income_yuan": "880", "support_share_now": 0.5,
                                 "outcome": None},
                 "notice": None, "open_objections": 0, "exit_id": None, "exited_at": None, "observations": [],
                 "notices": [], "objections": []}


def test_a_participation_shows_the_observation_and_offers_the_review_and_situation_update(client, fake, officer):
    officer["who"] = TOWNSHIP
    fake.on("GET", "gradual_exit", "/api/v1/participations/p-1", body=PARTICIPATION)
    fake.on("GET", "gradual_exit", "/api/v1/households/hh-1/situations", body={"items": [], "total": 0})
    r = client.get("/staff/exit/participations/p-1")
    assert r.status_code == 200 and "50%" in r.text and "待乡镇审核退出" in r.text
    assert "/p-1/review" in r.text and "/p-1/situation" in r.text and "/p-1/decision" not in r.text
    fake.on("POST", "gradual_exit", "/api/v1/households/hh-1/situations", 422, error_422(
        ("body", "at_least_one_fact", "state at least one fact", "至少填写一项情况")))
    s = client.post("/staff/exit/participations/p-1/situation", data={"csrf_token": "tok", "idempotency_key": "k-4",
                                                                       "kind": "update"})
    assert s.status_code == 422 and 'href="#income"' in s.text and "至少填写一项情况" in s.text
    fake.on("POST", "gradual_exit", "/api/v1/participations/p-1/review", body=PARTICIPATION)
    ok = client.post("/staff/exit/participations/p-1/review", data={
        "csrf_token": "tok", "review_outcome": "propose_exit", "opinion": "收入稳定"})
    assert ok.status_code == 303 and fake.body("POST", "/api/v1/participations/p-1/review") == {
        "outcome": "propose_exit", "opinion": "收入稳定"}


PLAN = {"plan_id": "plan-1", "household_id": "hh-1", "division_code": "530102001001", "status": "active",
        "allowed_actions": ["exit", "checkin", "signal", "risk", "complete"], "programmes": [], "file_number": "F-1",
        "interval_months": 3, "anchor_on": "2026-01-01", "ends_on": "2027-01-01", "next_due_on": "2026-07-01",
        "overdue": False, "relapse_count": 0, "schedule": [], "checkins": [], "relapses": [], "signals": []}


def test_a_checkin_is_recorded_on_the_plan(client, fake):
    fake.on("GET", "followup", "/api/v1/plans/plan-1", body=PLAN)
    page = client.get("/staff/followup/plans/plan-1")
    assert page.status_code == 200 and 'action="/staff/followup/plans/plan-1/checkin"' in page.text
    fake.on("POST", "followup", "/api/v1/plans/plan-1/checkins", 201, {"checkin": {}, "plan": PLAN})
    r = client.post("/staff/followup/plans/plan-1/checkin", data={
        "csrf_token": "tok", "idempotency_key": "k-5", "income": "2400", "medical_year": "", "earner_died": "yes",
        "visited_on": "2026-07-01"})
    assert r.status_code == 303 and r.headers["location"] == "/staff/followup/plans/plan-1?done=checkin"
    assert fake.body("POST", "/api/v1/plans/plan-1/checkins") == {
        "household_monthly_income_yuan": "2400", "earner_died": True, "visited_on": "2026-07-01"}
    assert fake.sent("POST", "/api/v1/plans/plan-1/checkins").headers["Idempotency-Key"] == "k-5"


# -- the pure mapping ---------------------------------------------------------------------------------------------------
def test_field_mapping_of_each_form():
    assert sf.verification_body({"confirmed": ""})[0]["confirmed"] == ""  # unanswered: discovery names the rule
    body, rows = sf.verification_body({"confirmed": "no", "rows": "2", "v-1-id": "X", "v-1-rel": "spouse"})
    assert body["confirmed"] is False and body["members"] == [{"id_number": "X", "relationship": "spouse"}]
    assert sf.visit_field("members[0].id_number", "id_number_format", rows) == "v-1-id"
    assert "members" not in sf.verification_body({"confirmed": "yes"})[0]
    assert sf.verification_field("observations.housing_safe") == "housing_safe"
    assert sf.verification_field("indicators[2]") == "indicators" and sf.verification_field("nonsense") is None
    body, rows = sf.visit_body({"rows": "3", "v-0-name": "", "v-0-id": "", "v-2-id": "X", "v-2-name": "王五"})
    assert body["members"] == [{"id_number": "X", "name": "王五"}] and rows == [2]
    assert sf.visit_field("members[0].id_number", "id_number_checksum", rows) == "v-2-id"
    assert sf.assisted_application_field("authorisation.method", "literal_error", []) == "auth_method"
    assert sf.assisted_application_field("applicant.phone", "string_pattern_mismatch", []) == "applicant_phone"
    assert sf.needs_assessment_field("add_needs[0].need_type", "literal_error", [1], []) == "add-1-type"
    assert sf.provider_field("services[0].unit_cost_yuan", "decimal_parsing", [1]) == "s-1-cost"
    assert sf.provider_field("areas[0]", "division_prefix", []) == "areas"
    assert sf.situation_body({"kind": "", "income": "1,200.5", "g-food": "yes", "g-clothing": ""}) == {
        "kind": "update", "per_capita_monthly_income_yuan": "1200.5", "guarantees": {"food": True}}
    assert sf.decision_body({"decision_outcome": "exit"}) == {"outcome": "exit"}
    assert sf.decision_field("reasons", "required_for_continue_support") == "decision_zh"
    assert sf.checkin_body({"income": "abc"})["household_monthly_income_yuan"] == "abc"
    assert sf.objection_resolution_field("reason", "", "ob-1") == "o-ob-1-reason"
    assert sf.offered("clue.dismissal", "township") and not sf.offered("clue.dismissal", "village")


def test_every_label_and_dynamic_text_exists_in_both_languages():
    catalogue = load_catalogue()
    for lang in ("zh-CN", "en"):
        table = catalogue.messages[lang]
        missing = [i for i in form_pages.DYNAMIC_IDS if i not in table]
        assert not missing, (lang, missing)
        _ = catalogue.gettext(lang)
        names = (["confirmed", "visited_on", "income", "reason_code", "v-0-id", "s-1-cost", "add-0-note", "score-health",
                  "g-food", "cancel-n1-reason", "o-x-outcome", "auth_method", "applicant_id", "p-0-rel", "consent",
                  "decision_zh", "closure_reason", "status_reason", "cancel_reason", "rating", "resolution"])
        for name in names:
            assert "sf." not in sf.label(name, _) and "field." not in sf.label(name, _), (lang, name, sf.label(name, _))


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "label" and a.get("for"):
            self.label_for.append(a["for"])
        for name in ("href", "src", "action"):
            if (a.get(name) or "").startswith(("http:", "https:", "//")):
                self.external.append(a[name])


def test_every_page_has_unique_ids_labelled_fields_and_nothing_from_elsewhere(client, fake, officer):
    fake.on("GET", "discovery", "/api/v1/clues/clue-1", body=CLUE)
    fake.on("GET", "discovery", "/api/v1/audit", body=AUDIT)
    fake.on("GET", "assistance", "/api/v1/households/hh-1", body=HOUSEHOLD)
    fake.on("GET", "assistance", "/api/v1/providers", body={"items": [PROVIDER], "total": 1, "limit": 20, "offset": 0})
    fake.on("GET", "assistance", "/api/v1/providers/redcross", body=PROVIDER)
    fake.on("GET", "assistance", "/api/v1/referrals/ref-1", body={**REFERRAL, "status": "referred",
                                                                  "allowed_actions": ["cancel"]})
    fake.on("GET", "gradual_exit", "/api/v1/participations/p-1", body={
        **PARTICIPATION, "status": "exit_notice", "staff_actions": ["resolve_objection", "close_notice"],
        "objections": [{"objection_id": "ob-1", "status": "open", "grounds": "收入不稳定", "lodged_at":
                        "2026-06-01T00:00:00+00:00", "contact": None}]})
    fake.on("GET", "gradual_exit", "/api/v1/households/hh-1/situations", body={"items": [], "total": 0})
    fake.on("GET", "followup", "/api/v1/plans/plan-1", body=PLAN)
    pages = {"/staff/clues/clue-1": TOWNSHIP, "/staff/visits/new": VILLAGE, "/staff/applications/new": VILLAGE,
             "/staff/assistance/households/hh-1": VILLAGE, "/staff/providers?provider_id=redcross": COUNTY,
             "/staff/referrals/ref-1": TOWNSHIP, "/staff/exit/participations/p-1": TOWNSHIP,
             "/staff/followup/plans/plan-1": VILLAGE}
    for url, who in pages.items():
        officer["who"] = who
        for lang in ("zh-CN", "en"):
            r = client.get(url, params={"lang": lang})
            assert r.status_code == 200, (url, r.text[:500])
            parser = Ids()
            parser.feed(r.text)
            dupes = {i for i in parser.ids if parser.ids.count(i) > 1}
            assert not dupes, (url, dupes)
            assert set(parser.label_for) <= set(parser.ids), (url, set(parser.label_for) - set(parser.ids))
            assert not parser.external, (url, parser.external)
            assert "<form" in r.text.split("<main")[1], url
            assert not re.search(r"\bsf\.[a-z_]+\.[a-z_.]+", text_of(r.text)), (url, lang)  # no id shown as text
