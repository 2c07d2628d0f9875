"""Every step of identification's cases, consumed from the real broker into PostgreSQL: the citizen's status and
timeline tell each one in both languages, a withdrawn case is no longer "in notice", and the household record shows
the withdrawal or the rejection with its reasons. Each type travels on its own topic and may arrive in any order."""
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from discovery.main import create_app
from discovery.models import Application, DiscoveryRecord, Household, Referral
from shared.contracts import registry
from shared.envelope import Event
from tests.fixtures import wait_until
from tests.helpers import count
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    VILLAGE,
    application,
    client,
    clock,
    county,
    outbox,
    person,
    runtime,
    survey,
    village,
)

T = datetime(2026, 6, 1, 3, tzinfo=timezone.utc)  # 11:00 in China
REASONS = [{"code": "income_above_line", "en": "Per-capita income ¥900 is above the local line of ¥800.",
            "zh": "家庭人均月收入 900 元，高于当地低保标准 800 元。"},
           {"code": "second_property", "en": "The household owns a second home.", "zh": "家庭拥有第二套住房。"}]
APPEAL = {"en": "You may apply for administrative reconsideration within 60 days.",
          "zh": "如不服本决定，可在 60 日内申请行政复议。"}


def send(producer, topic_prefix: str, event: Event) -> None:
    registry().validate(event.envelope())  # the test's events honour the contracts, as identification's do
    producer.send(topic_prefix + ".".join(event.type.split(".")[:2]), key=event.subject.encode(),
                  value=event.to_bytes())


def step(type_: str, household: str, case: str, at: datetime, **data) -> Event:
    return Event(type=type_, source="/services/identification", subject=household, time=at,
                 data={"case_id": case, "household_id": household, **data})


def opened(household, case, source_type, source_id, at):
    data = {"source_type": source_type, "source_id": source_id, "division_code": VILLAGE, "status": "opened",
            "opened_at": at.isoformat(), "member_count": 3}
    if source_type == "application":
        data["application_id"] = source_id
    return step("identification.case.opened", household, case, at, **data)


def assessment_started(household, case, at):
    return step("identification.assessment.started", household, case, at, division_code=VILLAGE, status="assessing",
                started_at=at.isoformat(), actor={"role": "village", "subject": "li"})


def assessment_completed(household, case, at):
    return step("identification.assessment.completed", household, case, at, assessment_id="a-1",
                rule_version="CN-2026.1", dimensions=[], eligible_programmes=["dibao"], categories={},
                assessed_at=at.isoformat(), assessed_by="li")


def reviewed(household, case, at, outcome):
    return step("identification.review.completed", household, case, at, outcome=outcome, attendee_count=9,
                reviewed_at=at.isoformat())


def notice(household, case, at):
    return step("identification.notice.published", household, case, at, notice_id="n-1", published_at=at.isoformat(),
                ends_at="2026-06-15T15:59:59+00:00", programmes=["dibao"], notice={"text_en": "…", "text_zh": "…"})


def notice_closed(household, case, at, reason):
    return step("identification.notice.closed", household, case, at, notice_id="n-1", closed_at=at.isoformat(),
                reason=reason, status="notice_closed")


def township(household, case, at, outcome):
    return step("identification.case.township_reviewed", household, case, at, division_code=VILLAGE, outcome=outcome,
                status="township_reviewed", reviewed_at=at.isoformat())


def withdrawn(household, case, at, application_id=None):
    return step("identification.case.withdrawn", household, case, at, division_code=VILLAGE,
                application_id=application_id, reason="申请人主动撤回", previous_status="public_notice",
                status="withdrawn", withdrawn_at=at.isoformat(), closed_notice_id="n-1")


def rejected(household, case, at):
    return step("identification.household.rejected", household, case, at, reasons=REASONS, appeal=APPEAL,
                rejected_at=at.isoformat(), rule_version="CN-2026.1")


@pytest.fixture
def live(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=True)) as client:
        yield client


def status_of(client, app_id: str, id_number: str) -> dict:
    return client.get(f"/api/v1/applications/{app_id}/status", params={"id_number": id_number}).json()


def test_a_withdrawn_case_is_no_longer_in_notice_and_every_step_is_told(live, runtime, producer, topic_prefix):
    client = live
    body = application(70)
    submitted = client.post("/api/v1/applications", json=body).json()
    household, app_id, case = submitted["household_id"], submitted["application_id"], "case-70"
    # a household referred after a home visit, whose case is withdrawn too (no application: the referral follows)
    visit = client.post("/api/v1/visits", json=survey([{"id_number": person(71)}]), headers=village(runtime)).json()
    other, referral_id = visit["visit"]["household_id"], visit["referral_id"]

    withdrawal = withdrawn(household, case, T + timedelta(days=8), app_id)
    events = [opened(household, case, "application", app_id, T), assessment_started(household, case, T + timedelta(days=1)),
              assessment_completed(household, case, T + timedelta(days=3)),
              reviewed(household, case, T + timedelta(days=4), "approve"), notice(household, case, T + timedelta(days=5)),
              withdrawal, notice_closed(household, case, T + timedelta(days=8), "case_withdrawn"),
              withdrawal,  # redelivered: applied once
              opened(other, "case-71", "referral", referral_id, T), notice(other, "case-71", T + timedelta(days=5)),
              withdrawn(other, "case-71", T + timedelta(days=6))]
    for event in reversed(events):  # the latest first: order of arrival must not matter
        send(producer, topic_prefix, event)
    producer.flush()

    wait_until(lambda: len(status_of(client, app_id, body["applicant"]["id_number"])["timeline"]) == 8, timeout=60,
               message="every step of the case in the citizen's timeline")
    wait_until(lambda: count(runtime, Referral, Referral.status == "withdrawn") == 1, timeout=60,
               message="the referred household's case to be withdrawn")
    answer = status_of(client, app_id, body["applicant"]["id_number"])
    assert answer["status"] == "withdrawn" and answer["withdrawal_reason"] == "申请人主动撤回"
    assert "on public notice" not in answer["explanation_en"] and "正在公示" not in answer["explanation_zh"]
    assert "withdrawn on 2026-06-09" in answer["explanation_en"] and "2026-06-09申请已撤回" in answer["explanation_zh"]
    assert answer["notice_ends_at"] is None and answer["programmes"] == []
    timeline = answer["timeline"]
    assert [t["status"] for t in timeline] == ["submitted", "in_identification", "assessing", "assessed", "reviewed",
                                               "in_notice", "notice_closed", "withdrawn"]
    for entry in timeline:
        assert entry["en"] and entry["zh"] and entry["en"] != entry["zh"]
        assert entry["at"].endswith(("Z", "+00:00"))  # RFC 3339 with its offset
    assert "2026-06-02" in timeline[2]["en"] and "2026-06-02" in timeline[2]["zh"]  # the assessment started 1 June 03:00 UTC + 1 day: 2 June in China

    county_staff = county(runtime)
    record = client.get(f"/api/v1/households/{household}", headers=county_staff).json()
    assert record["lifecycle_status"] == "withdrawn" and record["case_status"] == "withdrawn"
    assert record["withdrawal_reason"] == "申请人主动撤回" and record["case_id"] == case
    assert "撤回" in record["lifecycle_explanation_zh"]
    assert [r["close_reason"] for r in record["records"]] == ["withdrawn"]
    referred = client.get(f"/api/v1/households/{other}", headers=county_staff).json()
    assert referred["lifecycle_status"] == "withdrawn" and referred["referrals"][0]["status"] == "withdrawn"

    updates = [e for e in outbox(runtime, "discovery.household.updated") if e["data"]["household_id"] == household]
    assert updates[-1]["data"]["lifecycle_status"] == "withdrawn"
    assert updates[-1]["data"]["applications"] == [{"application_id": app_id, "status": "withdrawn"}]
    assert {e["causationid"] for e in updates} <= {e.id for e in events}
    assert sum(e["causationid"] == withdrawal.id for e in updates) == 1  # the redelivery changed nothing

    # the household may apply again: a new record, a new case
    again = client.post("/api/v1/applications", json=body).json()
    assert again["status"] == "submitted" and again["record_id"] != submitted["record_id"]
    with runtime.session_factory() as s:
        assert s.get(Household, household).lifecycle_status == "referred"


def test_a_rejection_is_told_with_its_reasons_and_appeal_route_after_every_step(live, runtime, producer,
                                                                                 topic_prefix):
    client = live
    body = application(72)
    submitted = client.post("/api/v1/applications", json=body).json()
    household, app_id, case = submitted["household_id"], submitted["application_id"], "case-72"
    events = [opened(household, case, "application", app_id, T),
              assessment_started(household, case, T + timedelta(days=1)),
              assessment_completed(household, case, T + timedelta(days=2)),
              reviewed(household, case, T + timedelta(days=3), "reject"),
              township(household, case, T + timedelta(days=4), "return_for_assessment"),
              assessment_started(household, case, T + timedelta(days=4, hours=1)),  # a second look
              township(household, case, T + timedelta(days=6), "recommend_rejection"),
              rejected(household, case, T + timedelta(days=7))]
    for event in events[::2] + events[1::2]:
        send(producer, topic_prefix, event)
    producer.flush()

    wait_until(lambda: len(status_of(client, app_id, body["applicant"]["id_number"])["timeline"]) == 9, timeout=60,
               message="every step of the case in the citizen's timeline")
    answer = status_of(client, app_id, body["applicant"]["id_number"])
    assert answer["status"] == "rejected"
    assert answer["reasons"] == REASONS and answer["appeal"] == APPEAL
    assert "¥900" in answer["explanation_en"] and "60 days" in answer["explanation_en"]
    assert "第二套住房" in answer["explanation_zh"] and "行政复议" in answer["explanation_zh"]
    steps = [t["status"] for t in answer["timeline"]]
    assert steps == ["submitted", "in_identification", "assessing", "assessed", "reviewed", "assessing", "assessing",
                     "township_reviewed", "rejected"]
    texts = {t["status"]: t for t in answer["timeline"]}
    assert "未建议通过" in texts["reviewed"]["zh"] and "建议不予批准" in texts["township_reviewed"]["zh"]
    assert "returned the case" in answer["timeline"][5]["en"] and "退回" in answer["timeline"][5]["zh"]

    record = client.get(f"/api/v1/households/{household}", headers=county(runtime)).json()
    assert record["lifecycle_status"] == "rejected" and record["case_status"] == "rejected"
    assert record["rejection_reasons"] == REASONS and record["appeal"] == APPEAL
    assert record["case_status_at"].startswith("2026-06-08T03:00:00")
    with runtime.session_factory() as s:
        assert s.get(Application, app_id).status == "rejected"
        assert s.query(DiscoveryRecord).filter_by(household_id=household).one().close_reason == "rejected"
    [last] = [e for e in outbox(runtime, "discovery.household.updated")
              if e["data"].get("case_status") == "rejected"][-1:]
    assert [r["code"] for r in last["data"]["reasons"]] == ["income_above_line", "second_property"]
    assert last["data"]["appeal"] == APPEAL


def test_a_step_dated_after_the_end_of_its_case_changes_nothing_and_one_dated_before_joins_the_timeline(client,
                                                                                                         runtime):
    from discovery import handlers
    from discovery.domain.lifecycle import StatusFacts

    body = application(74)
    submitted = client.post("/api/v1/applications", json=body).json()
    household, app_id, case = submitted["household_id"], submitted["application_id"], "case-74"
    ctx = runtime.services

    def apply(step_, at, facts=StatusFacts(), source=None) -> bool:
        with runtime.session_factory() as s, s.begin():
            return handlers.on_case_step(s, ctx, handlers.CaseStep(household, case, step_, at, facts, source=source))

    assert apply("in_identification", T, source=("application", app_id))
    assert apply("withdrawn", T + timedelta(days=3), StatusFacts(reason="搬离本地"))
    updates = len(outbox(runtime, "discovery.household.updated"))
    assert not apply("township_reviewed", T + timedelta(days=4), StatusFacts(outcome="recommend_approval"))
    assert len(outbox(runtime, "discovery.household.updated")) == updates  # nothing changed, nothing published
    assert apply("assessing", T + timedelta(days=1))  # happened before the withdrawal, heard of only now
    answer = status_of(client, app_id, body["applicant"]["id_number"])
    assert answer["status"] == "withdrawn" and "搬离本地" in answer["explanation_zh"]
    assert [t["status"] for t in answer["timeline"]] == ["submitted", "in_identification", "assessing", "withdrawn"]
    with runtime.session_factory() as s:
        h = s.get(Household, household)
        assert (h.lifecycle_status, h.case_status, h.withdrawal_reason) == ("withdrawn", "withdrawn", "搬离本地")


def test_an_application_joining_a_case_on_notice_catches_up_without_moving_the_case_back(client, runtime):
    from discovery import handlers
    from discovery.domain.lifecycle import StatusFacts

    body = application(75)
    first = client.post("/api/v1/applications", json=body).json()
    household, case = first["household_id"], "case-75"
    ctx = runtime.services
    ends = datetime(2026, 6, 15, 15, 59, 59, tzinfo=timezone.utc)
    with runtime.session_factory() as s, s.begin():
        handlers.on_case_step(s, ctx, handlers.CaseStep(household, case, "in_identification", T,
                                                        source=("application", first["application_id"])))
        handlers.on_case_step(s, ctx, handlers.CaseStep(household, case, "in_notice", T + timedelta(days=5),
                                                        StatusFacts(programmes=["dibao"], notice_ends_at=ends)))
    second = client.post("/api/v1/assisted-applications", headers=village(runtime), json={
        **application(75), "authorisation": {"method": "signed_form", "obtained_on": "2026-06-01"}}).json()
    assert second["status"] == "submitted", second
    with runtime.session_factory() as s, s.begin():
        handlers.on_case_step(s, ctx, handlers.CaseStep(household, case, "in_identification", T + timedelta(days=6),
                                                        source=("application", second["application_id"]), linked=True))
        assert s.get(Household, household).lifecycle_status == "in_notice"
    answer = status_of(client, second["application_id"], body["applicant"]["id_number"])
    assert answer["status"] == "in_notice" and "2026-06-15" in answer["explanation_zh"]
    assert [t["status"] for t in answer["timeline"]] == ["submitted", "in_identification", "in_notice"]
