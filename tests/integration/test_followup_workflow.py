"""followup through its API on real PostgreSQL with an injected clock: plans from exits, check-in deadlines, one relapse
event per risk episode from check-ins and partner signals, area scoping, and nothing half-written on bad input."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from followup import handlers
from followup.config import Settings
from followup.bootstrap import build_runtime
from followup.main import create_app
from followup.models import Checkin, Plan, PlanExit, Relapse, ScheduledCheckin
from followup.scheduled import CHECKINS_OVERDUE, check_schedules
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import Event, decode
from shared.synthetic import HouseholdFactory
from tests.helpers import count

VILLAGE = "530102001001"
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
OTHER_VILLAGE = "530102001002"
START = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing, Monday 2 March 2026


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    settings = Settings(database_url=databases.create("followup"), kafka_bootstrap=kafka_bootstrap,
                        topic_prefix=topic_prefix, relay_idle_seconds=0.05)
    return build_runtime(settings, clock=clock)


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def token(runtime, role, area, subject=None, department=None):
    # signed at wall-clock time: token expiry is real time, while the plan's deadlines follow the injected clock
    t = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-officer", role=role, area=area,
                    department=department)
    return {"Authorization": f"Bearer {t}"}


def exit_event(household_id=None, *, programme="dibao", exited_at=START, division=VILLAGE, seed=1, size=3,
               per_capita=1500.0, members=True) -> Event:
    household_id = household_id or str(uuid.uuid4())
    body = HouseholdFactory(seed).application_body(division=division, size=size)
    data = {"exit_id": str(uuid.uuid4()), "household_id": household_id, "programme": programme,
            "division_code": division, "exited_at": exited_at.isoformat(),
            "reasons": [{"code": "income_stable_above_line", "en": "Income stable above the line for 6 months.",
                         "zh": "收入连续 6 个月稳定高于标准。"}],
            "remaining_programmes": [], "file_number": f"{division[:6]}-2025-000001", "rule_version": "CN-2022.1"}
    if per_capita is not None:
        data["per_capita_monthly_income_yuan"] = per_capita
    if members:
        data["members"] = body["members"]
    return Event(type="gradual_exit.household.exited", source="/services/gradual_exit", subject=household_id, data=data)


def start_plan(runtime, event=None, **kwargs) -> Plan:
    event = event or exit_event(**kwargs)
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        return handlers.on_household_exited(s, event, runtime.services)


def outbox(runtime, event_type=None) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    events = [decode(bytes(p)) for p in rows]
    for e in events:
        runtime.registry.validate(e)
    return [e for e in events if event_type is None or e["type"] == event_type]


def at_local(day: date) -> datetime:
    """10:00 Beijing time on ``day``."""
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=timezone.utc)


def checkin(client, runtime, plan_id, role="village", area=VILLAGE, **body):
    body.setdefault("household_monthly_income_yuan", "4500")
    return client.post(f"/api/v1/plans/{plan_id}/checkins", json=body, headers=token(runtime, role, area))


# --- plans from exits ---------------------------------------------------------------------------------------------

def test_an_exit_starts_one_plan_with_a_check_in_every_quarter_for_three_years(client, runtime):
    event = exit_event()
    plan = start_plan(runtime, event)
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()
    assert detail["status"] == "active" and detail["programmes"] == ["dibao"]
    assert [s["due_on"] for s in detail["schedule"]][:2] == ["2026-06-02", "2026-09-02"]
    assert len(detail["schedule"]) == 12 and detail["ends_on"] == "2029-03-02" == detail["schedule"][-1]["due_on"]
    assert detail["rule_version"] == "53-v2"
    assert detail["grace_days"] == 15 and detail["next_due_on"] == "2026-06-02"
    assert all("*" in m["id_number"] for m in detail["members"]), "ID numbers are masked in answers"
    started = outbox(runtime, "followup.plan.started")
    assert len(started) == 1 and started[0]["subject"] == plan.household_id
    assert len(started[0]["data"]["checkins"]) == 12 and started[0]["data"]["restarted"] is False
    assert started[0]["causationid"] == event.id

    with runtime.session_factory() as s, s.begin():  # a redelivered exit changes nothing
        assert handlers.on_household_exited(s, event, runtime.services).id == plan.id
    assert count(runtime, Plan) == 1 and count(runtime, ScheduledCheckin) == 12 and len(outbox(runtime)) == 1


def test_a_second_programme_exit_keeps_the_same_plan_and_extends_it(client, runtime):
    household = str(uuid.uuid4())
    plan = start_plan(runtime, household_id=household)
    later = start_plan(runtime, exit_event(household, programme="medical", exited_at=START + timedelta(days=45)))
    assert later.id == plan.id and count(runtime, Plan) == 1
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "county", COUNTY)).json()
    assert detail["programmes"] == ["dibao", "medical"]
    assert [e["effect"] for e in detail["exits"]] == ["start", "extend"]
    assert len(detail["schedule"]) == 13 and detail["ends_on"] == "2029-06-02", "covers 16 April 2029 on the same cadence"
    assert len(outbox(runtime, "followup.plan.started")) == 1
    [extended] = outbox(runtime, "followup.plan.extended")
    runtime.registry.validate(extended)
    assert (extended["data"]["effect"], extended["data"]["programme"], extended["data"]["ends_on"]) == (
        "extend", "medical", "2029-06-02")
    assert [c["due_on"] for c in extended["data"]["added_checkins"]] == ["2029-06-02"]
    assert extended["data"]["programmes"] == ["dibao", "medical"] and extended["data"]["extended_at"].endswith("+00:00")
    trail = client.get(f"/api/v1/plans/{plan.id}/audit", headers=token(runtime, "county", COUNTY)).json()
    assert [a["action"] for a in trail] == ["start_plan", "extend_plan"]


def test_temporary_assistance_is_followed_up_for_a_year_as_the_rule_data_says(runtime):
    plan = start_plan(runtime, programme="temporary")
    assert plan.duration_months == 12 and count(runtime, ScheduledCheckin) == 4


# --- deadlines with the injected clock ----------------------------------------------------------------------------

def test_a_missed_check_in_is_reported_overdue_once_the_day_after_its_grace_days(client, runtime, clock):
    plan = start_plan(runtime)
    clock.at = at_local(date(2026, 6, 17))  # due 2 June + 15 grace days: the last day on time
    assert check_schedules(runtime) == (0, 0)
    clock.advance(days=1)
    assert check_schedules(runtime) == (1, 0)
    assert check_schedules(runtime) == (0, 0), "reported once"
    assert CHECKINS_OVERDUE._value.get() == 1
    [overdue] = outbox(runtime, "followup.checkin.overdue")
    assert overdue["data"] | {"detected_at": None} == {
        "plan_id": plan.id, "household_id": plan.household_id, "division_code": VILLAGE, "seq": 1,
        "due_on": "2026-06-02", "on_time_until": "2026-06-17", "grace_days": 15, "detected_at": None}
    listed = client.get("/api/v1/plans", params={"overdue": True}, headers=token(runtime, "township", TOWNSHIP)).json()
    assert [p["plan_id"] for p in listed["items"]] == [plan.id] and listed["items"][0]["overdue"] is True

    # a late visit fulfils it, marked late; the next one stays pending and is never reported early
    r = checkin(client, runtime, plan.id)
    assert r.status_code == 201, r.text
    assert r.json()["checkin"]["fulfils"] == [1] and r.json()["plan"]["overdue"] is False
    assert outbox(runtime, "followup.checkin.recorded")[-1]["data"]["late"] is True
    clock.at = at_local(date(2026, 9, 17))
    assert check_schedules(runtime) == (0, 0)
    clock.advance(days=1)
    assert check_schedules(runtime) == (1, 0)
    assert [e["data"]["seq"] for e in outbox(runtime, "followup.checkin.overdue")] == [1, 2]


def test_a_visit_within_the_early_window_fulfils_the_check_in_so_it_is_never_overdue(client, runtime, clock):
    plan = start_plan(runtime)
    clock.at = at_local(date(2026, 5, 2))  # 31 days before 2 June: too early
    r = checkin(client, runtime, plan.id)
    assert r.status_code == 201 and r.json()["checkin"]["fulfils"] == []
    clock.advance(days=1)  # 30 days before: counts
    r = checkin(client, runtime, plan.id)
    assert r.json()["checkin"]["fulfils"] == [1] and r.json()["plan"]["next_due_on"] == "2026-09-02"
    clock.at = at_local(date(2026, 7, 1))
    assert check_schedules(runtime) == (0, 0)
    assert outbox(runtime, "followup.checkin.overdue") == []


def test_the_plan_completes_after_its_last_check_in_and_a_later_exit_restarts_the_same_plan(client, runtime, clock):
    plan = start_plan(runtime)
    clock.at = at_local(date(2029, 3, 2))  # the last check-in is due; within its grace the plan waits
    reported, completed = check_schedules(runtime)
    assert reported == 11 and completed == 0
    clock.at = at_local(date(2029, 3, 18))
    assert check_schedules(runtime) == (1, 1)
    [done] = outbox(runtime, "followup.plan.completed")
    assert done["data"]["checkins_missed"] == 12 and done["data"]["checkins_completed"] == 0
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()
    assert detail["status"] == "completed" and {s["status"] for s in detail["schedule"]} == {"missed"}
    r = checkin(client, runtime, plan.id)
    assert r.status_code == 409 and r.json()["rule"] == "plan_completed" and r.json()["message_zh"]
    assert check_schedules(runtime) == (0, 0), "completed once"

    again = start_plan(runtime, exit_event(plan.household_id, programme="near_dibao", exited_at=clock.now()))
    assert again.id == plan.id and again.status == "active"
    restarted = outbox(runtime, "followup.plan.started")[-1]["data"]
    assert restarted["restarted"] is True and restarted["checkins"][0]["seq"] == 13
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()
    assert len(detail["schedule"]) == 24 and detail["status"] == "active", "the history stays"


# --- relapse: exactly one event per risk episode ------------------------------------------------------------------

def test_a_risk_in_a_check_in_raises_exactly_one_relapse_event_per_episode(client, runtime, clock):
    plan = start_plan(runtime)
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="1500", member_count=3,
                notes="务工收入减少")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["new_episode"] is True and body["plan"]["status"] == "relapsed"
    assert body["relapse"]["risk_kind"] == "income_drop" and body["relapse"]["rule_version"] == "53-v2"
    assessment = body["checkin"]["assessment"]
    assert assessment["at_risk"] and "Relapse risk" in assessment["explanation_en"] and "返贫风险" in assessment["explanation_zh"]
    [relapse] = outbox(runtime, "followup.relapse.detected")
    data = relapse["data"]
    assert data["household_id"] == plan.household_id == relapse["subject"] and data["plan_id"] == plan.id
    assert {r["code"] for r in data["reasons"]} == {"income.below_line", "income.drop"}
    assert len(data["members"]) == 3 and all(len(m["id_number"]) == 18 for m in data["members"])
    assert data["evidence"]["rule_version"] == "53-v2"
    assert data["evidence"]["source_type"] == "checkin"

    # the same open episode: another risky visit and a partner's signal add evidence, no second event
    clock.advance(days=10)
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="900", medical_per_stay_yuan="20000")
    assert r.json()["new_episode"] is False and r.json()["relapse"]["relapse_id"] == data["relapse_id"]
    member = plan.members[1]["id_number"]
    r = client.post("/api/v1/partner-signals", headers=token(runtime, "partner", "", department="medical_insurance"),
                    json={"external_id": "mi-1", "kind": "medical_expense", "id_number": member,
                          "occurred_on": "2026-03-10", "amounts": {"per_stay_yuan": 30000}})
    assert r.status_code == 201, r.text
    assert len(outbox(runtime, "followup.relapse.detected")) == 1
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "township", TOWNSHIP)).json()
    assert detail["relapse_count"] == 1 and detail["signals"][0]["relapse_id"] == data["relapse_id"]
    assert [c["relapse_id"] for c in detail["checkins"]] == [data["relapse_id"]] * 2

    # closing the episode ends it; the next risk is a new episode and a new event
    r = client.post(f"/api/v1/plans/{plan.id}/relapses/{data['relapse_id']}/closure",
                    headers=token(runtime, "township", TOWNSHIP), json={"outcome": "resolved", "reason": "已获临时救助，收入恢复"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and r.json()["open_relapse_id"] is None
    closed = outbox(runtime, "followup.relapse.closed")
    assert [e["data"]["outcome"] for e in closed] == ["resolved"]
    clock.advance(days=5)
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="4500", labour_loss_members=1)
    assert r.json()["new_episode"] is True and r.json()["relapse"]["risk_kind"] == "labour_loss"
    events = outbox(runtime, "followup.relapse.detected")
    assert len(events) == 2 and events[0]["data"]["relapse_id"] != events[1]["data"]["relapse_id"]
    assert count(runtime, Relapse) == 2


def test_a_visit_without_risk_raises_no_relapse(client, runtime):
    plan = start_plan(runtime)
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="4500", medical_per_stay_yuan="6000",
                disaster_loss_share="0.3")
    assert r.status_code == 201 and r.json()["relapse"] is None and r.json()["checkin"]["at_risk"] is False
    recorded = outbox(runtime, "followup.checkin.recorded")[-1]["data"]
    assert recorded["at_risk"] is False and recorded["reasons"] == [] and recorded["rule_version"]
    assert outbox(runtime, "followup.relapse.detected") == []


def test_no_check_in_is_overdue_while_the_household_is_back_on_the_fast_track(client, runtime, clock):
    plan = start_plan(runtime)
    relapse_id = checkin(client, runtime, plan.id, household_monthly_income_yuan="300").json()["relapse"]["relapse_id"]
    clock.at = at_local(date(2026, 10, 1))  # check-ins 1 and 2 due, past their grace, while relapsed
    assert check_schedules(runtime) == (0, 0)
    r = client.post(f"/api/v1/plans/{plan.id}/relapses/{relapse_id}/closure",
                    headers=token(runtime, "county", COUNTY), json={"outcome": "not_confirmed", "reason": "复核不属实"})
    body = r.json()
    assert [s["status"] for s in body["schedule"][:3]] == ["waived", "waived", "pending"]
    assert body["next_due_on"] == "2026-12-02"
    [closed] = outbox(runtime, "followup.relapse.closed")
    runtime.registry.validate(closed)
    assert (closed["data"]["checkins_waived"], closed["data"]["checkins_added"], closed["data"]["next_due_on"],
            closed["data"]["plan_status"]) == ([1, 2], [], "2026-12-02", "active")
    assert check_schedules(runtime) == (0, 0), "waived check-ins are not held against anyone"
    r = client.post(f"/api/v1/plans/{plan.id}/relapses/{relapse_id}/closure",
                    headers=token(runtime, "county", COUNTY), json={"outcome": "resolved", "reason": "again"})
    assert r.status_code == 409 and r.json()["rule"] == "episode_closed"


def test_after_the_episode_check_ins_resume_even_when_the_schedule_had_run_out(client, runtime, clock):
    plan = start_plan(runtime, programme="temporary")  # four check-ins, the last on 2 March 2027
    relapse_id = checkin(client, runtime, plan.id, household_monthly_income_yuan="300").json()["relapse"]["relapse_id"]
    clock.at = at_local(date(2027, 5, 10))
    body = client.post(f"/api/v1/plans/{plan.id}/relapses/{relapse_id}/closure", headers=token(runtime, "county", COUNTY),
                       json={"outcome": "resolved", "reason": "已稳定"}).json()
    assert body["next_due_on"] == "2027-06-02" and body["ends_on"] == "2027-06-02" and body["status"] == "active"
    closed = outbox(runtime, "followup.relapse.closed")[-1]["data"]
    assert [c["due_on"] for c in closed["checkins_added"]] == ["2027-06-02"] and closed["next_due_on"] == "2027-06-02"


def test_a_new_exit_after_a_relapse_closes_the_episode_and_restarts_the_plan(client, runtime, clock):
    plan = start_plan(runtime)
    checkin(client, runtime, plan.id, household_monthly_income_yuan="300")
    clock.advance(days=200)
    start_plan(runtime, exit_event(plan.household_id, programme="temporary", exited_at=clock.now() - timedelta(days=1)))
    types = [e["type"] for e in outbox(runtime)]
    assert types[-2:] == ["followup.relapse.closed", "followup.plan.started"]
    assert outbox(runtime, "followup.relapse.closed")[0]["data"]["outcome"] == "exited_again"
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()
    assert detail["status"] == "active" and detail["relapse_count"] == 1 and detail["duration_months"] == 12
    assert [e["effect"] for e in detail["exits"]] == ["start", "restart"]


def test_news_of_an_exit_older_than_the_open_episode_does_not_end_it(client, runtime, clock):
    household = str(uuid.uuid4())
    plan = start_plan(runtime, household_id=household)
    clock.advance(days=30)
    checkin(client, runtime, plan.id, household_monthly_income_yuan="300")
    start_plan(runtime, exit_event(household, programme="medical", exited_at=START + timedelta(days=3)))
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()
    assert detail["status"] == "relapsed" and detail["programmes"] == ["dibao", "medical"]
    assert outbox(runtime, "followup.relapse.closed") == []
    [recorded] = outbox(runtime, "followup.plan.extended")
    runtime.registry.validate(recorded)
    assert (recorded["data"]["effect"], recorded["data"]["status"], recorded["data"]["added_checkins"]) == (
        "record", "relapsed", [])


# --- partner signals ----------------------------------------------------------------------------------------------

def partner_token(runtime, department="emergency_management", area=""):
    return token(runtime, "partner", area, subject=f"dept-{department}", department=department)


def test_a_partner_signal_about_a_member_raises_one_relapse_and_a_resent_record_changes_nothing(client, runtime):
    plan = start_plan(runtime)
    person = plan.members[2]["id_number"]
    body = {"external_id": "em-2026-77", "kind": "disaster_loss", "id_number": person, "occurred_on": "2026-03-01",
            "amounts": {"loss_share": 0.6}, "note": "山洪冲毁农田"}
    r = client.post("/api/v1/partner-signals", json=body, headers=partner_token(runtime))
    assert r.status_code == 201, r.text
    assert r.json()["duplicate"] is False and "民政" in r.json()["message_zh"]
    [relapse] = outbox(runtime, "followup.relapse.detected")
    assert relapse["data"]["risk_kind"] == "disaster"
    assert relapse["data"]["evidence"]["department"] == "emergency_management"
    assert relapse["data"]["evidence"]["source_type"] == "partner_signal"
    again = client.post("/api/v1/partner-signals", json=body, headers=partner_token(runtime))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["signal_id"] == r.json()["signal_id"]
    assert len(outbox(runtime, "followup.relapse.detected")) == 1 and len(outbox(runtime)) == 3
    [received] = outbox(runtime, "followup.signal.received")
    runtime.registry.validate(received)
    assert (received["data"]["signal_id"], received["data"]["at_risk"], received["data"]["new_episode"]) == (
        r.json()["signal_id"], True, True)
    assert received["data"]["relapse_id"] == relapse["data"]["relapse_id"] and person not in str(received)


def test_a_partner_signal_by_household_id_that_is_not_a_risk_is_recorded_only(client, runtime):
    plan = start_plan(runtime)
    r = client.post("/api/v1/partner-signals", headers=partner_token(runtime, "human_resources"),
                    json={"external_id": "hr-1", "kind": "migrant_return", "household_id": plan.household_id,
                          "occurred_on": "2026-03-01"})
    assert r.status_code == 201
    detail = client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()
    assert detail["status"] == "active" and detail["signals"][0]["at_risk"] is False
    assert detail["signals"][0]["assessment"]["explanation_zh"]
    assert outbox(runtime, "followup.relapse.detected") == []
    [received] = outbox(runtime, "followup.signal.received")
    runtime.registry.validate(received)
    assert (received["data"]["kind"], received["data"]["at_risk"], received["data"]["relapse_id"]) == (
        "migrant_return", False, None)
    assert received["data"]["source_department"] == "human_resources" and received["data"]["channel"] == "api"


@pytest.mark.parametrize("body,status,rule", [
    ({"kind": "medical_expense", "id_number": "11010519491231002X", "amounts": {"per_stay_yuan": 1}}, 404, None),
    ({"kind": "medical_expense", "amounts": {"per_stay_yuan": 1}}, 422, "household_or_id_number_required"),
    ({"kind": "medical_expense", "id_number": "110105194912310021", "amounts": {"per_stay_yuan": 1}}, 422, "id_number_checksum"),
    ({"kind": "medical_expense", "household_id": "{hh}", "amounts": {}}, 422, "amount_required"),
    ({"kind": "severe_disability", "household_id": "{hh}", "amounts": {"grade": 7}}, 422, "disability_grade"),
    ({"kind": "lottery_win", "household_id": "{hh}"}, 422, "literal_error"),
    ({"kind": "earner_death", "household_id": "{hh}", "occurred_on": "2026-03-03"}, 422, "not_in_future"),
])
def test_a_bad_or_unmatched_partner_signal_is_refused_and_nothing_is_written(client, runtime, body, status, rule):
    plan = start_plan(runtime)
    body = {"external_id": "x-1", "occurred_on": "2026-03-01", **body}
    if body.get("household_id") == "{hh}":
        body["household_id"] = plan.household_id
    r = client.post("/api/v1/partner-signals", json=body, headers=partner_token(runtime))
    assert r.status_code == status, r.text
    if rule:
        assert rule in {e["rule"] for e in r.json()["errors"]} and all(e["message_zh"] for e in r.json()["errors"])
    else:
        assert r.json()["error"] == "not_under_follow_up"
    assert len(outbox(runtime)) == 1 and count(runtime, Relapse) == 0


def test_partner_signals_need_a_partner_token_naming_its_department(client, runtime):
    plan = start_plan(runtime)
    body = {"external_id": "x", "kind": "earner_death", "household_id": plan.household_id, "occurred_on": "2026-03-01"}
    assert client.post("/api/v1/partner-signals", json=body).status_code == 401
    assert client.post("/api/v1/partner-signals", json=body, headers=token(runtime, "village", VILLAGE)).status_code == 403
    r = client.post("/api/v1/partner-signals", json=body, headers=token(runtime, "partner", ""))
    assert r.status_code == 403 and r.json()["error"] == "department_required"
    # a department limited to another province does not find the household
    r = client.post("/api/v1/partner-signals", json=body, headers=partner_token(runtime, area="52"))
    assert r.status_code == 404
    assert len(outbox(runtime)) == 1


def test_signals_about_a_completed_plan_are_not_under_follow_up(client, runtime, clock):
    plan = start_plan(runtime, programme="temporary")
    clock.at = at_local(date(2027, 4, 1))
    check_schedules(runtime)
    r = client.post("/api/v1/partner-signals", headers=partner_token(runtime),
                    json={"external_id": "late", "kind": "earner_death", "id_number": plan.members[0]["id_number"],
                          "occurred_on": "2027-03-30"})
    assert r.status_code == 404


# --- staff: access, validation, idempotency -----------------------------------------------------------------------

def test_recording_a_check_in_needs_field_staff_of_the_area(client, runtime):
    plan = start_plan(runtime)
    url, body = f"/api/v1/plans/{plan.id}/checkins", {"household_monthly_income_yuan": "3000"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=token(runtime, "village", OTHER_VILLAGE)).status_code == 404
    r = client.post(url, json=body, headers=token(runtime, "county", COUNTY))
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    assert client.post(url, json=body, headers=token(runtime, "partner", "", department="x")).status_code == 403
    assert client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", OTHER_VILLAGE)).status_code == 404
    assert client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "partner", "", department="x")).status_code == 403
    assert client.post(url, json=body, headers=token(runtime, "township", TOWNSHIP)).status_code == 201
    assert count(runtime, Checkin) == 1


def test_closing_an_episode_needs_township_or_county_staff_of_the_area(client, runtime):
    plan = start_plan(runtime)
    relapse_id = checkin(client, runtime, plan.id, household_monthly_income_yuan="300").json()["relapse"]["relapse_id"]
    url, body = f"/api/v1/plans/{plan.id}/relapses/{relapse_id}/closure", {"outcome": "resolved", "reason": "ok now"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers=token(runtime, "village", VILLAGE)).status_code == 403
    assert client.post(url, json=body, headers=token(runtime, "county", "530103")).status_code == 404
    assert client.post(f"/api/v1/plans/{plan.id}/relapses/nope/closure", json=body,
                       headers=token(runtime, "county", COUNTY)).status_code == 404
    assert outbox(runtime, "followup.relapse.closed") == []


@pytest.mark.parametrize("body,field,rule", [
    ({"household_monthly_income_yuan": "-1"}, "household_monthly_income_yuan", "greater_than_equal"),
    ({}, "household_monthly_income_yuan", "missing"),
    ({"household_monthly_income_yuan": "1.234"}, "household_monthly_income_yuan", "decimal_max_places"),
    ({"household_monthly_income_yuan": "300", "visited_on": "2026-03-03"}, "visited_on", "not_in_future"),
    ({"household_monthly_income_yuan": "300", "visited_on": "2026-03-01"}, "visited_on", "before_plan_start"),
    ({"household_monthly_income_yuan": "300", "labour_loss_members": 4}, "labour_loss_members", "at_most_member_count"),
    ({"household_monthly_income_yuan": "300", "disaster_loss_share": "1.5"}, "disaster_loss_share", "less_than_equal"),
    ({"household_monthly_income_yuan": "300", "members": [{"id_number": "110105194912310021"}]},
     "members[0].id_number", "id_number_checksum"),
    ({"household_monthly_income_yuan": "300", "surprise": 1}, "surprise", "extra_forbidden"),
])
def test_a_bad_check_in_is_422_naming_the_field_and_rule_and_nothing_is_written(client, runtime, body, field, rule):
    plan = start_plan(runtime)
    r = client.post(f"/api/v1/plans/{plan.id}/checkins", json=body, headers=token(runtime, "village", VILLAGE))
    assert r.status_code == 422, r.text
    assert (field, rule) in {(e["field"], e["rule"]) for e in r.json()["errors"]}
    assert all(e["message"] and e["message_zh"] for e in r.json()["errors"])
    assert count(runtime, Checkin) == 0 and len(outbox(runtime)) == 1
    assert client.get(f"/api/v1/plans/{plan.id}", headers=token(runtime, "village", VILLAGE)).json()["status"] == "active"


def test_a_plan_without_members_asks_for_them_before_reporting_a_relapse(client, runtime):
    plan = start_plan(runtime, members=False)
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="3000")
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "required_when_unknown"
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="300", member_count=2)
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "members_required_for_relapse"
    assert count(runtime, Checkin) == 0 and outbox(runtime, "followup.relapse.detected") == []
    members = HouseholdFactory(5).application_body(division=VILLAGE, size=2)["members"]
    r = checkin(client, runtime, plan.id, household_monthly_income_yuan="300", members=members)
    assert r.status_code == 201 and r.json()["new_episode"] is True
    [relapse] = outbox(runtime, "followup.relapse.detected")
    assert {m["id_number"] for m in relapse["data"]["members"]} == {m["id_number"] for m in members}


def test_a_retried_check_in_with_the_same_idempotency_key_is_recorded_once(client, runtime):
    plan = start_plan(runtime)
    headers = {**token(runtime, "village", VILLAGE), "Idempotency-Key": "visit-2026-03-02"}
    body = {"household_monthly_income_yuan": "300"}
    first = client.post(f"/api/v1/plans/{plan.id}/checkins", json=body, headers=headers)
    second = client.post(f"/api/v1/plans/{plan.id}/checkins", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotency-Replayed") == "true" and second.json() == first.json()
    assert count(runtime, Checkin) == 1 and len(outbox(runtime, "followup.relapse.detected")) == 1
    r = client.post(f"/api/v1/plans/{plan.id}/checkins", json={"household_monthly_income_yuan": "301"}, headers=headers)
    assert r.status_code == 409 and r.json()["error"] == "idempotency_key_reused"


def test_the_plan_list_shows_only_the_officers_area_with_pagination(client, runtime):
    for seed in range(3):
        start_plan(runtime, seed=seed)
    start_plan(runtime, division="522701001002", seed=9)
    page = client.get("/api/v1/plans", params={"limit": 2}, headers=token(runtime, "county", COUNTY)).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["limit"] == 2
    rest = client.get("/api/v1/plans", params={"limit": 2, "offset": 2}, headers=token(runtime, "county", COUNTY)).json()
    assert len(rest["items"]) == 1
    assert client.get("/api/v1/plans", headers=token(runtime, "admin", "")).json()["total"] == 4
    assert client.get("/api/v1/plans", headers=token(runtime, "county", "522701")).json()["total"] == 1
    assert client.get("/api/v1/plans", params={"status": "relapsed"},
                      headers=token(runtime, "admin", "")).json()["total"] == 0
    assert client.get("/api/v1/plans", params={"status": "gone"}, headers=token(runtime, "admin", "")).status_code == 422
    assert count(runtime, PlanExit) == 4
