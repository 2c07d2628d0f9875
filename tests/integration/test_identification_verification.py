"""Economic-status checks end to end over the real broker and PostgreSQL: an application becomes a case, the field
assessment starts and identification.verification.requested reaches its topic, a partner answers over the API (the
README's example), the case shows every fact with its source and the income discrepancy, and the departments that did
not answer go to "no answer" with identification.verification.overdue once the training clock passes the due date."""
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from discovery.main import create_app as discovery_app
from identification import handlers
from identification.main import create_app
from identification.scheduled import check_verifications
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.contracts import registry
from shared.kafka_io import ensure_topics
from shared.synthetic import HouseholdFactory
from tests.fixtures import envelopes, read_topic, wait_until
from tests.helpers import discovery_runtime, identification_runtime

VILLAGE = "530102001001"
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 2 March, 09:00 in China
DUE_DAY_LAST_MINUTE = datetime(2026, 3, 16, 15, 59, tzinfo=timezone.utc)  # 23:59 on 16 March in China
AFTER_DUE_DAY = datetime(2026, 3, 16, 16, 0, tzinfo=timezone.utc)
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_example() -> dict:
    """The Python block of the README's "Economic-status checks" section, run as written."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- verification-example:[^\n]*-->\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md (economic-status checks)", "exec"), namespace)
    return namespace


def bearer(secret, **claims) -> dict:
    return {"Authorization": "Bearer " + issue_token(secret, **claims)}


def topic_events(bootstrap, topic, event_type, expected=None):
    found = [e for e in envelopes(read_topic(bootstrap, topic, expected=expected)) if e["type"] == event_type]
    for e in found:
        registry().validate(e)
    return found


@pytest.fixture
def clock():
    return FixedClock(START)


def test_an_economic_status_check_end_to_end(databases, kafka_bootstrap, topic_prefix, clock):
    ensure_topics(kafka_bootstrap, [topic_prefix + t for t in (
        "discovery.application", "identification.case", "identification.assessment", "identification.verification")])
    disc = discovery_runtime(databases.create("discovery"), kafka_bootstrap, topic_prefix)
    iden = identification_runtime(databases.create("identification"), kafka_bootstrap, topic_prefix, clock=clock,
                                  deadline_check_seconds=3600)
    secret = iden.settings.jwt_secret
    village = bearer(secret, subject="village-officer", role="village", area=VILLAGE)
    body = HouseholdFactory(21).application_body(division=VILLAGE, size=2)
    body["household_monthly_income_yuan"] = 600

    with TestClient(discovery_app(disc, start_workers=False)) as discovery, \
            TestClient(create_app(runtime=iden, clock=clock, start_workers=True)) as client:
        r = discovery.post("/api/v1/applications", json=body, headers={"Idempotency-Key": "verification-e2e"})
        assert r.status_code == 201, r.text
        application_id = r.json()["application_id"]
        relay = disc.relay()  # discovery's relay, once: the application travels over the broker to identification
        try:
            assert relay.publish_batch() >= 1
        finally:
            relay.producer.close()

        def case_id():
            page = client.get("/api/v1/cases", params={"application_id": application_id}, headers=village).json()
            return page["items"][0]["case_id"] if page["total"] else None
        case = wait_until(case_id, timeout=60, message="identification to open the case from the application")

        r = client.post(f"/api/v1/cases/{case}/assessment/start", headers=village)
        assert r.status_code == 200, r.text
        [requested] = wait_until(lambda: topic_events(kafka_bootstrap, topic_prefix + "identification.verification",
                                                      "identification.verification.requested") or None,
                                 timeout=30, message="identification.verification.requested on its topic")
        data = requested["data"]
        assert requested["subject"] == data["household_id"] and data["case_id"] == case
        assert {m["id_number"] for m in data["members"]} == {m["id_number"] for m in body["members"]}
        assert all(m["name"] for m in data["members"])
        assert data["authorisation"]["reference"] == f"application:{application_id}"
        assert data["due_date"] == "2026-03-16" and data["rule_version"] == "verification-2026.1"
        asked = {d["department"]: d["fact_kinds"] for d in data["departments"]}
        assert asked["human_resources"] == ["income_records", "social_insurance_payments"]
        assert set(data["facts_requested"]) == {"income_records", "vehicles", "property", "business_registration",
                                                "social_insurance_payments"}
        request_id, member = data["request_id"], data["members"][0]["id_number"]

        # only a department that was asked may answer, and only for what it was asked
        outsider = bearer(secret, subject="mi", role="partner", area="", department="medical_insurance")
        one = {"reported_on": "2026-03-04", "members": [{"id_number": member, "income_records": []}]}
        r = client.post(f"/api/v1/verifications/{request_id}/answers", json=one, headers=outsider)
        assert r.status_code == 403 and r.json()["error"] == "department_not_asked", r.text
        market = bearer(secret, subject="mr", role="partner", area="", department="market_regulation")
        r = client.post(f"/api/v1/verifications/{request_id}/answers", json=one, headers=market)
        assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "fact_kind_asked", r.text
        r = client.post(f"/api/v1/verifications/{request_id}/answers", json=one, headers=village)
        assert r.status_code == 403, r.text
        r = client.post("/api/v1/verifications/nope/answers", json=one,
                        headers=bearer(secret, subject="hr", role="partner", area="", department="human_resources"))
        assert r.status_code == 404, r.text

        # human_resources answers with the README's example; the same answer again returns the first
        token = issue_token(secret, subject="hr-bureau", role="partner", area="", department="human_resources")
        answer = readme_example()["answer"]
        first = answer(client, token, request_id, member)
        again = answer(client, token, request_id, member)
        assert again == first
        [income] = first["discrepancies"]
        assert (income["fact"], income["declared"], income["reported"]) == ("monthly_income_yuan", "600.00", "2500.00")
        assert Decimal(income["tolerance"]) == Decimal(100) and income["rule_version"] == "verification-2026.1"
        hr = {"Authorization": f"Bearer {token}"}
        changed = {"reported_on": "2026-03-05", "members": [{"id_number": member, "income_records": []}]}
        r = client.post(f"/api/v1/verifications/{request_id}/answers", json=changed, headers=hr)
        assert r.status_code == 409 and r.json()["error"] == "already_answered", r.text

        [answered] = wait_until(lambda: topic_events(kafka_bootstrap, topic_prefix + "identification.verification",
                                                     "identification.verification.answered") or None,
                                timeout=30, message="identification.verification.answered on its topic")
        assert answered["data"]["department"] == "human_resources"
        assert answered["data"]["discrepancies"] == first["discrepancies"]

        # the officer sees every fact with its source, the suggested facts and the discrepancy
        view = client.get(f"/api/v1/cases/{case}", headers=village).json()["verification"]
        sources = {(f["fact"], f["source"]["kind"], f["source"].get("department")) for f in view["facts"]}
        assert ("monthly_income_yuan", "declared", None) in sources
        assert ("income_records", "reported", "human_resources") in sources
        assert ("social_insurance_payments", "reported", "human_resources") in sources
        reported = next(f for f in view["facts"] if f["fact"] == "income_records")
        assert reported["source"]["label_en"] == "reported by human_resources on 2026-03-04"
        assert reported["member"]["id_number"] == member and reported["member"]["name"]
        assert view["prefill"]["monthly_income_yuan"]["value"] == "2500.00"
        assert view["discrepancies"] == first["discrepancies"]
        status = {d["department"]: d["status"] for d in view["departments"]}
        assert status["human_resources"] == "answered" and set(status.values()) == {"answered", "asked"}

        # the due day itself is in time; from the next day the others are "no answer", reported once
        clock.at = DUE_DAY_LAST_MINUTE
        assert check_verifications(iden) == 0
        clock.at = AFTER_DUE_DAY
        counted = REGISTRY.get_sample_value("identification_verification_overdue_total") or 0.0
        silent = sorted(d for d in status if d != "human_resources")
        assert check_verifications(iden) == len(silent)
        assert check_verifications(iden) == 0
        assert REGISTRY.get_sample_value("identification_verification_departments_no_answer") == len(silent)
        assert REGISTRY.get_sample_value("identification_verification_overdue_total") - counted == len(silent)
        [overdue] = wait_until(lambda: topic_events(kafka_bootstrap, topic_prefix + "identification.verification",
                                                    "identification.verification.overdue") or None,
                               timeout=30, message="identification.verification.overdue on its topic")
        assert overdue["data"]["departments"] == silent and overdue["data"]["due_date"] == "2026-03-16"
        view = client.get(f"/api/v1/cases/{case}", headers=village).json()["verification"]
        assert {d["department"]: d["status"] for d in view["departments"]} == {
            **{d: "no_answer" for d in silent}, "human_resources": "answered"}


def test_no_check_without_a_recorded_authorisation(databases, kafka_bootstrap, topic_prefix, clock):
    """A referral carries no authorisation: starting its assessment asks no department."""
    iden = identification_runtime(databases.create("identification"), kafka_bootstrap, topic_prefix, clock=clock)
    with TestClient(create_app(runtime=iden, clock=clock, start_workers=False)) as client:
        factory = HouseholdFactory(3)
        event = factory.application_event(factory.application_body(division=VILLAGE, size=2))
        event.data["consent_to_data_check"] = False  # as a referral would: nothing recorded
        with iden.session_factory() as s, s.begin():
            case = handlers.on_application_submitted(s, event, iden.services)
        village = bearer(iden.settings.jwt_secret, subject="v", role="village", area=VILLAGE)
        r = client.post(f"/api/v1/cases/{case.id}/assessment/start", headers=village)
        assert r.status_code == 200 and r.json()["verification"] is None, r.text
