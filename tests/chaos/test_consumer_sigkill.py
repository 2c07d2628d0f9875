"""A consumer killed with SIGKILL mid-batch and restarted: every application becomes exactly one case."""
import signal

from sqlalchemy import func, select

from identification.models import Case
from shared.synthetic import HouseholdFactory
from tests.fixtures import read_topic, service_env, wait_until
from tests.helpers import count, identification_runtime

N = 600


def test_sigkill_mid_batch_loses_nothing_and_doubles_nothing(kafka_bootstrap, databases, topic_prefix, topics,
                                                             processes, producer):
    iden_db = databases.create("identification")
    runtime = identification_runtime(iden_db, kafka_bootstrap, topic_prefix)
    factory = HouseholdFactory(11)
    events = [factory.application_event() for _ in range(N)]
    for e in events:
        producer.send(topic_prefix + "discovery.application", key=e.subject.encode(), value=e.to_bytes())
    producer.flush()

    env = service_env("identification", iden_db, kafka_bootstrap, topic_prefix, consumer_max_records=40)
    first = processes("identification", "consumer", env)
    cases_now = lambda: count(runtime, Case)  # noqa: E731
    wait_until(lambda: cases_now() > 0, timeout=60, interval=0.01, message="the consumer to start applying")
    first.kill(signal.SIGKILL)
    at_kill = cases_now()
    assert 0 < at_kill < N, f"the kill must land mid-stream (had {at_kill} of {N})"

    processes("identification", "consumer", env)
    wait_until(lambda: cases_now() >= N, timeout=120, message=f"all {N} cases")
    # Give a redelivered tail the chance to (wrongly) double something before counting for good.
    wait_until(lambda: count(runtime, runtime.tables.inbox) >= N, timeout=30, message="inbox rows")
    with runtime.engine.connect() as conn:
        total, distinct = conn.execute(select(func.count(), func.count(func.distinct(Case.application_id)))).one()
    assert total == distinct == N
    assert {e.data["application_id"] for e in events} == set(
        runtime.session_factory().execute(select(Case.application_id)).scalars())
    assert count(runtime, runtime.tables.inbox) == N
    assert count(runtime, runtime.tables.outbox) == N, "one case.opened event per case"
    assert read_topic(kafka_bootstrap, topic_prefix + "discovery.application.dlt", timeout=3) == []
