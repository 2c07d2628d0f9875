"""One household through the whole lifecycle over the real broker, every service with its own PostgreSQL database:
a medical-cost signal → risk clue → verified and referred → identified and enrolled → assisted → income rises →
observation → exit → follow-up → relapse → back to discovery on the fast track → a new identification case.

The services run in this process (FastAPI apps with their relays and consumers), so that one injected clock can
carry the household through six months of observation without sleeping; every hop between them is Kafka.
"""
import importlib
import json
from contextlib import ExitStack
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from shared.auth import issue_token
from shared.clock import FixedClock
from shared.contracts import registry
from shared.envelope import decode
from tests.fixtures import read_topic, wait_until
from tests.integration.discovery_support import (
    COUNTY,
    NOW,
    TOWNSHIP,
    VILLAGE,
    jsonl,
    person,
    signal,
    verification,
)
from tests.services import SERVICES


class Platform:
    def __init__(self, databases, bootstrap, prefix, clock):
        self.clock, self.apps, self.runtimes, self._stack = clock, {}, {}, ExitStack()
        for service in SERVICES:
            settings = importlib.import_module(f"{service}.config").Settings(
                database_url=databases.create(service), kafka_bootstrap=bootstrap, topic_prefix=prefix,
                relay_idle_seconds=0.05, consumer_max_records=50)
            runtime = importlib.import_module(f"{service}.bootstrap").build_runtime(settings, clock=clock)
            app = importlib.import_module(f"{service}.main").create_app(runtime=runtime, clock=clock, start_workers=True)
            self.runtimes[service] = runtime
            self.apps[service] = self._stack.enter_context(TestClient(app))

    def close(self):
        self._stack.close()

    def token(self, role, area="", department=None):
        secret = self.runtimes["discovery"].settings.jwt_secret
        return {"Authorization": "Bearer " + issue_token(secret, subject=f"{role}-e2e", role=role, area=area,
                                                         department=department)}

    def outbox_types(self, service) -> list[str]:
        rt = self.runtimes[service]
        with rt.engine.connect() as conn:
            return [row[0] for row in conn.execute(rt.tables.outbox.select().with_only_columns(
                rt.tables.outbox.c.event_type).order_by(rt.tables.outbox.c.id))]


@pytest.fixture
def platform(databases, kafka_bootstrap, topic_prefix):
    p = Platform(databases, kafka_bootstrap, topic_prefix, FixedClock(NOW))
    yield p
    p.close()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def test_one_household_from_a_medical_signal_to_enrolment_exit_follow_up_and_relapse(
        platform, kafka_bootstrap, topic_prefix):
    d, i, a, g, f = (platform.apps[s] for s in ("discovery", "identification", "assistance", "gradual_exit", "followup"))
    village, township = platform.token("village", VILLAGE), platform.token("township", TOWNSHIP)
    county, partner = platform.token("county", COUNTY), platform.token("partner", department="medical_insurance")
    head = person(501)

    # 1. Discovery: the medical-insurance bureau's record of a ¥12,000 hospital stay becomes a risk clue.
    r = d.post("/api/v1/signals", content=jsonl([signal(head, "MI-E2E-1")]),
               headers={"Content-Type": "application/x-ndjson", **partner})
    result = json.loads(ok(r) and r.text.splitlines()[0])
    assert result["status"] == "clue", result
    clue_id = result["clue_id"]
    ok(d.post(f"/api/v1/clues/{clue_id}/verification", headers=village, json=verification(True)))
    ok(d.post(f"/api/v1/clues/{clue_id}/referral", headers=township), 201)
    household_id = ok(d.get(f"/api/v1/clues/{clue_id}", headers=township))["household_id"]

    # 2. Identification: the referral opens one case; it is assessed, reviewed, published, decided.
    cases = wait_until(lambda: ok(i.get("/api/v1/cases", params={"household_id": household_id}, headers=county))["items"],
                       timeout=60, message="the case opened from the referral")
    case_id = cases[0]["case_id"]
    assert cases[0]["source_type"] == "referral"
    ok(i.post(f"/api/v1/cases/{case_id}/assessment/start", headers=village))
    facts = {"members": [{"age": 52, "labour_capacity": "partial", "chronic_illness": True},
                         {"age": 49, "labour_capacity": "full"}],
             "monthly_income_yuan": "700", "medical_expense_yuan_year": "30000", "residence_months": 240}
    assessed = ok(i.post(f"/api/v1/cases/{case_id}/assessment", headers=village, json={
        "facts": facts, "authorisation": {"authorised": True, "method": "signed_form", "reference": "E2E-1"}}))
    assert "dibao" in assessed["assessment"]["eligible"]
    ok(i.post(f"/api/v1/cases/{case_id}/review", headers=village,
              json={"attendees": ["村主任", "村民代表"], "opinions": ["情况属实"], "outcome": "propose_approval"}))
    ok(i.post(f"/api/v1/cases/{case_id}/notice", headers=township, json={}))
    platform.clock.advance(days=8)
    ok(i.post(f"/api/v1/cases/{case_id}/notice/close", headers=township))
    ok(i.post(f"/api/v1/cases/{case_id}/township-review", headers=township,
              json={"outcome": "recommend_approval", "opinion": "同意"}))
    enrolled = ok(i.post(f"/api/v1/cases/{case_id}/decision", headers=county, json={"outcome": "approve"}))
    assert enrolled["status"] == "enrolled" and enrolled["file_number"]

    # 3. Enrolment reaches discovery (linked, not duplicated), assistance (benefits) and gradual exit (participations).
    wait_until(lambda: ok(d.get(f"/api/v1/households/{household_id}", headers=county))["lifecycle_status"] == "enrolled",
               timeout=60, message="discovery to see the enrolment")
    wait_until(lambda: "assistance.benefit.granted" in platform.outbox_types("assistance"), timeout=60,
               message="assistance to grant the dibao benefit")
    participations = wait_until(
        lambda: ok(g.get("/api/v1/participations", params={"household_id": household_id}, headers=county))["items"],
        timeout=60, message="gradual exit to open the participations")
    dibao = next(p for p in participations if p["programme"] == "dibao")

    # 4. Gradual exit: income rises above the dibao line and stays there through six months of observation.
    members = [{"name": "户主", "id_number": head, "relationship": "self", "labour_capacity": "full"}]
    ok(g.post(f"/api/v1/households/{household_id}/situations", headers=village, json={
        "kind": "update", "per_capita_monthly_income_yuan": "900", "income_stable": True, "members": members,
        "guarantees": {k: True for k in ("food", "clothing", "compulsory_education", "basic_medical", "safe_housing",
                                         "drinking_water")}, "assistance_measures_received": 2}), 201)
    assert ok(g.get(f"/api/v1/participations/{dibao['participation_id']}", headers=county))["status"] == "observation"
    platform.clock.advance(days=200)
    from gradual_exit.scheduled import complete_observations
    assert complete_observations(platform.runtimes["gradual_exit"]) >= 1
    ok(g.post(f"/api/v1/participations/{dibao['participation_id']}/review", headers=township,
              json={"outcome": "propose_exit", "opinion": "收入稳定"}))
    platform.clock.advance(days=8)
    ok(g.post(f"/api/v1/participations/{dibao['participation_id']}/notice/close", headers=township))
    exited = ok(g.post(f"/api/v1/participations/{dibao['participation_id']}/decision", headers=county,
                       json={"outcome": "exit"}))
    assert exited["status"] == "exited"

    # 5. Follow-up: the exit starts a plan; a check-in finds a new large hospital bill: a relapse.
    plans = wait_until(lambda: ok(f.get("/api/v1/plans", params={"household_id": household_id}, headers=county))["items"],
                       timeout=60, message="the follow-up plan")
    wait_until(lambda: ok(d.get(f"/api/v1/households/{household_id}", headers=county))["lifecycle_status"] == "follow_up",
               timeout=60, message="discovery to see the follow-up")
    platform.clock.advance(days=30)
    ok(f.post(f"/api/v1/plans/{plans[0]['plan_id']}/checkins", headers=village, json={
        "household_monthly_income_yuan": "1800", "medical_per_stay_yuan": "15000", "notes": "户主再次住院"}), 201)

    # 6. Back to discovery on the fast track: the same record reopened and referred; identification opens a new case.
    def fast_track_referral():
        referred = [decode(r.value) for r in read_topic(kafka_bootstrap, topic_prefix + "discovery.household", timeout=3)]
        return [e for e in referred if e["type"] == "discovery.household.referred" and e["data"]["fast_track"]]
    relapse = wait_until(fast_track_referral, timeout=60, message="the fast-track referral")
    assert relapse[0]["data"]["household_id"] == household_id and "followup" in relapse[0]["data"]["channels"]
    new_cases = wait_until(lambda: [c for c in ok(i.get("/api/v1/cases", params={"household_id": household_id},
                                                        headers=county))["items"] if c["case_id"] != case_id],
                           timeout=60, message="a new identification case for the relapsed household")
    assert len(new_cases) == 1 and new_cases[0]["status"] == "opened"
    records = ok(d.get(f"/api/v1/households/{household_id}", headers=county))["records"]
    assert len(records) == 1, "the household's record was reopened, not created anew"

    # Every event that crossed the broker honours its contract: the internal one, or on a partner's stream
    # (partner.<department>.<stream>, written by exchange) the partner contract (contracts/asyncapi-partners.yaml).
    from exchange.projector import partner_registry
    topics = {t for rt in platform.runtimes.values() for t in rt.topics()}
    seen = 0
    for topic in sorted(topics):
        contract = partner_registry() if topic.removeprefix(topic_prefix).startswith("partner.") \
            and not topic.removeprefix(topic_prefix).startswith("partner.signal") else registry()
        for record in read_topic(kafka_bootstrap, topic, timeout=3):
            contract.validate(decode(record.value))
            seen += 1
    assert seen >= 20
    for topic in sorted(topics):
        dead = read_topic(kafka_bootstrap, topic + ".dlt", timeout=1)
        assert dead == [], f"dead letters on {topic}: {[dict(r.headers) for r in dead]}"
