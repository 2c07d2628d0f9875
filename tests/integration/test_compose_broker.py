"""The broker the way docker-compose.yml runs it: `deploy/kafka.sh run` in the foreground with no Python beside it,
the passwords of broker and admin given as files (compose secrets, made by deploy/compose-secrets.sh), listening on
every address and advertising a host name; then the one-shot kafka-acls command makes the other users and the ACLs,
and a service signs in as its own principal: it writes its own topic and is refused another's."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaProducer
from kafka.errors import TopicAuthorizationFailedError

from shared import broker_security
from shared.kafka_io import KafkaSecurity, ensure_topics

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the broker exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the broker did not listen on {port}")


@pytest.fixture
def compose_broker(tmp_path):
    port, cport = free_port(), free_port()
    secrets_dir = tmp_path / "compose-secrets"
    made = subprocess.run(["bash", str(ROOT / "deploy" / "compose-secrets.sh")], capture_output=True, text=True,
                          env={**os.environ, "COMPOSE_SECRETS": str(secrets_dir)})
    assert made.returncode == 0, made.stderr
    mounted = tmp_path / "run-secrets"  # what compose mounts into the broker's container: two files, nothing else
    mounted.mkdir()
    for p in ("broker", "admin"):
        (mounted / f"{p}.password").write_text((secrets_dir / f"{p}.password").read_text())
    env = {**os.environ, "KAFKA_SECURITY": "sasl", "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(cport),
           "KAFKA_LISTEN_HOST": "0.0.0.0", "KAFKA_ADVERTISED_HOST": "127.0.0.1",
           "KAFKA_LIBS": os.environ.get("KAFKA_LIBS", str(ROOT / "var" / "kafka-libs")),
           "KAFKA_DATA": str(tmp_path / "data"), "KAFKA_SECRETS": str(mounted), "KAFKA_HEAP": "256m",
           "KAFKA_PYTHON": str(tmp_path / "no-python-here")}
    proc = subprocess.Popen(["bash", str(ROOT / "deploy" / "kafka.sh"), "run"], env=env,
                            stdout=open(tmp_path / "broker.log", "w"), stderr=subprocess.STDOUT)
    try:
        wait_listening(port, proc)
        yield {"bootstrap": f"127.0.0.1:{port}", "secrets": secrets_dir, "log": tmp_path / "broker.log"}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_the_compose_broker_takes_users_and_acls_from_the_one_shot_and_guards_each_topic(compose_broker):
    # the kafka-acls service's command, with every password mounted
    applied = subprocess.run([sys.executable, "-m", "shared.broker_security", "apply", "--bootstrap",
                              compose_broker["bootstrap"], "--secrets", str(compose_broker["secrets"]),
                              "--protocol", "SASL_PLAINTEXT"], capture_output=True, text=True, cwd=ROOT,
                             env={**os.environ}, timeout=180)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    log = compose_broker["log"].read_text(errors="replace")
    assert "advertised as 127.0.0.1" in log and "(sasl)" in log

    security = broker_security.client_security(compose_broker["secrets"], "discovery")
    # each service makes its own topics at start, as its own principal
    ensure_topics(compose_broker["bootstrap"], ["discovery.clue"], security=security)
    ensure_topics(compose_broker["bootstrap"], ["identification.case"],
                  security=broker_security.client_security(compose_broker["secrets"], "identification"))
    producer = KafkaProducer(bootstrap_servers=compose_broker["bootstrap"], **security.client_config(),
                             max_block_ms=20000, retries=0)
    try:
        producer.send("discovery.clue", key=b"k", value=b"{}").get(timeout=30)  # its own topic
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send("identification.case", key=b"k", value=b"{}").get(timeout=30)
    finally:
        producer.close(timeout=5)

    # no anonymous client: the listener speaks SASL only
    anonymous = KafkaSecurity()
    with pytest.raises(Exception):
        KafkaProducer(bootstrap_servers=compose_broker["bootstrap"], **anonymous.client_config(),
                      max_block_ms=5000, api_version_auto_timeout_ms=5000).send(
            "discovery.clue", value=uuid.uuid4().bytes).get(timeout=10)
