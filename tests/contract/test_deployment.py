"""The container deployment (docker-compose.yml + deploy/Dockerfile) stays in step with the services in the tree.

No Docker engine runs here, so these checks read the files: every service with code is deployed, with its own
database, its env prefix, its import path in the image and a readiness health check; the operator must set the
JWT secret, and the development features (token issuer, training clock) stay off unless asked for.
"""
import importlib
from pathlib import Path

import pytest
import yaml

from shared.config import DEV_JWT_SECRET
from shared.training import ConfigurationError, check_startup

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name for p in ROOT.glob("services/*/*/main.py") if p.parent.name == p.parent.parent.name)


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_every_service_with_code_is_in_compose_with_its_own_database():
    doc = compose()
    init_sql = (ROOT / "deploy" / "postgres-init.sql").read_text(encoding="utf-8")
    assert SERVICES, "no services found"
    for service in SERVICES:
        spec = doc["services"][service]
        env = spec["environment"]
        prefix = service.upper() + "_"
        assert env[prefix + "DATABASE_URL"].endswith(f"@postgres:5432/{service}")
        assert env[prefix + "KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert spec["command"][:3] == ["python", "-m", service]
        assert "/readyz" in " ".join(spec["healthcheck"]["test"])
        assert f"CREATE DATABASE {service};" in init_sql


def test_the_image_can_import_every_service_and_ships_the_contracts():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11" in dockerfile
    for service in SERVICES:
        assert f"/app/services/{service}" in dockerfile
    assert "COPY contracts" in dockerfile and "COPY services" in dockerfile and "COPY shared" in dockerfile


def test_the_broker_runs_kraft_without_auto_created_topics():
    kafka = compose()["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    # the container runs the same script as `make run`, whose template sets these
    assert kafka["command"] == ["bash", "/platform/deploy/kafka.sh", "run"]
    assert "./deploy:/platform/deploy:ro" in kafka["volumes"]
    template = (ROOT / "deploy" / "kafka" / "server.properties.template").read_text(encoding="utf-8")
    assert "process.roles=broker,controller" in template and "auto.create.topics.enable=false" in template


def test_compose_runs_the_broker_with_sasl_and_acls_and_each_service_as_its_own_principal():
    import json
    doc = compose()
    kafka = doc["services"]["kafka"]
    assert kafka["environment"]["KAFKA_SECURITY"] == "sasl"
    assert {s["target"] for s in kafka["secrets"]} == {"broker.password", "admin.password"}
    table = json.loads((ROOT / "deploy" / "kafka" / "acls.json").read_text(encoding="utf-8"))
    principals = table["super_users"] + list(table["principals"])
    # every principal's password is a secret made by deploy/compose-secrets.sh, outside the repository
    assert set(doc["secrets"]) == {f"kafka-{p}" for p in principals}
    for p in principals:
        assert doc["secrets"][f"kafka-{p}"]["file"] == f"./var/compose-secrets/{p}.password"
    # the one-shot that makes the users and ACLs needs every password; it runs before any service
    acls = doc["services"]["kafka-acls"]
    assert acls["command"][:4] == ["python", "-m", "shared.broker_security", "apply"]
    assert {s["source"] for s in acls["secrets"]} == set(doc["secrets"])
    for service in SERVICES:
        spec, prefix = doc["services"][service], service.upper() + "_"
        env = spec["environment"]
        assert env[prefix + "KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", service
        assert env[prefix + "KAFKA_SASL_USERNAME"] == service
        assert env[prefix + "KAFKA_SASL_PASSWORD_FILE"] == f"/run/secrets/{service}.password"
        # its own password and nobody else's
        assert spec["secrets"] == [{"source": f"kafka-{service}", "target": f"{service}.password"}], service
        assert spec["depends_on"]["kafka-acls"]["condition"] == "service_completed_successfully"
        assert service in table["principals"], service
    assert "var/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_compose_makes_the_operator_set_the_jwt_secret_and_keeps_dev_features_off():
    doc = compose()
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert DEV_JWT_SECRET not in text
    for service in SERVICES:
        spec = doc["services"][service]
        env, prefix = spec["environment"], service.upper() + "_"
        # ${VAR:?message}: compose refuses to start when JWT_SECRET is unset or empty; no default to fall back on
        assert env[prefix + "JWT_SECRET"].startswith("${JWT_SECRET:?set JWT_SECRET"), service
        assert env[prefix + "DEV_TOKEN_ISSUER"] == "${DEV_TOKEN_ISSUER:-false}"
        assert env[prefix + "TRAINING_MODE"] == "${TRAINING_MODE:-false}"
        # one training clock for all: the offset file on a volume every service mounts
        clock_dir = env[prefix + "TRAINING_CLOCK_FILE"].rsplit("/", 1)[0]
        assert f"training-clock:{clock_dir}" in spec["volumes"], service
    assert "training-clock" in doc["volumes"]
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "mkdir -p /app/var/training" in dockerfile, "the volume's mount point belongs to the service user"


def test_a_service_configured_as_compose_does_starts_and_one_left_on_the_dev_secret_does_not():
    for service in SERVICES:
        settings_cls = importlib.import_module(f"{service}.config").Settings
        check_startup(settings_cls(jwt_secret="operator-" + "x" * 40, dev_token_issuer=False, training_mode=False))
        with pytest.raises(ConfigurationError, match=f"{service.upper()}_JWT_SECRET"):
            check_startup(settings_cls(jwt_secret=DEV_JWT_SECRET, dev_token_issuer=False, training_mode=False))


def test_the_ci_entry_point_is_valid_bash_and_runs_make_test():
    import subprocess
    from pathlib import Path
    script = Path(__file__).resolve().parents[2] / ".ci" / "run"
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    lines = [line.strip() for line in script.read_text(encoding="utf-8").splitlines()]
    assert lines[-1] == "make test" and "set -euo pipefail" in lines[:6]
