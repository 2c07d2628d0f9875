"""The exit taper on the real broker and PostgreSQL: gradual_exit's observation events, published on their topic, are
consumed by assistance, which pays the schedule's share of the dibao benefit month by month (the month timer driven by
the injected clock), restores the full amount on a revert, keeps the last share through the exit review, and stops the
benefit on the exit; the household's benefits show the schedule and why, and every change is an event."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from assistance.bootstrap import build_runtime
from assistance.config import Settings
from assistance.main import create_app
from assistance.models import Benefit, Taper, TaperMonth
from assistance.scheduled import taper_months
from shared.clock import FixedClock
from shared.contracts import registry
from shared.envelope import Event, decode
from shared.kafka_io import ensure_topics
from tests.fixtures import read_topic, wait_until
from tests.helpers import assert_all_valid, count
from tests.integration.test_assistance_matching import VILLAGE, outbox, token

COUNTY = VILLAGE[:6]
# 09:00 in Beijing on 2 March: the observation's month 1 runs 2 March - 1 April, month 4 starts 2 June.
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
SHARES = [1, 1, 1, 0.8, 0.6, 0.5]
RULES = "53-v2"


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    # the month timer is run by the test (the injected clock moves in months); the workers' own timer waits an hour
    rt = build_runtime(Settings(database_url=databases.create("assistance"), kafka_bootstrap=kafka_bootstrap,
                                topic_prefix=topic_prefix, relay_idle_seconds=0.05, period_check_seconds=3600),
                       clock=clock)
    ensure_topics(kafka_bootstrap, [topic_prefix + t for t in ("identification.household", "gradual_exit.household",
                                                               "gradual_exit.observation")])
    return rt


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=True)) as c:
        yield c


def send(producer, topic_prefix, event: Event, times: int = 1):
    registry().validate(event.envelope())
    for _ in range(times):
        producer.send(topic_prefix + event.type.rsplit(".", 1)[0], key=event.subject.encode(), value=event.to_bytes())
    producer.flush(10)


def enrolled(household, *, programmes=("dibao", "medical"), income=300.0, members=2):
    return Event(type="identification.household.enrolled", source="/services/identification", subject=household,
                 data={"case_id": f"case-{household}", "household_id": household, "file_number": "530102-2026-000042",
                       "division_code": VILLAGE, "programmes": list(programmes), "categories": {},
                       "rule_version": "53-v2", "enrolled_at": START.isoformat(),
                       "member_count": members, "per_capita_monthly_income_yuan": income, "scores": {"income": 40}})


def observation(kind, household, observation_id, programme="dibao", at=START, **extra):
    reasons = [{"code": "income_above_line", "en": "Per-capita income ¥700 is above the dibao line of ¥600.",
                "zh": "月人均收入700元高于低保标准600元。"}]
    base = {"observation_id": observation_id, "participation_id": f"p-{observation_id}", "household_id": household,
            "programme": programme, "division_code": VILLAGE, "reasons": reasons, "rule_version": RULES}
    if kind == "started":
        base.update(started_at=at.isoformat(), ends_on="2026-09-02", line_yuan_per_person_month=600.0,
                    per_capita_monthly_income_yuan=700.0,
                    support_schedule=[{"month": m + 1, "share": s} for m, s in enumerate(SHARES)])
    elif kind == "reverted":
        base.update(reverted_at=at.isoformat(), from_state="observation", trigger="income_fell_back",
                    reasons=[{"code": "income_fell_back", "en": "Per-capita income fell back to ¥450.",
                              "zh": "月人均收入回落至450元。"}])
    else:
        base.update(completed_at=at.isoformat(), started_on="2026-03-02", ends_on="2026-09-02",
                    reasons=[{"code": "income_stable", "en": "Income stayed above the line.", "zh": "收入持续高于标准。"}])
    base.update(extra)
    return Event(type=f"gradual_exit.observation.{kind}", source="/services/gradual_exit", subject=household, data=base)


def exited(household, exit_id, at):
    return Event(type="gradual_exit.household.exited", source="/services/gradual_exit", subject=household, data={
        "exit_id": exit_id, "household_id": household, "programme": "dibao", "division_code": VILLAGE,
        "exited_at": at.isoformat(), "remaining_programmes": ["medical"], "rule_version": RULES,
        "reasons": [{"code": "income_stable_above_line", "en": "Income stayed above the line for 6 months.",
                     "zh": "收入连续6个月高于标准。"}]})


def dibao(client, runtime, household) -> dict:
    r = client.get(f"/api/v1/households/{household}", headers=token(runtime, "county", COUNTY))
    assert r.status_code == 200, r.text
    paying = [b for b in r.json()["benefits"] if b["kind"] == "dibao_top_up" and b["status"] in ("active", "stopped")]
    return paying[-1]


def adjusted(runtime) -> list[dict]:
    return [e["data"] for e in outbox(runtime, "assistance.benefit.adjusted")]


def at_month(clock, month: int, day_offset: int = 0):
    """Moves the clock to 09:00 Beijing time on the first day of observation month ``month`` (+ days)."""
    first = START.replace(month=START.month + month - 1) if START.month + month - 1 <= 12 else \
        START.replace(year=START.year + 1, month=START.month + month - 13)
    clock.at = first + timedelta(days=day_offset)


def test_the_taper_is_paid_month_by_month_and_a_revert_restores_the_full_amount(client, runtime, clock, producer,
                                                                                topic_prefix):
    household = f"hh-{uuid.uuid4().hex[:8]}"
    send(producer, topic_prefix, enrolled(household))
    wait_until(lambda: count(runtime, Benefit, Benefit.status == "active") == 1, 60, message="the enrolment")
    assert dibao(client, runtime, household)["amount_yuan"] == "600.00"  # (600 - 300) x 2

    started = observation("started", household, "obs-1")
    send(producer, topic_prefix, started, times=2)  # delivered twice: applied once
    send(producer, topic_prefix, observation("started", household, "obs-mon", programme="monitoring"))
    wait_until(lambda: count(runtime, Taper) == 1 and len(adjusted(runtime)) == 1, 60, message="the taper")
    benefit = dibao(client, runtime, household)
    assert (benefit["paid_share"], benefit["paid_amount_yuan"]) == (1.0, "600.00")
    taper = benefit["taper"]
    assert (taper["status"], taper["current_month"], taper["rule_version"]) == ("observing", 1, RULES)
    assert [(m["month"], m["starts_on"], m["share"], m["amount_yuan"]) for m in taper["schedule"]] == [
        (1, "2026-03-02", 1.0, "600.00"), (2, "2026-04-02", 1.0, "600.00"), (3, "2026-05-02", 1.0, "600.00"),
        (4, "2026-06-02", 0.8, "480.00"), (5, "2026-07-02", 0.6, "360.00"), (6, "2026-08-02", 0.5, "300.00")]
    assert "month 1" in taper["reason_en"] and RULES in taper["reason_en"]
    assert "第1个月" in taper["reason_zh"] and RULES in taper["reason_zh"] and "dibao" not in taper["reason_zh"]
    first = adjusted(runtime)[0]
    assert (first["change"], first["month"], first["amount_yuan"], first["rule_version"]) == (
        "observation_started", 1, 600.0, RULES)
    assert outbox(runtime, "assistance.benefit.adjusted")[0]["causationid"] == started.id

    # The last day of month 3 still pays in full; the timer finds nothing new until a month begins.
    at_month(clock, 4, day_offset=-1)
    assert taper_months(runtime) == 2  # months 2 and 3
    assert dibao(client, runtime, household)["paid_amount_yuan"] == "600.00"
    assert taper_months(runtime) == 0
    # Month 4: 80 %.
    at_month(clock, 4)
    assert taper_months(runtime) == 1
    benefit = dibao(client, runtime, household)
    assert (benefit["paid_share"], benefit["paid_amount_yuan"], benefit["amount_yuan"]) == (0.8, "480.00", "600.00")
    assert [(m["month"], m["amount_yuan"], m["effective_from"]) for m in benefit["taper"]["months"]] == [
        (1, "600.00", "2026-03-02"), (2, "600.00", "2026-04-02"), (3, "600.00", "2026-05-02"),
        (4, "480.00", "2026-06-02")]
    assert "80%" in benefit["taper"]["reason_en"] and "480元" in benefit["taper"]["reason_zh"]
    last = adjusted(runtime)[-1]
    assert (last["change"], last["month"], last["share"], last["previous_amount_yuan"], last["amount_yuan"]) == (
        "new_month", 4, 0.8, 600.0, 480.0)

    # A needs assessment changes the full amount mid-taper: the month's share applies to the new amount.
    r = client.post(f"/api/v1/households/{household}/needs-assessment", headers=token(runtime, "village", VILLAGE),
                    json={"per_capita_monthly_income_yuan": "400"})
    assert r.status_code == 200, r.text
    benefit = dibao(client, runtime, household)
    assert (benefit["amount_yuan"], benefit["paid_amount_yuan"]) == ("400.00", "320.00")  # (600-400) x 2 x 0.8
    assert adjusted(runtime)[-1]["change"] == "recalculated"

    # Month 5 (a clock that jumped two weeks into it): 60 %.
    at_month(clock, 5, day_offset=14)
    assert taper_months(runtime) == 1
    assert dibao(client, runtime, household)["paid_amount_yuan"] == "240.00"

    # Income falls back mid-schedule: the observation is reverted and the full amount is paid again.
    reverted = observation("reverted", household, "obs-1", at=clock.now(), rule_version="53-v3")
    send(producer, topic_prefix, reverted, times=2)
    wait_until(lambda: adjusted(runtime)[-1]["change"] == "reverted", 60, message="the revert")
    benefit = dibao(client, runtime, household)
    assert (benefit["paid_share"], benefit["paid_amount_yuan"], benefit["taper"]["status"]) == (1.0, "400.00",
                                                                                               "reverted")
    assert "回落至450元" in benefit["taper"]["reason_zh"] and "53-v3" in benefit["taper"]["reason_en"]
    last = adjusted(runtime)[-1]
    assert (last["month"], last["share"], last["amount_yuan"], last["previous_amount_yuan"], last["rule_version"]) \
        == (0, 1.0, 400.0, 240.0, "53-v3")
    # Month 6 would pay 50 %: a reverted taper pays nothing less.
    at_month(clock, 6)
    assert taper_months(runtime) == 0
    assert dibao(client, runtime, household)["paid_amount_yuan"] == "400.00"
    assert len([a for a in adjusted(runtime) if a["change"] == "reverted"]) == 1, "the replayed revert was absorbed"

    with runtime.session_factory() as s:
        rows = s.execute(select(TaperMonth.month, TaperMonth.amount_yuan).order_by(TaperMonth.id)).all()
    assert [(m, str(a)) for m, a in rows] == [(1, "600.00"), (2, "600.00"), (3, "600.00"), (4, "480.00"),
                                              (4, "320.00"), (5, "240.00"), (0, "400.00")]
    records = read_topic(runtime.settings.kafka_bootstrap, topic_prefix + "assistance.benefit", expected=9, timeout=30)
    published = [decode(r.value) for r in records]
    assert_all_valid(published)
    assert [e["data"]["change"] for e in published if e["type"] == "assistance.benefit.adjusted"] == [
        "observation_started", "new_month", "new_month", "new_month", "recalculated", "new_month", "reverted"]


def test_after_the_schedule_the_last_share_is_paid_through_the_review_and_the_exit_stops_it(client, runtime, clock,
                                                                                             producer, topic_prefix):
    household = f"hh-{uuid.uuid4().hex[:8]}"
    send(producer, topic_prefix, enrolled(household))
    wait_until(lambda: count(runtime, Benefit, Benefit.status == "active") == 1, 60, message="the enrolment")
    # The observation event arrives late, in month 3: months 1 to 3 are each recorded.
    at_month(clock, 3)
    send(producer, topic_prefix, observation("started", household, "obs-2"))
    wait_until(lambda: len(adjusted(runtime)) == 3, 60, message="the late taper")
    assert [(a["change"], a["month"], a["effective_from"]) for a in adjusted(runtime)] == [
        ("observation_started", 1, "2026-03-02"), ("new_month", 2, "2026-04-02"), ("new_month", 3, "2026-05-02")]

    at_month(clock, 8)  # after the schedule's six months
    assert taper_months(runtime) == 5  # months 4 to 8
    benefit = dibao(client, runtime, household)
    assert (benefit["paid_share"], benefit["paid_amount_yuan"]) == (0.5, "300.00")
    assert "last share" in benefit["taper"]["reason_en"]

    send(producer, topic_prefix, observation("completed", household, "obs-2", at=clock.now()))
    wait_until(lambda: adjusted(runtime)[-1]["change"] == "observation_completed", 60, message="the completion")
    done = adjusted(runtime)[-1]
    assert (done["taper_status"], done["amount_yuan"], done["month"]) == ("completed", 300.0, 8)
    assert "乡镇审核" in done["reason"]["zh"]
    at_month(clock, 9)
    assert taper_months(runtime) == 1, "the review takes time: the last share continues"

    send(producer, topic_prefix, exited(household, "exit-2", clock.now()))
    wait_until(lambda: outbox(runtime, "assistance.benefit.stopped"), 60, message="the exit")
    stopped = outbox(runtime, "assistance.benefit.stopped")[-1]["data"]
    assert (stopped["amount_yuan"], stopped["paid_amount_yuan"]) == (600.0, 300.0)
    benefit = dibao(client, runtime, household)
    assert (benefit["status"], benefit["taper"]["status"]) == ("stopped", "exited")
    at_month(clock, 10)
    assert taper_months(runtime) == 0, "nothing is paid after the exit"
    dead = read_topic(runtime.settings.kafka_bootstrap, topic_prefix + "gradual_exit.observation.dlt", timeout=3)
    assert dead == []
