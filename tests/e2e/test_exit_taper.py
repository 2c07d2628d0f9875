"""The exit taper paid across services over the real broker: gradual_exit starts a dibao observation with its region's
support schedule (Yunnan 2026: 100 %, 100 %, 100 %, 80 %, 60 %, 50 %), assistance pays that share of the household's
dibao top-up month by month, keeps the last share through the exit review and notice, and stops it on the exit.

gradual_exit and assistance run in this process (FastAPI apps with their relays, consumers and timers), each with its
own PostgreSQL database, so that one injected clock carries the household through the months without sleeping; every
hop between them is Kafka. assistance's month timer is the job its runtime schedules, run here when the clock moves.
"""
import importlib
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from shared.auth import issue_token
from shared.clock import FixedClock
from shared.contracts import registry
from shared.envelope import Event, decode
from shared.kafka_io import ensure_topics
from shared.synthetic import HouseholdFactory
from tests.fixtures import read_topic, wait_until

VILLAGE = "530102001001"  # Yunnan: both services' 2026 rules (dibao standard 600, tapered observation)
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 on 2 March in China
HOUSEHOLD = "hh-taper-e2e"
SECURED = {k: True for k in ("food", "clothing", "compulsory_education", "basic_medical", "safe_housing",
                             "drinking_water")}


class TwoServices:
    def __init__(self, databases, bootstrap, prefix, clock):
        self.clock, self.apps, self.runtimes, self._stack = clock, {}, {}, ExitStack()
        # the timers wait an hour: the test runs them when it moves the clock, so each month is checked in turn
        timers = {"assistance": {"period_check_seconds": 3600},
                  "gradual_exit": {"observation_check_seconds": 3600, "review_check_seconds": 3600}}
        for service in ("gradual_exit", "assistance"):
            settings = importlib.import_module(f"{service}.config").Settings(
                database_url=databases.create(service), kafka_bootstrap=bootstrap, topic_prefix=prefix,
                relay_idle_seconds=0.05, consumer_max_records=50, **timers[service])
            runtime = importlib.import_module(f"{service}.bootstrap").build_runtime(settings, clock=clock)
            app = importlib.import_module(f"{service}.main").create_app(runtime=runtime, clock=clock, start_workers=True)
            self.runtimes[service] = runtime
            self.apps[service] = self._stack.enter_context(TestClient(app))

    def close(self):
        self._stack.close()

    def token(self, role, area):
        secret = self.runtimes["assistance"].settings.jwt_secret
        return {"Authorization": "Bearer " + issue_token(secret, subject=f"{role}-e2e", role=role, area=area)}


@pytest.fixture
def services(databases, kafka_bootstrap, topic_prefix):
    ensure_topics(kafka_bootstrap, [topic_prefix + t for t in ("identification.household", "gradual_exit.observation",
                                                               "gradual_exit.household")])
    s = TwoServices(databases, kafka_bootstrap, topic_prefix, FixedClock(START))
    yield s
    s.close()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def month_start(month: int) -> datetime:
    """09:00 Beijing time on the first day of observation month ``month`` (the observation starts on 2 March)."""
    index = START.month - 1 + month - 1
    return START.replace(year=START.year + index // 12, month=index % 12 + 1)


def test_the_exit_taper_is_paid_month_by_month_from_gradual_exit_to_assistance(services, producer, kafka_bootstrap,
                                                                               topic_prefix):
    from assistance.scheduled import taper_months
    from gradual_exit.scheduled import complete_observations

    a, g = services.apps["assistance"], services.apps["gradual_exit"]
    clock = services.clock
    village, township, county = (services.token(r, area) for r, area in
                                 (("village", VILLAGE), ("township", TOWNSHIP), ("county", COUNTY)))

    # identification's enrolment, as it publishes it: dibao (and medical) for a household of two earning ¥300 each.
    enrolled = Event(type="identification.household.enrolled", source="/services/identification", subject=HOUSEHOLD,
                     data={"case_id": "case-taper-e2e", "household_id": HOUSEHOLD, "file_number": "530102-2026-000777",
                           "division_code": VILLAGE, "programmes": ["dibao", "medical"], "categories": {},
                           "rule_version": "CN-2022.1+53-2026.1", "enrolled_at": START.isoformat(), "member_count": 2,
                           "per_capita_monthly_income_yuan": 300.0, "scores": {"labour_capacity": 50}})
    registry().validate(enrolled.envelope())
    producer.send(topic_prefix + "identification.household", key=HOUSEHOLD.encode(), value=enrolled.to_bytes())
    producer.flush(10)

    def dibao_benefit():
        benefits = ok(a.get(f"/api/v1/households/{HOUSEHOLD}", headers=county))["benefits"]
        return next((b for b in reversed(benefits) if b["kind"] == "dibao_top_up"
                     and b["status"] in ("active", "stopped")), None)

    def assistance_household_known():
        return a.get(f"/api/v1/households/{HOUSEHOLD}", headers=county).status_code == 200 and dibao_benefit()

    benefit = wait_until(assistance_household_known, timeout=60, message="assistance to grant the dibao top-up")
    assert (benefit["amount_yuan"], benefit["paid_amount_yuan"], benefit["taper"]) == ("600.00", "600.00", None)
    participations = wait_until(
        lambda: ok(g.get("/api/v1/participations", params={"household_id": HOUSEHOLD}, headers=county))["items"],
        timeout=60, message="gradual_exit to open the participations")
    dibao = next(p for p in participations if p["programme"] == "dibao")

    # Income rises above the dibao line of ¥600: gradual_exit starts the observation with Yunnan's schedule.
    members = HouseholdFactory(7).application_body(division=VILLAGE, size=2)["members"]
    ok(g.post(f"/api/v1/households/{HOUSEHOLD}/situations", headers=village, json={
        "kind": "update", "per_capita_monthly_income_yuan": "700", "income_stable": True,
        "members": [{**m, "labour_capacity": c} for m, c in zip(members, ("full", "partial"))],
        "guarantees": SECURED, "assistance_measures_received": 1}), 201)
    observation = ok(g.get(f"/api/v1/participations/{dibao['participation_id']}", headers=county))["observation"]
    assert [s["share"] for s in observation["support_schedule"]] == [1, 1, 1, 0.8, 0.6, 0.5]

    benefit = wait_until(lambda: (b := dibao_benefit()) and b["taper"] and b, timeout=60,
                         message="assistance to receive the observation")
    assert benefit["taper"]["observation_id"] == observation["observation_id"]
    assert benefit["taper"]["rule_version"] == observation["rule_version"]
    assert [m["amount_yuan"] for m in benefit["taper"]["schedule"]] == [
        "600.00", "600.00", "600.00", "480.00", "360.00", "300.00"]

    # Month by month, assistance pays what gradual_exit says the share is that day.
    paid = []
    for month, expected in zip(range(1, 7), ("600.00", "600.00", "600.00", "480.00", "360.00", "300.00")):
        clock.at = month_start(month)
        taper_months(services.runtimes["assistance"])
        share_now = ok(g.get(f"/api/v1/participations/{dibao['participation_id']}",
                             headers=county))["observation"]["support_share_now"]
        benefit = dibao_benefit()
        assert benefit["paid_share"] == share_now, f"month {month}: both services agree on the share"
        assert benefit["paid_amount_yuan"] == expected, f"month {month}"
        assert f"第{month}个月" in benefit["taper"]["reason_zh"] and observation["rule_version"] in \
            benefit["taper"]["reason_zh"]
        paid.append(benefit["paid_amount_yuan"])
    assert paid == ["600.00", "600.00", "600.00", "480.00", "360.00", "300.00"]
    assert [(m["month"], m["amount_yuan"]) for m in dibao_benefit()["taper"]["months"]] == [
        (1, "600.00"), (2, "600.00"), (3, "600.00"), (4, "480.00"), (5, "360.00"), (6, "300.00")]

    # The period is over: gradual_exit completes it; the last share continues through the review and the notice.
    clock.at = START + timedelta(days=185)
    assert complete_observations(services.runtimes["gradual_exit"]) == 1
    wait_until(lambda: dibao_benefit()["taper"]["status"] == "completed", timeout=60,
               message="assistance to see the observation completed")
    ok(g.post(f"/api/v1/participations/{dibao['participation_id']}/review", headers=township,
              json={"outcome": "propose_exit", "opinion": "收入稳定"}))
    clock.advance(days=8)
    taper_months(services.runtimes["assistance"])
    assert dibao_benefit()["paid_amount_yuan"] == "300.00"
    ok(g.post(f"/api/v1/participations/{dibao['participation_id']}/notice/close", headers=township))
    assert ok(g.post(f"/api/v1/participations/{dibao['participation_id']}/decision", headers=county,
                     json={"outcome": "exit"}))["status"] == "exited"

    # The exit stops the benefit; nothing is paid after it.
    benefit = wait_until(lambda: (b := dibao_benefit())["status"] == "stopped" and b, timeout=60,
                         message="assistance to stop the dibao top-up")
    assert benefit["taper"]["status"] == "exited" and benefit["stop_reason"]["code"] == "programme_exited"
    clock.advance(days=40)
    assert taper_months(services.runtimes["assistance"]) == 0

    # What crossed the broker honours its contracts, and nothing was dead-lettered.
    def published():
        return [decode(r.value) for r in read_topic(kafka_bootstrap, topic_prefix + "assistance.benefit", timeout=5)]
    adjusted = wait_until(lambda: (e := published()) and e[-1]["type"] == "assistance.benefit.stopped" and e,
                          timeout=30, message="the stop published")
    for event in adjusted:
        registry().validate(event)
    months = [(e["data"]["month"], e["data"]["amount_yuan"]) for e in adjusted
              if e["type"] == "assistance.benefit.adjusted" and e["data"]["change"] == "new_month"]
    assert months[:5] == [(2, 600.0), (3, 600.0), (4, 480.0), (5, 360.0), (6, 300.0)]
    for topic in ("gradual_exit.observation", "gradual_exit.household", "identification.household"):
        dead = read_topic(kafka_bootstrap, topic_prefix + topic + ".dlt", timeout=1)
        assert dead == [], f"dead letters on {topic}"
