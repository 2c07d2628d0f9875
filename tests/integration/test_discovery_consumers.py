"""discovery's consumers on the real broker and PostgreSQL: partner records on the inbound topic partner.signal
(screened like the HTTP path; invalid ones dead-lettered), and identification's decisions moving applications and
households along (applied once, never backwards)."""
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from discovery.main import create_app
from discovery.models import Application, Clue, DiscoveryRecord, Household, Referral, Signal
from shared.contracts import registry
from shared.envelope import Event
from tests.fixtures import read_topic, wait_until
from tests.helpers import count
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    VILLAGE,
    application,
    audit_rows,
    client,
    clock,
    outbox,
    person,
    runtime,
    signal,
    survey,
    village,
)

AT = datetime(2026, 6, 1, 3, tzinfo=timezone.utc)


def send(producer, topic: str, event: Event) -> None:
    registry().validate(event.envelope())  # the test's events honour the contracts, as a real producer's would
    producer.send(topic, key=event.subject.encode(), value=event.to_bytes())


@pytest.fixture
def consuming(runtime):
    runtime.start_workers(relay=False, consumers=True)
    yield runtime
    runtime.stop_workers()


def partner_event(record: dict, event_id: str | None = None) -> Event:
    kwargs = {"id": event_id} if event_id else {}
    return Event(type="partner.signal.reported", source=f"/partners/{record['source_department']}",
                 subject=record["external_id"], data=record, time=AT, **kwargs)


def test_partner_records_on_the_inbound_topic_become_clues_once_and_bad_ones_are_dead_lettered(
        consuming, producer, kafka_bootstrap, topic_prefix):
    runtime, topic = consuming, topic_prefix + "partner.signal"
    good = partner_event(signal(person(1), "MI-100"))
    send(producer, topic, good)
    send(producer, topic, partner_event(signal(person(1), "MI-100")))  # resent by the partner: a new event id
    broken = signal(person(2), "MI-101")
    broken["id_number"] = broken["id_number"][:-1] + ("0" if broken["id_number"][-1] != "0" else "1")
    send(producer, topic, partner_event(broken))  # passes the contract's pattern, fails the check digit
    unknown_kind = partner_event(signal(person(3), "MI-102"))
    producer.send(topic, key=b"MI-102", value=Event(**{**unknown_kind.__dict__, "data": {
        **unknown_kind.data, "kind": "bad_luck"}}).to_bytes())  # fails the contract
    send(producer, topic, partner_event(signal(person(4), "MI-103", amounts={"per_stay_yuan": 10})))  # no clue
    producer.flush()

    wait_until(lambda: count(runtime, Signal) == 2, timeout=60, message="the two valid records to be taken in")
    dead = read_topic(kafka_bootstrap, topic + ".dlt", expected=2, timeout=30)
    reasons = sorted(dict(r.headers)["dlt.reason"].decode() for r in dead)
    assert reasons == ["contract", "handler"]
    handler_error = next(dict(r.headers)["dlt.error"].decode() for r in dead if dict(r.headers)["dlt.reason"] == b"handler")
    assert "id_number_checksum" in handler_error
    assert count(runtime, Clue) == 1
    [raised] = outbox(runtime, "discovery.clue.raised")
    assert raised["data"]["source"] == {"department": "medical_insurance", "external_id": "MI-100", "channel": "topic"}
    assert raised["causationid"] == good.id and raised["subject"] == raised["data"]["household_id"]
    assert [a["actor"] for a in audit_rows(runtime, "clue", raised["data"]["clue_id"])] == ["partner:medical_insurance"]


def test_a_departments_own_inbound_topic_says_the_department_and_a_record_naming_another_is_dead_lettered(
        consuming, producer, kafka_bootstrap, topic_prefix):
    """partner.signal.<department>: only that department's principal may write it on a broker with ACLs
    (tests/integration/test_broker_security.py), so the topic, not the record's field, is the department."""
    runtime, topic = consuming, topic_prefix + "partner.signal.medical_insurance"
    own = partner_event(signal(person(1), "MI-200"))
    send(producer, topic, own)
    forged = signal(person(2), "MI-201")
    forged["source_department"] = "human_resources"  # medical insurance writing in human resources' name
    send(producer, topic, partner_event(forged))
    producer.flush()

    wait_until(lambda: count(runtime, Signal) == 1, timeout=60, message="the department's own record to be taken in")
    [dead] = read_topic(kafka_bootstrap, topic + ".dlt", expected=1, timeout=30)
    assert dict(dead.headers)["dlt.reason"] == b"handler"
    assert "source_department: must_match_topic" in dict(dead.headers)["dlt.error"].decode()
    [raised] = outbox(runtime, "discovery.clue.raised")
    assert raised["data"]["source"]["department"] == "medical_insurance" and raised["causationid"] == own.id


STEP_TIME = {"identification.case.opened": AT, "identification.notice.published": AT + timedelta(days=20),
             "identification.household.enrolled": AT + timedelta(days=30)}


def identification_event(type_: str, household: str, data: dict) -> Event:
    return Event(type=type_, source="/services/identification", subject=household, time=STEP_TIME[type_],
                 data={"household_id": household, **data})


def opened(household: str, case: str, source_type: str, source_id: str) -> Event:
    data = {"case_id": case, "source_type": source_type, "source_id": source_id, "division_code": VILLAGE,
            "status": "opened", "opened_at": AT.isoformat(), "member_count": 3}
    if source_type == "application":
        data["application_id"] = source_id
    return identification_event("identification.case.opened", household, data)


def notice(household: str, case: str) -> Event:
    return identification_event("identification.notice.published", household, {
        "case_id": case, "notice_id": "n-1", "published_at": AT.isoformat(), "ends_at": "2026-06-08T03:00:00+00:00",
        "programmes": ["dibao"], "notice": {"text_en": "…", "text_zh": "…"}})


def enrolled(household: str, case: str) -> Event:
    return identification_event("identification.household.enrolled", household, {
        "case_id": case, "file_number": "530102-2026-000042", "division_code": VILLAGE, "programmes": ["dibao", "medical"],
        "categories": {}, "rule_version": "CN-2026.1", "enrolled_at": AT.isoformat(), "member_count": 3})


def test_identification_decisions_move_the_application_and_the_household_along(
        runtime, clock, producer, topic_prefix):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=True)) as client:
        body = application(10)
        submitted = client.post("/api/v1/applications", json=body).json()
        household, app_id = submitted["household_id"], submitted["application_id"]
        referred_visit = client.post("/api/v1/visits", json=survey([{"id_number": person(11)}]),
                                     headers=village(runtime)).json()
        other, referral_id = referred_visit["visit"]["household_id"], referred_visit["referral_id"]

        # Each type travels on its own topic, read independently: they may be applied in any order.
        first_opened = opened(household, "case-1", "application", app_id)
        for event in (first_opened, notice(household, "case-1"), enrolled(household, "case-1"),
                      first_opened,  # redelivered: applied once
                      notice(other, "case-2"), opened(other, "case-2", "referral", referral_id)):
            send(producer, topic_prefix + ".".join(event.type.split(".")[:2]), event)
        producer.flush()

        def status(): return client.get(f"/api/v1/applications/{app_id}/status",
                                        params={"id_number": body["applicant"]["id_number"]}).json()
        wait_until(lambda: status()["status"] == "enrolled", timeout=60, message="the application to be enrolled")
        wait_until(lambda: count(runtime, Referral, Referral.status == "case_opened") == 1, timeout=60,
                   message="the referral's case to be known")
        answer = status()
        assert answer["file_number"] == "530102-2026-000042" and answer["programmes"] == ["dibao", "medical"]
        assert "530102-2026-000042" in answer["explanation_en"] and "医疗救助" in answer["explanation_zh"]
        # whatever the order of arrival, the timeline tells the steps in the order they happened
        assert [t["status"] for t in answer["timeline"]] == ["submitted", "in_identification", "in_notice", "enrolled"]

    with runtime.session_factory() as s:
        assert s.get(Household, household).lifecycle_status == "enrolled"
        assert s.get(Household, other).lifecycle_status == "in_notice"  # never moved back by a late opening
        assert s.get(Application, app_id).case_id == "case-1"
        assert s.get(Referral, referral_id).case_id == "case-2"
    assert count(runtime, DiscoveryRecord, DiscoveryRecord.household_id == household,
                 DiscoveryRecord.status == "closed") == 1
    trail = [a["to_state"] for a in audit_rows(runtime, "household", household)]
    assert trail[-1] == "enrolled" and set(trail) <= {"in_identification", "in_notice", "enrolled"}
