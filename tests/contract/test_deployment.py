"""The container deployment (docker-compose.yml + deploy/Dockerfile) stays in step with the services in the tree.

No Docker engine runs here, so these checks read the files: every service with code is deployed, with its own
database, its env prefix, its import path in the image and a readiness health check.
"""
from pathlib import Path

import yaml

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
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
