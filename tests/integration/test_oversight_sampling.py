"""Accuracy by sampling over the real broker and PostgreSQL: the population arrives as identification's and gradual
exit's events, a county officer draws a stratified sample (re-drawn with the recorded seed it gives the same files),
the files are re-checked through the API (never by their own case handler) and the accuracy figures equal the ones
computed here by hand."""
from __future__ import annotations

import math

import httpx
import pytest

from shared.envelope import Event
from shared.kafka_io import topic_for
from tests.fixtures import service_env, wait_until

COUNTY = "530102"
TOWNS = ("530102001", "530102002")
Z = 1.959963984540054
REASON = {"code": "test", "en": "test", "zh": "测试"}
GUARANTEES = {"food": True, "clothing": True, "compulsory_education": True, "basic_medical": True,
              "safe_housing": True, "drinking_water": True}


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def token(url: str, role: str, area: str, subject: str | None = None) -> dict:
    body = ok(httpx.post(url + "/dev/tokens", json={"subject": subject or f"t-{role}-{area}", "role": role,
                                                    "area": area}))
    return {"Authorization": "Bearer " + body["access_token"]}


def send(producer, prefix: str, event_type: str, household: str, data: dict) -> None:
    event = Event(type=event_type, source="/services/test", subject=household, data=data)
    producer.send(topic_for(event_type, prefix), key=household.encode(), value=event.to_bytes())


def wilson(c: float, n: float) -> tuple[float, float]:
    p = c / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def test_a_sampling_audit_over_the_real_broker_gives_the_hand_computed_accuracy(
        processes, databases, kafka_bootstrap, topic_prefix, producer):
    env = service_env("oversight", databases.create("oversight"), kafka_bootstrap, topic_prefix,
                      dev_token_issuer="true")
    over = processes("oversight", "api", env)
    # 12 enrolments in township 1, 6 in township 2 (each assessed by its village officer, reviewed by the
    # township), 2 refusals, and 4 exits in township 1 (situations recorded by the village officer)
    for t, town in enumerate(TOWNS):
        for i in range(12 if t == 0 else 6):
            case, hh = f"case-{t}-{i:02d}", f"hh-{t}-{i:02d}"
            village = f"{town}{i % 2 + 1:03d}"
            send(producer, topic_prefix, "identification.case.opened", hh, {
                "case_id": case, "household_id": hh, "application_id": f"app-{case}", "source_type": "application",
                "source_id": f"app-{case}", "division_code": village, "status": "opened",
                "opened_at": "2026-03-01T08:00:00Z", "member_count": 2, "deadline": "2026-04-15"})
            send(producer, topic_prefix, "identification.assessment.completed", hh, {
                "case_id": case, "household_id": hh, "assessment_id": f"as-{case}", "rule_version": "CN-2026.1",
                "dimensions": [], "eligible_programmes": ["dibao"], "categories": {},
                "assessed_at": "2026-03-05T08:00:00Z", "assessed_by": f"village-{village}"})
            send(producer, topic_prefix, "identification.household.enrolled", hh, {
                "case_id": case, "household_id": hh, "file_number": f"{COUNTY}-2026-{t}{i:05d}",
                "division_code": village, "programmes": ["dibao"], "categories": {}, "rule_version": "CN-2026.1",
                "enrolled_at": "2026-04-01T02:00:00Z", "member_count": 2})
    for i in range(2):
        case, hh = f"case-r-{i}", f"hh-r-{i}"
        send(producer, topic_prefix, "identification.case.opened", hh, {
            "case_id": case, "household_id": hh, "application_id": f"app-{case}", "source_type": "application",
            "source_id": f"app-{case}", "division_code": f"{TOWNS[1]}001", "status": "opened",
            "opened_at": "2026-03-01T08:00:00Z", "member_count": 1, "deadline": "2026-04-15"})
        send(producer, topic_prefix, "identification.household.rejected", hh, {
            "case_id": case, "household_id": hh, "reasons": [REASON], "rule_version": "CN-2026.1",
            "appeal": {"en": "appeal", "zh": "复议"}, "rejected_at": "2026-04-02T02:00:00Z"})
    for i in range(4):
        hh, village = f"hh-x-{i}", f"{TOWNS[0]}001"
        send(producer, topic_prefix, "gradual_exit.situation.recorded", hh, {
            "situation_id": f"sit-{i}", "household_id": hh, "division_code": village, "kind": "review",
            "source": "caseworker", "recorded_at": "2026-05-01T02:00:00Z",
            "recorded_by": {"subject": "village-exit-officer", "role": "village", "area": village},
            "guarantees": GUARANTEES})
        send(producer, topic_prefix, "gradual_exit.household.exited", hh, {
            "exit_id": f"exit-{i}", "household_id": hh, "programme": "dibao", "division_code": village,
            "exited_at": "2026-06-01T02:00:00Z", "reasons": [REASON], "remaining_programmes": []})
    producer.flush()

    county = token(over.url, "county", COUNTY)
    request = {"area": COUNTY, "kinds": ["enrolled", "exited"], "period_from": "2026-01-01",
               "period_to": "2026-12-31", "size": 9, "stratify_by": "township"}

    def population_in() -> bool:
        body = ok(httpx.post(over.url + "/api/v1/samples", json={**request, "seed": 1}, headers=county), 201)
        return body["population_size"] == 22 and all(f["case_handlers"] for f in body["files"])
    wait_until(population_in, timeout=90, interval=1.0, message="the population in oversight")

    sample = ok(httpx.post(over.url + "/api/v1/samples", json=request, headers=county), 201)
    # N = 12 + 6 (enrolled) + 4 (exited) = 22; quotas 9*12/22=4.9, 2.45, 1.64 -> 4, 2, 1 + remainders -> 5, 2, 2
    assert sample["stratum_sizes"] == {"enrolled/530102001": 12, "enrolled/530102002": 6, "exited/530102001": 4}
    assert sample["allocation"] == {"enrolled/530102001": 5, "enrolled/530102002": 2, "exited/530102001": 2}
    again = ok(httpx.post(over.url + "/api/v1/samples", json={**request, "seed": sample["seed"]}, headers=county), 201)
    assert [f["file_id"] for f in again["files"]] == [f["file_id"] for f in sample["files"]]
    sid, files = sample["sample_id"], sample["files"]

    # the file's own case handler may be neither assigned nor record the outcome
    first = files[0]
    own = first["case_handlers"][0]
    refused = httpx.post(f"{over.url}/api/v1/samples/{sid}/files/{first['file_id']}/assignment",
                         json={"checker": own}, headers=county)
    assert refused.status_code == 409 and refused.json()["rule"] == "recheck_by_other_than_handler"
    handler_token = token(over.url, "township", TOWNS[0], subject=own)
    refused = httpx.post(f"{over.url}/api/v1/samples/{sid}/files/{first['file_id']}/outcome",
                         json={"outcome": "confirmed"}, headers=handler_token)
    assert refused.status_code == 409 and refused.json()["rule"] == "recheck_by_other_than_handler"
    assert "zh" in refused.text or "message_zh" in refused.json()

    # outcomes: in township 1 one enrolment of five should not have been; one exit of two should not have happened
    wrong = {next(f["file_id"] for f in files if f["stratum"] == "enrolled/530102001"): "should_not_have_been_enrolled",
             next(f["file_id"] for f in files if f["kind"] == "exited"): "should_not_have_exited"}
    for f in files:
        ok(httpx.post(f"{over.url}/api/v1/samples/{sid}/files/{f['file_id']}/assignment",
                      json={"checker": "checker-county"}, headers=county))
        ok(httpx.post(f"{over.url}/api/v1/samples/{sid}/files/{f['file_id']}/outcome",
                      json={"outcome": wrong.get(f["file_id"], "confirmed"), "note": "入户复核"},
                      headers=token(over.url, "county", COUNTY, subject="checker-county")))
    wrong_checker = httpx.post(f"{over.url}/api/v1/samples/{again['sample_id']}/files/{files[1]['file_id']}/outcome",
                               json={"outcome": "should_have_been_enrolled"}, headers=county)
    assert wrong_checker.status_code == 422  # an enrolled file cannot be "should have been enrolled"

    # only the re-checked sample counts (the others have no outcome): by hand, identification is stratified:
    # W = 12/18, 6/18; p = 12/18 * 4/5 + 6/18 * 2/2
    body = ok(httpx.get(over.url + "/api/v1/accuracy", params={"area": COUNTY, "from": "2026-01-01",
                                                               "to": "2026-12-31"}, headers=county))
    figures = {f["measure"]: f for f in body["figures"]}
    ident = figures["identification"]
    p = 12 / 18 * 0.8 + 6 / 18 * 1.0
    var = (12 / 18) ** 2 * (1 - 5 / 12) * 0.8 * 0.2 / 5
    n_eff = p * (1 - p) / var
    assert (ident["n"], ident["confirmed"]) == (7, 6)
    assert ident["estimate"] == pytest.approx(p) and ident["method"] == "stratified-wilson-effective-n"
    assert ident["interval"] == pytest.approx(list(wilson(p * n_eff, n_eff)))
    exit_ = figures["exit"]
    assert (exit_["n"], exit_["confirmed"], exit_["method"]) == (2, 1, "wilson")
    assert exit_["estimate"] == 0.5 and exit_["interval"] == pytest.approx(list(wilson(1, 2)))
    assert ident["rule_version"] == "SAMPLING-2026.1"

    trail = ok(httpx.get(f"{over.url}/api/v1/samples/{sid}/audit", headers=county))
    assert [row["action"] for row in trail] == ["sample.drawn"]
