"""Kafka clients configured the platform's way (idempotent producer, manual-commit consumers) and topic management."""
from __future__ import annotations

import logging
import socket
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

log = logging.getLogger(__name__)

DLT_SUFFIX = ".dlt"
# Topics (without the prefix) that need more than the broker's defaults. policy.ruleset is compacted: it is the
# store every service rebuilds its policy from, so each key (region and version) is kept for ever, whatever the
# retention time. Their dead-letter topics keep the defaults.
TOPIC_CONFIGS: dict[str, dict[str, str]] = {"policy.ruleset": {"cleanup.policy": "compact"}}


def topic_configs(topics: list[str], prefix: str = "") -> dict[str, dict[str, str]]:
    """The TOPIC_CONFIGS entries of these (prefixed) topic names, for ensure_topics."""
    return {t: TOPIC_CONFIGS[t[len(prefix):]] for t in topics
            if t.startswith(prefix) and t[len(prefix):] in TOPIC_CONFIGS}


def topic_for(event_type: str, prefix: str = "") -> str:
    """`<owner_service>.<aggregate>`: the first two parts of the event type; the owner is the only writer."""
    service, aggregate = event_type.split(".")[:2]
    return f"{prefix}{service}.{aggregate}"


def make_producer(bootstrap: str, linger_ms: int = 5, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        batch_size=256 * 1024,
        max_in_flight_requests_per_connection=5,
        retries=2**31 - 1,
        delivery_timeout_ms=30000,
        request_timeout_ms=10000,
        compression_type=None,
        client_id="lowincome-platform",
    )
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(bootstrap: str, group: str, topics: list[str], max_records: int = 200, **overrides) -> KafkaConsumer:
    config = dict(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        session_timeout_ms=10000,
        heartbeat_interval_ms=2000,
        max_poll_interval_ms=300000,
        isolation_level="read_committed",
        # A group can form before the broker's metadata lists a just-created topic ("No partition metadata"): the
        # member then holds no partition until its next metadata refresh, 5 minutes by default. 5 s bounds that wait.
        metadata_max_age_ms=5000,
    )
    config.update(overrides)
    consumer = KafkaConsumer(**config)
    _learn_partitions(consumer, topics)
    consumer.subscribe(topics)
    return consumer


def _learn_partitions(consumer: KafkaConsumer, topics: list[str], wait_s: float = 10.0) -> None:
    """Fetches the topics' metadata before joining the group: a leader that assigns without it hands out nothing,
    and kafka-python's rejoin after a later metadata refresh does not always complete (seen on 3.0.12)."""
    deadline = time.monotonic() + wait_s
    for topic in topics:
        while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
            time.sleep(0.1)


def broker_reachable(bootstrap: str, timeout: float = 1.0) -> bool:
    for hostport in bootstrap.split(","):
        host, _, port = hostport.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return True
        except OSError:
            continue
    return False


def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 3, timeout_s: float = 60.0,
                  configs: dict[str, dict[str, str]] | None = None) -> None:
    """Creates each topic and its dead-letter topic if missing; waits for the broker to answer first.

    `configs` (topic name -> topic configs, e.g. {"cleanup.policy": "compact"}) are set when the topic is created,
    and set again on a topic that already exists (a broker upgraded from before the config)."""
    configs = configs or {}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
            break
        except Exception as exc:  # the broker may still be starting
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka at {bootstrap} did not answer within {timeout_s}s: {exc}") from exc
            time.sleep(0.5)
    try:
        wanted = []
        for t in topics:
            wanted += [t, t + DLT_SUFFIX]
        existing = set(admin.list_topics())
        missing = [NewTopic(name=t, num_partitions=partitions, replication_factor=1, topic_configs=configs.get(t, {}))
                   for t in wanted if t not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        present = [t for t in configs if t in existing]
        if present:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs=configs[t]) for t in present])
        # metadata propagates asynchronously; wait until every topic is listed
        while not set(wanted) <= set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topics not visible after {timeout_s}s: {sorted(set(wanted) - set(admin.list_topics()))}")
            time.sleep(0.2)
    finally:
        admin.close()
