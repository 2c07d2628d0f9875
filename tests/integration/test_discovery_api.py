"""discovery's API on real PostgreSQL: idempotent submission, validation naming field and rule, nothing half-written;
reading applications is for staff of the area."""
import pytest
from fastapi.testclient import TestClient

from discovery.main import create_app
from discovery.models import Application, ApplicationMember
from shared.synthetic import HouseholdFactory
from tests.helpers import count, discovery_runtime
from tests.integration.discovery_support import client, clock, county, runtime  # noqa: F401 (fixtures)


def written(runtime) -> tuple[int, int, int]:
    return (count(runtime, Application), count(runtime, ApplicationMember), count(runtime, runtime.tables.outbox))


def test_submission_writes_application_and_its_event_together(client, runtime):
    body = HouseholdFactory(1).application_body(division="530102001001", size=4)
    r = client.post("/api/v1/applications", json=body)
    assert r.status_code == 201, r.text
    assert written(runtime) == (1, 4, 1)
    got = client.get(f"/api/v1/applications/{r.json()['application_id']}", headers=county(runtime, "530102")).json()
    assert got["applicant_id_number_masked"] == body["applicant"]["id_number"][:6] + "********" + body["applicant"]["id_number"][-4:]
    assert body["applicant"]["id_number"] not in r.text


def test_retry_with_the_same_idempotency_key_returns_the_first_result(client, runtime):
    body = HouseholdFactory(2).application_body()
    first = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "abc-1"})
    second = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotency-Replayed") == "true"
    assert written(runtime)[0] == 1 and written(runtime)[2] == 1


def test_same_key_with_a_different_body_is_refused(client, runtime):
    f = HouseholdFactory(3)
    client.post("/api/v1/applications", json=f.application_body(), headers={"Idempotency-Key": "k"})
    r = client.post("/api/v1/applications", json=f.application_body(), headers={"Idempotency-Key": "k"})
    assert r.status_code == 409
    assert r.json()["field"] == "header.Idempotency-Key" and r.json()["rule"] == "same_key_same_body"
    assert written(runtime)[0] == 1


def test_without_a_key_two_posts_are_two_applications_of_one_household(client, runtime):
    body = HouseholdFactory(4).application_body()
    a = client.post("/api/v1/applications", json=body).json()
    b = client.post("/api/v1/applications", json=body).json()
    assert a["application_id"] != b["application_id"] and a["household_id"] == b["household_id"]


@pytest.mark.parametrize("mutate,field,rule", [
    (lambda b: b["members"][1].__setitem__("id_number", b["members"][1]["id_number"][:-1] +
                                           ("0" if b["members"][1]["id_number"][-1] != "0" else "1")),
     "members[1].id_number", "id_number_checksum"),
    (lambda b: b["applicant"].__setitem__("id_number", "12345"), "applicant.id_number", "id_number_length"),
    (lambda b: b.__setitem__("division_code", "5301"), "division_code", "division_code_format"),
    (lambda b: b.__setitem__("household_monthly_income_yuan", -0.01), "household_monthly_income_yuan", "greater_than_equal"),
    (lambda b: b.__setitem__("hardship_reason", "bored"), "hardship_reason", "literal_error"),
    (lambda b: b.__setitem__("consent_to_data_check", False), "body", "consent_required"),
    (lambda b: b["members"].__setitem__(0, {**b["members"][0], "relationship": "spouse"}), "body", "members_include_applicant"),
    (lambda b: b["members"].append(dict(b["members"][1])), "body", "members_unique_id_number"),
    (lambda b: b.pop("applicant"), "applicant", "missing"),
    (lambda b: b.__setitem__("members", []), "members", "too_short"),
    (lambda b: b.__setitem__("surprise", 1), "surprise", "extra_forbidden"),
])
def test_bad_input_gets_422_naming_field_and_rule_and_writes_nothing(client, runtime, mutate, field, rule):
    body = HouseholdFactory(5).application_body(size=3)
    mutate(body)
    r = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "bad-1"})
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in errors], errors
    assert all(e["message"] and e["message_zh"] for e in errors)
    assert written(runtime) == (0, 0, 0)
    assert count(runtime, runtime.tables.idempotency) == 0


def test_unknown_application_is_404_in_both_languages(client, runtime):
    r = client.get("/api/v1/applications/nope", headers=county(runtime))
    assert r.status_code == 404 and r.json()["message_zh"]


def test_reading_applications_needs_a_staff_token(client, runtime):
    body = HouseholdFactory(10).application_body(division="530102001001")
    application_id = client.post("/api/v1/applications", json=body).json()["application_id"]
    for path in (f"/api/v1/applications/{application_id}", "/api/v1/applications"):
        r = client.get(path)
        assert r.status_code == 401 and r.json()["error"] == "authentication_required" and r.json()["message_zh"]


def test_list_is_paginated_and_limited_to_the_officers_area(client, runtime):
    f = HouseholdFactory(6)
    for division in ["530102001001", "530102001001", "522701001002"]:
        assert client.post("/api/v1/applications", json=f.application_body(division=division)).status_code == 201
    page = client.get("/api/v1/applications", params={"limit": 1}, headers=county(runtime, "530102")).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["limit"] == 1
    assert client.get("/api/v1/applications", headers=county(runtime, "522701")).json()["total"] == 1
    # a narrower prefix inside the area narrows; a prefix outside it finds nothing
    assert client.get("/api/v1/applications", params={"division_code": "530102001"},
                      headers=county(runtime, "530102")).json()["total"] == 2
    assert client.get("/api/v1/applications", params={"division_code": "522701"},
                      headers=county(runtime, "530102")).json()["total"] == 0
    assert client.get("/api/v1/applications", params={"limit": 0}, headers=county(runtime)).status_code == 422


def test_broker_down_the_api_still_accepts_and_readiness_says_why(databases, topic_prefix):
    # the relay only: each worker thread waits out its broker timeout on shutdown, and consumers are not the point here
    runtime = discovery_runtime(databases.create("discovery"), "127.0.0.1:1", topic_prefix, run_consumers=False)
    with TestClient(create_app(runtime=runtime, start_workers=True)) as c:
        r = c.post("/api/v1/applications", json=HouseholdFactory(8).application_body())
        assert r.status_code == 201
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"] == {"database": "ok", "broker": "unreachable"}
    assert count(runtime, runtime.tables.outbox, runtime.tables.outbox.c.sent_at.is_(None)) == 1


def test_database_down_the_api_answers_503_not_500(kafka_bootstrap, topic_prefix):
    runtime = discovery_runtime("postgresql+psycopg://platform:platform@127.0.0.1:1/none", kafka_bootstrap, topic_prefix)
    with TestClient(create_app(runtime=runtime, start_workers=False), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/applications", json=HouseholdFactory(9).application_body())
        assert r.status_code == 503 and r.json()["error"] == "database_unavailable"
        assert c.get("/readyz").json()["checks"]["database"].startswith("unreachable")
