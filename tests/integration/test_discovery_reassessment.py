"""identification's re-assessment under a new policy version, on the real broker and PostgreSQL: a household flagged
newly eligible becomes one risk clue (kind reassessment) that the village verifies and refers or dismisses; a
redelivered or repeated flag for the same version raises nothing more, a flag under a newer version does."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from discovery import handlers
from discovery.domain.lifecycle import StatusFacts
from discovery.models import Clue, DiscoveryRecord, Household
from shared.contracts import registry
from shared.envelope import Event
from sqlalchemy import select
from tests.fixtures import wait_until
from tests.helpers import count
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    TODAY,
    VILLAGE,
    application,
    audit_rows,
    client,
    clock,
    county,
    outbox,
    runtime,
    township,
    verification,
    village,
)

AT = datetime(2026, 6, 1, 2, tzinfo=timezone.utc)
DISMISSAL = {"reason_code": "not_confirmed", "reason": "入户核实：家庭收入已高于新标准"}


def flagged(household_id: str, *, rule_version: str = "53-v3", previous: str = "53-v2",
            newly_eligible: tuple[str, ...] = ("dibao",), case_status: str = "rejected",
            reassessment_id: str | None = None) -> Event:
    return Event(type="identification.reassessment.flagged", source="/services/identification", subject=household_id,
                 time=AT, data={
                     "reassessment_id": reassessment_id or str(uuid.uuid4()), "household_id": household_id,
                     "division_code": VILLAGE, "case_id": "case-1", "case_status": case_status,
                     "newly_eligible": list(newly_eligible), "no_longer_eligible": [], "rule_version": rule_version,
                     "previous_rule_version": previous,
                     "reasons": {"en": f"Under rule set {rule_version} (previously {previous}). The household newly "
                                       "qualifies for minimum living guarantee (dibao).",
                                 "zh": f"依据规则版本{rule_version}（此前为{previous}）：该户新符合最低生活保障的条件。"},
                     "flagged_at": AT.isoformat()})


def send(producer, topic: str, event: Event) -> None:
    registry().validate(event.envelope())  # what identification publishes honours its contract
    producer.send(topic, key=event.subject.encode(), value=event.to_bytes())


def decided(client, runtime, seed: int, outcome: str = "rejected") -> str:
    """A household that applied and whose case identification decided: its id."""
    submitted = client.post("/api/v1/applications", json=application(seed)).json()
    household_id, ctx = submitted["household_id"], runtime.services
    facts = (StatusFacts(reasons=[{"code": "income_above_standard", "en": "Income above the standard.",
                                   "zh": "收入高于标准。"}], appeal={"en": "You may appeal.", "zh": "可申请复核。"})
             if outcome == "rejected" else StatusFacts(file_number="F-1", programmes=["near_dibao"]))
    with runtime.session_factory() as s, s.begin():
        handlers.on_case_step(s, ctx, handlers.CaseStep(household_id, "case-1", "in_identification", AT,
                                                        source=("application", submitted["application_id"])))
        handlers.on_case_step(s, ctx, handlers.CaseStep(household_id, "case-1", outcome, AT, facts))
    return household_id


def applied(runtime, *events: Event) -> bool:
    inbox = runtime.tables.inbox
    with runtime.engine.connect() as conn:
        seen = set(conn.execute(select(inbox.c.event_id).where(inbox.c.consumer == "discovery.reassessment")).scalars())
    return {e.id for e in events} <= seen


@pytest.fixture
def consuming(runtime):
    runtime.start_workers(relay=False, consumers=True)
    yield runtime
    runtime.stop_workers()


def test_a_flag_raises_one_clue_redelivered_or_repeated_changes_nothing_and_a_newer_version_after_dismissal_does(
        client, consuming, producer, topic_prefix):
    runtime, topic = consuming, topic_prefix + "identification.reassessment"
    household_id = decided(client, runtime, 51)
    before = len(outbox(runtime))
    first = flagged(household_id)
    second_run = flagged(household_id)  # the county runs the re-assessment again: same version, a new run
    for event in (first, first, second_run):  # `first` redelivered
        send(producer, topic, event)
    producer.flush()
    wait_until(lambda: applied(runtime, first, second_run), timeout=60, message="the flags to be consumed")

    assert count(runtime, Clue) == 1
    [raised] = outbox(runtime, "discovery.clue.raised")
    registry().validate(raised)
    assert raised["causationid"] == first.id and raised["subject"] == household_id
    data = raised["data"]
    assert data["household_id"] == household_id and data["status"] == "raised"
    assert data["kind"] == "reassessment" and data["rule_id"] == "reassessment.newly_eligible"
    assert data["rule_version"] == "53-v3" and data["severity"] == "high"
    assert data["source"] == {"department": "identification", "external_id": first.data["reassessment_id"],
                              "channel": "topic"}
    assert data["evidence"]["newly_eligible"] == ["dibao"] and data["evidence"]["rule_version"] == "53-v3"
    assert data["evidence"]["previous_rule_version"] == "53-v2" and data["evidence"]["case_status"] == "rejected"
    assert data["explanation"]["en"].endswith(first.data["reasons"]["en"])
    assert data["explanation"]["zh"].endswith(first.data["reasons"]["zh"])
    assert data["occurred_on"] == TODAY.isoformat()
    assert data["verification_task"]["area"] == VILLAGE  # high: the urgent deadline
    assert data["verification_task"]["due_on"] == (
        TODAY + timedelta(days=runtime.settings.clue_verification_days_urgent)).isoformat()
    # the refused household's record starts again, published
    updated = outbox(runtime, "discovery.household.updated")[-1]
    assert updated["data"]["change"] == "reopened" and updated["data"]["lifecycle_status"] == "in_discovery"
    assert [e["type"] for e in outbox(runtime)[before:]] == ["discovery.household.updated", "discovery.clue.raised"]
    assert [a["actor"] for a in audit_rows(runtime, "clue", data["clue_id"])] == ["system"]

    listed = client.get("/api/v1/clues", params={"household_id": household_id}, headers=village(runtime)).json()
    assert [c["clue_id"] for c in listed["items"]] == [data["clue_id"]]
    assert listed["items"][0]["id_number_masked"] is None and listed["items"][0]["source_department"] == "identification"

    r = client.post(f"/api/v1/clues/{data['clue_id']}/dismissal", json=DISMISSAL, headers=township(runtime))
    assert r.status_code == 200, r.text
    rerun = flagged(household_id)  # the county runs the re-assessment again under the same version
    send(producer, topic, rerun)
    producer.flush()
    wait_until(lambda: applied(runtime, rerun), timeout=60, message="the re-run's flag to be consumed")
    assert count(runtime, Clue) == 1, "a household the village dismissed is not asked about again for 53-v3"
    newer = flagged(household_id, rule_version="53-v4", previous="53-v2", newly_eligible=("near_dibao",))
    send(producer, topic, newer)
    producer.flush()
    wait_until(lambda: applied(runtime, newer), timeout=60, message="the newer version's flag to be consumed")
    assert count(runtime, Clue) == 2
    latest = outbox(runtime, "discovery.clue.raised")[-1]
    registry().validate(latest)
    assert latest["data"]["rule_version"] == "53-v4" and latest["data"]["severity"] == "medium"
    assert latest["data"]["clue_id"] != data["clue_id"] and latest["data"]["status"] == "raised"
    assert latest["data"]["evidence"]["newly_eligible"] == ["near_dibao"]


def test_a_reassessment_clue_is_verified_and_referred_like_any_other(client, runtime):
    household_id = decided(client, runtime, 52)
    with runtime.session_factory() as s, s.begin():
        clue = handlers.on_reassessment_flagged(s, runtime.services, flagged(household_id))
        clue_id = clue.id
    with runtime.session_factory() as s, s.begin():  # the same run replayed: nothing new
        assert handlers.on_reassessment_flagged(s, runtime.services, flagged(
            household_id, reassessment_id=clue.external_id)) is None
    r = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(), headers=village(runtime))
    assert r.status_code == 200 and r.json()["clue"]["status"] == "verified", r.text
    with runtime.session_factory() as s, s.begin():  # verified is still standing: a repeated flag adds nothing
        assert handlers.on_reassessment_flagged(s, runtime.services, flagged(household_id)) is None
    referred = client.post(f"/api/v1/clues/{clue_id}/referral", headers=county(runtime))
    assert referred.status_code == 201, referred.text
    assert referred.json()["channels"] == ["visit", "reassessment"] and referred.json()["clue_ids"] == [clue_id]
    [event] = outbox(runtime, "discovery.household.referred")
    registry().validate(event)
    assert event["data"]["reasons"][0]["code"] == "reassessment.newly_eligible"
    assert event["data"]["members"], "the household's members go to identification with the referral"
    assert count(runtime, Clue) == 1


def test_an_enrolled_household_flagged_gets_the_clue_on_its_file(client, runtime):
    household_id = decided(client, runtime, 53, outcome="enrolled")
    with runtime.session_factory() as s, s.begin():
        handlers.on_reassessment_flagged(s, runtime.services, flagged(household_id, case_status="enrolled"))
    [raised] = outbox(runtime, "discovery.clue.raised")
    registry().validate(raised)
    assert raised["data"]["status"] == "linked" and "verification_task" not in raised["data"]
    assert raised["data"]["household_lifecycle_status"] == "enrolled"
    with runtime.session_factory() as s, s.begin():  # linked is standing: the second run adds nothing
        assert handlers.on_reassessment_flagged(s, runtime.services, flagged(household_id, case_status="enrolled")) is None
    assert count(runtime, Clue) == 1


def test_a_household_discovery_never_saw_is_recorded_and_its_members_join_it_at_the_visit(client, runtime):
    with runtime.session_factory() as s, s.begin():
        clue = handlers.on_reassessment_flagged(s, runtime.services, flagged("hh-from-identification"))
        clue_id = clue.id
    with runtime.session_factory() as s:
        household = s.get(Household, "hh-from-identification")
        assert household.case_id == "case-1" and household.case_status == "rejected"
        assert household.lifecycle_status == "in_discovery", "the refused household's record starts again"
        assert s.execute(select(DiscoveryRecord).where(DiscoveryRecord.household_id == household.id)).scalar_one()
    for event in outbox(runtime):
        registry().validate(event)
    assert "household.created" in [a["action"] for a in audit_rows(runtime, "household", "hh-from-identification")]

    members = [{"id_number": m["id_number"], "name": m["name"], "relationship": m["relationship"]}
               for m in application(54)["members"]]
    r = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(members=members),
                    headers=village(runtime))
    assert r.status_code == 200, r.text
    assert r.json()["clue"]["household_id"] == "hh-from-identification"
    assert count(runtime, Household) == 1, "the members seen join the flagged household, not a new one"
