"""Two services as their own processes on one training clock: an advance made on identification (HTTP) or from the
command line moves discovery's clock too, and the time both stamp on the same household over Kafka is the moved one."""
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import httpx

from shared.synthetic import HouseholdFactory
from tests.fixtures import service_env, wait_until
from tests.services import ROOT


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_two_service_processes_read_one_persisted_offset(kafka_bootstrap, databases, topic_prefix, processes, tmp_path):
    clock_file = str(tmp_path / "training-clock.json")
    training = {"training_mode": "true", "dev_token_issuer": "true", "training_clock_file": clock_file}
    iden = processes("identification", "api", service_env("identification", databases.create("identification"),
                                                         kafka_bootstrap, topic_prefix, **training))
    disc = processes("discovery", "api", service_env("discovery", databases.create("discovery"),
                                                    kafka_bootstrap, topic_prefix, **training))
    admin = {"Authorization": "Bearer " + ok(httpx.post(iden.url + "/dev/tokens", json={
        "subject": "trainer", "role": "admin", "area": ""}))["access_token"]}
    assert ok(httpx.get(disc.url + "/dev/clock"))["offset_seconds"] == 0

    moved = ok(httpx.post(iden.url + "/dev/clock", json={"advance_days": 30}, headers=admin))
    assert moved["offset_days"] == 30
    assert ok(httpx.get(disc.url + "/dev/clock"))["offset_seconds"] == 30 * 86400

    application = ok(httpx.post(disc.url + "/api/v1/applications", json=HouseholdFactory(11).application_body(),
                                headers={"Idempotency-Key": "training-1"}, timeout=10), 201)
    expected = datetime.now(timezone.utc) + timedelta(days=30)
    submitted = datetime.fromisoformat(application["submitted_at"])
    assert abs(submitted - expected) < timedelta(minutes=1), "discovery stamps the training time"

    cases = wait_until(lambda: httpx.get(iden.url + "/api/v1/cases", headers=admin,
                                         params={"application_id": application["application_id"]}).json()["items"],
                       timeout=60, message="identification to open the case from discovery's event")
    opened = datetime.fromisoformat(cases[0]["opened_at"])
    assert abs(opened - expected) < timedelta(minutes=1), "identification stamps the same training time"

    done = subprocess.run([sys.executable, "-m", "shared.clock", "--file", clock_file, "advance", "7d"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for service in (iden, disc):
        assert ok(httpx.get(service.url + "/dev/clock"))["offset_seconds"] == 37 * 86400
