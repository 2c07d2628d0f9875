"""Back-fill a (new) agreement: replay its source topics from the beginning and project every event under that
agreement only. Idempotent per (agreement, source event id): the projections ledger skips what was already sent.
Reads with assign + seek_to_beginning (no consumer group, no committed offsets), up to the end offsets seen at start.

    python -m exchange backfill --agreement medical_insurance.enrolments
"""
from __future__ import annotations

import argparse
import logging
import sys
import time

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from exchange import projector
from shared.contracts import ContractViolation
from shared.envelope import UndecodableEvent, decode, from_envelope
from shared.kafka_io import security_config, topic_for
from shared.unit_of_work import install_runtime_guard

log = logging.getLogger(__name__)


def backfill(runtime, agreement_id: str, timeout_s: float = 120.0) -> dict:
    """Projects every event on the agreement's source topics under that agreement; returns counts."""
    svc = runtime.services
    agreement = next((a for a in svc.agreements if a.id == agreement_id), None)
    if agreement is None:
        raise SystemExit(f"no agreement {agreement_id!r}; known: {', '.join(a.id for a in svc.agreements)}")
    install_runtime_guard(runtime)
    s = runtime.settings
    topics = sorted({topic_for(src.event_type, s.topic_prefix) for src in agreement.sources})
    consumer = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=None, enable_auto_commit=False,
                             isolation_level="read_committed", **security_config(s.kafka_security()))
    counts = {"read": 0, "projected": 0, "emitted": 0, "skipped_invalid": 0}
    try:
        partitions = []
        deadline = time.monotonic() + 30
        for t in topics:
            while not consumer.partitions_for_topic(t) and time.monotonic() < deadline:
                time.sleep(0.2)
            partitions += [TopicPartition(t, p) for p in sorted(consumer.partitions_for_topic(t) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        wanted = {src.event_type for src in agreement.sources}
        stop_at = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in partitions) and time.monotonic() < stop_at:
            for tp, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    if record.offset >= end[tp]:
                        continue
                    counts["read"] += 1
                    try:
                        envelope = decode(record.value)
                        runtime.registry.validate(envelope)
                    except (UndecodableEvent, ContractViolation):
                        counts["skipped_invalid"] += 1
                        continue
                    if envelope["type"] not in wanted:
                        continue
                    event = from_envelope(envelope)
                    with runtime.session_factory() as session, session.begin():
                        hh = projector.repository_household(session, event.subject)
                        out = projector.project_one(session, svc, agreement, event, hh)
                    counts["projected"] += 1
                    counts["emitted"] += len(out)
    finally:
        consumer.close()
    return counts


def main(argv: list[str] | None = None) -> None:
    from exchange.bootstrap import build_runtime
    from shared.observability import configure_logging

    parser = argparse.ArgumentParser(prog="python -m exchange backfill", description=__doc__.split("\n")[0])
    parser.add_argument("--agreement", required=True, help="the agreement's id (its JSON file's `id`)")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    runtime = build_runtime()
    configure_logging(runtime.settings.service_name, runtime.settings.log_level)
    runtime.migrate()
    runtime.ensure_topics()
    counts = backfill(runtime, args.agreement, args.timeout)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    sys.stdout.flush()
