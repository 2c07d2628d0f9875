"""assistance on real PostgreSQL: cash benefits, needs from the report's rules, programme exit, feedback and quality,
area and role checks, 422s that write nothing, and the consumer on the real broker (the migration drift check is
tests/integration/test_migrations.py, for every service)."""
import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from assistance import handlers
from assistance.models import Benefit, Household, Need, Provider
from shared.contracts import contracts_dir
from shared.envelope import Event, decode
from shared.kafka_io import ensure_topics
from tests.fixtures import read_topic, wait_until
from tests.helpers import assert_all_valid, count
from tests.integration.test_assistance_matching import (  # noqa: F401 (fixtures)
    COUNTY,
    START,
    TOWNSHIP,
    VILLAGE,
    client,
    clock,
    enrol,
    outbox,
    partner_referrals,
    register,
    runtime,
    token,
)

GUIZHOU = "520326101203"


def exit_event(household_id, programme, remaining, exit_id=None, at=None):
    return Event(type="gradual_exit.household.exited", source="/services/gradual_exit", subject=household_id, data={
        "exit_id": exit_id or f"exit-{uuid.uuid4().hex[:8]}", "household_id": household_id, "programme": programme,
        "division_code": VILLAGE, "exited_at": (at or START).isoformat(), "remaining_programmes": list(remaining),
        "reasons": [{"code": "income_stable_above_line", "en": "Income stayed above the line for 6 months.",
                     "zh": "收入连续6个月高于标准。"}]})


def apply_exit(runtime, event):
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        handlers.on_household_exited(s, event, runtime.services)


def needs_of(runtime, household_id) -> dict[str, str]:
    with runtime.session_factory() as s:
        return {n.need_type: n.status for n in s.execute(select(Need).where(Need.household_id == household_id))
                .scalars()}


def benefits(runtime, household_id) -> list[Benefit]:
    with runtime.session_factory() as s:
        return list(s.execute(select(Benefit).where(Benefit.household_id == household_id)
                              .order_by(Benefit.granted_at, Benefit.id)).scalars())


# --- cash ----------------------------------------------------------------------------------------------------------

def test_cash_follows_the_rules_of_the_households_region_with_the_rule_version(runtime, clock):
    enrol(runtime, clock, "hh-yn", programmes=("dibao", "medical"), income=400.0, members=2)
    enrol(runtime, clock, "hh-gz", programmes=("dibao",), income=400.0, members=2, division=GUIZHOU)
    enrol(runtime, clock, "hh-tk", programmes=("tekun",), income=0.0, members=1)
    granted = {g["data"]["household_id"]: g["data"] for g in outbox(runtime, "assistance.benefit.granted")}
    yn, gz, tk = granted["hh-yn"], granted["hh-gz"], granted["hh-tk"]
    assert (yn["amount_yuan"], yn["rule_version"]) == (400.0, "53-v2"), "(600 - 400) x 2 in Yunnan"
    assert (gz["amount_yuan"], gz["rule_version"]) == (284.0, "CN-v1"), "(542 - 400) x 2 nationally"
    assert yn["kind"] == "dibao_top_up" and yn["frequency"] == "monthly" and yn["currency"] == "CNY"
    assert "(¥600 standard − ¥400 per-capita income) × 2" in yn["explanation"]["en"]
    assert "低保标准600元" in yn["explanation"]["zh"]
    assert tk["amount_yuan"] == 880.0 and tk["calculation"]["care_level_assumed"] is True, "1.3 x 600 + 100 care"


def test_cash_waits_for_the_income_and_is_not_cut_when_income_rises(client, runtime, clock):
    enrol(runtime, clock, "hh-1", programmes=("dibao",), income=None, members=2)
    assert outbox(runtime, "assistance.benefit.granted") == []
    assert [b.status for b in benefits(runtime, "hh-1")] == ["awaiting_income"]
    village = token(runtime, "village", VILLAGE)

    def assess(income):
        clock.advance(days=1)
        r = client.post("/api/v1/households/hh-1/needs-assessment", headers=village,
                        json={"per_capita_monthly_income_yuan": income})
        assert r.status_code == 200, r.text
        return r.json()

    assess("500")
    first = outbox(runtime, "assistance.benefit.granted")[-1]["data"]
    assert first["amount_yuan"] == 200.0
    detail = assess("700")  # above the standard: support continues until gradual exit decides
    assert len(outbox(runtime, "assistance.benefit.granted")) == 1
    assert [(b["status"], b["amount_yuan"]) for b in detail["benefits"]][-1] == ("active", "200.00")
    assess("450")
    second = outbox(runtime, "assistance.benefit.granted")[-1]["data"]
    assert second["amount_yuan"] == 300.0 and second["supersedes"] == first["benefit_id"]
    assert sorted(b.status for b in benefits(runtime, "hh-1")) == ["active", "superseded", "superseded"]
    trail = client.get("/api/v1/households/hh-1/audit", headers=village).json()
    assert "keep_benefit" in [a["action"] for a in trail]


# --- needs ---------------------------------------------------------------------------------------------------------

def test_needs_follow_the_reports_rules_for_long_term_and_temporary_recipients(runtime, clock):
    enrol(runtime, clock, "hh-long", programmes=("dibao",), scores={"labour_capacity": 50})
    enrol(runtime, clock, "hh-temp", programmes=("temporary",), scores={"labour_capacity": 40})
    enrol(runtime, clock, "hh-frail", programmes=("temporary",), scores={"labour_capacity": 100})
    assert set(needs_of(runtime, "hh-long")) == {"in_kind", "care_services", "medical_assistance"}
    assert set(needs_of(runtime, "hh-temp")) == {"in_kind", "skills_training", "job_referral"}
    assert set(needs_of(runtime, "hh-frail")) == {"in_kind", "labour_help"}, "nobody can work: labour help instead"
    assessed = {a["data"]["household_id"]: a["data"] for a in outbox(runtime, "assistance.needs.assessed")}
    assert [s["need_type"] for s in assessed["hh-frail"]["skipped"]] == ["skills_training", "job_referral"]
    long_term = next(n for n in assessed["hh-long"]["needs"] if n["need_type"] == "care_services")
    assert long_term["grounds"][0]["code"] == "long_term_recipient" and long_term["new"] is True
    assert "照护" in long_term["grounds"][0]["zh"]


def test_the_same_enrolment_twice_is_applied_once(runtime, clock):
    event = enrol(runtime, clock, "hh-1", programmes=("dibao",), income=300.0)
    with runtime.session_factory() as s, s.begin():
        assert handlers.on_household_enrolled(s, event, runtime.services) is None
    assert count(runtime, Household) == 1 and count(runtime, Benefit) == 1
    assert len(outbox(runtime, "assistance.needs.assessed")) == 1


# --- exit ----------------------------------------------------------------------------------------------------------

def test_an_exit_stops_the_programmes_cash_and_cancels_only_the_needs_it_gave(client, runtime, clock):
    enrol(runtime, clock, "hh-exit", programmes=("dibao", "medical"), income=400.0, scores={"dependants": 90})
    enrol(runtime, clock, "hh-next", programmes=("dibao",), income=590.0, members=1, scores={"dependants": 10})
    county = token(runtime, "county", COUNTY)
    r = client.post("/api/v1/providers", headers=county, json={
        "provider_id": "wuhua-care", "name": "五华区居家照护", "kind": "social_organisation", "areas": [COUNTY],
        "services": [{"service_type": "care_services", "capacity_per_period": 1, "unit_cost_yuan": "120"}]})
    assert r.status_code == 201
    assert needs_of(runtime, "hh-exit")["care_services"] == "referred", "the higher priority got the only place"
    assert needs_of(runtime, "hh-next")["care_services"] == "waiting"

    event = exit_event("hh-exit", "dibao", ["medical"], exit_id="ex-1")
    apply_exit(runtime, event)
    apply_exit(runtime, event)  # a replay changes nothing
    stopped = outbox(runtime, "assistance.benefit.stopped")
    assert len(stopped) == 1 and stopped[0]["data"]["kind"] == "dibao_top_up" and stopped[0]["data"]["exit_id"] == "ex-1"
    assert needs_of(runtime, "hh-exit") == {"in_kind": "cancelled", "care_services": "cancelled",
                                            "medical_assistance": "waiting"}, "medical assistance stays: medical"
    cancelled = outbox(runtime, "assistance.service.cancelled")[-1]["data"]
    assert cancelled["by"] == "exit" and cancelled["place_freed"] is True
    assert needs_of(runtime, "hh-next")["care_services"] == "referred", "the freed place went to the next in line"
    with runtime.session_factory() as s:
        h = s.get(Household, "hh-exit")
        assert h.programmes == ["medical"] and h.status == "active"
    assert outbox(runtime, "assistance.needs.assessed")[-1]["data"]["source"] == "exit"


def test_leaving_the_last_programme_closes_every_waiting_need_and_ends_assessments(client, runtime, clock):
    enrol(runtime, clock, "hh-last", programmes=("temporary",))
    village = token(runtime, "village", VILLAGE)
    r = client.post("/api/v1/households/hh-last/needs-assessment", headers=village,
                    json={"add_needs": [{"need_type": "psychological_support"}]})
    assert r.status_code == 200
    apply_exit(runtime, exit_event("hh-last", "temporary", []))
    assert set(needs_of(runtime, "hh-last").values()) == {"cancelled"}
    assert len(needs_of(runtime, "hh-last")) == 4
    assert client.get("/api/v1/households/hh-last", headers=village).json()["status"] == "exited"
    assert [b.status for b in benefits(runtime, "hh-last")] == ["granted"], "a one-off payment is not taken back"
    r = client.post("/api/v1/households/hh-last/needs-assessment", headers=village, json={"sudden_hardship": True})
    assert r.status_code == 409 and r.json()["rule"] == "household_exited"
    written = len(outbox(runtime))
    apply_exit(runtime, exit_event("hh-last", "dibao", []))  # a programme it is not in: recorded, nothing else
    assert len(outbox(runtime)) == written


def test_an_exit_that_arrives_before_the_enrolment_is_honoured(runtime, clock):
    apply_exit(runtime, exit_event("hh-crossed", "dibao", ["medical"], at=START + timedelta(days=30)))
    enrol(runtime, clock, "hh-crossed", programmes=("dibao", "medical"), income=300.0)
    with runtime.session_factory() as s:
        assert s.get(Household, "hh-crossed").programmes == ["medical"]
    assert outbox(runtime, "assistance.benefit.granted") == []


# --- feedback and quality ------------------------------------------------------------------------------------------

def test_households_and_caseworkers_rate_services_and_complaints_are_tracked_per_provider(client, runtime, clock):
    enrol(runtime, clock, "hh-1", scores={"labour_capacity": 20})
    register(client, runtime, "wuhua-skills", capacity=5)
    referral = partner_referrals(client, runtime, "wuhua-skills")["hh-1"]["referral_id"]
    village = token(runtime, "village", VILLAGE)
    detail = client.get("/api/v1/households/hh-1", headers=village).json()
    code = next(r for r in detail["referrals"] if r["referral_id"] == referral)["feedback_code"]
    assert code and len(code) == 8
    assert partner_referrals(client, runtime, "wuhua-skills")["hh-1"].get("feedback_code") is None, "not for providers"
    url = f"/api/v1/public/referrals/{referral}/feedback"
    r = client.post(url, json={"code": code, "rating": 5})
    assert r.status_code == 409 and r.json()["rule"] == "service_not_received"
    partner = token(runtime, "partner", department="wuhua-skills")
    client.post(f"/api/v1/partner/referrals/{referral}/acceptance", headers=partner)
    assert client.post(url, json={"code": "AAAAAAAA", "rating": 5}).status_code == 404
    r = client.post(url, json={"code": code.lower(), "rating": 2, "complaint": True, "comment": "培训老师多次缺课"})
    assert r.status_code == 201 and "投诉" in r.json()["message_zh"]
    r = client.post(url, json={"code": code, "rating": 5})
    assert r.status_code == 409 and r.json()["rule"] == "feedback_already_recorded"
    r = client.post(f"/api/v1/referrals/{referral}/feedback", headers=village, json={"rating": 4})
    assert r.status_code == 201
    quality = client.get("/api/v1/providers/wuhua-skills/quality", headers=village).json()
    assert quality["summary"]["household"] == {"ratings": 1, "mean_rating": 2.0}
    assert quality["summary"]["caseworker"] == {"ratings": 1, "mean_rating": 4.0}
    assert quality["summary"]["mean_rating"] == 3.0 and quality["summary"]["matching_quality"] == 300
    assert quality["summary"]["open_complaints"] == 1 and quality["open_complaints"][0]["comment"] == "培训老师多次缺课"
    assert quality["referrals"] == {"accepted": 1}
    assert client.get("/api/v1/providers/wuhua-skills/quality", headers=partner).status_code == 200, "its own"
    feedback_id = quality["open_complaints"][0]["feedback_id"]
    r = client.post(f"/api/v1/feedback/{feedback_id}/resolution", headers=village, json={"resolution": "已约谈"})
    assert r.status_code == 403
    r = client.post(f"/api/v1/feedback/{feedback_id}/resolution", headers=token(runtime, "township", TOWNSHIP),
                    json={"resolution": "已约谈服务方，更换培训老师"})
    assert r.status_code == 200 and r.json()["complaint_status"] == "resolved"
    quality = client.get("/api/v1/providers/wuhua-skills/quality", headers=village).json()
    assert quality["summary"]["complaints"] == 1 and quality["summary"]["open_complaints"] == 0
    recorded = [e["data"] for e in outbox(runtime, "assistance.feedback.recorded")]
    assert [(f["source"], f["rating"], f["complaint"]) for f in recorded] == [("household", 2, True),
                                                                               ("caseworker", 4, False)]
    assert all("comment" not in f for f in recorded), "free text stays in the service"
    resolved = outbox(runtime, "assistance.feedback.resolved")
    assert len(resolved) == 1 and resolved[0]["data"]["feedback_id"] == feedback_id
    assert resolved[0]["data"]["resolved_by"] == "township-officer"


def test_the_catalogue_changes_are_events_and_a_retried_registration_creates_one_provider(client, runtime, clock):
    county = {**token(runtime, "county", COUNTY), "Idempotency-Key": "register-wuhua-care-1"}
    body = {"provider_id": "wuhua-care", "name": "五华区居家养老服务中心", "kind": "social_organisation",
            "areas": [COUNTY], "constraints": {"max_members": 4},
            "services": [{"service_type": "care_services", "capacity_per_period": 10, "unit_cost_yuan": "120.50"}]}
    first = client.post("/api/v1/providers", headers=county, json=body)
    again = client.post("/api/v1/providers", headers=county, json=body)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert count(runtime, Provider) == 1
    registered = outbox(runtime, "assistance.provider.registered")
    assert len(registered) == 1
    assert registered[0]["data"]["services"] == [{"service_type": "care_services", "capacity_per_period": 10,
                                                  "period_kind": "month", "unit_cost_yuan": 120.5}]
    assert registered[0]["data"]["constraints"] == {"max_members": 4} and registered[0]["subject"] == "wuhua-care"
    r = client.put("/api/v1/providers/wuhua-care/services/care_services", headers=token(runtime, "county", COUNTY),
                   json={"capacity_per_period": 12, "period_kind": "quarter", "unit_cost_yuan": "130"})
    assert r.status_code == 200, r.text
    updated = outbox(runtime, "assistance.provider.updated")[-1]["data"]
    assert updated["before"]["capacity_per_period"] == 10 and updated["after"] == {
        "service_type": "care_services", "capacity_per_period": 12, "period_kind": "quarter", "unit_cost_yuan": 130.0}
    assert_all_valid(outbox(runtime))


# --- area, role, token ---------------------------------------------------------------------------------------------

@pytest.fixture
def scene(client, runtime, clock):
    """One household in the village, matched to one county provider; returns the ids the endpoints need."""
    enrol(runtime, clock, "hh-1", scores={"labour_capacity": 20})
    register(client, runtime, "wuhua-skills", capacity=5)
    referral = partner_referrals(client, runtime, "wuhua-skills")["hh-1"]["referral_id"]
    return {"hh": "hh-1", "rid": referral, "pid": "wuhua-skills"}


OTHER_AREA = {"village": "530102001002", "township": "530102002", "county": "530103"}
AREA = {"village": VILLAGE, "township": TOWNSHIP, "county": COUNTY}
# (method, url, body, a role that may, a role that may not (None: every staff role may))
STAFF_ENDPOINTS = [
    ("get", "/api/v1/households/{hh}", None, "village", "partner"),
    ("get", "/api/v1/households/{hh}/audit", None, "township", "partner"),
    ("post", "/api/v1/households/{hh}/needs-assessment", {"sudden_hardship": True}, "village", "county"),
    ("get", "/api/v1/referrals/{rid}", None, "village", "partner"),
    ("post", "/api/v1/referrals/{rid}/cancellation", {"reason": "家庭搬迁"}, "township", "partner"),
    ("post", "/api/v1/referrals/{rid}/feedback", {"rating": 3}, "village", "partner"),
    ("get", "/api/v1/providers/{pid}", None, "county", None),
    ("get", "/api/v1/providers/{pid}/quality", None, "county", None),
    ("put", "/api/v1/providers/{pid}/services/in_kind",
     {"capacity_per_period": 3, "period_kind": "month", "unit_cost_yuan": "50"}, "county", "partner"),
    ("post", "/api/v1/providers/{pid}/status", {"active": False, "reason": "核查"}, "county", "partner"),
]


def test_staff_read_one_referral_with_its_slip_code_and_allowed_steps(client, runtime, scene):
    r = client.get(f"/api/v1/referrals/{scene['rid']}", headers=token(runtime, "village", VILLAGE))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["referral_id"] == scene["rid"] and body["household_id"] == "hh-1" and body["provider_id"] == "wuhua-skills"
    assert body["status"] == "referred" and "cancel" in body["allowed_actions"] and body["feedback_code"]
    assert client.get("/api/v1/referrals/no-such", headers=token(runtime, "village", VILLAGE)).status_code == 404


@pytest.mark.parametrize("method,url,body,role,wrong", STAFF_ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in STAFF_ENDPOINTS])
def test_every_staff_endpoint_refuses_no_token_a_wrong_area_and_a_wrong_role(client, runtime, scene, method, url,
                                                                             body, role, wrong):
    url = url.format(**scene)
    call = getattr(client, method)
    kwargs = {"json": body} if body is not None else {}
    written = count(runtime, runtime.tables.outbox)
    assert call(url, **kwargs).status_code == 401
    r = call(url, headers=token(runtime, role, OTHER_AREA[role]), **kwargs)
    assert r.status_code == 404 and r.json()["message_zh"], r.text
    if wrong is not None:
        r = call(url, headers=token(runtime, wrong, AREA.get(wrong, ""), department="somebody-else"), **kwargs)
        assert r.status_code == 403 and r.json()["error"] == "role_not_allowed", r.text
    assert count(runtime, runtime.tables.outbox) == written, "nothing was written"


@pytest.mark.parametrize("action,body", [("acceptance", None), ("decline", {"reason": "不接"}),
                                         ("delivery", {"units": 1})])
def test_a_provider_acts_only_on_its_own_referrals(client, runtime, scene, action, body):
    url = f"/api/v1/partner/referrals/{scene['rid']}/{action}"
    kwargs = {"json": body} if body is not None else {}
    written = count(runtime, runtime.tables.outbox)
    assert client.post(url, **kwargs).status_code == 401
    assert client.post(url, headers=token(runtime, "county", COUNTY), **kwargs).status_code == 403
    assert client.post(url, headers=token(runtime, "partner", department="another-org"), **kwargs).status_code == 404
    assert count(runtime, runtime.tables.outbox) == written
    if action == "delivery":  # its own, but not accepted yet: the state machine names the allowed steps
        r = client.post(url, headers=token(runtime, "partner", department=scene["pid"]), **kwargs)
        assert r.status_code == 409 and r.json()["allowed_actions"] == ["accept", "decline", "cancel"]


def test_lists_show_only_the_officers_area(client, runtime, clock, scene):
    enrol(runtime, clock, "hh-gz", division=GUIZHOU)
    assert client.get("/api/v1/households", headers=token(runtime, "county", COUNTY)).json()["total"] == 1
    assert client.get("/api/v1/households", headers=token(runtime, "admin")).json()["total"] == 2
    page = client.get("/api/v1/households", headers=token(runtime, "admin"), params={"programme": "temporary",
                                                                                     "limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["limit"] == 1
    assert client.get("/api/v1/waitlist", headers=token(runtime, "county", "520326")).json()["items"][0][
        "household_id"] == "hh-gz"
    assert client.get("/api/v1/providers", headers=token(runtime, "village", VILLAGE)).json()["total"] == 1
    assert client.get("/api/v1/providers", headers=token(runtime, "county", "520326")).json()["total"] == 0
    assert client.get("/api/v1/households", headers=token(runtime, "partner")).status_code == 403


# --- bad input -----------------------------------------------------------------------------------------------------

def test_bad_input_is_422_naming_the_field_and_the_rule_and_nothing_is_written(client, runtime, clock, scene):
    county = token(runtime, "county", COUNTY)
    providers, written = count(runtime, Provider), count(runtime, runtime.tables.outbox)
    good = {"provider_id": "new-org", "name": "新机构", "kind": "third_party", "areas": [COUNTY],
            "services": [{"service_type": "in_kind", "capacity_per_period": 3, "unit_cost_yuan": "10"}]}

    def error(r):
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["message_zh"] and all(e["message"] and e["message_zh"] for e in body["errors"])
        return [(e["field"], e["rule"]) for e in body["errors"]]

    assert error(client.post("/api/v1/providers", headers=county, json={**good, "areas": ["530103"]})) == [
        ("areas[0]", "area_outside_your_area")]
    assert error(client.post("/api/v1/providers", headers=county, json={**good, "areas": ["5301021"]})) == [
        ("areas", "division_prefix")]
    assert error(client.post("/api/v1/providers", headers=county,
                             json={**good, "services": good["services"] * 2})) == [("services", "unique_service_types")]
    assert error(client.post("/api/v1/providers", headers=county, json={**good, "provider_id": "X"}))[0] == (
        "provider_id", "string_pattern_mismatch")
    village = token(runtime, "village", VILLAGE)
    url = f"/api/v1/households/{scene['hh']}/needs-assessment"
    assert error(client.post(url, headers=village, json={"scores": {"disability": 101}})) == [
        ("scores.disability", "less_than_equal")]
    # huge and non-finite numbers, and huge offsets, are bounded in the schema: 422, never a 500
    for amount in (1e308, "NaN", "Infinity", "10000000.01", "0.001"):
        errors = error(client.post("/api/v1/providers", headers=county, json={**good, "services": [
            {**good["services"][0], "unit_cost_yuan": amount}]}))
        assert errors[0][0] == "services[0].unit_cost_yuan", (amount, errors)
    assert error(client.post(url, headers=village, json={"per_capita_monthly_income_yuan": 1e308}))[0][0] == \
        "per_capita_monthly_income_yuan"
    for path in ("/api/v1/households", "/api/v1/waitlist", "/api/v1/providers"):
        assert error(client.get(path, headers=county, params={"offset": 10**19}))[0] == ("query.offset", "less_than_equal")
    assert error(client.post(url, headers=village, json={"member_count": 0}))[0] == ("member_count", "greater_than_equal")
    before = client.get(f"/api/v1/households/{scene['hh']}", headers=village).json()
    assert error(client.post(url, headers=village, json={"per_capita_monthly_income_yuan": "1",
                                                         "add_needs": [{"need_type": "in_kind"}]})) == [
        ("add_needs[0].need_type", "need_already_open")]
    assert error(client.post(url, headers=village, json={"cancel_needs": [{"need_id": "nope", "reason": "无此需求"}]})) == [
        ("cancel_needs[0].need_id", "need_not_cancellable")]
    partner = token(runtime, "partner", department=scene["pid"])
    client.post(f"/api/v1/partner/referrals/{scene['rid']}/acceptance", headers=partner)
    written = count(runtime, runtime.tables.outbox)
    tomorrow = (START + timedelta(days=1)).date().isoformat()
    assert error(client.post(f"/api/v1/partner/referrals/{scene['rid']}/delivery", headers=partner,
                             json={"delivered_on": tomorrow})) == [("delivered_on", "not_in_future")]
    after = client.get(f"/api/v1/households/{scene['hh']}", headers=village).json()
    assert after["per_capita_monthly_income_yuan"] == before["per_capita_monthly_income_yuan"]
    assert count(runtime, Provider) == providers and count(runtime, runtime.tables.outbox) == written


def test_a_caseworker_adds_and_cancels_needs_and_the_cancelled_referral_frees_its_place(client, runtime, clock, scene):
    village = token(runtime, "village", VILLAGE)
    detail = client.get(f"/api/v1/households/{scene['hh']}", headers=village).json()
    skills = next(n for n in detail["needs"] if n["need_type"] == "skills_training")
    r = client.post(f"/api/v1/households/{scene['hh']}/needs-assessment", headers=village, json={
        "add_needs": [{"need_type": "psychological_support", "note": "户主情绪低落"}],
        "cancel_needs": [{"need_id": skills["need_id"], "reason": "已在县职校就读"}]})
    assert r.status_code == 200, r.text
    needs = {n["need_type"]: n for n in r.json()["needs"]}
    assert needs["skills_training"]["status"] == "cancelled"
    assert needs["psychological_support"]["origin"] == "caseworker" and needs["psychological_support"]["status"] == "waiting"
    provider = client.get(f"/api/v1/providers/{scene['pid']}", headers=village).json()
    assert provider["services"][0]["used_this_period"] == 0
    assert outbox(runtime, "assistance.service.cancelled")[-1]["data"]["by"] == "caseworker"


# --- the broker ----------------------------------------------------------------------------------------------------

def test_enrolments_and_exits_flow_in_from_the_broker_and_benefits_flow_out(runtime, clock, producer, kafka_bootstrap,
                                                                          topic_prefix):
    runtime.migrate()
    household = f"hh-{uuid.uuid4().hex[:8]}"
    example = json.loads((contracts_dir() / "examples" / "identification.household.identified.v1.json").read_text())
    identified = Event(type="identification.household.identified", source="/services/identification",
                       subject=household, data={**example["data"], "household_id": household})
    enrolled = Event(type="identification.household.enrolled", source="/services/identification", subject=household,
                     data={"case_id": f"case-{household}", "household_id": household, "file_number": "530102-2026-000009",
                           "division_code": VILLAGE, "programmes": ["dibao", "medical"], "categories": {},
                           "rule_version": "53-v2", "enrolled_at": START.isoformat(), "member_count": 3,
                           "per_capita_monthly_income_yuan": 500.0, "scores": {"income": 30}})
    exited = exit_event(household, "dibao", ["medical"], exit_id="ex-kafka")
    ensure_topics(kafka_bootstrap, [topic_prefix + t for t in ("identification.household", "gradual_exit.household")])
    for event in (identified, enrolled, enrolled):
        producer.send(topic_prefix + "identification.household", key=household.encode(), value=event.to_bytes())
    producer.flush(10)
    runtime.start_workers()
    try:
        wait_until(lambda: count(runtime, Benefit, Benefit.status == "active") == 1, 60, message="enrolment applied")
        # sent once the enrolment is in: the two topics are not ordered with each other (that case has its own test)
        producer.send(topic_prefix + "gradual_exit.household", key=household.encode(), value=exited.to_bytes())
        producer.flush(10)
        wait_until(lambda: count(runtime, Benefit, Benefit.status == "stopped") == 1, 60, message="exit applied")
        records = read_topic(kafka_bootstrap, topic_prefix + "assistance.benefit", expected=2, timeout=30)
    finally:
        runtime.stop_workers()
    envelopes = [decode(r.value) for r in records]
    assert_all_valid(envelopes)
    assert [(e["type"], e["data"]["amount_yuan"]) for e in envelopes] == [
        ("assistance.benefit.granted", 300.0), ("assistance.benefit.stopped", 300.0)]
    assert envelopes[0]["causationid"] == enrolled.id and envelopes[1]["causationid"] == exited.id
    assert all(r.key.decode() == household for r in records)
    assert count(runtime, Household) == 1 and count(runtime, Benefit) == 1, "the duplicate enrolment was absorbed"
    dead = read_topic(kafka_bootstrap, topic_prefix + "identification.household.dlt", timeout=3)
    assert dead == [], "identified is not an error for assistance: the runner skips it"
