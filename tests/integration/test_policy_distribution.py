"""Policy over the real broker, every service as its own process on one training clock (the issue's acceptance):

- a provincial dibao standard and monitoring line with a future date, drafted and approved over policy's API, reach
  identification, assistance and gradual_exit as `policy.ruleset.published` on the compacted topic; before the date
  they keep the version in force, and on the date (training clock moved, no restart) all three apply the new one;
- a service started after the publication (followup) has it from the topic;
- an invalid draft is refused naming the parameter path and rule, and nothing more is published.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx

from shared.clock import china_time
from shared.kafka_io import topic_for
from tests.fixtures import envelopes, read_topic, service_env, wait_until

VILLAGE = "530102001001"
GUIZHOU = "520326101203"
CONSUMERS = ("identification", "assistance", "gradual_exit")


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def token(url: str, role: str, area: str, subject: str) -> dict:
    body = ok(httpx.post(url + "/dev/tokens", json={"subject": subject, "role": role, "area": area}))
    return {"Authorization": "Bearer " + body["access_token"]}


def in_force(service, headers, division=VILLAGE, on: date | None = None) -> dict:
    params = {"division_code": division, **({"on": on.isoformat()} if on else {})}
    return ok(httpx.get(service.url + "/api/v1/policy/in-force", params=params, headers=headers, timeout=10))


def published(bootstrap: str, prefix: str) -> list[dict]:
    return [e for e in envelopes(read_topic(bootstrap, topic_for("policy.ruleset.published", prefix)))
            if e["type"] == "policy.ruleset.published"]


def test_a_regional_standard_published_over_the_api_takes_effect_everywhere_on_its_date(
        kafka_bootstrap, databases, topic_prefix, processes, tmp_path):
    training = {"training_mode": "true", "dev_token_issuer": "true",
                "training_clock_file": str(tmp_path / "training-clock.json")}

    def start(service: str, **extra):
        return processes(service, "api", service_env(service, databases.create(service), kafka_bootstrap,
                                                     topic_prefix, **training, **extra))

    assistance = start("assistance")
    policy = start("policy", preview_urls=f"assistance={assistance.url}")
    services = {"assistance": assistance, **{name: start(name) for name in CONSUMERS if name != "assistance"}}
    pids = {name: s.proc.pid for name, s in services.items()}
    staff = token(policy.url, "county", "530102", "county-530102")
    officer_a = token(policy.url, "policy", "53", "policy-53-a")
    officer_b = token(policy.url, "policy", "53", "policy-53-b")

    # the shipped bundle is published at policy's first start and every service has stored it
    wait_until(lambda: {e["data"]["rule_version"] for e in published(kafka_bootstrap, topic_prefix)} ==
               {"CN-v1", "53-v1", "53-v2"}, timeout=60, message="the bundle on the policy topic")
    today = china_time(datetime.now().astimezone()).date()
    effective = date(today.year + 1, 1, 1)
    for name, service in services.items():
        now = in_force(service, staff)
        assert (now["rule_version"], now["service"]) == ("53-v2", name)
        assert now["standards"]["dibao_standard_yuan_per_person_month"] == 600

    draft = ok(httpx.post(policy.url + "/api/v1/rulesets", headers=officer_a, timeout=10, json={
        "region": "53", "version": 3, "effective_from": effective.isoformat(), "effective_to": None,
        "title": f"云南省 {effective.year} 年农村低保标准与监测线",
        "legal_basis": {"document_number": f"云民发〔{today.year}〕88号", "url": None},
        "overrides": {"standards": {"dibao_standard_yuan_per_person_month": 650,
                                    "monitoring_line_yuan_per_person_year": 9600}}}), 201)
    # the director's question before approving: what would it change? (assistance answers for the area)
    preview = ok(httpx.get(policy.url + f"/api/v1/rulesets/{draft['ruleset_id']}/preview", headers=officer_b,
                           timeout=30))
    assert [(a["service"], a["status"]) for a in preview["services"]] == [("assistance", "ok")], preview
    answer = preview["services"][0]["result"]
    assert (answer["rule_version"], answer["region"], answer["households_changing"]) == ("53-v3", "53", 0)
    ok(httpx.post(policy.url + f"/api/v1/rulesets/{draft['ruleset_id']}/approval", json={"note": "复核"},
                  headers=officer_b, timeout=10))

    # every service learns the new version from the topic; until its date each keeps 53-v2
    for name, service in services.items():
        wait_until(lambda: in_force(service, staff, on=effective)["rule_version"] == "53-v3", timeout=60,
                   message=f"{name} to store 53-v3")
        assert in_force(service, staff)["rule_version"] == "53-v2"
        assert in_force(service, staff, on=effective - timedelta(days=1))["rule_version"] == "53-v2"
        assert in_force(service, staff, division=GUIZHOU, on=effective)["rule_version"] == "CN-v1"

    # the training clock reaches the date: all three switch at once, the same processes, no restart
    admin = token(policy.url, "admin", "", "trainer")
    ok(httpx.post(policy.url + "/dev/clock", json={"advance_days": (effective - today).days}, headers=admin))
    seen = {}
    for name, service in services.items():
        now = in_force(service, staff)
        assert now["on"] == effective.isoformat() and now["rule_version"] == "53-v3", name
        seen[name] = now["standards"]
        assert service.proc.pid == pids[name] and service.proc.poll() is None
    assert seen["identification"]["dibao_standard_yuan_per_person_month"] == 650
    assert seen["assistance"]["dibao_standard_yuan_per_person_month"] == 650
    assert seen["gradual_exit"]["dibao_standard_yuan_per_person_month"] == 650
    assert seen["identification"]["monitoring_line_yuan_per_person_year"] == 9600
    assert seen["gradual_exit"]["monitoring_line_yuan_per_person_year"] == 9600

    # a service started after the publication reads every version from the compacted topic
    followup = start("followup")
    wait_until(lambda: in_force(followup, staff)["rule_version"] == "53-v3", timeout=60,
               message="followup, started late, to have 53-v3")
    assert in_force(followup, staff)["standards"]["monitoring_line_yuan_per_person_year"] == 9600

    # an invalid draft: the parameter path and the rule, and nothing more on the topic
    before = len(published(kafka_bootstrap, topic_prefix))
    refused = httpx.post(policy.url + "/api/v1/rulesets", headers=officer_a, timeout=10, json={
        "region": "53", "version": 4, "effective_from": date(effective.year, 7, 1).isoformat(), "effective_to": None,
        "title": "监测线低于低保标准（错误）", "legal_basis": {"document_number": "云民发〔X〕1号", "url": None},
        "overrides": {"standards": {"monitoring_line_yuan_per_person_year": 6000}}})
    assert refused.status_code == 422, refused.text
    assert {"field": "overrides.standards.monitoring_line_yuan_per_person_year",
            "rule": "monitoring_line_not_below_dibao_standard"} in [
        {"field": e["field"], "rule": e["rule"]} for e in refused.json()["errors"]]
    assert len(published(kafka_bootstrap, topic_prefix)) == before == 4
