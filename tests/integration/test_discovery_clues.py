"""Risk clues on real PostgreSQL: the verification visit, referral and dismissal with illegal steps refused (409
naming the allowed next steps), area and role scoping of every staff endpoint, the audit trail, and the citizen's
status check."""
from datetime import datetime, timezone

import pytest

from discovery import handlers
from discovery.domain.lifecycle import StatusFacts
from discovery.models import Clue, DiscoveryRecord, Referral, Visit
from tests.helpers import count
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    ELSEWHERE,
    NEIGHBOUR_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    application,
    audit_rows,
    auth,
    client,
    clock,
    county,
    outbox,
    partner,
    person,
    raise_clue,
    runtime,
    survey,
    township,
    verification,
    village,
)

DISMISSAL = {"reason_code": "not_confirmed", "reason": "入户核实：费用已由商业保险报销"}


def test_a_clue_is_verified_then_referred(client, runtime):
    clue_id = raise_clue(client, runtime, person(1))
    listed = client.get("/api/v1/clues", params={"status": "raised"}, headers=village(runtime)).json()
    assert [c["clue_id"] for c in listed["items"]] == [clue_id] and listed["total"] == 1
    assert listed["items"][0]["allowed_next_steps"] == ["verification", "dismissal"]
    assert listed["items"][0]["task_area"] == VILLAGE and listed["items"][0]["id_number_masked"].count("*") == 8

    r = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(), headers=village(runtime))
    assert r.status_code == 200, r.text
    assert r.json()["clue"]["status"] == "verified" and r.json()["clue"]["allowed_next_steps"] == ["referral", "dismissal"]
    visit = r.json()["visit"]
    assert visit["purpose"] == "clue_verification" and visit["confirmed"] is True and visit["clue_id"] == clue_id

    referred = client.post(f"/api/v1/clues/{clue_id}/referral", headers=township(runtime))
    assert referred.status_code == 201, referred.text
    assert referred.json()["clue_ids"] == [clue_id] and referred.json()["visit_ids"] == [visit["visit_id"]]
    assert referred.json()["channels"] == ["visit", "partner_signal"] and referred.json()["status"] == "sent"
    clue = client.get(f"/api/v1/clues/{clue_id}", headers=township(runtime)).json()
    assert clue["status"] == "referred" and clue["referral_id"] == referred.json()["referral_id"]
    assert [e["type"] for e in outbox(runtime)] == ["discovery.clue.raised", "discovery.visit.recorded",
                                                    "discovery.clue.verified", "discovery.household.referred"]
    [verified] = outbox(runtime, "discovery.clue.verified")
    assert verified["data"]["clue_id"] == clue_id and verified["data"]["status"] == "verified"
    assert verified["data"]["previous_status"] == "raised" and verified["data"]["confirmed"] is True
    assert verified["data"]["visit_id"] == visit["visit_id"] and verified["data"]["allowed_next_steps"] == ["referral", "dismissal"]
    assert verified["data"]["late"] is False and verified["data"]["verified_by"]["role"] == "village"
    [event] = outbox(runtime, "discovery.household.referred")
    assert event["data"]["observed"]["monthly_income_yuan"] == 600.0 and event["data"]["sudden_hardship"] is False
    trail = [(a["action"], a["actor_role"], a["from_state"], a["to_state"]) for a in audit_rows(runtime, "clue", clue_id)]
    assert trail == [("clue.raised", "partner", None, "raised"),
                     ("clue.verification_recorded", "village", "raised", "verified"),
                     ("clue.referred", "township", "verified", "referred")]


def test_illegal_steps_are_refused_naming_the_allowed_next_steps(client, runtime):
    clue_id = raise_clue(client, runtime, person(2))
    r = client.post(f"/api/v1/clues/{clue_id}/referral", headers=township(runtime))
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "step_not_allowed" and body["current_status"] == "raised"
    assert body["allowed_next_steps"] == ["verification", "dismissal"] and body["message_zh"]
    assert count(runtime, Referral) == 0

    assert client.post(f"/api/v1/clues/{clue_id}/dismissal", json=DISMISSAL, headers=township(runtime)).status_code == 200
    for path, json, headers in ((f"/api/v1/clues/{clue_id}/referral", None, township(runtime)),
                                (f"/api/v1/clues/{clue_id}/dismissal", DISMISSAL, township(runtime)),
                                (f"/api/v1/clues/{clue_id}/verification", verification(), village(runtime))):
        again = client.post(path, json=json, headers=headers)
        assert again.status_code == 409 and again.json()["allowed_next_steps"] == []
        assert again.json()["current_status"] == "dismissed"
    assert len(outbox(runtime, "discovery.clue.dismissed")) == 1


def test_an_unconfirmed_clue_is_dismissed_with_a_reason_and_the_record_closes(client, runtime):
    clue_id = raise_clue(client, runtime, person(3))
    r = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(False), headers=village(runtime))
    assert r.json()["clue"]["status"] == "unconfirmed"
    assert r.json()["clue"]["allowed_next_steps"] == ["verification", "dismissal"]
    assert client.post(f"/api/v1/clues/{clue_id}/referral", headers=township(runtime)).status_code == 409
    no_reason = client.post(f"/api/v1/clues/{clue_id}/dismissal", json={"reason_code": "other", "reason": ""},
                            headers=township(runtime))
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"

    dismissed = client.post(f"/api/v1/clues/{clue_id}/dismissal", json=DISMISSAL, headers=county(runtime))
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert dismissed.json()["dismissed_reason"] == DISMISSAL["reason"]
    [event] = outbox(runtime, "discovery.clue.dismissed")
    assert event["data"]["previous_status"] == "unconfirmed" and event["data"]["reason_code"] == "not_confirmed"
    assert event["data"]["dismissed_by"]["role"] == "county" and event["data"]["rule_id"] == "medical.per_stay.others"
    household = client.get(f"/api/v1/households/{dismissed.json()['household_id']}", headers=county(runtime)).json()
    assert household["lifecycle_status"] == "cleared" and household["records"][0]["status"] == "closed"
    assert household["records"][0]["close_reason"] == "clues_dismissed"


def test_referring_one_clue_takes_the_households_other_open_clues_along(client, runtime):
    someone = person(4)
    first = raise_clue(client, runtime, someone, "MI-1")
    second = raise_clue(client, runtime, someone, "CA-1", kind="disaster_loss", amounts={"loss_share": "0.8"},
                        department="emergency_management")
    assert second  # raised by another department about the same person
    client.post(f"/api/v1/clues/{first}/verification", json=verification(), headers=village(runtime))
    referred = client.post(f"/api/v1/clues/{first}/referral", headers=township(runtime)).json()
    assert sorted(referred["clue_ids"]) == sorted([first, second]) and referred["sudden_hardship"] is True
    assert [r["code"] for r in referred["reasons"]] == ["medical.per_stay.others", "loss.share.severe",
                                                         "visit.illness", "visit.medical_costs"]
    assert count(runtime, Clue, Clue.status == "referred") == 2 and count(runtime, Referral) == 1


def test_verification_members_must_include_the_person_of_the_clue(client, runtime):
    clue_id = raise_clue(client, runtime, person(5))
    others = [{"name": "李四", "id_number": person(6), "relationship": "spouse"}]
    r = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(members=others), headers=village(runtime))
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "members_include_clue_person"
    assert count(runtime, Visit) == 0
    family = others + [{"name": "李三", "id_number": person(5), "relationship": "self"}]
    r = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(members=family), headers=village(runtime))
    assert r.status_code == 200
    household = client.get(f"/api/v1/households/{r.json()['clue']['household_id']}", headers=village(runtime)).json()
    assert sorted(m["name"] for m in household["members"]) == ["李三", "李四"]


# --- every staff endpoint: no token 401, wrong role 403, wrong area 404 -----------------------------------------
@pytest.fixture
def records(client, runtime):
    """One of everything in VILLAGE, for the scoping checks."""
    body = application(30)
    submitted = client.post("/api/v1/applications", json=body).json()
    members = [{"id_number": m["id_number"]} for m in application(31)["members"]]
    visit = client.post("/api/v1/visits", json=survey(members, "monitor"), headers=village(runtime)).json()["visit"]
    clue_id = raise_clue(client, runtime, person(32))
    return {"application": submitted["application_id"], "household": submitted["household_id"],
            "visit": visit["visit_id"], "clue": clue_id}


ENDPOINTS = [  # method, path, body, roles allowed
    ("GET", "/api/v1/applications", None, "staff"),
    ("GET", "/api/v1/applications/{application}", None, "staff"),
    ("GET", "/api/v1/visits/{visit}", None, "staff"),
    ("GET", "/api/v1/clues", None, "staff"),
    ("GET", "/api/v1/clues/{clue}", None, "staff"),
    ("POST", "/api/v1/clues/{clue}/verification", verification(), "field"),
    ("POST", "/api/v1/clues/{clue}/referral", None, "deciding"),
    ("POST", "/api/v1/clues/{clue}/dismissal", DISMISSAL, "deciding"),
    ("GET", "/api/v1/households/{household}", None, "staff"),
    ("GET", "/api/v1/audit?entity_type=clue&entity_id={clue}", None, "staff"),
    ("POST", "/api/v1/visits", "visit", "field"),
    ("POST", "/api/v1/assisted-applications", "assisted", "field"),
]


def _request(client, method, path, body, records, headers):
    if body == "visit":
        body = survey([{"id_number": person(33)}], "monitor")
    elif body == "assisted":
        body = {**application(34), "authorisation": {"method": "electronic", "obtained_on": "2026-05-01"}}
    return client.request(method, path.format(**records), json=body, headers=headers)


@pytest.mark.parametrize("method,path,body,allowed", ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])
def test_every_staff_endpoint_checks_token_role_and_area(client, runtime, records, method, path, body, allowed):
    before = (len(outbox(runtime)), len(audit_rows(runtime)))
    assert _request(client, method, path, body, records, {}).status_code == 401
    assert _request(client, method, path, body, records, partner(runtime)).status_code == 403
    wrong_role = {"staff": None, "field": county(runtime), "deciding": village(runtime)}[allowed]
    if wrong_role is not None:
        r = _request(client, method, path, body, records, wrong_role)
        assert r.status_code == 403 and r.json()["error"] == "role_not_allowed" and r.json()["message_zh"]
    elsewhere = {"staff": county(runtime, "522701"), "field": village(runtime, NEIGHBOUR_VILLAGE),
                 "deciding": township(runtime, "522701001")}[allowed]
    r = _request(client, method, path, body, records, elsewhere)
    if path == "/api/v1/applications" or path == "/api/v1/clues":  # a list shows nothing outside the area
        assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["items"] == []
    else:
        assert r.status_code == 404 and r.json()["error"] == "not_found" and r.json()["message_zh"]
    assert (len(outbox(runtime)), len(audit_rows(runtime))) == before  # refused requests change nothing
    right = {"staff": township(runtime), "field": village(runtime), "deciding": township(runtime)}[allowed]
    expected = 409 if path.endswith("/referral") else (201 if method == "POST" and "{" not in path else 200)
    assert _request(client, method, path, body, records, right).status_code == expected


def test_the_audit_trail_lists_who_did_what_to_a_record(client, runtime, records):
    client.post(f"/api/v1/clues/{records['clue']}/dismissal", json=DISMISSAL, headers=township(runtime))
    page = client.get("/api/v1/audit", params={"entity_type": "clue", "entity_id": records["clue"]},
                      headers=county(runtime)).json()
    assert [e["action"] for e in page["items"]] == ["clue.raised", "clue.dismissed"] and page["total"] == 2
    assert page["items"][1]["actor"] == f"township-{TOWNSHIP}" and page["items"][1]["details"]["reason_code"] == "not_confirmed"
    visit_trail = client.get("/api/v1/audit", params={"entity_type": "visit", "entity_id": records["visit"]},
                             headers=village(runtime)).json()
    assert [e["action"] for e in visit_trail["items"]] == ["visit.recorded"]
    assert client.get("/api/v1/audit", params={"entity_type": "clue", "entity_id": "nope"},
                      headers=county(runtime)).status_code == 404
    assert client.get("/api/v1/audit", params={"entity_type": "case", "entity_id": "x"},
                      headers=county(runtime)).status_code == 422


# --- the citizen's status check -----------------------------------------------------------------------------------
def test_the_citizen_sees_where_the_application_stands_and_why_with_an_id_number_of_the_household(client, runtime):
    body = application(40, size=3)
    submitted = client.post("/api/v1/applications", json=body).json()
    url = f"/api/v1/applications/{submitted['application_id']}/status"
    for member in body["members"]:  # the applicant or any member
        r = client.get(url, params={"id_number": member["id_number"].lower()})
        assert r.status_code == 200 and r.json()["status"] == "submitted"
    for wrong in (person(41), "123"):
        r = client.get(url, params={"id_number": wrong})
        assert r.status_code in (404, 422)
    r = client.get(url, params={"id_number": person(41)})
    assert r.status_code == 404 and r.json() == client.get("/api/v1/applications/nope/status",
                                                          params={"id_number": person(41)}).json()
    assert body["applicant"]["id_number"] not in r.text

    household, at = submitted["household_id"], datetime(2026, 6, 2, tzinfo=timezone.utc)
    with runtime.session_factory() as s, s.begin():
        handlers.on_case_step(s, runtime.services, handlers.CaseStep(
            household, "c-9", "in_identification", at, source=("application", submitted["application_id"])))
        handlers.on_case_step(s, runtime.services, handlers.CaseStep(household, "c-9", "rejected", at, StatusFacts(
            reasons=[{"code": "income_above_line", "en": "Per-capita income ¥900 is above the line.",
                      "zh": "人均收入 900 元，高于标准。"}],
            appeal={"en": "You may apply for reconsideration within 60 days.", "zh": "可在 60 日内申请行政复议。"})))
    status = client.get(url, params={"id_number": body["applicant"]["id_number"]}).json()
    assert status["status"] == "rejected"
    assert status["reasons"] == [{"code": "income_above_line", "en": "Per-capita income ¥900 is above the line.",
                                  "zh": "人均收入 900 元，高于标准。"}]
    assert status["appeal"]["zh"] == "可在 60 日内申请行政复议。"
    assert "¥900" in status["explanation_en"] and "60 日内" in status["explanation_zh"]
    assert [t["status"] for t in status["timeline"]] == ["submitted", "in_identification", "rejected"]
    assert all(t["en"] and t["zh"] for t in status["timeline"])
    assert count(runtime, DiscoveryRecord, DiscoveryRecord.status == "closed") == 1


def test_a_township_officer_sees_every_village_of_the_township_and_nothing_beyond(client, runtime):
    clue_here = raise_clue(client, runtime, person(50), "MI-50")
    clue_there = raise_clue(client, runtime, person(51, NEIGHBOUR_VILLAGE), "MI-51", division=NEIGHBOUR_VILLAGE)
    clue_far = raise_clue(client, runtime, person(52, ELSEWHERE), "MI-52", division=ELSEWHERE)
    ids = lambda headers: {c["clue_id"] for c in client.get("/api/v1/clues", headers=headers).json()["items"]}  # noqa: E731
    assert ids(township(runtime)) == {clue_here, clue_there}
    assert ids(village(runtime)) == {clue_here}
    assert ids(auth(runtime, "admin", "")) == {clue_here, clue_there, clue_far}
    page = client.get("/api/v1/clues", params={"limit": 1, "offset": 1}, headers=township(runtime)).json()
    assert page["total"] == 2 and len(page["items"]) == 1
