"""Fixtures for integration, contract, chaos and end-to-end tests: the real Kafka broker and real PostgreSQL.

`make test` starts both and sets TEST_KAFKA_BOOTSTRAP and TEST_PG_URL; without them these tests fail (never skip).
On a broker with SASL (TEST_KAFKA_SECURITY=sasl|sasl_ssl and TEST_KAFKA_SECRETS, the password files deploy/kafka.sh
made) every service connects as its own principal (<SERVICE>_KAFKA_SASL_USERNAME, ...), with the ACLs of
deploy/kafka/acls.json granted for each test's topic prefix, and the tests' own clients as the `admin` principal.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from shared.alembic_env import upgrade
from shared.envelope import decode
from shared.kafka_io import ensure_topics, make_consumer, make_producer

ROOT = Path(__file__).resolve().parent.parent
from tests.services import SERVICES  # noqa: E402

# Every test runs with the event guard strict: a commit that changes domain tables without writing an outbox
# event fails (production only warns and counts events_missing_total). Services started as processes inherit it.
os.environ.setdefault("EVENT_GUARD", "strict")

KAFKA_SECRETS = os.environ.get("TEST_KAFKA_SECRETS", "")
KAFKA_PROTOCOL = {"sasl": "SASL_PLAINTEXT", "sasl_ssl": "SASL_SSL"}.get(os.environ.get("TEST_KAFKA_SECURITY", ""), "")
if KAFKA_SECRETS and not KAFKA_PROTOCOL:
    raise RuntimeError("TEST_KAFKA_SECRETS is set: TEST_KAFKA_SECURITY must be sasl or sasl_ssl")
_ADMIN_VARS = ("KAFKA_SECURITY_PROTOCOL", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD",
               "KAFKA_SASL_PASSWORD_FILE", "KAFKA_SSL_CAFILE")


def _principal_env(prefix: str, principal: str) -> dict[str, str]:
    env = {prefix + "KAFKA_SECURITY_PROTOCOL": KAFKA_PROTOCOL, prefix + "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
           prefix + "KAFKA_SASL_USERNAME": principal,
           prefix + "KAFKA_SASL_PASSWORD_FILE": str(Path(KAFKA_SECRETS) / f"{principal}.password")}
    if KAFKA_PROTOCOL == "SASL_SSL":
        env[prefix + "KAFKA_SSL_CAFILE"] = str(Path(KAFKA_SECRETS) / "ca.pem")
    return env


if KAFKA_PROTOCOL:
    # the tests' inspection clients (read_topic, producer, ensure_topics without settings): the admin principal
    os.environ.update(_principal_env("", "admin"))
    # each service, in-process or as a process: its own principal, never the admin's
    for _service in SERVICES:
        for _name, _value in _principal_env(_service.upper() + "_", _service).items():
            os.environ.setdefault(_name, _value)

_granted: set[str] = set()


def grant_topic_prefix(bootstrap: str, prefix: str) -> None:
    """On a broker with ACLs: every principal's ACLs (deploy/kafka/acls.json) for this test's topic prefix."""
    if not KAFKA_PROTOCOL or prefix in _granted:
        return
    from shared.broker_security import apply, load_table
    from shared.kafka_io import KafkaSecurity

    apply(bootstrap, KafkaSecurity.from_env(), Path(KAFKA_SECRETS), load_table(), prefix, users=False, topics=False)
    _granted.add(prefix)


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the suite with `make test`, which starts Kafka and PostgreSQL and sets it")
    return value


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return _required("TEST_KAFKA_BOOTSTRAP")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    return _required("TEST_PG_URL")


class Databases:
    """Creates one fresh PostgreSQL database per service per test, migrated with that service's Alembic history."""

    def __init__(self, server_url: str):
        self.server_url = server_url.rstrip("/")
        self.admin = create_engine(self.server_url + "/postgres", isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, service: str) -> str:
        name = f"t_{service}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        url = f"{self.server_url}/{name}"
        upgrade(url, str(ROOT / "services" / service / "migrations"))
        return url

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                for attempt in range(5):
                    try:
                        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        break
                    except Exception:  # e.g. an autovacuum worker still attached; a leftover test database is harmless
                        time.sleep(0.5)
        self.admin.dispose()


@pytest.fixture
def databases(pg_server_url):
    dbs = Databases(pg_server_url)
    yield dbs
    dbs.drop_all()


@pytest.fixture
def topic_prefix() -> str:
    """Each test gets its own topics (and consumer groups), so tests never see each other's events."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    if KAFKA_PROTOCOL:
        grant_topic_prefix(_required("TEST_KAFKA_BOOTSTRAP"), prefix)
    return prefix


@pytest.fixture
def topics(kafka_bootstrap, topic_prefix):
    names = [topic_prefix + t for t in ("discovery.application", "identification.case")]
    ensure_topics(kafka_bootstrap, names)
    return names


def service_env(service: str, db_url: str, bootstrap: str, prefix: str, **extra) -> dict[str, str]:
    p = service.upper() + "_"
    # a service never gets the tests' admin credentials, only its own principal's (set above on a SASL broker)
    env = {k: v for k, v in os.environ.items() if k not in _ADMIN_VARS}
    grant_topic_prefix(bootstrap, prefix)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT)] + [str(ROOT / "services" / s) for s in SERVICES]),
        p + "DATABASE_URL": db_url, p + "KAFKA_BOOTSTRAP": bootstrap, p + "TOPIC_PREFIX": prefix,
        p + "RELAY_IDLE_SECONDS": "0.05", p + "LOG_LEVEL": "WARNING",
    })
    env.update({p + k.upper(): str(v) for k, v in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServiceProcess:
    """One service run as its own OS process (`python -m <service> <command>`), as in production."""

    def __init__(self, service: str, command: str, env: dict[str, str], log_dir: Path):
        self.service, self.command, self.env = service, command, env
        self.port = free_port() if command == "api" else None
        self.log_path = log_dir / f"{service}-{command}-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> "ServiceProcess":
        args = [sys.executable, "-m", self.service, self.command]
        if self.port:
            args += ["--port", str(self.port)]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        if wait and self.port:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.service} exited: {self.log_path.read_text()[-3000:]}")
                try:
                    if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            raise RuntimeError(f"{self.service} did not become healthy: {self.log_path.read_text()[-3000:]}")
        return self

    def kill(self, sig: int = 9) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()


@pytest.fixture
def processes(tmp_path, request):
    started: list[ServiceProcess] = []

    def start(service: str, command: str, env: dict[str, str], wait: bool = True) -> ServiceProcess:
        p = ServiceProcess(service, command, env, tmp_path)
        started.append(p)
        return p.start(wait)

    yield start
    for p in started:
        p.stop()
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # A failed test shows what its processes said (the report's "Captured stdout teardown"): a CI log alone
        # then tells whether a consumer never got its partitions, a relay could not reach the broker, ...
        for p in started:
            lines = p.log_path.read_text(errors="replace").splitlines() if p.log_path.exists() else []
            print(f"----- {p.service} {p.command} (last {min(len(lines), 80)} of {len(lines)} lines) -----")
            print("\n".join(lines[-80:]))


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def read_topic(bootstrap: str, topic: str, expected: int | None = None, timeout: float = 20.0) -> list:
    """All records on a topic from the beginning (stops at `expected` or when the topic is drained)."""
    consumer = make_consumer(bootstrap, f"reader-{uuid.uuid4().hex[:8]}", [topic], isolation_level="read_uncommitted")
    records: list = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
            if expected is not None and len(records) >= expected:
                break
            if expected is None and consumer.assignment():
                ends = consumer.end_offsets(list(consumer.assignment()))
                if all(consumer.position(tp) >= end for tp, end in ends.items()):
                    break
    finally:
        consumer.close(autocommit=False)
    return records


def envelopes(records: list) -> list[dict]:
    return [decode(r.value) for r in records]


@pytest.fixture
def producer(kafka_bootstrap):
    p = make_producer(kafka_bootstrap, linger_ms=5)
    yield p
    p.close(timeout=5)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps the call phase's report on the test item, so fixtures can tell in teardown whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.report_call = report
