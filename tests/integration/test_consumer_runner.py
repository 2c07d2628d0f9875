"""The shared consumer runner on the real broker and PostgreSQL: retries, dead letters, duplicates, database outages."""
import threading
import uuid

import pytest
from kafka.structs import TopicPartition

from shared.consumer import ConsumerRunner, DatabaseUnavailable, PermanentError
from shared.contracts import registry
from shared.db import make_engine, make_session_factory
from shared.kafka_io import make_consumer, make_producer
from shared.synthetic import HouseholdFactory
from tests.fixtures import read_topic, wait_until
from tests.helpers import count

TYPE = "discovery.application.submitted"


class Harness:
    def __init__(self, bootstrap, db_url, topic, handler, max_retries=2):
        from identification.models import messaging
        self.tables = messaging
        self.engine = make_engine(db_url)
        self.consumer = make_consumer(bootstrap, f"g-{uuid.uuid4().hex[:8]}", [topic], max_records=50)
        self.producer = make_producer(bootstrap)
        self.runner = ConsumerRunner(service="test", name="test.consumer", consumer=self.consumer, producer=self.producer,
                                     session_factory=make_session_factory(self.engine), engine=self.engine,
                                     tables=messaging, registry=registry(), handlers={TYPE: handler},
                                     max_retries=max_retries, retry_backoff_s=0.01)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.runner.run, args=(self.stop, 100), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        self.consumer.close(autocommit=False)
        self.producer.close()
        self.engine.dispose()

    def inbox(self) -> int:
        class _Rt:  # count() wants something with an engine
            engine = self.engine
        return count(_Rt, self.tables.inbox)


def send(producer, topic, events):
    for e in events:
        producer.send(topic, key=b"same-household", value=e.to_bytes())
    producer.flush()


@pytest.fixture
def db_url(databases):
    return databases.create("identification")


def test_a_handler_that_fails_twice_then_succeeds_is_applied_once(kafka_bootstrap, db_url, topics, producer):
    topic = topics[0]
    attempts = []

    def flaky(session, event):
        attempts.append(event.id)
        if len(attempts) <= 2:
            raise TimeoutError("lock timeout")

    event = HouseholdFactory(21).application_event()
    send(producer, topic, [event])
    with Harness(kafka_bootstrap, db_url, topic, flaky) as h:
        wait_until(lambda: h.inbox() == 1, timeout=30, message="the event applied")
    assert attempts == [event.id] * 3
    assert read_topic(kafka_bootstrap, topic + ".dlt", timeout=3) == []


def test_a_handler_that_always_fails_is_dead_lettered_after_bounded_retries_and_the_next_goes_on(
        kafka_bootstrap, db_url, topics, producer):
    topic = topics[0]
    factory = HouseholdFactory(22)
    poison, good = factory.application_event(), factory.application_event()
    attempts = []

    def handler(session, event):
        attempts.append(event.id)
        if event.id == poison.id:
            raise RuntimeError("cannot apply")

    send(producer, topic, [poison, good])
    with Harness(kafka_bootstrap, db_url, topic, handler, max_retries=2) as h:
        wait_until(lambda: h.inbox() == 1, timeout=30, message="the good event applied")
        dead = read_topic(kafka_bootstrap, topic + ".dlt", expected=1, timeout=60)
    assert attempts.count(poison.id) == 1 + 1 + 2, "once in the batch, then 1 + max_retries alone"
    assert len(dead) == 1 and dict(dead[0].headers)["dlt.reason"] == b"handler"
    assert b"cannot apply" in dict(dead[0].headers)["dlt.error"]


def test_a_permanent_error_is_dead_lettered_without_retries(kafka_bootstrap, db_url, topics, producer):
    topic = topics[0]
    attempts = []

    def handler(session, event):
        attempts.append(event.id)
        raise PermanentError("contradicts state")

    send(producer, topic, [HouseholdFactory(23).application_event()])
    with Harness(kafka_bootstrap, db_url, topic, handler, max_retries=5):
        dead = read_topic(kafka_bootstrap, topic + ".dlt", expected=1, timeout=60)
    assert len(dead) == 1 and len(attempts) == 1


def test_the_same_event_twice_is_applied_once(kafka_bootstrap, db_url, topics, producer):
    topic = topics[0]
    applied = []
    event = HouseholdFactory(24).application_event()
    send(producer, topic, [event, event, event])
    with Harness(kafka_bootstrap, db_url, topic, lambda s, e: applied.append(e.id)) as h:
        wait_until(lambda: h.inbox() == 1, timeout=30, message="applied")
        other = HouseholdFactory(25).application_event()
        send(producer, topic, [other, event])
        wait_until(lambda: h.inbox() == 2, timeout=30, message="second applied")
    assert sorted(applied) == sorted([event.id, other.id])


def test_database_unavailable_commits_no_offset_and_another_consumer_resumes(kafka_bootstrap, db_url, topics, producer):
    topic = topics[0]
    send(producer, topic, [HouseholdFactory(26).application_event()])
    group = f"g-{uuid.uuid4().hex[:8]}"
    from identification.models import messaging
    down = make_engine("postgresql+psycopg://platform:platform@127.0.0.1:1/none")
    consumer = make_consumer(kafka_bootstrap, group, [topic])
    runner = ConsumerRunner(service="test", name="test.consumer", consumer=consumer, producer=producer,
                            session_factory=make_session_factory(down), engine=down, tables=messaging,
                            registry=registry(), handlers={TYPE: lambda s, e: None}, retry_backoff_s=0.01)
    batch = wait_until(lambda: consumer.poll(timeout_ms=500), timeout=60, message="a batch")  # group join under load
    with pytest.raises(DatabaseUnavailable):
        runner.process(batch)
    assert all(consumer.committed(TopicPartition(topic, p)) is None for p in range(3))
    consumer.close(autocommit=False)
    up = make_engine(db_url)
    consumer = make_consumer(kafka_bootstrap, group, [topic])
    runner = ConsumerRunner(service="test", name="test.consumer", consumer=consumer, producer=producer,
                            session_factory=make_session_factory(up), engine=up, tables=messaging,
                            registry=registry(), handlers={TYPE: lambda s, e: None})
    stop = threading.Event()
    t = threading.Thread(target=runner.run, args=(stop, 100), daemon=True)
    t.start()
    try:
        wait_until(lambda: count(type("R", (), {"engine": up}), messaging.inbox) == 1, timeout=30, message="resumed")
    finally:
        stop.set()
        t.join(10)
        consumer.close(autocommit=False)
        up.dispose()


def test_a_dead_letter_can_be_listed_and_replayed_once_the_cause_is_fixed(kafka_bootstrap, db_url, topics, producer):
    from shared.dlt import list_dead_letters, replay
    topic = topics[0]
    broken = {"on": True}
    applied = []

    def handler(session, event):
        if broken["on"]:
            raise RuntimeError("downstream rule missing")
        applied.append(event.id)

    event = HouseholdFactory(27).application_event()
    send(producer, topic, [event])
    with Harness(kafka_bootstrap, db_url, topic, handler, max_retries=1) as h:
        wait_until(lambda: read_topic(kafka_bootstrap, topic + ".dlt", timeout=1), timeout=30, message="dead letter")
        letters = list_dead_letters(kafka_bootstrap, topic + ".dlt")
        assert [(l.event_id, l.reason, l.source_topic) for l in letters] == [(event.id, "handler", topic)]
        assert "downstream rule missing" in letters[0].error
        broken["on"] = False
        assert replay(kafka_bootstrap, topic + ".dlt", {(letters[0].partition, letters[0].offset)}) == 1
        wait_until(lambda: h.inbox() == 1, timeout=30, message="replayed event applied")
    assert applied == [event.id]


def test_events_of_a_type_the_consumer_does_not_handle_are_skipped_not_dead_lettered(
        kafka_bootstrap, db_url, topics, producer):
    """A topic carries every event of its aggregate; a consumer that wants only some of them skips the rest."""
    from shared.envelope import Event
    topic = topics[0]
    other = Event(type="discovery.household.referred", source="/services/discovery", subject="same-household", data={
        "referral_id": "r-1", "household_id": "same-household", "record_id": "rec-1", "division_code": "530102001001",
        "referred_at": "2026-06-01T00:00:00Z", "channels": ["visit"], "reasons": [{"code": "x", "en": "x", "zh": "x"}],
        "members": [{"id_number": "11010519491231002X"}], "application_ids": [], "clue_ids": [], "visit_ids": [],
        "sudden_hardship": False, "fast_track": False})
    wanted = HouseholdFactory(28).application_event()
    send(producer, topic, [other, wanted])
    applied = []
    with Harness(kafka_bootstrap, db_url, topic, lambda s, e: applied.append(e.id)) as h:
        wait_until(lambda: h.inbox() == 1, timeout=30, message="the wanted event applied")
    assert applied == [wanted.id]
    assert read_topic(kafka_bootstrap, topic + ".dlt", timeout=3) == []
