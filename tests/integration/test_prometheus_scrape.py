"""A real Prometheus (Debian's package, started here on a free port with its own data directory) scrapes three
services run as processes and evaluates deploy/prometheus/rules.yml: every target is up, the services' metrics and a
recorded rule are there, no rule fails to evaluate, and stopping a service makes ServiceDown pending, then firing
(the test's copy of the rules shortens its `for:`; everything else is the shipped file)."""
from __future__ import annotations

import shutil
import subprocess
import time

import httpx
import pytest
import yaml

from tests.fixtures import free_port, service_env, wait_until
from tests.services import ROOT

SCRAPED = ("discovery", "identification", "oversight")


def query(url: str, expr: str) -> list[dict]:
    body = httpx.get(url + "/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def alerts(url: str, name: str) -> list[dict]:
    body = httpx.get(url + "/api/v1/alerts", timeout=5).json()
    return [a for a in body["data"]["alerts"] if a["labels"]["alertname"] == name]


@pytest.fixture
def prometheus(tmp_path):
    exe = shutil.which("prometheus")
    if exe is None:
        pytest.fail("prometheus is not installed: `apt-get install prometheus` (Debian's package; .ci/run installs it)")
    port = free_port()
    procs = []

    def start(targets: dict[str, str]) -> str:
        rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "rules.yml").read_text())
        for group in rules["groups"]:
            group["interval"] = "1s"
            for rule in group["rules"]:
                if rule.get("alert") == "ServiceDown":
                    rule["for"] = "3s"
        (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules, allow_unicode=True))
        config = {"global": {"scrape_interval": "1s", "scrape_timeout": "900ms", "evaluation_interval": "1s"},
                  "rule_files": ["rules.yml"],
                  "scrape_configs": [{"job_name": job, "metrics_path": "/metrics",
                                      "static_configs": [{"targets": [target]}]} for job, target in targets.items()]}
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        check = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                               capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        log = open(tmp_path / "prometheus.log", "ab")
        proc = subprocess.Popen([exe, f"--config.file={tmp_path / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'prometheus-data'}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h"],
                                stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        procs.append((proc, log))
        url = f"http://127.0.0.1:{port}"

        def ready():
            assert proc.poll() is None, (tmp_path / "prometheus.log").read_text()[-3000:]
            try:
                return httpx.get(url + "/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, timeout=60, interval=0.2, message="prometheus to be ready")
        return url

    yield start
    for proc, log in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()


def test_prometheus_scrapes_the_services_and_alerts_when_one_stops(kafka_bootstrap, databases, topic_prefix,
                                                                    processes, prometheus):
    started = {s: processes(s, "api", service_env(s, databases.create(s), kafka_bootstrap, topic_prefix))
               for s in SCRAPED}
    url = prometheus({s: f"127.0.0.1:{p.port}" for s, p in started.items()})

    up = wait_until(lambda: (r := query(url, "up == 1")) and len(r) == len(SCRAPED) and r, timeout=60,
                    message="every service to be scraped")
    assert {r["metric"]["job"] for r in up} == set(SCRAPED)

    for s in SCRAPED:  # traffic for the HTTP panels and the recorded rates
        for _ in range(5):
            httpx.get(started[s].url + "/healthz", timeout=5)
    # a service's own metrics, labelled with its job: the overdue gauges and the outbox backlog of its relay
    for metric, job in (("identification_cases_overdue", "identification"), ("oversight_petitions_overdue", "oversight"),
                        ("discovery_clues_overdue", "discovery")):
        got = wait_until(lambda: query(url, metric), timeout=30, message=metric)
        assert {r["metric"]["job"] for r in got} == {job}
    wait_until(lambda: {r["metric"]["job"] for r in query(url, "outbox_backlog")} == set(SCRAPED), timeout=30,
               message="each service's relay to report its outbox backlog")
    recorded = wait_until(lambda: (r := query(url, "job:http_requests:rate5m > 0")) and len(r) == len(SCRAPED) and r,
                          timeout=30, message="the recorded request rate of every service")
    assert {r["metric"]["job"] for r in recorded} == set(SCRAPED)

    groups = httpx.get(url + "/api/v1/rules", timeout=5).json()["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == 19
    bad = [(r["name"], r.get("lastError")) for r in rules if r["health"] == "err"]
    assert not bad, bad
    assert not alerts(url, "ServiceDown")

    started["oversight"].stop()
    pending = wait_until(lambda: alerts(url, "ServiceDown"), timeout=30, message="ServiceDown for oversight")
    assert [a["labels"]["job"] for a in pending] == ["oversight"]
    assert pending[0]["labels"]["severity"] == "critical"
    firing = wait_until(lambda: [a for a in alerts(url, "ServiceDown") if a["state"] == "firing"], timeout=30,
                        message="ServiceDown to fire after its `for:`")
    assert firing[0]["annotations"]["summary"].startswith("oversight (127.0.0.1:")
    assert {r["metric"]["job"] for r in query(url, "up == 1")} == {"discovery", "identification"}
