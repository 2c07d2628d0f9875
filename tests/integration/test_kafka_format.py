"""deploy/kafka.sh formats and starts a broker whatever its random cluster id looks like: one id in 64 begins
with "-", which the format tool once read as an option (so a fresh `make run` or test broker failed at random)."""
import base64
import os
import subprocess

from kafka import KafkaAdminClient

from tests.fixtures import free_port
from tests.services import ROOT


def dash_cluster_id() -> str:
    # URL-safe base64's first character is the top 6 bits of the first byte: 0b111110 (0xF8-0xFB) is "-"
    raw = bytes([0xF8 | (os.urandom(1)[0] & 0x03)]) + os.urandom(15)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def kafka_sh(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "deploy" / "kafka.sh"), command], env=env, capture_output=True, text=True,
                          timeout=180)


def test_a_broker_formats_and_starts_with_a_cluster_id_beginning_with_a_dash(tmp_path):
    cluster_id = dash_cluster_id()
    assert cluster_id.startswith("-") and len(cluster_id) == 22
    port = free_port()
    env = {**os.environ, "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(free_port()),
           "KAFKA_DATA": str(tmp_path / "kafka"), "KAFKA_CLUSTER_ID": cluster_id, "KAFKA_HEAP": "256m",
           # a plain broker of its own, whatever the suite's broker runs with (never the suite's credentials)
           "KAFKA_SECURITY": "plaintext", "KAFKA_SECRETS": str(tmp_path / "secrets")}
    try:
        started = kafka_sh("start", env)
        assert started.returncode == 0, started.stdout + started.stderr
        meta = (tmp_path / "kafka" / "logs" / "meta.properties").read_text()
        assert f"cluster.id={cluster_id}" in meta
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=20000)
        try:
            assert admin.describe_cluster()["cluster_id"] == cluster_id
        finally:
            admin.close()
    finally:
        stopped = kafka_sh("stop", env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped.stdout + stopped.stderr
    assert kafka_sh("status", env).returncode != 0, "the test broker is gone"
