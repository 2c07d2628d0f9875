"""identification's statutory workflow through its API on real PostgreSQL, with an injected clock (no sleeping)."""
from datetime import datetime, timedelta, timezone

import re

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


def outbox_events(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    return [decode(bytes(p)) for p in rows]


def outbox_types(runtime) -> list[str]:
    return [e["type"] for e in outbox_events(runtime)]


def walk_to_notice(client, runtime, case_id, facts=None, programmes=None):
    v, t = token(runtime, "village", VILLAGE), token(runtime, "township", TOWNSHIP)
    assert client.post(f"/api/v1/cases/{case_id}/assessment/start", headers=v).status_code == 200
    r = client.post(f"/api/v1/cases/{case_id}/assessment", headers=v,
                    json={"facts": facts or poor_facts(), "authorisation": authorised()})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{case_id}/review", headers=v,
                    json={"attendees": ["村主任", "村民代表甲", "村民代表乙"], "opinions": ["情况属实"], "outcome": "propose_approval"})
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{case_id}/notice", headers=t, json={} if programmes is None else {"programmes": programmes})
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
        "identification.case.opened", "identification.assessment.started", "identification.verification.requested",
        "identification.assessment.completed",
        "identification.review.completed", "identification.notice.published", "identification.notice.closed",
        "identification.case.township_reviewed", "identification.household.identified",
        "identification.household.enrolled"]
    assert body["decision"]["programmes"] == detail["assessment"]["eligible"]  # every one of them was on notice
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
    assert r.json()["notices"][0]["closed_reason"] == "objection_upheld"
    assert client.get("/api/v1/public/notices").json()["total"] == 0
    assert outbox_types(runtime)[-3:] == ["identification.objection.lodged", "identification.objection.resolved",
                                          "identification.notice.closed"]
    assert outbox_events(runtime)[-1]["data"]["reason"] == "objection_upheld"


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
    # Chinese for people: state and actions by name, no codes
    assert not re.search(r"[A-Za-z_]{3,}", r.json()["message_zh"]), r.json()["message_zh"]
    assert "已受理" in r.json()["message_zh"] and "开始入户核查" in r.json()["message_zh"]
    assert r.json()["allowed_actions_zh"] == ["开始入户核查", "撤回"]


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


# --- issue 7: only what was on notice is decided; every step is an event -----------------------------------------

def sudden_facts():
    return poor_facts(sudden_hardship=True)  # eligible for dibao, monitoring, temporary, medical, education, employment


def to_county_decision(client, runtime, clock, case_id, days):
    t = token(runtime, "township", TOWNSHIP)
    clock.advance(days=days)
    r = client.post(f"/api/v1/cases/{case_id}/notice/close", headers=t)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/v1/cases/{case_id}/township-review", headers=t,
                    json={"outcome": "recommend_approval", "opinion": "同意"})
    assert r.status_code == 200, r.text


def test_a_temporary_only_notice_closes_at_once_and_grants_temporary_only(client, runtime, clock):
    """The reported defect: a 0-day notice for temporary alone, then the county enrolled every eligible programme."""
    case = open_case(runtime, seed=21)
    detail = walk_to_notice(client, runtime, case.id, facts=sudden_facts(), programmes=["temporary"])
    assert {"dibao", "temporary"} <= set(detail["assessment"]["eligible"])
    notice = detail["notices"][0]
    assert notice["days"] == 0 and notice["first_day"] == notice["last_day"] == START.date().isoformat()
    assert notice["ends_at"] == notice["published_at"]
    assert "no notice period is required" in notice["text_en"] and "2026-03-01" not in notice["text_en"]
    to_county_decision(client, runtime, clock, case.id, days=0)
    c = token(runtime, "county", COUNTY)
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c, json={"outcome": "approve", "programmes": ["dibao"]})
    assert r.status_code == 409 and r.json()["rule"] == "not_on_notice", r.text
    assert "最低生活保障" in r.json()["message_zh"] and not re.search(r"[A-Za-z_]{3,}", r.json()["message_zh"])
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c, json={"outcome": "approve"})
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["programmes"] == ["temporary"]
    enrolled = [e for e in outbox_events(runtime) if e["type"] == "identification.household.enrolled"]
    assert [e["data"]["programmes"] for e in enrolled] == [["temporary"]]
    assert enrolled[0]["data"]["categories"] == {}, "monitoring was not granted, so no monitoring category"
    # temporary was on a notice before the decision: nothing to publish afterwards
    assert [n["kind"] for n in r.json()["notices"]] == ["prior"]


def test_the_notice_lists_every_programme_proposed_and_runs_the_longest_period(client, runtime, clock):
    case = open_case(runtime, seed=22)
    detail = walk_to_notice(client, runtime, case.id, facts=sudden_facts(), programmes=["temporary", "monitoring"])
    notice = detail["notices"][0]
    assert notice["programmes"] == ["monitoring", "temporary"] and notice["days"] == 5
    assert notice["last_day"] == "2026-03-06"
    assert datetime.fromisoformat(notice["ends_at"]) == datetime(2026, 3, 6, 16, 0, tzinfo=timezone.utc)
    t = token(runtime, "township", TOWNSHIP)
    clock.advance(days=4)
    assert client.post(f"/api/v1/cases/{case.id}/notice/close", headers=t).json()["rule"] == "notice_running"
    # a programme the household is not eligible for cannot be put on notice
    other = open_case(runtime, seed=23)
    v = token(runtime, "village", VILLAGE)
    client.post(f"/api/v1/cases/{other.id}/assessment/start", headers=v)
    client.post(f"/api/v1/cases/{other.id}/assessment", headers=v, json={"facts": poor_facts(), "authorisation": authorised()})
    client.post(f"/api/v1/cases/{other.id}/review", headers=v,
                json={"attendees": ["甲"], "opinions": ["属实"], "outcome": "propose_approval"})
    r = client.post(f"/api/v1/cases/{other.id}/notice", headers=t, json={"programmes": ["tekun"]})
    assert r.status_code == 409 and r.json()["rule"] == "not_eligible" and "特困" in r.json()["message_zh"]
    r = client.post(f"/api/v1/cases/{other.id}/notice", headers=t, json={"programmes": ["pension"]})
    assert r.status_code == 422


def test_temporary_assistance_granted_without_its_notice_is_published_afterwards(client, runtime, clock):
    case = open_case(runtime, seed=24)
    detail = walk_to_notice(client, runtime, case.id, facts=sudden_facts(), programmes=["dibao"])
    assert detail["notices"][0]["days"] == 7
    to_county_decision(client, runtime, clock, case.id, days=7)
    c = token(runtime, "county", COUNTY)
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c,
                    json={"outcome": "approve", "programmes": ["dibao", "temporary"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["decision"]["programmes"] == ["dibao", "temporary"]
    assert body["decision"]["granted_before_notice"] == ["temporary"]
    post_hoc = [n for n in body["notices"] if n["kind"] == "post_hoc"]
    assert len(post_hoc) == 1 and post_hoc[0]["programmes"] == ["temporary"] and post_hoc[0]["status"] == "published"
    assert "先行救助" in post_hoc[0]["text_zh"] and "Granted first" in post_hoc[0]["text_en"]
    published = [e for e in outbox_events(runtime) if e["type"] == "identification.notice.published"]
    assert [e["data"].get("post_hoc", False) for e in published] == [False, True]
    assert published[1]["data"]["programmes"] == ["temporary"]
    listed = client.get("/api/v1/public/notices").json()
    assert [(n["kind"], n["programmes"]) for n in listed["items"]] == [("post_hoc", ["temporary"])]
    r = client.post(f"/api/v1/public/notices/{post_hoc[0]['notice_id']}/objections", json={"grounds": "不应给予"})
    assert r.status_code == 409 and r.json()["rule"] == "post_hoc_notice"
    clock.advance(days=7)  # shown for post_hoc_notice_days (7), then no longer listed
    assert client.get("/api/v1/public/notices").json()["total"] == 0


def test_the_county_may_not_grant_what_was_never_on_notice(client, runtime, clock):
    case = open_case(runtime, seed=25)
    walk_to_notice(client, runtime, case.id, facts=sudden_facts(), programmes=["monitoring"])
    to_county_decision(client, runtime, clock, case.id, days=5)
    c = token(runtime, "county", COUNTY)
    before = count(runtime, runtime.tables.outbox)
    for refused in (["dibao"], ["monitoring", "medical"], ["tekun"]):
        r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c, json={"outcome": "approve", "programmes": refused})
        assert r.status_code == 409 and r.json()["rule"] in ("not_on_notice", "not_eligible"), r.text
    assert count(runtime, runtime.tables.outbox) == before, "a refused decision writes nothing"
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=c, json={"outcome": "approve"})
    assert r.json()["decision"]["programmes"] == ["monitoring", "temporary"]  # temporary: allowed before notice
    assert r.json()["file_number"] == f"{COUNTY}-2026-000001", "the refused attempts used no file number"


def test_withdrawing_a_case_closes_its_notice_and_unlists_it(client, runtime):
    case = open_case(runtime, seed=26)
    notice_id = walk_to_notice(client, runtime, case.id)["notices"][0]["notice_id"]
    assert client.get("/api/v1/public/notices").json()["total"] == 1
    t = token(runtime, "township", TOWNSHIP)
    r = client.post(f"/api/v1/cases/{case.id}/withdrawal", headers=t, json={"reason": "申请人主动撤回"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert r.json()["notices"][0]["status"] == "withdrawn" and r.json()["notices"][0]["closed_reason"] == "case_withdrawn"
    assert client.get("/api/v1/public/notices").json()["total"] == 0
    events = outbox_events(runtime)
    assert [e["type"] for e in events[-2:]] == ["identification.notice.closed", "identification.case.withdrawn"]
    closed, withdrawn = events[-2]["data"], events[-1]["data"]
    assert closed["reason"] == "case_withdrawn" and closed["notice_id"] == notice_id
    assert withdrawn["previous_status"] == "public_notice" and withdrawn["closed_notice_id"] == notice_id
    assert withdrawn["application_id"] == case.application_id and withdrawn["actor"]["role"] == "township"
    r = client.post(f"/api/v1/public/notices/{notice_id}/objections", json={"grounds": "撤回后还能提吗"})
    assert r.status_code == 409


def test_withdrawing_a_case_without_a_notice_emits_the_withdrawal_only(client, runtime):
    case = open_case(runtime, seed=27)
    r = client.post(f"/api/v1/cases/{case.id}/withdrawal", headers=token(runtime, "county", COUNTY), json={"reason": "迁出"})
    assert r.status_code == 200
    assert outbox_types(runtime) == ["identification.case.opened", "identification.case.withdrawn"]
    assert outbox_events(runtime)[-1]["data"]["closed_notice_id"] is None


def test_every_step_of_a_case_is_an_event_and_every_timestamp_has_an_offset(client, runtime, clock):
    case = open_case(runtime, seed=28)
    notice_id = walk_to_notice(client, runtime, case.id)["notices"][0]["notice_id"]
    objection = client.post(f"/api/v1/public/notices/{notice_id}/objections", json={"grounds": "不符合"}).json()
    t = token(runtime, "township", TOWNSHIP)
    client.post(f"/api/v1/cases/{case.id}/objections/{objection['objection_id']}/resolution", headers=t,
                json={"outcome": "dismissed", "reason": "经核查不属实"})
    to_county_decision(client, runtime, clock, case.id, days=7)
    r = client.post(f"/api/v1/cases/{case.id}/decision", headers=token(runtime, "county", COUNTY), json={"outcome": "approve"})
    assert r.status_code == 200
    trail = client.get(f"/api/v1/cases/{case.id}/audit", headers=token(runtime, "county", COUNTY)).json()
    types = outbox_types(runtime)
    assert len(types) >= len(trail), "one event or more per audited step"
    for step, event in [("start_assessment", "identification.assessment.started"),
                        ("close_notice", "identification.notice.closed"),
                        ("complete_township_review", "identification.case.township_reviewed"),
                        ("lodge_objection", "identification.objection.lodged"),
                        ("resolve_objection", "identification.objection.resolved")]:
        assert step in [a["action"] for a in trail] and event in types
    stamps = [a["at"] for a in trail] + [e["time"] for e in outbox_events(runtime)]
    stamps += [v for e in outbox_events(runtime) for k, v in e["data"].items() if k.endswith("_at")]
    detail = r.json()
    stamps += [detail["opened_at"], detail["assessment"]["assessed_at"], *[x["held_at"] for x in detail["reviews"]],
               *[x["published_at"] for x in detail["notices"]], *[x["ends_at"] for x in detail["notices"]],
               *[x["closed_at"] for x in detail["notices"]], *[x["lodged_at"] for x in detail["objections"]],
               *[x["resolved_at"] for x in detail["objections"]], *[x["received_at"] for x in detail["sources"]]]
    for stamp in stamps:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", stamp), stamp


def test_actionable_lists_what_is_on_each_levels_desk_earliest_deadline_first(client, runtime):
    first, second, third = open_case(runtime, seed=11), open_case(runtime, seed=12), open_case(runtime, seed=13)
    v, t, c = token(runtime, "village", VILLAGE), token(runtime, "township", TOWNSHIP), token(runtime, "county", COUNTY)
    walk_to_notice(client, runtime, second.id)  # public_notice: the township's (close, objections)

    def desk(headers, **params):
        r = client.get("/api/v1/cases", headers=headers, params={"actionable": "true", "order": "deadline", **params})
        assert r.status_code == 200, r.text
        return r.json()

    village = desk(v)
    assert {i["case_id"] for i in village["items"]} == {first.id, third.id} and village["total"] == 2
    assert all(i["actions_for_you"] == ["start_assessment"] for i in village["items"])
    township = desk(t)
    assert {i["case_id"] for i in township["items"]} == {first.id, second.id, third.id}
    on_notice = next(i for i in township["items"] if i["case_id"] == second.id)
    assert on_notice["allowed_actions"] == ["lodge_objection", "resolve_objection", "close_notice", "withdraw"]
    assert on_notice["actions_for_you"] == ["resolve_objection", "close_notice", "withdraw"]
    deadlines = [i["deadline"] for i in township["items"]]
    assert deadlines == sorted(deadlines, key=lambda d: (d is None, d or ""))
    assert desk(c)["total"] == 0  # the county may withdraw any open case, but nothing waits for its decision yet
    everything = client.get("/api/v1/cases", headers=c).json()
    assert everything["total"] == 3 and all(i["actions_for_you"] == ["withdraw"] for i in everything["items"]
                                            if i["case_id"] != second.id)
    detail = client.get(f"/api/v1/cases/{second.id}", headers=v).json()
    assert detail["actions_for_you"] == [] and "close_notice" in detail["allowed_actions"]
