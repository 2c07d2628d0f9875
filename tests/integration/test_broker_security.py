"""The guarded broker: deploy/kafka.sh with KAFKA_SECURITY=sasl (SCRAM-SHA-512, the StandardAuthorizer, no ACL means
no access) and a SASL_SSL listener with the CA the script makes, the users and ACLs of deploy/kafka/acls.json.

It starts its own broker (SECURE_KAFKA_PORT, default 19192, and the two ports after it), whatever broker the rest of
the suite uses."""
from __future__ import annotations

import logging
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.errors import KafkaTimeoutError, TopicAuthorizationFailedError
from kafka.structs import TopicPartition

from shared.broker_security import client_security, inbound_topic, load_table, partner_principal
from shared.kafka_io import KafkaSecurity, admin_client, ensure_topics, make_consumer, make_producer
from tests.services import ROOT

OWN, OTHER = "medical_insurance", "education"
OWN_STREAM, OTHER_STREAM = f"partner.{OWN}.enrolments", f"partner.{OTHER}.pupils"


@dataclass
class SecureBroker:
    port: int
    ssl_port: int
    secrets: Path
    data: Path

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ssl_bootstrap(self) -> str:
        return f"127.0.0.1:{self.ssl_port}"

    def principal(self, name: str) -> KafkaSecurity:
        return client_security(self.secrets, name)


def kafka_sh(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "deploy" / "kafka.sh"), command], env=env, capture_output=True, text=True,
                          timeout=240)


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory):
    port = int(os.environ.get("SECURE_KAFKA_PORT", "19192"))
    base = tmp_path_factory.mktemp("secure-kafka")
    env = {**os.environ, "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(port + 1),
           "KAFKA_SSL_PORT": str(port + 2), "KAFKA_SECURITY": "sasl", "KAFKA_DATA": str(base / "data"),
           "KAFKA_SECRETS": str(base / "secrets"), "KAFKA_HEAP": "384m"}
    started = kafka_sh("start", env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "already listening" not in started.stdout, f"port {port} is taken: set SECURE_KAFKA_PORT"
        broker = SecureBroker(port, port + 2, base / "secrets", base / "data")
        # a stream per department, written by the exchange service to come (here: by the admin)
        ensure_topics(broker.bootstrap, [OWN_STREAM, OTHER_STREAM, "discovery.application", "identification.case"],
                      security=broker.principal("admin"))
        producer = make_producer(broker.bootstrap, security=broker.principal("admin"))
        for topic in (OWN_STREAM, OTHER_STREAM):
            producer.send(topic, key=b"h1", value=f"an event of {topic}".encode()).get(20)
        producer.close()
        yield broker
    finally:
        kafka_sh("stop", env)


def drain(consumer, want: int = 1, timeout: float = 30.0) -> list:
    records, deadline = [], time.monotonic() + timeout
    while len(records) < want and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500).values():
            records.extend(batch)
    return records


def test_the_credentials_are_per_installation_files_only_their_owner_reads(secure_broker):
    table = load_table()
    for principal in ["admin", "broker", *table["principals"]]:
        path = secure_broker.secrets / f"{principal}.password"
        assert path.stat().st_mode & 0o077 == 0, f"{path} is readable by others"
        assert len(path.read_text().strip()) >= 32
    assert len({(secure_broker.secrets / f"{p}.password").read_text() for p in table["principals"]}) == \
        len(table["principals"]), "every principal has its own password"
    assert not str(secure_broker.secrets).startswith(str(ROOT / "deploy"))


def test_a_partner_reads_its_own_stream(secure_broker):
    consumer = make_consumer(secure_broker.bootstrap, f"partner.{OWN}.reader-{uuid.uuid4().hex[:6]}", [OWN_STREAM],
                             security=secure_broker.principal(partner_principal(OWN)))
    try:
        records = drain(consumer)
    finally:
        consumer.close(autocommit=False)
    assert [r.value for r in records] == [f"an event of {OWN_STREAM}".encode()]


def test_a_partner_is_refused_another_departments_stream_and_every_internal_topic(secure_broker):
    me = secure_broker.principal(partner_principal(OWN))
    # every topic of a service (aside: its own inbound topic, which it may describe to write it, and its own
    # outbound streams, which exchange writes for it to read)
    internal = sorted({t for p in load_table()["principals"].values() if p["kind"] == "service" for t in p["topics"]
                       if not t.startswith(f"partner.{OWN}.")} - {inbound_topic(OWN)})
    assert {"discovery.application", "identification.case", inbound_topic(OTHER)} <= set(internal)
    admin = admin_client(secure_broker.bootstrap, me)
    try:
        described = {t["name"]: t["error_code"] for t in admin.describe_topics([OTHER_STREAM, *internal])}
        assert admin.describe_topics([OWN_STREAM])[0]["error_code"] == 0
        listed = set(admin.list_topics())
    finally:
        admin.close()
    refused = TopicAuthorizationFailedError.errno
    assert described == {t: refused for t in [OTHER_STREAM, *internal]}
    assert listed <= {OWN_STREAM, OWN_STREAM + ".dlt", inbound_topic(OWN)}, listed
    consumer = KafkaConsumer(bootstrap_servers=secure_broker.bootstrap, group_id=None, **me.client_config())
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            consumer.end_offsets([TopicPartition(OTHER_STREAM, 0)])
    finally:
        consumer.close()
    # joining another department's consumer group is refused too: a group is no way round the topic ACLs
    other_group = make_consumer(secure_broker.bootstrap, f"partner.{OTHER}.x", [OWN_STREAM], security=me)
    try:
        with pytest.raises(Exception, match="GroupAuthorizationFailed"):
            for _ in range(20):
                other_group.poll(timeout_ms=500)
    finally:
        other_group.close(autocommit=False)


def test_a_partner_writes_its_own_inbound_topic_only(secure_broker):
    producer = make_producer(secure_broker.bootstrap, security=secure_broker.principal(partner_principal(OWN)),
                             max_block_ms=15000)
    try:
        producer.send(inbound_topic(OWN), key=b"ext-1", value=b"{}").get(20)
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(inbound_topic(OTHER), key=b"ext-1", value=b"{}").get(20)
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send("discovery.application", key=b"ext-1", value=b"{}").get(20)
    finally:
        producer.close(timeout=5)


def test_a_service_writes_the_topics_it_owns_and_no_other(secure_broker):
    producer = make_producer(secure_broker.bootstrap, security=secure_broker.principal("discovery"),
                             max_block_ms=15000)
    try:
        producer.send("discovery.application", key=b"h1", value=b"{}").get(20)
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send("identification.case", key=b"h1", value=b"{}").get(20)
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(OWN_STREAM, key=b"h1", value=b"{}").get(20)
    finally:
        producer.close(timeout=5)


def test_an_anonymous_plaintext_client_is_refused(secure_broker, caplog):
    with caplog.at_level(logging.WARNING):
        with pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
            KafkaAdminClient(bootstrap_servers=secure_broker.bootstrap, bootstrap_timeout_ms=4000)
    assert "disconnected" in caplog.text  # the broker hangs up on a client that does not authenticate


def test_a_wrong_password_is_refused(secure_broker):
    """The broker refuses the wrong password and says so in its log (the operator's audit of failed sign-ins).

    What the client reports varies: the broker answers SaslAuthenticationFailed and closes the connection, and
    kafka-python sometimes sees the close before it reads the answer (one CI run). The broker's log is the
    authority."""
    log = secure_broker.data / "server.log"
    before = log.read_text(errors="replace").count("Failed authentication with")
    wrong = KafkaSecurity(protocol="SASL_PLAINTEXT", username="admin", password="not-the-password")
    with pytest.raises(KafkaTimeoutError, match="Unable to bootstrap"):
        admin_client(secure_broker.bootstrap, wrong, bootstrap_timeout_ms=4000)
    deadline = time.monotonic() + 10
    while True:
        failures = [line for line in log.read_text(errors="replace").splitlines()
                    if "Failed authentication with" in line][before:]
        if failures or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert failures, "the broker logged no failed authentication"
    assert all("invalid credentials" in line and "SCRAM-SHA-512" in line for line in failures), failures


def test_sasl_ssl_with_the_generated_ca(secure_broker):
    ca = secure_broker.secrets / "ca.pem"
    assert ca.exists() and "BEGIN CERTIFICATE" in ca.read_text()
    assert "PRIVATE KEY" in (secure_broker.secrets / "broker-keystore.pem").read_text()
    tls = KafkaSecurity(protocol="SASL_SSL", username=partner_principal(OWN),
                        password_file=str(secure_broker.secrets / f"{partner_principal(OWN)}.password"),
                        cafile=str(ca))
    consumer = make_consumer(secure_broker.ssl_bootstrap, f"partner.{OWN}.tls-{uuid.uuid4().hex[:6]}",
                             [OWN_STREAM], security=tls)
    try:
        records = drain(consumer)
    finally:
        consumer.close(autocommit=False)
    assert [r.value for r in records] == [f"an event of {OWN_STREAM}".encode()]
    # without the CA the broker's certificate is not trusted: no connection
    untrusted = KafkaSecurity(protocol="SASL_SSL", username=tls.username, password_file=tls.password_file)
    with pytest.raises(KafkaTimeoutError):
        admin_client(secure_broker.ssl_bootstrap, untrusted, bootstrap_timeout_ms=4000)


def test_adding_a_department_is_applying_the_table_again(secure_broker):
    """`deploy/kafka.sh acls` is idempotent: users and ACLs applied twice are the same, nothing breaks."""
    env = {**os.environ, "KAFKA_PORT": str(secure_broker.port), "KAFKA_SECURITY": "sasl",
           "KAFKA_SECRETS": str(secure_broker.secrets)}
    again = kafka_sh("acls", env)
    assert again.returncode == 0, again.stdout + again.stderr
    test_a_partner_writes_its_own_inbound_topic_only(secure_broker)
