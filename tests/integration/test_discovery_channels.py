"""The four channels of discovery on real PostgreSQL, and one household, one record: applications, home visits and
partner clues about the same family join one open record and are referred once; an enrolled household is linked."""
from datetime import datetime, timezone

from sqlalchemy import select

from discovery import handlers
from discovery.domain.lifecycle import StatusFacts
from discovery.models import Application, Clue, DiscoveryRecord, Household, HouseholdMember, Referral, Visit
from shared.contracts import registry
from tests.helpers import count
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    COUNTY,
    ELSEWHERE,
    NEIGHBOUR_VILLAGE,
    VILLAGE,
    application,
    audit_rows,
    client,
    clock,
    county,
    outbox,
    person,
    raise_clue,
    runtime,
    survey,
    township,
    verification,
    village,
)

AUTHORISATION = {"method": "signed_form", "reference": "SQ-2026-0042", "obtained_on": "2026-05-28"}


def members_of(body: dict) -> list[dict]:
    return [{"name": m["name"], "id_number": m["id_number"], "relationship": m["relationship"]} for m in body["members"]]


def test_online_application_opens_the_households_record_and_is_sent_to_identification(client, runtime):
    body = application(1)
    r = client.post("/api/v1/applications", json=body)
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["status"] == "submitted" and answer["channel"] == "online" and answer["status_explanation_zh"]
    assert (count(runtime, Household), count(runtime, HouseholdMember), count(runtime, DiscoveryRecord)) == (1, 3, 1)
    with runtime.session_factory() as s:
        household = s.get(Household, answer["household_id"])
        record = s.get(DiscoveryRecord, answer["record_id"])
        assert household.lifecycle_status == "referred" and record.status == "referred"
    [event] = outbox(runtime, "discovery.application.submitted")
    assert event["data"]["record_id"] == answer["record_id"] and event["data"]["channel"] == "online"
    assert "assisted_by" not in event["data"]
    [row] = audit_rows(runtime, "application", answer["application_id"])
    assert row["action"] == "application.submitted" and row["actor_role"] == "citizen" and row["to_state"] == "submitted"


def test_assisted_application_records_who_assisted_and_the_households_authorisation(client, runtime):
    body = {**application(2), "authorisation": AUTHORISATION}
    r = client.post("/api/v1/assisted-applications", json=body, headers=village(runtime))
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["channel"] == "assisted"
    assert answer["assisted_by"] == {"subject": f"village-{VILLAGE}", "role": "village", "area": VILLAGE, "name": "王五"}
    assert answer["authorisation"] == AUTHORISATION
    [event] = outbox(runtime, "discovery.application.submitted")
    assert event["data"]["channel"] == "assisted"
    assert event["data"]["assisted_by"]["subject"] == f"village-{VILLAGE}"
    assert event["data"]["authorisation"] == AUTHORISATION
    [row] = audit_rows(runtime, "application", answer["application_id"])
    assert (row["actor"], row["actor_role"], row["action"]) == (f"village-{VILLAGE}", "village", "application.submitted")
    assert "SQ-2026-0042" in row["details"]
    staff_view = client.get(f"/api/v1/applications/{answer['application_id']}", headers=township(runtime)).json()
    assert staff_view["assisted_by"]["role"] == "village"


def test_assisted_application_needs_the_authorisation_field_staff_and_the_area(client, runtime):
    body = {**application(3), "authorisation": AUTHORISATION}
    missing = client.post("/api/v1/assisted-applications", json=application(3), headers=village(runtime))
    assert missing.status_code == 422
    assert {"field": "authorisation", "rule": "missing"} in [{k: e[k] for k in ("field", "rule")} for e in missing.json()["errors"]]
    bad_method = {**body, "authorisation": {**AUTHORISATION, "method": "nod"}}
    assert client.post("/api/v1/assisted-applications", json=bad_method, headers=village(runtime)).status_code == 422
    assert client.post("/api/v1/assisted-applications", json=body).status_code == 401
    forbidden = client.post("/api/v1/assisted-applications", json=body, headers=county(runtime))
    assert forbidden.status_code == 403 and forbidden.json()["allowed_roles"] == ["village", "township"]
    assert forbidden.json()["message_zh"]
    assert client.post("/api/v1/assisted-applications", json=body,
                       headers=village(runtime, NEIGHBOUR_VILLAGE)).status_code == 404
    assert client.post("/api/v1/assisted-applications", json=body,
                       headers=township(runtime, "522701001")).status_code == 404
    assert count(runtime, Application) == 0 and outbox(runtime) == [] and audit_rows(runtime) == []


def test_a_survey_that_recommends_referral_refers_the_household(client, runtime):
    body = application(4)
    r = client.post("/api/v1/visits", json=survey(members_of(body)), headers=village(runtime))
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["referral_id"] and answer["household_status"] == "referred"
    assert answer["visit"]["visitor"]["subject"] == f"village-{VILLAGE}" and answer["visit"]["member_count"] == 3
    [visit_event] = outbox(runtime, "discovery.visit.recorded")
    assert visit_event["data"]["recommendation"] == "refer" and visit_event["data"]["referral_id"] == answer["referral_id"]
    [referred] = outbox(runtime, "discovery.household.referred")
    data = referred["data"]
    assert data["referral_id"] == answer["referral_id"] and data["channels"] == ["visit"]
    assert data["visit_ids"] == [answer["visit"]["visit_id"]] and data["clue_ids"] == [] and data["application_ids"] == []
    assert {r["code"] for r in data["reasons"]} == {"visit.housing_unsafe", "visit.labour_capacity_lost"}
    assert data["observed"] == {"monthly_income_yuan": 500.0, "housing_safe": False, "labour_capacity_lost": True}
    assert data["sudden_hardship"] is True  # the main earner lost the capacity to work
    assert sorted(m["id_number"] for m in data["members"]) == sorted(m["id_number"] for m in body["members"])
    assert referred["subject"] == data["household_id"] == answer["visit"]["household_id"]
    assert [a["action"] for a in audit_rows(runtime, "referral", answer["referral_id"])] == ["referral.sent"]


def test_a_survey_to_keep_watching_keeps_the_record_open_and_one_with_no_need_closes_it(client, runtime):
    watched = client.post("/api/v1/visits", json=survey(members_of(application(5)), "monitor"), headers=village(runtime))
    assert watched.status_code == 201 and watched.json()["referral_id"] is None
    assert watched.json()["household_status"] == "in_discovery"
    fine = client.post("/api/v1/visits", json=survey(members_of(application(6)), "no_action"), headers=township(runtime))
    assert fine.status_code == 201 and fine.json()["household_status"] == "cleared"
    with runtime.session_factory() as s:
        statuses = {r.household_id: r.status for r in s.execute(select(DiscoveryRecord)).scalars()}
    assert statuses == {watched.json()["visit"]["household_id"]: "open", fine.json()["visit"]["household_id"]: "closed"}
    assert outbox(runtime, "discovery.household.referred") == []
    assert len(outbox(runtime, "discovery.visit.recorded")) == 2


def test_visits_are_for_village_and_township_staff_in_their_area(client, runtime):
    body = survey(members_of(application(7)))
    assert client.post("/api/v1/visits", json=body).status_code == 401
    assert client.post("/api/v1/visits", json=body, headers=county(runtime)).status_code == 403
    assert client.post("/api/v1/visits", json=body, headers=village(runtime, NEIGHBOUR_VILLAGE)).status_code == 404
    bad = client.post("/api/v1/visits", json={**body, "recommendation": "maybe", "indicators": ["sad"]},
                      headers=village(runtime))
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"recommendation", "indicators[0]"}
    assert count(runtime, Visit) == 0 and outbox(runtime) == []


def test_application_visit_and_clue_about_one_family_make_one_record_and_one_referral(client, runtime):
    body = application(8, size=3)
    spouse = body["members"][1]["id_number"]
    submitted = client.post("/api/v1/applications", json=body).json()
    visit = client.post("/api/v1/visits", json=survey(members_of(body), "monitor"), headers=village(runtime)).json()
    clue_id = raise_clue(client, runtime, spouse, "MI-77")  # the partner knows only the spouse's ID number
    assert visit["visit"]["household_id"] == submitted["household_id"]
    assert (count(runtime, Household), count(runtime, DiscoveryRecord)) == (1, 1)
    with runtime.session_factory() as s:
        clue = s.get(Clue, clue_id)
        assert (clue.household_id, clue.record_id) == (submitted["household_id"], submitted["record_id"])

    verified = client.post(f"/api/v1/clues/{clue_id}/verification", json=verification(), headers=village(runtime))
    assert verified.status_code == 200, verified.text
    referral = client.post(f"/api/v1/clues/{clue_id}/referral", headers=township(runtime))
    assert referral.status_code == 201, referral.text

    [event] = outbox(runtime, "discovery.household.referred")
    data = event["data"]
    assert data["household_id"] == submitted["household_id"] and data["record_id"] == submitted["record_id"]
    assert data["channels"] == ["online", "visit", "partner_signal"]
    assert data["application_ids"] == [submitted["application_id"]] and data["clue_ids"] == [clue_id]
    assert sorted(data["visit_ids"]) == sorted([visit["visit"]["visit_id"], verified.json()["visit"]["visit_id"]])
    assert data["reasons"][0]["code"] == "medical.per_stay.others" and "12000" in data["reasons"][0]["en"]
    assert (count(runtime, Household), count(runtime, DiscoveryRecord), count(runtime, Referral)) == (1, 1, 1)
    household = client.get(f"/api/v1/households/{submitted['household_id']}", headers=county(runtime)).json()
    assert household["lifecycle_status"] == "referred" and len(household["members"]) == 3
    assert [len(household[k]) for k in ("records", "applications", "visits", "clues", "referrals")] == [1, 1, 2, 1, 1]
    assert household["clues"][0]["status"] == "referred" and household["clues"][0]["allowed_next_steps"] == []


def test_two_clue_records_of_one_family_are_merged_when_an_application_names_both(client, runtime):
    body = application(9, size=2)
    a, b = (m["id_number"] for m in body["members"])
    first, second = raise_clue(client, runtime, a, "MI-1"), raise_clue(client, runtime, b, "MI-2")
    assert count(runtime, Household) == 2
    submitted = client.post("/api/v1/applications", json=body).json()
    with runtime.session_factory() as s:
        clues = {c.id: c for c in s.execute(select(Clue)).scalars()}
        open_records = s.execute(select(DiscoveryRecord).where(DiscoveryRecord.status != "closed")).scalars().all()
        merged = s.execute(select(Household).where(Household.lifecycle_status == "merged")).scalars().all()
    assert {c.household_id for c in clues.values()} == {submitted["household_id"]}
    assert {c.record_id for c in clues.values()} == {submitted["record_id"]}
    assert [r.id for r in open_records] == [submitted["record_id"]]
    assert len(merged) == 1 and merged[0].merged_into == submitted["household_id"]
    assert {first, second} == set(clues)
    assert [r["action"] for r in audit_rows(runtime, "household", merged[0].id)] == ["household.merged"]


def enrol(runtime, household_id: str, case_id: str = "case-1") -> None:
    """identification's decisions, applied as its events would be (the Kafka path is in test_discovery_consumers)."""
    at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    with runtime.session_factory() as s, s.begin():
        handlers.on_case_step(s, runtime.services, handlers.CaseStep(
            household_id, case_id, "in_identification", at, source=("application", "x")))
        handlers.on_case_step(s, runtime.services, handlers.CaseStep(household_id, case_id, "enrolled", at, StatusFacts(
            file_number="530102-2026-000007", programmes=["dibao"])))


def test_an_enrolled_household_is_linked_not_referred_again(client, runtime):
    body = application(10, size=2)
    first = client.post("/api/v1/applications", json=body).json()
    enrol(runtime, first["household_id"])
    events_before = len(outbox(runtime))

    second = client.post("/api/v1/applications", json=body)
    assert second.status_code == 201 and second.json()["status"] == "linked"
    assert second.json()["household_id"] == first["household_id"] and second.json()["record_id"] is None
    assert "530102-2026-000007" in second.json()["status_explanation_en"]
    status = client.get(f"/api/v1/applications/{second.json()['application_id']}/status",
                        params={"id_number": body["applicant"]["id_number"]}).json()
    assert status["status"] == "linked" and status["file_number"] == "530102-2026-000007"
    assert "不重复立案" in status["explanation_zh"]

    clue_id = raise_clue(client, runtime, body["members"][1]["id_number"], "MI-9")
    clue = client.get(f"/api/v1/clues/{clue_id}", headers=township(runtime)).json()
    assert clue["status"] == "linked" and clue["allowed_next_steps"] == [] and clue["task_area"] is None
    refused = client.post(f"/api/v1/clues/{clue_id}/referral", headers=township(runtime))
    assert refused.status_code == 409 and refused.json()["allowed_next_steps"] == []

    visit = client.post("/api/v1/visits", json=survey(members_of(body), "refer"), headers=village(runtime)).json()
    assert visit["visit"]["linked"] is True and visit["referral_id"] is None

    new_types = [e["type"] for e in outbox(runtime)[events_before:]]
    # no application, no referral: the linked application is told as an update of the household's file
    assert new_types == ["discovery.household.updated", "discovery.clue.raised", "discovery.visit.recorded"]
    linked = outbox(runtime, "discovery.household.updated")[-1]["data"]
    assert linked["change"] == "application_linked" and linked["lifecycle_status"] == "enrolled"
    assert linked["applications"] == [{"application_id": second.json()["application_id"], "status": "linked"}]
    [raised] = outbox(runtime, "discovery.clue.raised")
    assert raised["data"]["status"] == "linked" and "verification_task" not in raised["data"]
    assert (count(runtime, Household), count(runtime, Referral)) == (1, 0)
    assert count(runtime, DiscoveryRecord, DiscoveryRecord.status != "closed") == 0


def test_a_rejected_household_may_apply_again_on_a_new_record(client, runtime):
    body = application(11)
    first = client.post("/api/v1/applications", json=body).json()
    with runtime.session_factory() as s, s.begin():
        handlers.on_case_step(s, runtime.services, handlers.CaseStep(
            first["household_id"], "c-1", "rejected", datetime(2026, 5, 2, tzinfo=timezone.utc), StatusFacts(
                reasons=[{"code": "income_above_line", "en": "Income above the line.", "zh": "收入高于标准。"}],
                appeal={"en": "Appeal within 60 days.", "zh": "可在 60 日内申请复议。"})))
    again = client.post("/api/v1/applications", json=body).json()
    assert again["status"] == "submitted" and again["household_id"] == first["household_id"]
    assert again["record_id"] != first["record_id"]
    assert len(outbox(runtime, "discovery.application.submitted")) == 2


def test_every_event_written_validates_against_its_contract(client, runtime):
    body = application(12)
    client.post("/api/v1/assisted-applications", json={**body, "authorisation": AUTHORISATION}, headers=village(runtime))
    clue_id = raise_clue(client, runtime, person(1201))
    client.post(f"/api/v1/clues/{clue_id}/dismissal", json={"reason_code": "data_error", "reason": "重复报送"},
                headers=township(runtime))
    client.post("/api/v1/visits", json=survey(members_of(application(13))), headers=village(runtime))
    events = outbox(runtime)
    assert {e["type"] for e in events} == {"discovery.application.submitted", "discovery.clue.raised",
                                          "discovery.clue.dismissed", "discovery.visit.recorded",
                                          "discovery.household.referred", "discovery.household.updated"}
    for envelope in events:
        registry().validate(envelope)


def test_elsewhere_is_not_found_for_a_county_officer(client, runtime):
    submitted = client.post("/api/v1/applications", json=application(14, division=ELSEWHERE)).json()
    assert client.get(f"/api/v1/applications/{submitted['application_id']}", headers=county(runtime, COUNTY)).status_code == 404
    assert client.get(f"/api/v1/households/{submitted['household_id']}", headers=county(runtime, COUNTY)).status_code == 404
    assert client.get(f"/api/v1/households/{submitted['household_id']}", headers=county(runtime, "522701")).status_code == 200


def test_concurrent_reports_about_a_new_family_make_one_household_and_one_open_record(runtime):
    from concurrent.futures import ThreadPoolExecutor

    from discovery.api.deps import transaction
    from discovery.api.schemas import ApplicationCreate

    body = ApplicationCreate(**application(15, size=4))

    def submit(_):
        return transaction(runtime, lambda s: handlers.submit_application(s, runtime.services, body).household_id)

    with ThreadPoolExecutor(8) as pool:
        households = set(pool.map(submit, range(8)))
    assert len(households) == 1
    assert count(runtime, Application) == 8 and count(runtime, HouseholdMember) == 4
    assert count(runtime, Household) == 1  # the losers of the race joined the winner's household
    assert count(runtime, DiscoveryRecord, DiscoveryRecord.status != "closed") == 1
    assert {e["data"]["household_id"] for e in outbox(runtime, "discovery.application.submitted")} == households


def test_a_clue_record_of_someone_later_found_in_an_enrolled_family_joins_its_file(client, runtime):
    body = application(16, size=2)
    first = client.post("/api/v1/applications", json=body).json()
    enrol(runtime, first["household_id"])
    newcomer = person(1601)
    clue_id = raise_clue(client, runtime, newcomer, "MI-16")  # not yet known to be of this family
    members = members_of(body) + [{"name": "新成员", "id_number": newcomer, "relationship": "child"}]
    visit = client.post("/api/v1/visits", json=survey(members, "refer"), headers=village(runtime)).json()
    assert visit["household_status"] == "enrolled" and visit["referral_id"] is None and visit["merged_households"]
    clue = client.get(f"/api/v1/clues/{clue_id}", headers=township(runtime)).json()
    assert clue["household_id"] == first["household_id"] and clue["status"] == "linked"
    assert count(runtime, DiscoveryRecord, DiscoveryRecord.status != "closed") == 0
    assert count(runtime, Referral) == 0
