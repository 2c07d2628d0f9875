"""gradual_exit on the real broker: enrolment arrives from identification's topic, situations travel on their own topic
and are applied once, the exit leaves on gradual_exit.household exactly per its contract, and a situation that can
never apply is dead-lettered."""
from datetime import timedelta

from fastapi.testclient import TestClient

from gradual_exit.main import create_app
from gradual_exit.models import Observation, Participation, Situation
from gradual_exit.scheduled import complete_observations
from shared.envelope import Event
from shared.kafka_io import ensure_topics
from tests.fixtures import envelopes, read_topic, wait_until
from tests.helpers import assert_all_valid, count
from tests.integration.test_gradual_exit_support import (  # noqa: F401 (fixtures)
    START,
    VILLAGE,
    clock,
    county,
    enrolled_event,
    programme_of,
    recheck,
    record,
    runtime,
    township,
)


def inbox_rows(runtime, consumer: str) -> int:
    inbox = runtime.tables.inbox
    return count(runtime, inbox, inbox.c.consumer == consumer)


def test_from_enrolment_on_kafka_to_the_exit_event_on_kafka(runtime, clock, producer, kafka_bootstrap, topic_prefix):
    ensure_topics(kafka_bootstrap, [topic_prefix + "identification.household"])
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=True)) as client:
        enrolled = enrolled_event("hh-k1", programmes=("dibao", "medical"))
        for _ in range(2):  # delivered twice: applied once
            producer.send(topic_prefix + "identification.household", key=b"hh-k1", value=enrolled.to_bytes())
        producer.flush()
        wait_until(lambda: inbox_rows(runtime, "gradual_exit.enrolments") == 1, message="the enrolment applied")
        assert count(runtime, Participation) == 2

        record(client, runtime, "hh-k1", **recheck("700"))
        # The relay publishes the situation on gradual_exit.situation; its consumer finds it applied and skips it.
        wait_until(lambda: inbox_rows(runtime, "gradual_exit.situations") == 1, message="the situation consumed")
        assert count(runtime, Situation) == 1 and count(runtime, Observation) == 1

        clock.at = START + timedelta(days=184)
        assert complete_observations(runtime) == 1
        pid = programme_of(client, runtime, "dibao", "hh-k1")["participation_id"]
        assert client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                           json={"outcome": "propose_exit", "opinion": "同意"}).status_code == 200
        clock.advance(days=7)
        assert client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime)).status_code == 200
        assert client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime),
                           json={"outcome": "exit"}).status_code == 200

        records = read_topic(kafka_bootstrap, topic_prefix + "gradual_exit.household", expected=2, timeout=30)
        assert len(records) == 2 and {r.key for r in records} == {b"hh-k1"}
        household = envelopes(records)
        assert_all_valid(household)
        assert [e["type"] for e in household] == ["gradual_exit.household.enrolled", "gradual_exit.household.exited"]
        assert household[0]["causationid"] == enrolled.id, "the enrolment delivered twice was announced once"
        exited = household[1:]
        assert exited[0]["data"]["programme"] == "dibao" and exited[0]["data"]["remaining_programmes"] == ["medical"]

        notices = envelopes(read_topic(kafka_bootstrap, topic_prefix + "gradual_exit.notice", expected=2))
        assert_all_valid(notices)
        assert [e["type"] for e in notices] == ["gradual_exit.notice.published", "gradual_exit.notice.closed"]

        observations = envelopes(read_topic(kafka_bootstrap, topic_prefix + "gradual_exit.observation", expected=2))
        assert_all_valid(observations)
        assert [e["type"] for e in observations] == ["gradual_exit.observation.started",
                                                     "gradual_exit.observation.completed"]
        assert {e["subject"] for e in observations} == {"hh-k1"}


def test_a_situation_about_an_unknown_household_is_dead_lettered(runtime, clock, producer, kafka_bootstrap,
                                                                topic_prefix):
    topic = topic_prefix + "gradual_exit.situation"
    ensure_topics(kafka_bootstrap, [topic])
    stray = Event(type="gradual_exit.situation.recorded", source="/services/gradual_exit", subject="nobody", data={
        "situation_id": "s-stray", "household_id": "nobody", "division_code": VILLAGE, "kind": "update",
        "source": "caseworker", "recorded_at": START.isoformat(),
        "recorded_by": {"subject": "village-officer", "role": "village"}, "per_capita_monthly_income_yuan": 900.0})
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=True)):
        producer.send(topic, key=b"nobody", value=stray.to_bytes())
        producer.flush()
        dead = read_topic(kafka_bootstrap, topic + ".dlt", expected=1, timeout=60)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers["dlt.reason"] == b"handler" and b"UnknownHousehold" in headers["dlt.error"]
    assert count(runtime, Situation) == 0
