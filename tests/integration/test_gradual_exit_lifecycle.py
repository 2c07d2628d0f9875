"""gradual_exit through its API on real PostgreSQL with an injected clock (no sleeping): observations per programme,
their revert, the no-labour-capacity rule, the exit flow with review, notice and decision, and review deadlines."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gradual_exit import handlers
from gradual_exit.models import Enrolment, Observation, Participation, Situation
from gradual_exit.scheduled import REVIEWS_OVERDUE, complete_observations, report_due_reviews
from shared.envelope import Event
from tests.helpers import count
from tests.integration.test_gradual_exit_support import (  # noqa: F401 (fixtures)
    ALL_SECURED,
    COUNTY,
    START,
    TOWNSHIP,
    VILLAGE,
    YUNNAN_VILLAGE,
    client,
    clock,
    county,
    enrol,
    last_event,
    members,
    outbox,
    outbox_types,
    programme_of,
    recheck,
    record,
    runtime,
    token,
    township,
    village,
)


def to_exit_review(client, runtime, clock, household_id="hh-1", **recheck_over) -> dict:
    """Income rises above the dibao line at START; the timer completes the observation six months later."""
    record(client, runtime, household_id, **recheck(**recheck_over))
    clock.at = START + timedelta(days=184)  # 2026-09-02, the day the six months are complete
    assert complete_observations(runtime) >= 1
    dibao = programme_of(client, runtime, "dibao", household_id)
    assert dibao["status"] == "exit_review", dibao
    return dibao


def to_exit_decision(client, runtime, clock, household_id="hh-1") -> dict:
    dibao = to_exit_review(client, runtime, clock, household_id)
    pid = dibao["participation_id"]
    r = client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                    json={"outcome": "propose_exit", "opinion": "收入稳定，同意退出"})
    assert r.status_code == 200, r.text
    clock.advance(days=7)
    r = client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime))
    assert r.status_code == 200, r.text
    return r.json()


# --- enrolment ------------------------------------------------------------------------------------------------------

def test_enrolment_opens_one_participation_per_programme_with_its_line_and_the_first_review(client, runtime):
    event = enrol(runtime, programmes=("dibao", "monitoring", "medical"))
    household = client.get("/api/v1/households/hh-1", headers=village(runtime)).json()
    assert [(p["programme"], p["status"], p["line_yuan_per_person_month"]) for p in household["programmes"]] == [
        ("dibao", "supported", "542.00"), ("medical", "supported", None), ("monitoring", "supported", "725.00")]
    assert all(p["rule_version"] == "CN-v1" for p in household["programmes"])
    assert (household["next_review_due"], household["review_interval_months"], household["review_basis"]) == (
        "2027-03-02", 12, "stable")
    assert household["has_labour_capacity"] is True and household["per_capita_monthly_income_yuan"] == "400.00"
    enrolled = outbox(runtime)
    assert [e["type"] for e in enrolled] == ["gradual_exit.household.enrolled"]
    runtime.registry.validate(enrolled[0])
    data = enrolled[0]["data"]
    assert enrolled[0]["causationid"] == event.id and enrolled[0]["subject"] == "hh-1"
    assert (data["case_id"], data["division_code"], data["programmes"]) == (
        event.data["case_id"], VILLAGE, ["dibao", "monitoring", "medical"])
    assert [p["programme"] for p in data["participations_opened"]] == ["dibao", "monitoring", "medical"]
    assert {p["participation_id"] for p in data["participations_opened"]} == {
        p["participation_id"] for p in household["programmes"]}
    assert data["review"] == {"next_due_on": "2027-03-02", "interval_months": 12, "basis": "stable",
                              "rule_version": "CN-v1"}
    with runtime.session_factory() as s, s.begin():  # the same enrolment again (a redelivery): nothing changes
        handlers.on_household_enrolled(s, event, runtime.services)
    assert count(runtime, Participation) == 3 and count(runtime, Enrolment) == 1
    assert len(outbox(runtime)) == 1, "a redelivered enrolment changes nothing and says nothing"


def test_an_unstable_household_with_members_able_to_work_is_reviewed_after_six_months(client, runtime):
    enrol(runtime, "hh-2", programmes=("monitoring",), categories={"monitoring": "unstable"},
          scores={"labour_capacity": 40})
    household = client.get("/api/v1/households/hh-2", headers=village(runtime)).json()
    assert (household["next_review_due"], household["review_basis"]) == ("2026-09-02", "unstable_with_labour")


def test_a_second_enrolment_adds_only_the_programmes_not_already_open(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    clock.advance(days=30)
    enrol(runtime, programmes=("dibao", "education"), at=clock.now())
    household = client.get("/api/v1/households/hh-1", headers=village(runtime)).json()
    assert sorted(p["programme"] for p in household["programmes"]) == ["dibao", "education"]
    second = last_event(runtime, "gradual_exit.household.enrolled")["data"]
    assert [p["programme"] for p in second["participations_opened"]] == ["education"]
    assert second["programmes_already_open"] == ["dibao"]


# --- observation: per programme, started and reverted ------------------------------------------------------------------

def test_income_above_one_line_starts_an_observation_for_that_programme_only(client, runtime, clock):
    enrol(runtime, programmes=("dibao", "monitoring", "medical"))
    answer = record(client, runtime, **recheck("700"))  # above dibao's 542, below monitoring's 725
    assert {d["programme"]: d["action"] for d in answer["decisions"]} == {
        "dibao": "start_observation", "monitoring": "none", "medical": "none"}
    dibao = next(d for d in answer["decisions"] if d["programme"] == "dibao")
    assert dibao["rule_version"] == "CN-v1" and "542.00" in dibao["explanation_en"] and "542.00元" in dibao["explanation_zh"]
    started = last_event(runtime, "gradual_exit.observation.started")
    assert started["data"]["programme"] == "dibao" and started["data"]["ends_on"] == "2026-09-02"
    assert started["data"]["line_yuan_per_person_month"] == 542.0 and started["data"]["rule_version"] == "CN-v1"
    assert started["causationid"] == last_event(runtime, "gradual_exit.situation.recorded")["id"]

    clock.advance(days=31)
    answer = record(client, runtime, per_capita_monthly_income_yuan="800")  # now above monitoring's line too
    assert {d["programme"]: d["action"] for d in answer["decisions"]} == {
        "dibao": "continue", "monitoring": "start_observation", "medical": "none"}
    assert programme_of(client, runtime, "monitoring")["observation"]["ends_on"] == "2026-10-02"
    assert programme_of(client, runtime, "dibao")["observation"]["ends_on"] == "2026-09-02", "each has its own period"
    enrol(runtime, "hh-other", programmes=("dibao",))
    listed = client.get("/api/v1/households", params={"status": "observation", "programme": "monitoring"},
                        headers=county(runtime)).json()
    assert [h["household_id"] for h in listed["items"]] == ["hh-1"]
    assert client.get("/api/v1/households", params={"status": "supported", "programme": "dibao"},
                      headers=county(runtime)).json()["total"] == 1


def test_income_falling_back_reverts_the_observation_and_support_continues(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    record(client, runtime, **recheck("700"))
    clock.advance(days=60)
    answer = record(client, runtime, per_capita_monthly_income_yuan="542")  # back at the line: not above it
    assert answer["decisions"][0]["action"] == "revert_observation"
    assert answer["decisions"][0]["state_after"] == "supported"
    reverted = last_event(runtime, "gradual_exit.observation.reverted")["data"]
    assert (reverted["trigger"], reverted["from_state"], reverted["programme"]) == ("income_fell_back", "observation", "dibao")
    assert reverted["reasons"][0]["code"] == "income_fell_back" and reverted["reasons"][0]["zh"]
    dibao = programme_of(client, runtime, "dibao")
    assert dibao["status"] == "supported" and dibao["observation"]["outcome"] == "reverted"

    clock.at = START + timedelta(days=200)  # past the first period's end: nothing is left to complete
    assert complete_observations(runtime) == 0
    assert "gradual_exit.household.exited" not in outbox_types(runtime)

    record(client, runtime, per_capita_monthly_income_yuan="650")  # rises again: a new observation from today
    dibao = programme_of(client, runtime, "dibao")
    assert dibao["status"] == "observation" and dibao["observation"]["started_on"] == "2026-09-18"
    assert dibao["observation"]["ends_on"] == "2027-03-18"


def test_a_household_without_labour_capacity_is_not_exited_on_income_alone(client, runtime, clock):
    enrol(runtime, programmes=("dibao",), scores={"labour_capacity": 100})  # identification: nobody can work
    answer = record(client, runtime, per_capita_monthly_income_yuan="2000", income_stable=True, guarantees=ALL_SECURED)
    decision = answer["decisions"][0]
    assert decision["action"] == "none" and [r["code"] for r in decision["reasons"]] == ["income_above_line",
                                                                                        "no_labour_capacity"]
    assert "gradual_exit.observation.started" not in outbox_types(runtime)
    clock.at = START + timedelta(days=400)
    assert complete_observations(runtime) == 0 and programme_of(client, runtime, "dibao")["status"] == "supported"

    answer = record(client, runtime, lasting_income_source=True)  # a pension confirmed: not income alone any more
    assert answer["decisions"][0]["action"] == "start_observation"


def test_losing_the_only_worker_during_an_observation_reverts_it(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    record(client, runtime, **recheck("900"))
    clock.advance(days=40)
    answer = record(client, runtime, members=members(capacities=("none", "none")))
    assert answer["decisions"][0]["action"] == "revert_observation"
    assert last_event(runtime, "gradual_exit.observation.reverted")["data"]["trigger"] == "no_labour_capacity"


def test_the_regional_line_and_taper_apply_in_yunnan(client, runtime, clock):
    v = village(runtime, YUNNAN_VILLAGE)
    enrol(runtime, programmes=("dibao",), division=YUNNAN_VILLAGE)
    assert record(client, runtime, headers=v, **recheck("600.00"))["decisions"][0]["action"] == "none", "at the line"
    answer = record(client, runtime, headers=v, per_capita_monthly_income_yuan="600.01")
    assert answer["decisions"][0]["action"] == "start_observation"
    assert answer["decisions"][0]["rule_version"] == "53-v2"
    headers = county(runtime, YUNNAN_VILLAGE[:6])
    observation = client.get("/api/v1/households/hh-1", headers=headers).json()["programmes"][0]["observation"]
    assert observation["support_share_now"] == 1.0
    assert [m["share"] for m in observation["support_schedule"]] == [1.0, 1.0, 1.0, 0.8, 0.6, 0.5]
    clock.advance(days=92)  # 2 June: the fourth month
    observation = client.get("/api/v1/households/hh-1", headers=headers).json()["programmes"][0]["observation"]
    assert observation["support_share_now"] == 0.8


# --- the exit flow --------------------------------------------------------------------------------------------------------

def test_a_stable_household_leaves_one_programme_through_review_notice_and_decision(client, runtime, clock):
    enrol(runtime, programmes=("dibao", "near_dibao", "medical"))
    record(client, runtime, **recheck("700"))  # above dibao's 542, not near_dibao's 813
    pid = programme_of(client, runtime, "dibao")["participation_id"]

    clock.at = START + timedelta(days=183)  # 2026-09-01: one day short of six months
    assert complete_observations(runtime) == 0
    assert programme_of(client, runtime, "dibao")["status"] == "observation"
    clock.advance(days=1)
    assert complete_observations(runtime) == 1
    assert complete_observations(runtime) == 0, "completed once"
    completed = last_event(runtime, "gradual_exit.observation.completed")["data"]
    assert completed["ends_on"] == "2026-09-02" and {r["code"] for r in completed["reasons"]} >= {
        "income_stably_above_line", "income_stable", "guarantees_secured", "labour_capacity"}
    assert programme_of(client, runtime, "dibao")["staff_actions"] == ["review"]

    r = client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                    json={"outcome": "propose_exit", "opinion": "收入稳定，同意退出"})
    assert r.status_code == 200 and r.json()["status"] == "exit_notice", r.text
    notice = r.json()["notice"]
    assert (notice["first_day"], notice["last_day"]) == ("2026-09-02", "2026-09-08"), "7 days for dibao"
    public = client.get("/api/v1/public/exit-notices", params={"division_code": COUNTY}).json()
    assert public["total"] == 1
    text = public["items"][0]["text_en"] + public["items"][0]["text_zh"]
    head = members()[0]
    assert head["id_number"] not in text and head["name"] not in text and head["name"][0] + "*" in text
    assert "700" not in text and "household_id" not in public["items"][0]

    r = client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime))
    assert r.status_code == 409 and r.json()["rule"] == "notice_running"
    assert r.json()["allowed_actions"] == ["revert_observation", "lodge_objection", "resolve_objection",
                                           "close_notice"] and r.json()["message_zh"]
    clock.advance(days=7)
    r = client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime))
    assert r.status_code == 200 and r.json()["status"] == "exit_decision", r.text
    r = client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime), json={"outcome": "exit"})
    assert r.status_code == 200 and r.json()["status"] == "exited", r.text

    exited = last_event(runtime, "gradual_exit.household.exited")
    runtime.registry.validate(exited)  # exactly the published contract that followup and assistance consume
    data = exited["data"]
    assert (data["programme"], data["household_id"], data["division_code"]) == ("dibao", "hh-1", VILLAGE)
    assert data["remaining_programmes"] == ["near_dibao", "medical"], "exit is per programme"
    assert [r["code"] for r in data["reasons"]] == ["observation_period_complete", "income_stably_above_line",
                                                    "income_stable", "guarantees_secured", "labour_capacity",
                                                    "notice_held"]
    assert all(r["en"] and r["zh"] for r in data["reasons"])
    assert data["rule_version"] == "CN-v1" and data["file_number"] == f"{COUNTY}-2026-000001"
    assert data["per_capita_monthly_income_yuan"] == 700.0
    assert [m["id_number"] for m in data["members"]] == [m["id_number"] for m in members()]
    assert programme_of(client, runtime, "near_dibao")["status"] == "supported"
    assert programme_of(client, runtime, "medical")["status"] == "supported"
    assert client.get("/api/v1/public/exit-notices").json()["total"] == 0
    assert outbox_types(runtime) == [
        "gradual_exit.household.enrolled", "gradual_exit.situation.recorded", "gradual_exit.observation.started",
        "gradual_exit.observation.completed", "gradual_exit.notice.published", "gradual_exit.notice.closed",
        "gradual_exit.household.exited"]
    closed = last_event(runtime, "gradual_exit.notice.closed")
    runtime.registry.validate(closed)
    assert (closed["data"]["reason"], closed["data"]["status"], closed["data"]["participation_status"]) == (
        "period_ended", "closed", "exit_decision")
    assert closed["data"]["notice_id"] == notice["notice_id"] and closed["data"]["closed_at"].endswith("+00:00")

    trail = client.get("/api/v1/households/hh-1/audit", headers=county(runtime)).json()
    steps = [(a["action"], a["from_state"], a["to_state"], a["actor_role"]) for a in trail if a["entity_id"] == pid]
    assert steps == [("start_observation", "supported", "observation", "village"),
                     ("complete_observation", "observation", "exit_review", "system"),
                     ("review", "exit_review", "exit_notice", "township"),
                     ("close_notice", "exit_notice", "exit_decision", "township"),
                     ("decide", "exit_decision", "exited", "county")]


def test_an_observation_whose_conditions_fail_at_its_end_is_reverted_with_the_reasons(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    record(client, runtime, **recheck("900", guarantees={**ALL_SECURED, "drinking_water": False}))
    clock.at = START + timedelta(days=184)
    assert complete_observations(runtime) == 1
    reverted = last_event(runtime, "gradual_exit.observation.reverted")["data"]
    assert reverted["trigger"] == "conditions_not_met"
    assert [r["code"] for r in reverted["reasons"]] == ["guarantees_not_secured"]
    assert "safe drinking water" in reverted["reasons"][0]["en"] and "饮水安全" in reverted["reasons"][0]["zh"]
    dibao = programme_of(client, runtime, "dibao")
    assert dibao["status"] == "supported" and dibao["observation"]["verdict"]["met"] is False


def test_income_falling_during_the_notice_withdraws_the_exit(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    pid = to_exit_review(client, runtime, clock)["participation_id"]
    client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                json={"outcome": "propose_exit", "opinion": "同意"})
    assert client.get("/api/v1/public/exit-notices").json()["total"] == 1
    clock.advance(days=2)
    answer = record(client, runtime, per_capita_monthly_income_yuan="500")
    assert answer["decisions"][0]["state_before"] == "exit_notice" and answer["decisions"][0]["state_after"] == "supported"
    assert last_event(runtime, "gradual_exit.observation.reverted")["data"]["from_state"] == "exit_notice"
    assert client.get("/api/v1/public/exit-notices").json()["total"] == 0
    assert client.get(f"/api/v1/participations/{pid}", headers=county(runtime)).json()["notices"][0]["status"] == "withdrawn"
    closed = last_event(runtime, "gradual_exit.notice.closed")
    runtime.registry.validate(closed)
    assert (closed["data"]["reason"], closed["data"]["status"], closed["data"]["participation_status"]) == (
        "exit_reverted", "withdrawn", "supported")
    assert closed["causationid"] == last_event(runtime, "gradual_exit.situation.recorded")["id"]
    r = client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime))
    assert r.status_code == 409 and r.json()["allowed_actions"] == ["start_observation"]


def test_the_review_or_the_decision_may_continue_support_with_reasons(client, runtime, clock):
    enrol(runtime, "hh-1", programmes=("dibao",))
    pid = to_exit_review(client, runtime, clock, "hh-1")["participation_id"]
    r = client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                    json={"outcome": "continue_support", "opinion": "务工收入季节性强"})
    assert r.status_code == 200 and r.json()["status"] == "supported"
    reverted = last_event(runtime, "gradual_exit.observation.reverted")["data"]
    assert reverted["trigger"] == "review" and "务工收入季节性强" in reverted["reasons"][0]["zh"]

    clock.at = START
    enrol(runtime, "hh-2", programmes=("dibao",))
    pid = to_exit_decision(client, runtime, clock, "hh-2")["participation_id"]
    r = client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime),
                    json={"outcome": "continue_support",
                          "reasons": [{"code": "illness_in_family", "en": "A member fell ill.", "zh": "家庭成员患病。"}]})
    assert r.status_code == 200 and r.json()["status"] == "supported"
    reverted = last_event(runtime, "gradual_exit.observation.reverted")["data"]
    assert (reverted["trigger"], reverted["from_state"], reverted["reasons"][0]["code"]) == (
        "decision", "exit_decision", "illness_in_family")
    assert "gradual_exit.household.exited" not in outbox_types(runtime)


@pytest.mark.parametrize("path,body,role", [
    ("review", {"outcome": "propose_exit", "opinion": "同意"}, "township"),
    ("notice/close", None, "township"),
    ("decision", {"outcome": "exit"}, "county"),
])
def test_an_illegal_step_is_409_naming_the_allowed_next_steps(client, runtime, path, body, role):
    enrol(runtime, programmes=("dibao",))
    pid = programme_of(client, runtime, "dibao")["participation_id"]
    headers = {"township": township, "county": county}[role](runtime)
    r = client.post(f"/api/v1/participations/{pid}/{path}", headers=headers, json=body)
    assert r.status_code == 409, r.text
    assert r.json()["state"] == "supported" and r.json()["allowed_actions"] == ["start_observation"]
    assert r.json()["staff_actions"] == [] and r.json()["message"] and r.json()["message_zh"]


# --- periodic reviews ----------------------------------------------------------------------------------------------------

def test_review_deadlines_raise_one_event_per_due_review(client, runtime, clock):
    enrol(runtime, "hh-stable", programmes=("dibao",))  # due 2027-03-02 (12 months)
    enrol(runtime, "hh-unstable", programmes=("dibao",))
    answer = record(client, runtime, "hh-unstable", kind="review", per_capita_monthly_income_yuan="450",
                    income_stable=False, members=members(capacities=("full", "partial")))
    assert answer["kind"] == "review"
    household = client.get("/api/v1/households/hh-unstable", headers=village(runtime)).json()
    assert (household["next_review_due"], household["review_interval_months"]) == ("2026-09-02", 6)

    clock.at = START + timedelta(days=184)  # 2026-09-02: the due day itself is still on time
    assert report_due_reviews(runtime) == 0
    clock.advance(days=1)
    assert report_due_reviews(runtime) == 1
    assert report_due_reviews(runtime) == 0, "reported once"
    assert REVIEWS_OVERDUE._value.get() == 1
    due = last_event(runtime, "gradual_exit.review.due")["data"]
    assert (due["household_id"], due["due_on"], due["interval_months"], due["basis"]) == (
        "hh-unstable", "2026-09-02", 6, "unstable_with_labour")
    assert due["last_reviewed_on"] == "2026-03-02" and due["explanation"]["en"] and due["explanation"]["zh"]
    listed = client.get("/api/v1/households", params={"review_overdue": True}, headers=county(runtime)).json()
    assert [h["household_id"] for h in listed["items"]] == ["hh-unstable"] and listed["items"][0]["review_overdue"]

    # a partner's income update is not the periodic review; the caseworker's review is, and resets the due date
    partner = token(runtime, "partner", "", subject="partner:hrss", department="hrss")
    record(client, runtime, "hh-unstable", headers=partner, per_capita_monthly_income_yuan="460")
    assert client.get("/api/v1/households/hh-unstable", headers=village(runtime)).json()["next_review_due"] == "2026-09-02"
    record(client, runtime, "hh-unstable", kind="review", per_capita_monthly_income_yuan="480", income_stable=True)
    household = client.get("/api/v1/households/hh-unstable", headers=village(runtime)).json()
    assert (household["next_review_due"], household["review_basis"], household["review_overdue"]) == (
        "2027-09-03", "stable", False)

    clock.at = START + timedelta(days=366)  # 2027-03-03: the stable household's review is one day overdue
    assert report_due_reviews(runtime) == 1
    assert last_event(runtime, "gradual_exit.review.due")["data"]["household_id"] == "hh-stable"
    assert [e["data"]["due_on"] for e in outbox(runtime) if e["type"] == "gradual_exit.review.due"] == [
        "2026-09-02", "2027-03-02"]


def test_a_household_that_left_every_reviewed_programme_has_no_review_due(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    pid = to_exit_decision(client, runtime, clock)["participation_id"]
    client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime), json={"outcome": "exit"})
    household = client.get("/api/v1/households/hh-1", headers=village(runtime)).json()
    assert household["next_review_due"] is None
    clock.at = START + timedelta(days=800)
    assert report_due_reviews(runtime) == 0

    enrol(runtime, programmes=("dibao",), at=clock.now())  # relapsed and identified again: a new participation
    household = client.get("/api/v1/households/hh-1", headers=village(runtime)).json()
    assert [(p["programme"], p["status"]) for p in household["programmes"]] == [("dibao", "exited"), ("dibao", "supported")]
    assert household["next_review_due"] == "2029-05-10", "12 months from the new enrolment, not the first one"


# --- situations: partners, idempotency, bad input --------------------------------------------------------------------------

def test_a_partner_records_updates_but_neither_reviews_nor_reads(client, runtime):
    enrol(runtime, programmes=("dibao",))
    partner = token(runtime, "partner", "", subject="partner:medical-insurance", department="medical_insurance")
    answer = record(client, runtime, headers=partner, per_capita_monthly_income_yuan="300")
    assert answer["source"] == "partner" and answer["decisions"] is None
    situation = last_event(runtime, "gradual_exit.situation.recorded")["data"]
    assert situation["recorded_by"] == {"subject": "partner:medical-insurance", "role": "partner", "area": "",
                                        "department": "medical_insurance"}
    r = client.post("/api/v1/households/hh-1/situations", headers=partner,
                    json={"kind": "review", "per_capita_monthly_income_yuan": "300"})
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    assert client.get("/api/v1/households", headers=partner).status_code == 403
    assert client.get("/api/v1/households/hh-1", headers=partner).status_code == 403


def test_a_situation_is_applied_once_however_often_it_arrives(client, runtime):
    enrol(runtime, programmes=("dibao",))
    headers = {**village(runtime), "Idempotency-Key": "recheck-2026-03-02-hh-1"}
    first = client.post("/api/v1/households/hh-1/situations", headers=headers, json=recheck("700"))
    again = client.post("/api/v1/households/hh-1/situations", headers=headers, json=recheck("700"))
    assert first.status_code == again.status_code == 201 and again.headers.get("Idempotency-Replayed") == "true"
    assert first.json() == again.json()
    other = client.post("/api/v1/households/hh-1/situations", headers=headers, json=recheck("701"))
    assert other.status_code == 409 and other.json()["rule"] == "same_key_same_body"

    assert count(runtime, Situation) == 1 and count(runtime, Observation) == 1
    assert outbox_types(runtime) == ["gradual_exit.household.enrolled", "gradual_exit.situation.recorded",
                                     "gradual_exit.observation.started"]


def test_an_old_situation_delivered_again_changes_nothing(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    record(client, runtime, **recheck("700"))
    clock.advance(days=10)
    record(client, runtime, per_capita_monthly_income_yuan="500")  # reverts the observation
    fell_back = last_event(runtime, "gradual_exit.situation.recorded")
    clock.advance(days=10)
    record(client, runtime, per_capita_monthly_income_yuan="800")  # a new observation
    events_before = outbox_types(runtime)
    redelivered = Event(type=fell_back["type"], source=fell_back["source"], subject=fell_back["subject"],
                        data=fell_back["data"], id=fell_back["id"])
    with runtime.session_factory() as s, s.begin():  # as the consumer of gradual_exit.situation would, much later
        handlers.on_situation_recorded(s, redelivered, runtime.services)
    assert outbox_types(runtime) == events_before, "the old fall in income must not revert the new observation"
    dibao = programme_of(client, runtime, "dibao")
    assert dibao["status"] == "observation" and dibao["observation"]["start_income_yuan"] == "800.00"
    household = client.get("/api/v1/households/hh-1", headers=village(runtime)).json()
    assert household["per_capita_monthly_income_yuan"] == "800.00"


def test_a_situation_replayed_into_an_empty_database_rebuilds_the_same_state(client, runtime, databases, kafka_bootstrap,
                                                                            topic_prefix, clock):
    from tests.integration.test_gradual_exit_support import gradual_exit_runtime
    enrol(runtime, programmes=("dibao",))
    record(client, runtime, **recheck("700"))
    recorded = last_event(runtime, "gradual_exit.situation.recorded")
    fresh = gradual_exit_runtime(databases.create("gradual_exit"), kafka_bootstrap, topic_prefix + "r.", clock=clock)
    enrol(fresh, programmes=("dibao",))
    event = Event(type=recorded["type"], source=recorded["source"], subject=recorded["subject"],
                  data=recorded["data"], id=recorded["id"])
    with fresh.session_factory() as s, s.begin():
        handlers.on_situation_recorded(s, event, fresh.services)
    with fresh.session_factory() as s:
        status = s.execute(select(Participation.status)).scalar_one()
        situation = s.execute(select(Situation)).scalar_one()
    assert status == "observation" and situation.id == recorded["data"]["situation_id"] and situation.applied_at
    assert outbox_types(fresh) == ["gradual_exit.household.enrolled", "gradual_exit.observation.started"]


def test_a_situation_about_a_household_never_enrolled_can_never_apply(runtime):
    event = Event(type="gradual_exit.situation.recorded", source="/services/gradual_exit", subject="nobody", data={
        "situation_id": "s-1", "household_id": "nobody", "division_code": VILLAGE, "kind": "update",
        "source": "caseworker", "recorded_at": START.isoformat(),
        "recorded_by": {"subject": "village-officer", "role": "village"}, "per_capita_monthly_income_yuan": 1.0})
    runtime.registry.validate(event.envelope())
    from shared.consumer import PermanentError
    with pytest.raises(PermanentError), runtime.session_factory() as s, s.begin():
        handlers.on_situation_recorded(s, event, runtime.services)


BAD_INPUT = [
    ({}, "body", "at_least_one_fact"),
    ({"note": "visited"}, "body", "at_least_one_fact"),
    ({"per_capita_monthly_income_yuan": "-1"}, "per_capita_monthly_income_yuan", "greater_than_equal"),
    ({"per_capita_monthly_income_yuan": "1.234"}, "per_capita_monthly_income_yuan", "decimal_max_places"),
    ({"members": [{"labour_capacity": "full", "id_number": "110105194912310021"}]}, "members[0].id_number",
     "id_number_checksum"),
    ({"members": [{"labour_capacity": "full", "id_number": "11010519491231"}]}, "members[0].id_number",
     "id_number_format"),
    ({"members": [{"labour_capacity": "some"}]}, "members[0].labour_capacity", "literal_error"),
    ({"members": []}, "members", "too_short"),
    ({"members": [{"labour_capacity": "full", "relationship": "self"},
                  {"labour_capacity": "full", "relationship": "self"}]}, "members", "one_head_of_household"),
    ({"guarantees": {"wifi": True}}, "guarantees.wifi", "extra_forbidden"),
    ({"kind": "rumour", "income_stable": True}, "kind", "literal_error"),
    ({"income_stable": True, "household_id": "x"}, "household_id", "extra_forbidden"),
]


@pytest.mark.parametrize("body,field,rule", BAD_INPUT, ids=[b[2] + "-" + b[1] for b in BAD_INPUT])
def test_bad_input_is_422_naming_the_field_and_the_rule_and_nothing_is_written(client, runtime, body, field, rule):
    enrol(runtime, programmes=("dibao",))
    r = client.post("/api/v1/households/hh-1/situations", headers=village(runtime), json=body)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert (field, rule) in [(e["field"], e["rule"]) for e in errors], errors
    assert all(e["message"] and e["message_zh"] for e in errors)
    assert count(runtime, Situation) == 0 and outbox_types(runtime) == ["gradual_exit.household.enrolled"]


def test_a_decision_to_continue_support_needs_reasons(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    pid = to_exit_decision(client, runtime, clock)["participation_id"]
    before = len(outbox(runtime))
    r = client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime),
                    json={"outcome": "continue_support"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reasons"
    assert r.json()["errors"][0]["rule"] == "required_for_continue_support"
    assert len(outbox(runtime)) == before and programme_of(client, runtime, "dibao")["status"] == "exit_decision"


# --- access: area, role, token ----------------------------------------------------------------------------------------------

STAFF_ENDPOINTS = [
    ("get", "/api/v1/households/hh-1", None, "village"),
    ("get", "/api/v1/households/hh-1/audit", None, "village"),
    ("get", "/api/v1/households/hh-1/situations", None, "village"),
    ("post", "/api/v1/households/hh-1/situations", {"kind": "review", "per_capita_monthly_income_yuan": "700"}, "village"),
    ("get", "/api/v1/participations/{pid}", None, "village"),
    ("post", "/api/v1/participations/{pid}/review", {"outcome": "propose_exit", "opinion": "同意"}, "township"),
    ("post", "/api/v1/participations/{pid}/notice/close", None, "township"),
    ("post", "/api/v1/participations/{pid}/decision", {"outcome": "exit"}, "county"),
    ("post", "/api/v1/participations/{pid}/objections/o-1/resolution", {"outcome": "upheld", "reason": "属实"},
     "township"),
]
AREA = {"village": VILLAGE, "township": TOWNSHIP, "county": COUNTY}
OTHER_AREA = {"village": "522701001003", "township": "522701002", "county": "522702"}
WRONG_ROLE = {"village": "county", "township": "village", "county": "township"}


@pytest.mark.parametrize("method,path,body,role", STAFF_ENDPOINTS, ids=[e[1].rsplit("/", 1)[-1] + "-" + e[0]
                                                                        for e in STAFF_ENDPOINTS])
def test_every_staff_endpoint_refuses_no_token_a_wrong_area_and_a_wrong_role(client, runtime, method, path, body, role):
    enrol(runtime, programmes=("dibao",))
    url = path.format(pid=programme_of(client, runtime, "dibao")["participation_id"])
    call = getattr(client, method)
    kwargs = {"json": body} if method == "post" else {}
    assert call(url, **kwargs).status_code == 401
    assert call(url, headers=token(runtime, role, OTHER_AREA[role]), **kwargs).status_code == 404
    if method == "post":
        r = call(url, headers=token(runtime, WRONG_ROLE[role], AREA[WRONG_ROLE[role]]), **kwargs)
        assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    assert outbox_types(runtime) == ["gradual_exit.household.enrolled"] and count(runtime, Situation) == 0, \
        "nothing was written"


def test_lists_show_only_the_officers_area_with_pagination(client, runtime):
    for i in range(3):
        enrol(runtime, f"hh-{i}", programmes=("dibao", "medical"))
    enrol(runtime, "hh-elsewhere", programmes=("dibao",), division="520326101203")
    page = client.get("/api/v1/households", params={"limit": 2}, headers=county(runtime)).json()
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (3, 2, 2, 0)
    assert client.get("/api/v1/households", params={"offset": 2}, headers=county(runtime)).json()["items"].__len__() == 1
    assert client.get("/api/v1/households", headers=token(runtime, "admin", "")).json()["total"] == 4
    assert client.get("/api/v1/households", headers=county(runtime, "520326")).json()["total"] == 1
    parts = client.get("/api/v1/participations", params={"programme": "dibao", "status": "supported"},
                       headers=county(runtime)).json()
    assert parts["total"] == 3 and {p["programme"] for p in parts["items"]} == {"dibao"}
    r = client.get("/api/v1/participations", params={"status": "gone"}, headers=county(runtime))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.status"
    assert client.get("/api/v1/households/hh-elsewhere", headers=county(runtime)).status_code == 404


def test_the_review_deadline_uses_the_local_calendar_day(client, runtime, clock):
    """16:00 UTC on the due day is already the next day in China: the review is overdue then, not at UTC midnight."""
    enrol(runtime, "hh-1", programmes=("dibao",))  # due 2027-03-02
    clock.at = START.replace(year=2027, hour=15, minute=59)  # 23:59 on 2 March in China
    assert report_due_reviews(runtime) == 0
    clock.at = START.replace(year=2027, hour=16, minute=0)  # 00:00 on 3 March in China
    assert report_due_reviews(runtime) == 1
    assert date.fromisoformat(last_event(runtime, "gradual_exit.review.due")["data"]["due_on"]) == date(2027, 3, 2)
