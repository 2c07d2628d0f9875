"""Re-assessment when a standard rises, through identification's API on real PostgreSQL with an injected clock: a
county officer's command flags households newly eligible under the rules in force (an event each, validated against
its contract), from the day the published version takes effect and not before; the preview of the same policy draft
counts the same household and writes nothing; the area and the Idempotency-Key are respected."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from identification import handlers
from identification.main import create_app
from identification.models import Reassessment, audit_log, metadata
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.contracts import registry
from shared.envelope import Event, decode
from shared.policy_client import POLICY_PUBLISHED, baseline_entries, merge
from shared.synthetic import HouseholdFactory
from tests.fuzz.checks import error_body_problems
from tests.helpers import count, identification_runtime

VILLAGE = "530102001001"
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)       # a Monday, under 53-v2 (dibao standard ¥600)
RAISED_FROM = date(2026, 6, 1)
ON_THE_DAY = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in China on the first day of 53-v3
V2_DOCUMENT = next(e for e in baseline_entries() if e.rule_version == "53-v2").document
RAISED = merge(V2_DOCUMENT, {"standards": {"dibao_standard_yuan_per_person_month": 700}})


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    return identification_runtime(databases.create("identification"), kafka_bootstrap, topic_prefix, clock=clock,
                                  policy_refresh_seconds=0)


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def token(runtime, role, area, subject=None):
    t = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-officer", role=role, area=area)
    return {"Authorization": f"Bearer {t}"}


def key():
    return {"Idempotency-Key": str(uuid.uuid4())}


def facts(per_capita: int) -> dict:
    """Three people (one employed, one able without a job, a child at school), living here five years."""
    return {"members": [{"age": 40, "labour_capacity": "full", "employed": True},
                        {"age": 35, "labour_capacity": "full"},
                        {"age": 9, "labour_capacity": "none", "in_compulsory_education": True}],
            "monthly_income_yuan": str(per_capita * 3), "residence_months": 60}


def assessed(client, runtime, seed: int, per_capita: int) -> tuple[str, str]:
    factory = HouseholdFactory(seed)
    event = factory.application_event(factory.application_body(division=VILLAGE, size=3))
    with runtime.session_factory() as s, s.begin():
        case = handlers.on_application_submitted(s, event, runtime.services)
        case_id, household_id = case.id, case.household_id
    v = token(runtime, "village", VILLAGE)
    assert client.post(f"/api/v1/cases/{case_id}/assessment/start", headers=v).status_code == 200
    r = client.post(f"/api/v1/cases/{case_id}/assessment", headers=v, json={
        "facts": facts(per_capita), "authorisation": {"authorised": True, "method": "signed_form", "reference": "A-1"}})
    assert r.status_code == 200, r.text
    assert r.json()["assessment"]["rule_version"] == "53-v2"
    return case_id, household_id


def refused(client, runtime, seed: int, per_capita: int) -> str:
    case_id, household_id = assessed(client, runtime, seed, per_capita)
    v, t, c = token(runtime, "village", VILLAGE), token(runtime, "township", TOWNSHIP), token(runtime, "county", COUNTY)
    assert client.post(f"/api/v1/cases/{case_id}/review", headers=v, json={
        "attendees": ["村主任", "村民代表"], "opinions": ["收入高于低保标准"], "outcome": "propose_rejection"}).status_code == 200
    assert client.post(f"/api/v1/cases/{case_id}/township-review", headers=t,
                       json={"outcome": "recommend_rejection", "opinion": "不符合"}).status_code == 200
    r = client.post(f"/api/v1/cases/{case_id}/decision", headers=c, json={"outcome": "reject"})
    assert r.status_code == 200 and r.json()["status"] == "rejected", r.text
    return household_id


def enrolled(client, runtime, clock, seed: int, per_capita: int) -> str:
    case_id, household_id = assessed(client, runtime, seed, per_capita)
    v, t, c = token(runtime, "village", VILLAGE), token(runtime, "township", TOWNSHIP), token(runtime, "county", COUNTY)
    assert client.post(f"/api/v1/cases/{case_id}/review", headers=v, json={
        "attendees": ["村主任", "村民代表"], "opinions": ["情况属实"], "outcome": "propose_approval"}).status_code == 200
    assert client.post(f"/api/v1/cases/{case_id}/notice", headers=t, json={}).status_code == 200
    clock.advance(days=7)
    assert client.post(f"/api/v1/cases/{case_id}/notice/close", headers=t).status_code == 200
    assert client.post(f"/api/v1/cases/{case_id}/township-review", headers=t,
                       json={"outcome": "recommend_approval", "opinion": "同意"}).status_code == 200
    r = client.post(f"/api/v1/cases/{case_id}/decision", headers=c, json={"outcome": "approve"})
    assert r.status_code == 200 and r.json()["status"] == "enrolled", r.text
    assert "dibao" in r.json()["decision"]["programmes"]
    return household_id


def publish_raised_standard(runtime) -> None:
    """53-v3 (the 53-v2 document with a ¥700 dibao standard, from 1 June 2026) into the replica, as the
    identification.policy consumer stores a policy.ruleset.published event."""
    event = Event(type=POLICY_PUBLISHED, source="/services/policy", subject="53-v3", data={
        "ruleset_id": str(uuid.uuid4()), "region": "53", "version": 3, "rule_version": "53-v3",
        "title": "Yunnan: dibao standard ¥700 / 云南省低保标准调整为700元", "effective_from": RAISED_FROM.isoformat(),
        "effective_to": None, "legal_basis": {"document_number": "ILLUSTRATIVE-53-2026-06", "url": None},
        "source": "api", "replaces": "53-v2", "proposed_by": "officer-a", "approved_by": "officer-b",
        "published_at": "2026-05-20T02:00:00+00:00",
        "overrides": {"standards": {"dibao_standard_yuan_per_person_month": 700}}, "document": RAISED})
    with runtime.session_factory() as session, session.begin():
        runtime.services.rules.store.handler(session, event)


def outbox_events(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    return [decode(bytes(p)) for p in rows]


def of_type(runtime, event_type: str) -> list[dict]:
    return [e for e in outbox_events(runtime) if e["type"] == event_type]


def row_counts(runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in metadata.tables.items()}


def test_a_refused_household_just_above_the_standard_is_flagged_once_the_raised_standard_takes_effect(
        client, runtime, clock):
    near = refused(client, runtime, seed=1, per_capita=650)         # above ¥600, below the new ¥700
    poor = enrolled(client, runtime, clock, seed=2, per_capita=500)  # below both: dibao under both
    publish_raised_standard(runtime)
    c = token(runtime, "county", COUNTY)

    # Before 1 June the rules in force are still 53-v2: nothing changes, nothing is flagged.
    r = client.post("/api/v1/reassessments", headers={**c, **key()}, json={"division_code": COUNTY})
    assert r.status_code == 201, r.text
    before = r.json()
    assert (before["considered"], before["flagged"], before["no_longer_eligible"]) == (2, 0, 0)
    assert before["run_on"] == "2026-03-09" and before["rule_versions"] == {"current": ["53-v2"], "previous": ["53-v2"]}
    assert before["summary"]["households"] == [] and before["summary"]["truncated"] is False
    assert of_type(runtime, "identification.reassessment.flagged") == []

    clock.at = ON_THE_DAY
    r = client.post("/api/v1/reassessments", headers={**c, **key()},
                    json={"division_code": COUNTY, "note": "低保标准调整为每人每月700元"})
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["considered"], run["flagged"], run["no_longer_eligible"]) == (2, 1, 0)
    assert run["run_on"] == "2026-06-01" and run["rule_versions"] == {"current": ["53-v3"], "previous": ["53-v2"]}
    assert run["requested_by"] == "county-officer" and run["note"] == "低保标准调整为每人每月700元"
    summary = run["summary"]
    assert summary["newly_eligible_by_programme"] == {"dibao": 1} and summary["no_longer_eligible_by_programme"] == {}
    assert [(h["household_id"], h["case_status"], h["flagged"], h["newly_eligible"], h["no_longer_eligible"])
            for h in summary["households"]] == [(near, "rejected", True, ["dibao"], [])]

    flagged = of_type(runtime, "identification.reassessment.flagged")
    assert len(flagged) == 1
    registry().validate(flagged[0])
    event = flagged[0]
    assert event["subject"] == near and event["data"]["household_id"] == near != poor
    data = event["data"]
    assert data["reassessment_id"] == run["reassessment_id"] and data["division_code"] == VILLAGE
    assert data["newly_eligible"] == ["dibao"] and data["no_longer_eligible"] == []
    assert (data["rule_version"], data["previous_rule_version"]) == ("53-v3", "53-v2")
    assert "¥700.00" in data["reasons"]["en"] and "700.00元" in data["reasons"]["zh"]
    assert data["flagged_at"] == ON_THE_DAY.isoformat()

    completed = of_type(runtime, "identification.reassessment.completed")
    assert len(completed) == 2
    for envelope in completed:
        registry().validate(envelope)
    assert completed[-1]["subject"] == run["reassessment_id"]
    assert (completed[-1]["data"]["flagged"], completed[-1]["data"]["rule_versions"]) == (1, ["53-v3"])
    assert completed[-1]["data"]["households"] == summary["households"]

    # stored, listed within the area, audited
    assert count(runtime, Reassessment) == 2
    page = client.get("/api/v1/reassessments", headers=c).json()
    assert page["total"] == 2 and [i["reassessment_id"] for i in page["items"]] == [run["reassessment_id"],
                                                                                   before["reassessment_id"]]
    assert client.get(f"/api/v1/reassessments/{run['reassessment_id']}", headers=c).json() == run
    assert client.get("/api/v1/reassessments", headers=c, params={"limit": 1, "offset": 1}).json()["items"][0][
        "reassessment_id"] == before["reassessment_id"]
    assert count(runtime, audit_log, audit_log.c.entity_type == "reassessment",
                 audit_log.c.action == "run_reassessment") == 2
    # the household's enrolment and cases are not touched: no identification event other than the run's own
    assert {e["type"] for e in outbox_events(runtime)[-3:]} == {"identification.reassessment.completed",
                                                                 "identification.reassessment.flagged"}

    other = token(runtime, "county", "530103")
    assert client.get("/api/v1/reassessments", headers=other).json()["total"] == 0
    r = client.get(f"/api/v1/reassessments/{run['reassessment_id']}", headers=other)
    assert r.status_code == 404 and error_body_problems(404, r.json()) == []


def test_the_preview_counts_the_same_household_and_writes_nothing(client, runtime, clock):
    near = refused(client, runtime, seed=3, per_capita=650)
    enrolled(client, runtime, clock, seed=4, per_capita=500)
    clock.at = datetime(2026, 5, 10, 2, 0, tzinfo=timezone.utc)
    body = {"region": "53", "effective_from": RAISED_FROM.isoformat(), "rule_version": "53-v3", "document": RAISED}
    before = row_counts(runtime)
    for headers in (token(runtime, "county", COUNTY), token(runtime, "policy", "53")):
        r = client.post("/api/v1/policy/preview", headers=headers, json=body)
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["service"] == "identification" and preview["region"] == "53"
        assert preview["compared_with"] == ["53-v2"] and preview["rule_version"] == "53-v3"
        assert (preview["households_considered"], preview["households_changing"]) == (2, 1)
        assert preview["newly_eligible"] == {"dibao": 1} and preview["no_longer_eligible"] == {}
        assert preview["examples"] == [{"household_id": near, "newly_eligible": ["dibao"], "no_longer_eligible": []}]
    assert client.post("/api/v1/policy/preview", headers=token(runtime, "county", COUNTY),
                       json=body).json()["area"] == COUNTY  # region 53 ∩ the county's area
    assert row_counts(runtime) == before  # nothing written: no row, no outbox entry, no audit

    # a draft that cannot decide is refused, naming the problem; nothing is written either
    broken = merge(RAISED, {})
    del broken["identification"]["dibao"]["residence_months"]
    r = client.post("/api/v1/policy/preview", headers=token(runtime, "policy", "53"), json={**body, "document": broken})
    assert r.status_code == 422 and error_body_problems(422, r.json()) == []
    assert "dibao.residence_months" in r.json()["message"] and r.json()["errors"][0]["field"] == "document"
    # another province, or a village officer: refused
    r = client.post("/api/v1/policy/preview", headers=token(runtime, "policy", "54"), json=body)
    assert r.status_code == 403 and r.json()["error"] == "outside_area" and error_body_problems(403, r.json()) == []
    r = client.post("/api/v1/policy/preview", headers=token(runtime, "village", VILLAGE), json=body)
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    assert row_counts(runtime) == before


def test_a_division_outside_the_officers_area_is_refused_and_nothing_is_written(client, runtime):
    refused(client, runtime, seed=5, per_capita=650)
    before = row_counts(runtime)
    c = token(runtime, "county", COUNTY)
    for division in ("530103", "53", "5301"):
        r = client.post("/api/v1/reassessments", headers={**c, **key()}, json={"division_code": division})
        assert r.status_code == 403, r.text
        assert r.json()["error"] == "outside_area" and error_body_problems(403, r.json()) == []
        assert division in r.json()["message"] and division in r.json()["message_zh"]
    r = client.post("/api/v1/reassessments", headers={**token(runtime, "township", TOWNSHIP), **key()},
                    json={"division_code": TOWNSHIP})
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    r = client.post("/api/v1/reassessments", headers={**c, **key()}, json={"division_code": "53x"})
    assert r.status_code == 422 and error_body_problems(422, r.json()) == []
    assert row_counts(runtime) == before
    # a narrower area inside one's own is allowed
    r = client.post("/api/v1/reassessments", headers={**c, **key()}, json={"division_code": TOWNSHIP})
    assert r.status_code == 201 and r.json()["considered"] == 1


def test_a_replayed_request_returns_the_first_answer_and_runs_nothing_again(client, runtime, clock):
    refused(client, runtime, seed=6, per_capita=650)
    publish_raised_standard(runtime)
    clock.at = ON_THE_DAY
    headers = {**token(runtime, "county", COUNTY), "Idempotency-Key": "reassess-2026-06"}
    first = client.post("/api/v1/reassessments", headers=headers, json={"division_code": COUNTY})
    assert first.status_code == 201 and first.json()["flagged"] == 1
    events = len(outbox_events(runtime))
    again = client.post("/api/v1/reassessments", headers=headers, json={"division_code": COUNTY})
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert count(runtime, Reassessment) == 1 and len(outbox_events(runtime)) == events
    assert len(of_type(runtime, "identification.reassessment.flagged")) == 1
    reused = client.post("/api/v1/reassessments", headers=headers, json={"division_code": COUNTY, "note": "again"})
    assert reused.status_code == 409 and reused.json()["error"] == "idempotency_key_reused"
    assert count(runtime, Reassessment) == 1
