"""Benchmark: raw kafka-python produce+consume vs the shared outbox -> Kafka -> consumer -> inbox pipeline (PostgreSQL).

Prints the figures of each phase and ends with one line:
pipeline_events_per_s=<n> raw_events_per_s=<m> pipeline_vs_raw_ratio=<x>
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import threading
import time
import uuid

from sqlalchemy import create_engine, func, insert, select, text

from shared.alembic_env import upgrade
from shared.consumer import ConsumerRunner
from shared.contracts import registry
from shared.db import make_engine, make_session_factory
from shared.kafka_io import ensure_topics, make_consumer, make_producer
from shared.outbox import OutboxRelay
from shared.synthetic import HouseholdFactory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fresh_database(server: str, service: str) -> str:
    name = f"bench_{service}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{server}/{name}"
    upgrade(url, os.path.join(ROOT, "services", service, "migrations"))
    return url


def drop_database(server: str, url: str) -> None:
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    except Exception as exc:  # a leftover benchmark database is harmless; say so instead of failing the run
        print(f"note: could not drop {url.rsplit('/', 1)[1]}: {type(exc).__name__}")
    finally:
        admin.dispose()


def payloads(n: int) -> list:
    factory = HouseholdFactory(42)
    bodies = [factory.application_body() for _ in range(200)]
    return [factory.application_event(bodies[i % 200]) for i in range(n)]


def _produce(bootstrap: str, topic: str, values: list, linger_ms: int, go) -> None:
    producer = make_producer(bootstrap, linger_ms=linger_ms)
    go.wait()
    for key, value in values:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def _relay(bootstrap: str, out_url: str, linger_ms: int, batch: int, go, stop) -> None:
    from discovery.models import messaging as discovery_tables

    engine = make_engine(out_url)
    relay = OutboxRelay("bench", engine, discovery_tables, make_producer(bootstrap, linger_ms=linger_ms), batch_size=batch)
    go.wait()
    relay.run(stop, 0.01)
    relay.producer.close()
    engine.dispose()


def _until_received(consumer, n: int) -> None:
    received = 0
    while received < n:
        for records in consumer.poll(timeout_ms=500).values():
            received += len(records)


def raw(bootstrap: str, events: list, linger_ms: int) -> float:
    """A producer process sends, a consumer (this process) receives: plain kafka-python, as fast as it goes."""
    topic = f"bench{uuid.uuid4().hex[:6]}.raw.events"
    ensure_topics(bootstrap, [topic])
    values = [(e.subject.encode(), e.to_bytes()) for e in events]
    consumer = make_consumer(bootstrap, f"bench-raw-{uuid.uuid4().hex[:6]}", [topic], max_records=1000)
    consumer.poll(timeout_ms=2000)  # join the group before timing
    go = mp.Event()
    producer = mp.Process(target=_produce, args=(bootstrap, topic, values, linger_ms, go))
    producer.start()
    time.sleep(1.0)  # let the producer process connect before timing
    start = time.perf_counter()
    go.set()
    _until_received(consumer, len(values))
    elapsed = time.perf_counter() - start
    producer.join()
    consumer.close(autocommit=False)
    return len(values) / elapsed


def pipeline(bootstrap: str, pg: str, events: list, linger_ms: int, batch: int) -> tuple[float, dict]:
    from discovery.models import messaging as discovery_tables
    from identification.models import messaging as identification_tables

    prefix = f"bench{uuid.uuid4().hex[:6]}."
    topic = prefix + "discovery.application"
    ensure_topics(bootstrap, [topic])
    out_url, in_url = fresh_database(pg, "discovery"), fresh_database(pg, "identification")
    out_engine, in_engine = make_engine(out_url), make_engine(in_url)
    try:
        # The state changes happened before: N committed outbox rows waiting for the relay (not timed).
        rows = [dict(event_id=e.id, event_type=e.type, topic=topic, key=e.subject, payload=e.to_bytes()) for e in events]
        with out_engine.begin() as conn:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(discovery_tables.outbox), rows[i:i + 5000])

        # As deployed: the relay runs in the producing service's process, the consumer in the receiving service's.
        go, stop = mp.Event(), mp.Event()
        relay = mp.Process(target=_relay, args=(bootstrap, out_url, linger_ms, batch, go, stop))
        relay.start()
        consumer = make_consumer(bootstrap, f"bench-pipe-{uuid.uuid4().hex[:6]}", [topic], max_records=batch)
        runner = ConsumerRunner(service="bench", name="bench.trivial", consumer=consumer,
                                producer=make_producer(bootstrap, linger_ms=linger_ms),
                                session_factory=make_session_factory(in_engine), engine=in_engine,
                                tables=identification_tables, registry=registry(),
                                handlers={"discovery.application.submitted": lambda session, event: None})
        consumer.poll(timeout_ms=2000)  # join the group before timing
        time.sleep(1.0)  # let the relay process connect before timing
        inbox = identification_tables.inbox
        outbox = discovery_tables.outbox

        def count(engine, table, *where) -> int:
            with engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

        local_stop = threading.Event()
        start = time.perf_counter()
        go.set()
        worker = threading.Thread(target=runner.run, args=(local_stop, 200))
        worker.start()
        relay_done = None
        while True:
            if relay_done is None and count(out_engine, outbox, outbox.c.sent_at.is_(None)) == 0:
                relay_done = time.perf_counter() - start
            if count(in_engine, inbox) >= len(events):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        stop.set()
        local_stop.set()
        worker.join()
        relay.join()
        consumer.close(autocommit=False)
        detail = {"relay_published_per_s": len(events) / relay_done if relay_done else float("nan"),
                  "pipeline_seconds": elapsed}
        return len(events) / elapsed, detail
    finally:
        out_engine.dispose()
        in_engine.dispose()
        drop_database(pg, out_url)
        drop_database(pg, in_url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", 30000)))
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    bootstrap = os.environ["BENCH_KAFKA_BOOTSTRAP"]
    pg = os.environ["BENCH_PG_URL"]
    events = payloads(args.events)
    size = sum(len(e.to_bytes()) for e in events[:200]) / 200
    print(f"events={args.events} mean_event_bytes={size:.0f} linger_ms={args.linger_ms} batch={args.batch}")
    raw_rate = raw(bootstrap, events, args.linger_ms)
    print(f"raw kafka-python produce+consume: {raw_rate:,.0f} events/s")
    pipe_rate, detail = pipeline(bootstrap, pg, events, args.linger_ms, args.batch)
    print(f"outbox -> kafka -> consumer -> inbox (PostgreSQL): {pipe_rate:,.0f} events/s "
          f"(relay alone {detail['relay_published_per_s']:,.0f} events/s, {detail['pipeline_seconds']:.1f} s in all)")
    print(f"pipeline_events_per_s={pipe_rate:.0f} raw_events_per_s={raw_rate:.0f} pipeline_vs_raw_ratio={pipe_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
