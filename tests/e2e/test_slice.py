"""The first slice end to end, each service its own process: an online application becomes exactly one case."""
import uuid

import httpx

from identification.config import Settings
from shared.auth import issue_token

from shared.synthetic import HouseholdFactory
from tests.fixtures import envelopes, read_topic, service_env, wait_until
from tests.helpers import assert_all_valid


def test_an_application_posted_to_discovery_becomes_a_case_in_identification(
        kafka_bootstrap, databases, topic_prefix, topics, processes):
    disc_db, iden_db = databases.create("discovery"), databases.create("identification")
    identification = processes("identification", "api", service_env("identification", iden_db, kafka_bootstrap, topic_prefix))
    discovery = processes("discovery", "api", service_env("discovery", disc_db, kafka_bootstrap, topic_prefix))

    body = HouseholdFactory(7).application_body(size=3)
    correlation = str(uuid.uuid4())
    response = httpx.post(discovery.url + "/api/v1/applications", json=body, timeout=10,
                          headers={"Idempotency-Key": "e2e-1", "X-Correlation-ID": correlation})
    assert response.status_code == 201, response.text
    application = response.json()
    assert response.headers["X-Correlation-ID"] == correlation

    staff = {"Authorization": "Bearer " + issue_token(Settings().jwt_secret, subject="e2e-county", role="county",
                                                      area=body["division_code"][:6])}

    def case_visible():
        page = httpx.get(identification.url + "/api/v1/cases", params={"application_id": application["application_id"]},
                         headers=staff).json()
        return page if page["total"] else None

    page = wait_until(case_visible, timeout=60, message="the case to be visible in identification's API")
    assert page["total"] == 1
    case = page["items"][0]
    assert case["household_id"] == application["household_id"]
    assert case["status"] == "opened" and case["member_count"] == 3
    assert httpx.get(identification.url + f"/api/v1/cases/{case['case_id']}", headers=staff).json()["application_id"] == application["application_id"]

    # Both events travelled with the household id as key and subject, the request's correlation id, and their contracts.
    submitted = envelopes(read_topic(kafka_bootstrap, topic_prefix + "discovery.application", expected=1))
    opened_records = read_topic(kafka_bootstrap, topic_prefix + "identification.case", expected=1)
    opened = envelopes(opened_records)
    assert_all_valid(submitted + opened)
    assert [e["type"] for e in submitted] == ["discovery.application.submitted"]
    assert [e["type"] for e in opened] == ["identification.case.opened"]
    assert opened_records[0].key.decode() == application["household_id"] == opened[0]["subject"]
    assert submitted[0]["correlationid"] == opened[0]["correlationid"] == correlation
    assert opened[0]["causationid"] == submitted[0]["id"]

    for service in (discovery, identification):
        ready = httpx.get(service.url + "/readyz").json()
        assert ready == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}
        metrics = httpx.get(service.url + "/metrics").text
        assert "events_published_total" in metrics and "http_request_duration_seconds" in metrics
