"""Operators' Prometheus rules and Grafana dashboards (deploy/prometheus/, deploy/grafana/): promtool checks the rules
and the scrape config and runs the rules' unit tests; every dashboard is Grafana JSON whose PromQL uses only metric
names the services really export (collected from the prometheus_client registry after importing every service) or
the rules record. promtool comes from Debian's `prometheus` package (.ci/run installs it); without it these fail."""
from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.services import ROOT, SERVICES

PROM = ROOT / "deploy" / "prometheus"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PORTS = {"portal": 8000, "discovery": 8001, "identification": 8002, "assistance": 8003, "gradual_exit": 8004,
         "followup": 8005, "policy": 8006, "oversight": 8007, "exchange": 8008}
# what Prometheus itself adds to every target
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_series_added"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
            "inf", "nan", "le"}
SUFFIXES = {"counter": ["_total", "_created"], "histogram": ["_bucket", "_count", "_sum", "_created"],
            "summary": ["", "_count", "_sum", "_created"], "gaugehistogram": ["_bucket", "_gcount", "_gsum"],
            "info": ["_info"], "stateset": [""], "gauge": [""], "unknown": [""]}


def promtool(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("promtool")
    if exe is None:
        pytest.fail("promtool is not installed: `apt-get install prometheus` (Debian's package; .ci/run installs it)")
    return subprocess.run([exe, *args], cwd=PROM, capture_output=True, text=True, timeout=120)


def exported_metric_names() -> set[str]:
    """Every sample name a service process can expose: the registry after importing each service's modules."""
    importlib.import_module("shared.observability")
    importlib.import_module("shared.unit_of_work")
    for service in SERVICES:
        importlib.import_module(f"{service}.main")
        if (ROOT / "services" / service / service / "scheduled.py").exists():
            importlib.import_module(f"{service}.scheduled")
    names: set[str] = set()
    for family in REGISTRY.collect():
        base = family.name
        names.update(base + s for s in SUFFIXES.get(family.type, [""]))
        names.update(sample.name for sample in family.samples)
    return names


def recorded_names() -> set[str]:
    rules = yaml.safe_load((PROM / "rules.yml").read_text())
    return {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (label matchers, ranges, grouping and functions removed)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"\{[^}]*\}", "", s)
    s = re.sub(r"\[[^\]]*\]", "", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    found = set()
    for m in re.finditer(r"(?<![\w.$])([A-Za-z_:][\w:]*)\b(\s*\()?", s):
        if m.group(2) or m.group(1).lower() in KEYWORDS:
            continue  # a function call or a keyword
        found.add(m.group(1))
    return found


def concrete(expr: str) -> str:
    """A dashboard expression with Grafana's variables replaced, so that promtool can parse it."""
    return (expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
            .replace("$service", ".*"))


def dashboard_targets():
    for path in DASHBOARDS:
        dash = json.loads(path.read_text())
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                yield path.name, panel["title"], target["expr"]


def test_metric_name_parser():
    assert metric_names('sum by (job, le) (rate(http_request_duration_seconds_bucket{job=~"$service", status=~"5.."}[5m]))') \
        == {"http_request_duration_seconds_bucket"}
    assert metric_names("max by (job) (outbox_backlog) > 0 unless on (job) sum by (job) (increase(events_published_total[10m])) > 0") \
        == {"outbox_backlog", "events_published_total"}
    assert metric_names("job:http_errors:rate5m / job:http_requests:rate5m") == {"job:http_errors:rate5m", "job:http_requests:rate5m"}
    assert metric_names("histogram_quantile(0.95, x_bucket)") == {"x_bucket"}


def test_promtool_checks_the_rules():
    done = promtool("check", "rules", "rules.yml")
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_checks_the_scrape_config():
    done = promtool("check", "config", "prometheus.yml")
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_rule_unit_tests():
    done = promtool("test", "rules", "rules_test.yml")
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_service_is_scraped_on_its_port():
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert set(SERVICES) <= set(jobs), "a service has no scrape job"
    for name, port in PORTS.items():
        assert jobs[name]["metrics_path"] == "/metrics"
        assert jobs[name]["static_configs"][0]["targets"] == [f"127.0.0.1:{port}"]
    assert config["rule_files"] == ["rules.yml"]


def test_rules_use_metrics_that_exist_and_every_alert_is_tested():
    known = exported_metric_names() | PROMETHEUS_SERIES | recorded_names()
    rules = yaml.safe_load((PROM / "rules.yml").read_text())
    alerts = set()
    for group in rules["groups"]:
        for rule in group["rules"]:
            missing = metric_names(rule["expr"]) - known
            assert not missing, f"{rule.get('alert') or rule.get('record')}: no service exports {missing}"
            if "alert" in rule:
                alerts.add(rule["alert"])
                assert rule["labels"]["severity"] in {"critical", "warning", "info"}
                assert rule["annotations"]["summary"]
    tested = {t["alertname"] for case in yaml.safe_load((PROM / "rules_test.yml").read_text())["tests"]
              for t in case.get("alert_rule_test", [])}
    for needed in ("ServiceDown", "DeadLetterGrowth", "ConsumerLagHigh", "OutboxBacklogHigh", "OutboxStuck",
                   "IdentificationCasesOverdue", "PetitionsOverdue"):
        assert needed in alerts and needed in tested, needed


def test_dashboards_are_grafana_json_with_a_service_variable():
    assert DASHBOARDS, "no dashboard under deploy/grafana/dashboards"
    uids = set()
    for path in DASHBOARDS:
        dash = json.loads(path.read_text())
        assert isinstance(dash["schemaVersion"], int) and dash["schemaVersion"] >= 30, path.name
        assert dash["uid"] not in uids and re.fullmatch(r"[a-z0-9-]{1,40}", dash["uid"]), path.name
        uids.add(dash["uid"])
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        assert variables["service"]["query"]["query"] == "label_values(up, job)"
        ids = [p["id"] for p in dash["panels"]]
        assert len(ids) == len(set(ids)), f"{path.name}: panel ids repeat"
        for panel in dash["panels"]:
            grid = panel["gridPos"]
            assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, f"{path.name}/{panel['title']}"
            if panel["type"] != "row":
                assert panel["targets"], f"{path.name}/{panel['title']} has no query"
                assert all(t["refId"] and t["expr"] for t in panel["targets"])
    provisioning = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "platform.yml").read_text())
    assert provisioning["providers"][0]["type"] == "file"
    datasource = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["type"] == "prometheus"


def test_dashboard_queries_use_metrics_that_exist():
    known = exported_metric_names() | PROMETHEUS_SERIES | recorded_names()
    for name in ("http_request_duration_seconds_bucket", "events_published_total", "events_consumed_total",
                 "events_retried_total", "events_dead_lettered_total", "outbox_backlog", "consumer_lag",
                 "identification_cases_overdue", "oversight_petitions_overdue", "discovery_clues_overdue",
                 "followup_checkins_overdue"):
        assert name in known, f"the issue names {name}; no service exports it"
    used = set()
    for dashboard, title, expr in dashboard_targets():
        names = metric_names(expr)
        assert names, f"{dashboard}/{title}: no metric in {expr!r}"
        assert not names - known, f"{dashboard}/{title}: no service exports {names - known}"
        used |= names
    for needed in ("http_request_duration_seconds_count", "events_dead_lettered_total", "outbox_backlog",
                   "consumer_lag", "identification_cases_overdue", "oversight_petitions_overdue"):
        assert needed in used, f"no panel shows {needed}"


def test_dashboard_queries_parse(tmp_path):
    """promtool parses every dashboard query (as a recording rule), with Grafana's variables filled in."""
    rules = [{"record": f"dashboard:q{i}", "expr": concrete(expr)} for i, (_, _, expr) in enumerate(dashboard_targets())]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = promtool("check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
