"""The outbox relay stopped between commit and publish publishes after restart; downstream has exactly one case."""
from fastapi.testclient import TestClient
from sqlalchemy import select

from discovery.main import create_app
from identification.models import Case
from shared.envelope import CONTENT_TYPE
from shared.synthetic import HouseholdFactory
from tests.fixtures import envelopes, read_topic, service_env, wait_until
from tests.helpers import count, discovery_runtime, identification_runtime


def test_committed_but_unpublished_event_is_published_after_the_relay_restarts(
        kafka_bootstrap, databases, topic_prefix, topics, processes):
    disc_db, iden_db = databases.create("discovery"), databases.create("identification")
    discovery = discovery_runtime(disc_db, kafka_bootstrap, topic_prefix)
    identification = identification_runtime(iden_db, kafka_bootstrap, topic_prefix)
    processes("identification", "worker", service_env("identification", iden_db, kafka_bootstrap, topic_prefix))

    # The API commits; no relay runs (as if the process died right after the commit).
    with TestClient(create_app(runtime=discovery, start_workers=False)) as client:
        application = client.post("/api/v1/applications", json=HouseholdFactory(13).application_body()).json()
    assert count(discovery, discovery.tables.outbox, discovery.tables.outbox.c.sent_at.is_(None)) == 1
    assert read_topic(kafka_bootstrap, topic_prefix + "discovery.application", timeout=3) == []

    processes("discovery", "relay", service_env("discovery", disc_db, kafka_bootstrap, topic_prefix))
    wait_until(lambda: count(identification, Case) == 1, timeout=60, message="the case after the relay restarts")
    wait_until(lambda: count(discovery, discovery.tables.outbox, discovery.tables.outbox.c.sent_at.is_(None)) == 0,
               timeout=10, message="the row marked sent")
    with identification.session_factory() as s:
        assert s.execute(select(Case.application_id)).scalars().all() == [application["application_id"]]


def test_event_sent_but_not_marked_is_sent_again_and_absorbed_by_the_inbox(
        kafka_bootstrap, databases, topic_prefix, topics, processes, producer):
    disc_db, iden_db = databases.create("discovery"), databases.create("identification")
    discovery = discovery_runtime(disc_db, kafka_bootstrap, topic_prefix)
    identification = identification_runtime(iden_db, kafka_bootstrap, topic_prefix)
    with TestClient(create_app(runtime=discovery, start_workers=False)) as client:
        client.post("/api/v1/applications", json=HouseholdFactory(14).application_body())
    # The relay sent the row and died before marking it sent: do exactly that send by hand.
    outbox = discovery.tables.outbox
    with discovery.engine.connect() as conn:
        row = conn.execute(select(outbox)).one()
    producer.send(row.topic, key=row.key.encode(), value=bytes(row.payload), headers=[("content-type", CONTENT_TYPE.encode())])
    producer.flush()

    processes("identification", "worker", service_env("identification", iden_db, kafka_bootstrap, topic_prefix))
    processes("discovery", "relay", service_env("discovery", disc_db, kafka_bootstrap, topic_prefix))
    on_topic = read_topic(kafka_bootstrap, topic_prefix + "discovery.application", expected=2, timeout=30)
    assert len(on_topic) == 2 and len({e["id"] for e in envelopes(on_topic)}) == 1, "the same event twice"
    wait_until(lambda: count(identification, identification.tables.inbox) == 1, timeout=60, message="inbox row")
    wait_until(lambda: count(identification, Case) == 1, timeout=10, message="one case")
    consumed = read_topic(kafka_bootstrap, topic_prefix + "identification.case", expected=1, timeout=60)
    assert len(consumed) == 1
    assert count(identification, Case) == 1
