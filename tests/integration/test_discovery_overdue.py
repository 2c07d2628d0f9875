"""Clue verification tasks past their due date, on PostgreSQL with a fixed clock (no sleeping): the timer raises
discovery.clue.overdue once per clue, the village's list shows its late tasks, and Prometheus counts them."""
import json
from datetime import datetime, timezone

from prometheus_client import REGISTRY

from discovery.scheduled import report_overdue_clues
from shared.contracts import registry
from tests.fixtures import read_topic
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    NEIGHBOUR_VILLAGE,
    VILLAGE,
    audit_rows,
    client,
    clock,
    outbox,
    person,
    raise_clue,
    runtime,
    township,
    verification,
    village,
)

# The clues are raised on 1 June (China); a medium-severity clue must be visited by 8 June, a high one by 4 June.
LAST_MINUTE_OF_DUE_DAY = datetime(2026, 6, 8, 15, 59, tzinfo=timezone.utc)  # 23:59 on 8 June in China
FIRST_MINUTE_AFTER = datetime(2026, 6, 8, 16, 0, tzinfo=timezone.utc)  # 00:00 on 9 June in China


def gauge() -> float:
    return REGISTRY.get_sample_value("discovery_clues_overdue")


def reported_total() -> float:
    return REGISTRY.get_sample_value("discovery_clues_overdue_reported_total") or 0.0


def overdue_list(client, headers, **params) -> dict:
    r = client.get("/api/v1/clues", params={"overdue": "true", **params}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_an_unvisited_clue_is_reported_overdue_once_from_the_day_after_its_due_date(client, runtime, clock,
                                                                                    kafka_bootstrap, topic_prefix):
    late = raise_clue(client, runtime, person(80), "MI-80")
    visited = raise_clue(client, runtime, person(81), "MI-81")
    neighbour = raise_clue(client, runtime, person(82, NEIGHBOUR_VILLAGE), "MI-82", division=NEIGHBOUR_VILLAGE)
    assert client.get(f"/api/v1/clues/{late}", headers=village(runtime)).json()["task_due_on"] == "2026-06-08"
    r = client.post(f"/api/v1/clues/{visited}/verification", json=verification(), headers=village(runtime))
    assert r.status_code == 200, r.text
    counted_before = reported_total()

    assert report_overdue_clues(runtime) == 0 and gauge() == 0
    clock.at = LAST_MINUTE_OF_DUE_DAY  # the due day itself is still in time
    assert report_overdue_clues(runtime) == 0 and gauge() == 0
    assert overdue_list(client, village(runtime))["items"] == []

    clock.at = FIRST_MINUTE_AFTER
    assert report_overdue_clues(runtime) == 2 and gauge() == 2
    assert report_overdue_clues(runtime) == 0  # once per clue
    clock.advance(days=5)
    assert report_overdue_clues(runtime) == 0 and gauge() == 2
    assert reported_total() - counted_before == 2

    events = outbox(runtime, "discovery.clue.overdue")
    assert sorted(e["data"]["clue_id"] for e in events) == sorted([late, neighbour])
    [event] = [e for e in events if e["data"]["clue_id"] == late]
    registry().validate(event)
    data = event["data"]
    assert data["due_on"] == "2026-06-08" and data["days_overdue"] == 1 and data["task_area"] == VILLAGE
    assert data["status"] == "raised" and data["detected_at"].startswith("2026-06-08T16:00:00")
    assert "2026-06-08" in data["explanation"]["en"] and "逾期 1 天" in data["explanation"]["zh"]
    assert event["subject"] == data["household_id"]
    assert [a["action"] for a in audit_rows(runtime, "clue", late)][-1] == "clue.overdue"

    # the village sees its own late task, first; the township sees both villages'
    mine = overdue_list(client, village(runtime))
    assert [c["clue_id"] for c in mine["items"]] == [late] and mine["total"] == 1
    assert mine["items"][0]["overdue"] is True and mine["items"][0]["overdue_reported_at"].startswith("2026-06-08T16:00")
    assert {c["clue_id"] for c in overdue_list(client, township(runtime))["items"]} == {late, neighbour}
    in_time = client.get("/api/v1/clues", params={"overdue": "false"}, headers=village(runtime)).json()
    assert [(c["clue_id"], c["overdue"]) for c in in_time["items"]] == [(visited, False)]
    assert client.get(f"/api/v1/clues/{late}", headers=village(runtime)).json()["overdue"] is True

    # the late visit is recorded: the task is done (late), no longer counted
    r = client.post(f"/api/v1/clues/{late}/verification", json=verification(visited_on="2026-06-13"),
                    headers=village(runtime))
    assert r.status_code == 200 and r.json()["clue"]["overdue"] is False
    verified = [e for e in outbox(runtime, "discovery.clue.verified") if e["data"]["clue_id"] == late]
    assert verified[0]["data"]["late"] is True and verified[0]["data"]["due_on"] == "2026-06-08"
    assert report_overdue_clues(runtime) == 0 and gauge() == 1
    assert [c["clue_id"] for c in overdue_list(client, township(runtime))["items"]] == [neighbour]

    # the relay publishes each report once on the clue topic of the real broker
    runtime.start_workers(relay=True, consumers=False)
    try:
        published = read_topic(kafka_bootstrap, topic_prefix + "discovery.clue", expected=7, timeout=60)
    finally:
        runtime.stop_workers()
    types = [json.loads(r.value)["type"] for r in published]
    assert sorted(types) == sorted(["discovery.clue.raised"] * 3 + ["discovery.clue.verified"] * 2
                                   + ["discovery.clue.overdue"] * 2)

