"""A relapse found in long-term follow-up goes back to discovery on a fast track: the same household's record is
reopened with its history (not created anew) and referred to identification at once."""
from datetime import datetime, timezone

from discovery import handlers
from discovery.domain.lifecycle import StatusFacts
from discovery.models import DiscoveryRecord, Household, Referral
from shared.envelope import Event
from tests.helpers import count
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    VILLAGE,
    application,
    audit_rows,
    client,
    clock,
    outbox,
    runtime,
)

AT = datetime(2026, 6, 1, 3, tzinfo=timezone.utc)


def relapse_event(household_id: str, members: list[dict], relapse_id: str = "rl-1") -> Event:
    return Event(type="followup.relapse.detected", source="/services/followup", subject=household_id, time=AT, data={
        "relapse_id": relapse_id, "household_id": household_id, "plan_id": "fp-1", "division_code": VILLAGE,
        "detected_at": AT.isoformat(), "risk_kind": "medical_expense",
        "reasons": [{"code": "medical_expense_per_stay", "en": "A hospital stay cost ¥15,000 out of pocket.",
                     "zh": "住院自付 15000 元。"}],
        "evidence": {"per_stay_yuan": 15000}, "members": members})


def test_a_relapse_reopens_the_households_record_and_refers_it_on_the_fast_track(client, runtime):
    body = application(41)
    submitted = client.post("/api/v1/applications", json=body).json()
    household_id = submitted["household_id"]
    ctx = runtime.services
    with runtime.session_factory() as s, s.begin():  # identification enrolled it; later it exited into follow-up
        handlers.on_case_step(s, ctx, handlers.CaseStep(household_id, "case-1", "in_identification", AT,
                                                        source=("application", submitted["application_id"])))
        handlers.on_case_step(s, ctx, handlers.CaseStep(household_id, "case-1", "enrolled", AT, StatusFacts(
            file_number="F-1", programmes=["dibao"])))
        handlers.on_followup_started(s, ctx, household_id=household_id, at=AT)
    with runtime.session_factory() as s:
        record_before = s.query(DiscoveryRecord).filter_by(household_id=household_id).one()
        assert record_before.status == "closed" and s.get(Household, household_id).lifecycle_status == "follow_up"

    # While in follow-up, a new application is linked, not referred.
    again = client.post("/api/v1/applications", json=body).json()
    assert again["household_id"] == household_id and again["status"] == "linked"

    members = [{"name": m["name"], "id_number": m["id_number"]} for m in body["members"]]
    event = relapse_event(household_id, members)
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        referral = handlers.on_relapse_detected(s, ctx, event)
        handlers.on_relapse_detected(s, ctx, event)  # a replay changes nothing
    with runtime.session_factory() as s:
        records = s.query(DiscoveryRecord).filter_by(household_id=household_id).all()
        assert [r.id for r in records] == [record_before.id], "the same record, reopened, not a new one"
        assert records[0].status == "referred"
        assert s.get(Household, household_id).lifecycle_status == "referred"
    assert count(runtime, Household) == 1 and count(runtime, Referral) == 1
    referred = outbox(runtime, "discovery.household.referred")
    assert len(referred) == 1
    data = referred[0]["data"]
    assert data["referral_id"] == referral.id and data["fast_track"] is True and "followup" in data["channels"]
    assert data["household_id"] == household_id and data["record_id"] == record_before.id
    assert data["reasons"][-1]["code"] == "medical_expense_per_stay"
    assert submitted["application_id"] in data["application_ids"], "the record keeps its history"
    actions = [a["action"] for a in audit_rows(runtime)]
    assert "record.reopened" in actions and "household.relapsed" in actions


def test_a_relapse_about_a_household_discovery_never_saw_is_recognised_by_its_members(client, runtime):
    body = application(42)
    members = [{"name": m["name"], "id_number": m["id_number"]} for m in body["members"]]
    with runtime.session_factory() as s, s.begin():
        handlers.on_relapse_detected(s, runtime.services, relapse_event("unknown-household", members, "rl-2"))
    assert count(runtime, Household) == 1 and count(runtime, Referral) == 1
    assert outbox(runtime, "discovery.household.referred")[0]["data"]["fast_track"] is True
