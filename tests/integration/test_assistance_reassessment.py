"""Re-assessment when a standard rises, on real PostgreSQL: a benefit keeps the version it was computed with until a
county officer re-assesses the area; from the new version's first day the run supersedes each changed benefit
(assistance.benefit.granted with supersedes) and publishes assistance.reassessment.completed; before that day, or
run twice, it changes nothing. The preview of a policy draft counts the same household and writes nothing."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from assistance.models import Benefit, Reassessment
from shared.envelope import Event
from shared.policy_client import baseline_entries, merge
from tests.helpers import assert_all_valid
from tests.integration.test_assistance_matching import (  # noqa: F401 (fixtures)
    COUNTY,
    VILLAGE,
    client,
    enrol,
    outbox,
    runtime,
    token,
)

START = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
EFFECTIVE = date(2027, 1, 1)


@pytest.fixture
def clock():
    from shared.clock import FixedClock
    return FixedClock(START)


def raised_standard() -> dict:
    yunnan = next(e for e in baseline_entries() if e.rule_version == "53-v2")
    return merge(yunnan.document, {"standards": {"dibao_standard_yuan_per_person_month": 700}})


def publish(runtime, document: dict) -> None:
    event = Event(type="policy.ruleset.published", source="/services/policy", subject="53-v3", data={
        "ruleset_id": "rs-53-3", "region": "53", "version": 3, "rule_version": "53-v3",
        "title": "云南省 2027 年农村低保标准", "effective_from": EFFECTIVE.isoformat(), "effective_to": None,
        "legal_basis": {"document_number": "云民发〔2026〕12号", "url": None}, "source": "api",
        "replaces": "53-v2", "proposed_by": "policy-53-a", "approved_by": "policy-53-b",
        "published_at": START.isoformat(), "overrides": {"standards": {"dibao_standard_yuan_per_person_month": 700}},
        "document": document})
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        runtime.services.rules.store.handler(s, event)
    runtime.services.rules.refresh(force=True)


def active(runtime, household_id) -> list[Benefit]:
    with runtime.session_factory() as s:
        return list(s.scalars(select(Benefit).where(Benefit.household_id == household_id, Benefit.status == "active")))


def reassess(client, runtime, area=COUNTY, officer_area=COUNTY, key=None):
    headers = token(runtime, "county", officer_area)
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/reassessments", json={"division_code": area, "note": "低保标准提高后重新核算"},
                       headers=headers)


def test_a_higher_standard_changes_benefits_only_when_the_county_reassesses_on_or_after_its_date(client, runtime, clock):
    enrol(runtime, clock, "hh-near", programmes=("dibao",), income=300.0, members=2)
    enrol(runtime, clock, "hh-tekun", programmes=("tekun",), income=None, members=1)
    [before] = active(runtime, "hh-near")
    assert (before.amount_yuan, before.rule_version) == (600, "53-v2")  # 2 × (600 − 300)

    # the preview of the draft: one household's top-up would rise by 2 × 100; nothing is written
    with runtime.session_factory() as s:
        counts = (s.scalar(select(func.count()).select_from(Benefit)), len(outbox(runtime)))
    preview = client.post("/api/v1/policy/preview", headers=token(runtime, "policy", "53"), json={
        "region": "53", "rule_version": "53-v3", "effective_from": EFFECTIVE.isoformat(),
        "document": raised_standard()})
    assert preview.status_code == 200, preview.text
    p = preview.json()
    assert (p["households_considered"], p["households_changing"]) == (2, 2)
    assert p["changing_by_kind"] == {"dibao_top_up": 1, "tekun_support": 1}
    examples = {e["household_id"]: e for e in p["examples"]}
    assert (examples["hh-near"]["monthly_now_yuan"], examples["hh-near"]["monthly_then_yuan"]) == \
        ({"dibao_top_up": 600.0}, {"dibao_top_up": 800.0})
    tekun_delta = examples["hh-tekun"]["monthly_then_yuan"]["tekun_support"] - \
        examples["hh-tekun"]["monthly_now_yuan"]["tekun_support"]
    assert tekun_delta > 0 and p["monthly_change_yuan"] == pytest.approx(200.0 + tekun_delta)
    with runtime.session_factory() as s:
        assert (s.scalar(select(func.count()).select_from(Benefit)), len(outbox(runtime))) == counts
    publish(runtime, raised_standard())  # approved: on the policy topic, into assistance's replica

    # before the date nothing changes, and the benefit still cites 53-v2
    early = reassess(client, runtime)
    assert early.status_code == 201, early.text
    assert (early.json()["changed"], early.json()["rule_versions"]) == (0, ["53-v2"])
    assert [b.id for b in active(runtime, "hh-near")] == [before.id]

    clock.at = datetime(2027, 1, 4, 1, 0, tzinfo=timezone.utc)
    events_before = len(outbox(runtime))
    run = reassess(client, runtime, key="reassess-2027-01")
    assert run.status_code == 201, run.text
    body = run.json()
    assert body["considered"] == 2 and body["rule_versions"] == ["53-v3"] and body["changed"] == 2
    near = [c for c in body["changes"] if c["household_id"] == "hh-near"]
    assert near == [{"household_id": "hh-near", "division_code": VILLAGE, "kind": "dibao_top_up", "programme": "dibao",
                     "benefit_id": near[0]["benefit_id"], "status": "active", "supersedes": before.id,
                     "before_yuan": 600.0, "after_yuan": 800.0, "rule_version": "53-v3",
                     "previous_rule_version": "53-v2"}]
    [after] = active(runtime, "hh-near")
    assert (after.amount_yuan, after.rule_version, after.id) == (800, "53-v3", near[0]["benefit_id"])
    new_events = outbox(runtime)[events_before:]
    granted = [e for e in new_events if e["type"] == "assistance.benefit.granted" and e["subject"] == "hh-near"]
    assert [(e["data"]["supersedes"], e["data"]["amount_yuan"], e["data"]["rule_version"]) for e in granted] == \
        [(before.id, 800.0, "53-v3")]
    completed = [e for e in new_events if e["type"] == "assistance.reassessment.completed"]
    assert [e["data"]["reassessment_id"] for e in completed] == [body["reassessment_id"]]
    assert_all_valid(new_events)

    # a retry with the same key answers the first run; a second run finds nothing left to change
    replay = reassess(client, runtime, key="reassess-2027-01")
    assert replay.status_code == 201 and replay.json()["reassessment_id"] == body["reassessment_id"]
    clock.advance(minutes=1)  # newest first: a later run, not one in the same instant (ties fall back to the id)
    again = reassess(client, runtime)
    assert again.json()["changed"] == 0
    listed = client.get("/api/v1/reassessments", headers=token(runtime, "county", COUNTY)).json()
    assert listed["total"] == 3 and listed["items"][0]["reassessment_id"] == again.json()["reassessment_id"]


def test_a_county_officer_reassesses_only_within_their_county(client, runtime):
    refused = reassess(client, runtime, area=COUNTY, officer_area="530103")
    assert refused.status_code == 403 and refused.json()["rule"] == "division_within_area"
    village = client.post("/api/v1/reassessments", json={"division_code": VILLAGE},
                          headers=token(runtime, "village", VILLAGE))
    assert village.status_code == 403
    with runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Reassessment)) == 0
