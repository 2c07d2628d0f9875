"""Kafka clients configured the platform's way (idempotent producer, manual-commit consumers) and topic management."""
from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import AuthorizationError, TopicAlreadyExistsError

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


@dataclass(frozen=True)
class KafkaSecurity:
    """How a client authenticates to the broker: PLAINTEXT (no authentication), SASL_PLAINTEXT or SASL_SSL with
    SCRAM-SHA-512. The password comes from `password` or, better, from `password_file` (read when a client is made)."""

    protocol: str = "PLAINTEXT"
    mechanism: str = "SCRAM-SHA-512"
    username: str = ""
    password: str = ""
    password_file: str = ""
    cafile: str | None = None

    @classmethod
    def from_env(cls, prefix: str = "KAFKA_", environ=None) -> "KafkaSecurity":
        """<prefix>SECURITY_PROTOCOL, _SASL_MECHANISM, _SASL_USERNAME, _SASL_PASSWORD, _SASL_PASSWORD_FILE,
        _SSL_CAFILE; the identity of operators' tools and of tests' inspection clients (services use their
        settings)."""
        env = os.environ if environ is None else environ
        return cls(protocol=env.get(prefix + "SECURITY_PROTOCOL", "PLAINTEXT") or "PLAINTEXT",
                   mechanism=env.get(prefix + "SASL_MECHANISM", "SCRAM-SHA-512") or "SCRAM-SHA-512",
                   username=env.get(prefix + "SASL_USERNAME", ""), password=env.get(prefix + "SASL_PASSWORD", ""),
                   password_file=env.get(prefix + "SASL_PASSWORD_FILE", ""),
                   cafile=env.get(prefix + "SSL_CAFILE") or None)

    def client_config(self) -> dict:
        protocol = self.protocol.upper()
        if protocol == "PLAINTEXT":
            return {}
        if protocol not in ("SASL_PLAINTEXT", "SASL_SSL"):
            raise ValueError(f"unsupported Kafka security protocol {self.protocol!r} "
                             "(PLAINTEXT, SASL_PLAINTEXT or SASL_SSL)")
        password = self.password
        if self.password_file:
            with open(self.password_file, encoding="utf-8") as f:
                password = f.read().strip()
        if not self.username or not password:
            raise ValueError(f"{protocol} needs a SASL username and a password (or a password file)")
        config = dict(security_protocol=protocol, sasl_mechanism=self.mechanism,
                      sasl_plain_username=self.username, sasl_plain_password=password)
        if protocol == "SASL_SSL" and self.cafile:
            config["ssl_cafile"] = self.cafile
        return config


def security_config(security: KafkaSecurity | None) -> dict:
    """A client's security settings: the given ones, else the process's KAFKA_* environment (tools and tests)."""
    return (security if security is not None else KafkaSecurity.from_env()).client_config()


def admin_client(bootstrap: str, security: KafkaSecurity | None = None, **overrides) -> KafkaAdminClient:
    config = dict(bootstrap_servers=bootstrap, request_timeout_ms=10000, **security_config(security))
    config.update(overrides)
    return KafkaAdminClient(**config)


def make_producer(bootstrap: str, linger_ms: int = 5, security: KafkaSecurity | None = None,
                  **overrides) -> KafkaProducer:
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
        **security_config(security),
    )
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(bootstrap: str, group: str, topics: list[str], max_records: int = 200,
                  security: KafkaSecurity | None = None, **overrides) -> KafkaConsumer:
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
        **security_config(security),
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


def _stale_configs(admin: KafkaAdminClient, topics: list[str], configs: dict[str, dict[str, str]]) -> list[str]:
    """The topics whose configs differ from the wanted ones. On a broker with ACLs only a topic's owner may see (and
    alter) its configs: a topic whose configs this principal cannot see is left to its owner."""
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics],
                                       config_filter="dynamic")
    current = next(iter(described.values()), {}) if described else {}
    stale = []
    for t in topics:
        seen = current.get(t) or {}
        if seen and any((seen.get(k) or {}).get("value") != v for k, v in configs[t].items()):
            stale.append(t)
    return stale


def ensure_topics(bootstrap: str, topics: list[str], partitions: int = 3, timeout_s: float = 60.0,
                  configs: dict[str, dict[str, str]] | None = None, security: KafkaSecurity | None = None) -> None:
    """Creates each topic and its dead-letter topic if missing; waits for the broker to answer first.

    `configs` (topic name -> topic configs, e.g. {"cleanup.policy": "compact"}) are set when the topic is created,
    and set again on a topic that already exists (a broker upgraded from before the config)."""
    configs = configs or {}
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = admin_client(bootstrap, security)
            break
        except ValueError:  # incomplete security settings: no use waiting
            raise
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
        stale = _stale_configs(admin, present, configs) if present else []
        if stale:
            try:
                admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, t, configs=configs[t]) for t in stale])
            except AuthorizationError:
                log.debug("not allowed to alter configs of %s: left to their owner", stale)
        # metadata propagates asynchronously; wait until every topic is listed
        while not set(wanted) <= set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"topics not visible after {timeout_s}s: {sorted(set(wanted) - set(admin.list_topics()))}")
            time.sleep(0.2)
    finally:
        admin.close()
