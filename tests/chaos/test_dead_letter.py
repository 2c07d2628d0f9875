"""A malformed event goes to the dead-letter topic with its reason, and the consumer carries on with the next one."""
import json

from identification.models import Case
from shared.synthetic import HouseholdFactory
from tests.fixtures import read_topic, service_env, wait_until
from tests.helpers import count, identification_runtime


def test_malformed_events_are_dead_lettered_and_the_next_valid_event_is_processed(
        kafka_bootstrap, databases, topic_prefix, topics, processes, producer):
    iden_db = databases.create("identification")
    runtime = identification_runtime(iden_db, kafka_bootstrap, topic_prefix)
    topic = topic_prefix + "discovery.application"
    factory = HouseholdFactory(12)
    valid = factory.application_event()
    broken_schema = factory.application_event(household_id=valid.subject)
    envelope = broken_schema.envelope()
    envelope["data"]["members"][0]["id_number"] = "not-an-id"
    unknown_type = valid.envelope() | {"id": "x-1", "type": "discovery.application.withdrawn",
                                       "dataschema": "urn:lowincome-platform:schema:discovery.application.withdrawn:1"}
    # All on the same key, so they land on one partition in this order: bad, bad, bad, then valid.
    for value in (b"\xff\xfe not json", json.dumps(envelope).encode(), json.dumps(unknown_type).encode(), valid.to_bytes()):
        producer.send(topic, key=valid.subject.encode(), value=value)
    producer.flush()

    processes("identification", "consumer", service_env("identification", iden_db, kafka_bootstrap, topic_prefix))
    wait_until(lambda: count(runtime, Case) == 1, timeout=60, message="the valid event's case")
    dead = read_topic(kafka_bootstrap, topic + ".dlt", expected=3, timeout=30)
    assert len(dead) == 3
    headers = [dict(r.headers) for r in dead]
    assert all(h["dlt.reason"] == b"contract" and h["dlt.source.topic"] == topic.encode() for h in headers)
    assert [int(h["dlt.source.offset"]) for h in headers] == [0, 1, 2]
    assert b"UndecodableEvent" in headers[0]["dlt.error"]
    assert b"data/members/0/id_number" in headers[1]["dlt.error"]
    assert b"no contract named" in headers[2]["dlt.error"]
    assert dead[0].value == b"\xff\xfe not json", "the original bytes are kept for inspection and replay"
    assert count(runtime, runtime.tables.inbox) == 1
