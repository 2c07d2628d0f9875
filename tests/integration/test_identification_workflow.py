"""identification's statutory workflow through its API on real PostgreSQL, with an injected clock (no sleeping)."""
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from identification import handlers
from identification.main import create_app
from identification.models import Case
from identification.scheduled import CASES_OVERDUE, check_deadlines
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import Event, decode
from shared.synthetic import HouseholdFactory
from tests.helpers import count, identification_runtime

VILLAGE = "530102001001"
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    return identification_runtime(databases.create("identification"), kafka_bootstrap, topic_prefix, clock=clock)


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def token(runtime, role, area, subject=None):
    # signed at wall-clock time: token expiry is real time, while the case's deadlines follow the injected clock
    t = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-officer", role=role, area=area)
    return {"Authorization": f"Bearer {t}"}


def open_case(runtime, seed=1, household_id=None, size=2) -> Case:
    event = HouseholdFactory(seed).application_event(HouseholdFactory(seed).application_body(division=VILLAGE, size=size),
                                                     household_id=household_id)
    with runtime.session_factory() as s, s.begin():
        case = handlers.on_application_submitted(s, event, runtime.services)
        return case


def poor_facts(**over):
    facts = {"members": [{"age": 45, "labour_capacity": "partial", "chronic_illness": True},
                         {"age": 12, "labour_capacity": "none", "in_compulsory_education": True}],
             "monthly_income_yuan": "600", "residence_months": 24, "housing_safe": True}
    facts.update(over)
    return facts


def authorised():
    return {"authorised": True, "method": "signed_form", "reference": "AUTH-2026-001"}


def outbox_types(runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    return [decode(bytes(p))["type"] for p in rows]


def walk_to_notice(client, runtime, case_id, facts=None):
    v, t = token(runtime, "village", VILLAGE), token(runtime, "township", TOWNSHIP)
    assert client.post(f"/api/v1/cases/{case_id}/assessment/start", headers=v).status_code == 200
    r = client.post(f"/api/v1/cases/{case_id}/assessment", headers=v,
                    json={"facts": facts or poor_facts(), "authorisation": authorised()})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{case_id}/review", headers=v,
                    json={"attendees": ["村主任", "村民代表甲", "村民代表乙"], "opinions": ["情况属实"], "outcome": "propose_approval"})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{case_id}/notice", headers=t, json={})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_case_walks_from_opened_to_enrolled(client, runtime, clock):
    case = open_case(runtime, size=2)
    detail = walk_to_notice(client, runtime, case.id)
    assert detail["status"] == "public_notice"
    assert "dibao" in detail["assessment"]["eligible"]
    assert detail["assessment"]["rule_version"]
    assert {d["dimension"] for d in detail["assessment"]["dimensions"]} >= {"income", "assets", "rigid_expenditure",
                                                                            "labour_capacity", "housing_safety"}
    assert all(d["explanation_en"] and d["explanation_zh"] for d in detail["assessment"]["dimensions"])
    notice = detail["notices"][0]
    assert (datetime.fromisoformat(notice["last_day"]) - datetime.fromisoformat(notice["first_day"])).days == 6  # 7 days

    t, c = token(runtime, "township", TOWNSHIP), token(runtime, "county", COUNTY)
    clock.advance(days=7)
    r = client.post(f"/api/v1/cases/{case.id}/notice/close", headers=t)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{case.id}/township-review", headers=t,
                    json={"outcome": "recommend_approval", "opinion": "同意"})
    assert r.status_code == 200 and r.json()["status"] == "county_decision"
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c, json={"outcome": "approve"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "enrolled" and body["file_number"] == f"{COUNTY}-2026-000001"
    assert body["allowed_actions"] == []
    assert outbox_types(runtime) == [
        "identification.case.opened", "identification.assessment.completed", "identification.review.completed",
        "identification.notice.published", "identification.household.identified", "identification.household.enrolled"]
    trail = client.get(f"/api/v1/cases/{case.id}/audit", headers=c).json()
    assert [(a["action"], a["from_state"], a["to_state"]) for a in trail][1:] == [
        ("start_assessment", "opened", "field_assessment"), ("complete_assessment", "field_assessment", "democratic_review"),
        ("complete_review", "democratic_review", "awaiting_notice"), ("publish_notice", "awaiting_notice", "public_notice"),
        ("close_notice", "public_notice", "township_review"), ("complete_township_review", "township_review", "county_decision"),
        ("decide", "county_decision", "enrolled")]
    assert trail[-1]["actor"] == "county-officer" and trail[-1]["actor_role"] == "county"


def test_the_public_notice_is_masked(client, runtime):
    case = open_case(runtime, seed=2, size=3)
    walk_to_notice(client, runtime, case.id)
    page = client.get("/api/v1/public/notices", params={"division_code": COUNTY}).json()
    assert page["total"] == 1
    text = page["items"][0]["text_en"] + page["items"][0]["text_zh"]
    head = case.members[0]
    assert head["id_number"] not in text and head["name"] not in text
    assert head["name"][0] + "*" in text
    assert str(case.household_monthly_income_yuan) not in text
    assert "household_id" not in page["items"][0]


def test_an_upheld_objection_sends_the_case_back_to_field_assessment(client, runtime, clock):
    case = open_case(runtime, seed=3)
    notice_id = walk_to_notice(client, runtime, case.id)["notices"][0]["notice_id"]
    r = client.post(f"/api/v1/public/notices/{notice_id}/objections", json={"grounds": "该户有一辆新车", "contact": "13900000000"})
    assert r.status_code == 201
    objection_id = r.json()["objection_id"]
    t = token(runtime, "township", TOWNSHIP)
    clock.advance(days=8)
    r = client.post(f"/api/v1/cases/{case.id}/notice/close", headers=t)
    assert r.status_code == 409 and r.json()["rule"] == "objections_open"
    r = client.post(f"/api/v1/cases/{case.id}/objections/{objection_id}/resolution", headers=t,
                    json={"outcome": "upheld", "reason": "核实确有车辆"})
    assert r.status_code == 200 and r.json()["status"] == "field_assessment"
    assert r.json()["notices"][0]["status"] == "withdrawn"
    assert client.get("/api/v1/public/notices").json()["total"] == 0
    assert outbox_types(runtime)[-2:] == ["identification.objection.lodged", "identification.objection.resolved"]


def test_a_dismissed_objection_lets_the_notice_run_and_late_objections_are_refused(client, runtime, clock):
    case = open_case(runtime, seed=4)
    notice_id = walk_to_notice(client, runtime, case.id)["notices"][0]["notice_id"]
    objection_id = client.post(f"/api/v1/public/notices/{notice_id}/objections", json={"grounds": "不符合"}).json()["objection_id"]
    t = token(runtime, "township", TOWNSHIP)
    r = client.post(f"/api/v1/cases/{case.id}/objections/{objection_id}/resolution", headers=t,
                    json={"outcome": "dismissed", "reason": "经核查不属实"})
    assert r.json()["status"] == "public_notice"
    r = client.post(f"/api/v1/cases/{case.id}/notice/close", headers=t)
    assert r.status_code == 409 and r.json()["rule"] == "notice_running"
    clock.advance(days=7)
    r = client.post(f"/api/v1/public/notices/{notice_id}/objections", json={"grounds": "太晚了"})
    assert r.status_code == 409 and r.json()["rule"] == "notice_not_open"
    assert client.post(f"/api/v1/cases/{case.id}/notice/close", headers=t).status_code == 200


def test_a_household_that_does_not_qualify_is_rejected_with_reasons_and_how_to_appeal(client, runtime):
    case = open_case(runtime, seed=5)
    v, t, c = (token(runtime, "village", VILLAGE), token(runtime, "township", TOWNSHIP), token(runtime, "county", COUNTY))
    client.post(f"/api/v1/cases/{case.id}/assessment/start", headers=v)
    rich = poor_facts(monthly_income_yuan="20000", savings_yuan="500000")
    r = client.post(f"/api/v1/cases/{case.id}/assessment", headers=v, json={"facts": rich, "authorisation": authorised()})
    assert r.json()["assessment"]["eligible"] == [] or "dibao" not in r.json()["assessment"]["eligible"]
    client.post(f"/api/v1/cases/{case.id}/review", headers=v,
                json={"attendees": ["甲"], "opinions": ["收入较高"], "outcome": "propose_rejection"})
    client.post(f"/api/v1/cases/{case.id}/township-review", headers=t, json={"outcome": "recommend_rejection", "opinion": "不符合"})
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c, json={"outcome": "reject"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    decision = r.json()["decision"]
    assert decision["reasons"] and "reconsideration" in decision["appeal_en"] and "行政复议" in decision["appeal_zh"]
    assert outbox_types(runtime)[-1] == "identification.household.rejected"


@pytest.mark.parametrize("path,body,allowed", [
    ("decision", {"outcome": "approve"}, ["start_assessment", "withdraw"]),
    ("notice", {}, ["start_assessment", "withdraw"]),
    ("review", {"attendees": ["a"], "opinions": ["b"], "outcome": "propose_approval"}, ["start_assessment", "withdraw"]),
    ("notice/close", None, ["start_assessment", "withdraw"]),
    ("township-review", {"outcome": "recommend_approval", "opinion": "ok"}, ["start_assessment", "withdraw"]),
])
def test_an_illegal_step_is_409_naming_the_allowed_next_steps(client, runtime, path, body, allowed):
    case = open_case(runtime, seed=6)
    role_area = {"decision": ("county", COUNTY), "review": ("village", VILLAGE)}.get(path, ("township", TOWNSHIP))
    r = client.post(f"/api/v1/cases/{case.id}/{path}", headers=token(runtime, *role_area), json=body)
    assert r.status_code == 409, r.text
    assert r.json()["allowed_actions"] == allowed and r.json()["state"] == "opened"
    assert r.json()["message"] and r.json()["message_zh"]


def test_assessment_without_the_households_authorisation_is_refused(client, runtime):
    case = open_case(runtime, seed=7)
    v = token(runtime, "village", VILLAGE)
    client.post(f"/api/v1/cases/{case.id}/assessment/start", headers=v)
    r = client.post(f"/api/v1/cases/{case.id}/assessment", headers=v,
                    json={"facts": poor_facts(), "authorisation": {**authorised(), "authorised": False}})
    assert r.status_code == 409 and r.json()["rule"] == "authorisation_missing"
    assert client.get(f"/api/v1/cases/{case.id}", headers=v).json()["assessment"] is None


def test_residence_not_hukou_decides_and_an_emergency_waives_it_for_temporary_assistance_only(client, runtime):
    """Just arrived: short of temporary assistance's residence and of dibao's. An emergency waives temporary
    assistance's (given first where the emergency happens), not dibao's, and temporary assistance then bridges dibao."""
    v = token(runtime, "village", VILLAGE)
    for seed, emergency in ((8, False), (9, True)):
        case = open_case(runtime, seed=seed)
        client.post(f"/api/v1/cases/{case.id}/assessment/start", headers=v)
        r = client.post(f"/api/v1/cases/{case.id}/assessment", headers=v,
                        json={"facts": poor_facts(residence_months=0), "authorisation": authorised(), "emergency": emergency})
        programmes = {p["programme"]: p for p in r.json()["assessment"]["programmes"]}
        dibao, temporary = programmes["dibao"], programmes["temporary"]
        assert dibao["eligible"] is False
        assert [(x["passed"], x["waived"]) for x in dibao["reasons"] if x["code"] == "residence"] == [(False, False)]
        assert temporary["eligible"] is emergency
        assert [(x["passed"], x["waived"]) for x in temporary["reasons"] if x["code"] == "residence"] == \
            [(emergency, emergency)]
        bridge = next(x for x in temporary["reasons"] if x["code"] == "bridging")
        assert bridge["passed"] and "minimum living guarantee (dibao)" in bridge["en"] and "最低生活保障" in bridge["zh"]


STAFF_ENDPOINTS = [
    ("get", "", None, "village"), ("get", "/audit", None, "village"),
    ("post", "/assessment/start", None, "village"),
    ("post", "/assessment", {"facts": poor_facts(), "authorisation": authorised()}, "village"),
    ("post", "/review", {"attendees": ["a"], "opinions": ["b"], "outcome": "propose_approval"}, "village"),
    ("post", "/notice", {}, "township"), ("post", "/notice/close", None, "township"),
    ("post", "/objections/x/resolution", {"outcome": "upheld", "reason": "xx"}, "township"),
    ("post", "/township-review", {"outcome": "recommend_approval", "opinion": "ok"}, "township"),
    ("post", "/decision", {"outcome": "approve"}, "county"), ("post", "/withdrawal", {"reason": "moved"}, "township"),
]
AREA = {"village": VILLAGE, "township": TOWNSHIP, "county": COUNTY}
OTHER_AREA = {"village": "530102001002", "township": "530102002", "county": "530103"}


@pytest.mark.parametrize("method,suffix,body,role", STAFF_ENDPOINTS, ids=[e[1] or "get" for e in STAFF_ENDPOINTS])
def test_every_staff_endpoint_refuses_no_token_a_wrong_area_and_a_wrong_role(client, runtime, method, suffix, body, role):
    case = open_case(runtime, seed=10)
    url = f"/api/v1/cases/{case.id}{suffix}"
    call = getattr(client, method)
    kwargs = {"json": body} if method == "post" else {}
    assert call(url, **kwargs).status_code == 401
    assert call(url, headers=token(runtime, role, OTHER_AREA[role]), **kwargs).status_code == 404
    if method == "post":
        wrong = {"village": "county", "township": "village", "county": "township"}[role]
        r = call(url, headers=token(runtime, wrong, AREA[wrong]), **kwargs)
        assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    assert count(runtime, runtime.tables.outbox) == 1, "only the case.opened event: nothing was written"


def test_a_case_list_shows_only_the_officers_area(client, runtime):
    open_case(runtime, seed=11)
    other = HouseholdFactory(12).application_event(HouseholdFactory(12).application_body(division="522701001002"))
    with runtime.session_factory() as s, s.begin():
        handlers.on_application_submitted(s, other, runtime.services)
    assert client.get("/api/v1/cases", headers=token(runtime, "county", COUNTY)).json()["total"] == 1
    assert client.get("/api/v1/cases", headers=token(runtime, "admin", "")).json()["total"] == 2
    assert client.get("/api/v1/cases", headers=token(runtime, "county", "522701")).json()["total"] == 1
    assert client.get("/api/v1/cases", headers=token(runtime, "partner", "")).status_code == 403


def test_overdue_cases_raise_one_event_each_and_show_in_the_metric(client, runtime, clock):
    case = open_case(runtime, seed=13)
    deadline = datetime.fromisoformat(client.get(f"/api/v1/cases/{case.id}", headers=token(runtime, "county", COUNTY)).json()["deadline"])
    clock.at = datetime.combine(deadline.date(), START.timetz())
    assert check_deadlines(runtime) == 0, "the deadline day itself is still on time"
    clock.advance(days=1)
    assert check_deadlines(runtime) == 1
    assert check_deadlines(runtime) == 0, "reported once"
    assert CASES_OVERDUE._value.get() == 1
    assert outbox_types(runtime)[-1] == "identification.case.overdue"
    listed = client.get("/api/v1/cases", params={"overdue": True}, headers=token(runtime, "county", COUNTY)).json()
    assert [c["case_id"] for c in listed["items"]] == [case.id] and listed["items"][0]["overdue"] is True


def test_the_deadline_follows_the_programmes_found_at_assessment(client, runtime):
    """Opened with the default deadline; after assessment, the earliest deadline of the eligible programmes
    (monitoring 15 calendar days, temporary 10 working days, dibao 30 working days)."""
    from identification.domain.workflow import decision_deadline
    case = open_case(runtime, seed=14)
    v = token(runtime, "village", VILLAGE)
    client.post(f"/api/v1/cases/{case.id}/assessment/start", headers=v)
    facts = poor_facts(monthly_income_yuan="1100", sudden_hardship=True, medical_expense_yuan_year="30000")
    body = client.post(f"/api/v1/cases/{case.id}/assessment", headers=v,
                       json={"facts": facts, "authorisation": authorised()}).json()
    eligible = body["assessment"]["eligible"]
    assert "monitoring" in eligible and "temporary" in eligible
    rules = runtime.services.rules_for(VILLAGE, START.date())
    assert body["deadline"] == decision_deadline(START.date(), eligible, rules, runtime.services.calendar).isoformat()
    assert body["deadline"] == "2026-03-16", "temporary: 10 working days from Monday 2 March"
    only_monitoring = decision_deadline(START.date(), ["monitoring"], rules, runtime.services.calendar)
    assert only_monitoring.isoformat() == "2026-03-17", "monitoring: 15 calendar days"


def test_applications_and_referrals_about_one_household_share_one_case(runtime):
    household = "hh-shared-1"
    first = open_case(runtime, seed=15, household_id=household)
    second = open_case(runtime, seed=16, household_id=household)
    assert second.id == first.id
    referral = Event(type="discovery.household.referred", source="/services/discovery", subject=household, data={
        "referral_id": "ref-1", "household_id": household, "record_id": "rec-1", "division_code": VILLAGE,
        "referred_at": START.isoformat(), "channels": ["partner_signal"],
        "reasons": [{"code": "medical_expense", "en": "High medical cost", "zh": "医疗支出高"}],
        "members": [{"id_number": "11010519491231002X"}], "application_ids": [], "clue_ids": ["c-1"], "visit_ids": [],
        "sudden_hardship": True, "fast_track": False})
    runtime.registry.validate(referral.envelope())
    with runtime.session_factory() as s, s.begin():
        third = handlers.on_household_referred(s, referral, runtime.services)
        again = handlers.on_household_referred(s, referral, runtime.services)
    assert third.id == again.id == first.id
    assert count(runtime, Case) == 1
    assert outbox_types(runtime) == ["identification.case.opened", "identification.case.linked", "identification.case.linked"]
