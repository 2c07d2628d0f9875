"""The exchange over the real broker and PostgreSQL: internal events in, partner streams out. An enrolment reaches
medical insurance with the members' ID numbers and without income; nothing reaches a department without an
agreement; employment and education get only the members their agreements allow; a household that withdrew consent
for a purpose is not exported for it; a new agreement is back-filled by replaying the internal topics, once."""
from __future__ import annotations

import json
import shutil
import uuid
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from kafka import KafkaAdminClient

from exchange.backfill import backfill
from exchange.bootstrap import AGREEMENTS_DIR, build_runtime
from exchange.config import Settings
from exchange.main import create_app
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import Event
from shared.kafka_io import ensure_topics, security_config, topic_for
from tests.fixtures import envelopes, read_topic, wait_until

NOW = datetime(2026, 12, 15, 2, tzinfo=timezone.utc)
VILLAGE = "530102001001"


def _id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


def household(n: int) -> tuple[str, list[dict]]:
    hid = f"hh-{uuid.uuid4().hex[:8]}"
    return hid, [
        {"name": "张三", "id_number": _id(f"5301021985031200{n}"), "relationship": "self"},
        {"name": "张小明", "id_number": _id(f"5301022014090100{n}"), "relationship": "child"},
        {"name": "张老汉", "id_number": _id(f"5301021949010100{n}"), "relationship": "parent"},
    ]


def application(hid: str, members: list[dict]) -> Event:
    return Event(type="discovery.application.submitted", source="/services/discovery", subject=hid, data={
        "application_id": f"a-{hid}", "household_id": hid, "channel": "online", "submitted_at": "2026-11-29T08:30:00Z",
        "division_code": VILLAGE, "applicant": members[0], "members": members, "household_monthly_income_yuan": 1234.5,
        "hardship_reason": "illness", "hardship_description": "户主长期住院，医疗自付费用高", "consent_to_data_check": True})


def enrolment(hid: str, programmes=("dibao", "medical")) -> Event:
    return Event(type="identification.household.enrolled", source="/services/identification", subject=hid, data={
        "case_id": f"c-{hid}", "household_id": hid, "file_number": "530102-2026-000001", "division_code": VILLAGE,
        "programmes": list(programmes), "categories": {}, "rule_version": "CN-2026.1",
        "enrolled_at": "2026-12-15T01:00:00Z", "member_count": 3, "per_capita_monthly_income_yuan": 411.5,
        "scores": {"income": 80}})


def send(producer, prefix: str, *events: Event) -> None:
    for e in events:
        producer.send(prefix + topic_for(e.type), key=e.subject.encode(), value=e.to_bytes())
    producer.flush(timeout=20)


def stream(bootstrap: str, prefix: str, department: str, stream: str, expected: int | None = None) -> list[dict]:
    return envelopes(read_topic(bootstrap, f"{prefix}partner.{department}.{stream}", expected=expected, timeout=10))


def of(events: list[dict], hid: str) -> list[dict]:
    return [e for e in events if e["subject"] == hid]


@pytest.fixture
def exchange(databases, kafka_bootstrap, topic_prefix):
    made = []

    def start(agreements_dir=None, db=None, consumers=True):
        settings = Settings(database_url=db or databases.create("exchange"), kafka_bootstrap=kafka_bootstrap,
                            topic_prefix=topic_prefix, relay_idle_seconds=0.05,
                            agreements_dir=str(agreements_dir) if agreements_dir else "")
        runtime = build_runtime(settings, clock=FixedClock(NOW))
        runtime.ensure_topics()
        runtime.start_workers(consumers=consumers)
        made.append(runtime)
        return runtime

    yield start
    for r in made:
        r.stop_workers()


def test_an_enrolment_reaches_each_entitled_department_minimised(exchange, producer, kafka_bootstrap, topic_prefix):
    exchange()
    hid, members = household(1)
    send(producer, topic_prefix, application(hid, members), enrolment(hid))
    [mi] = wait_until(lambda: of(stream(kafka_bootstrap, topic_prefix, "medical_insurance", "enrolments"), hid),
                      timeout=60, message="the enrolment on medical insurance's stream")
    assert mi["type"] == "partner.medical_insurance.enrolments.household_enrolled"
    assert mi["dataschema"] == "urn:lowincome-platform:schema:partner.medical_insurance.enrolments.household_enrolled:1"
    assert [m["id_number"] for m in mi["data"]["members"]] == [m["id_number"] for m in members]
    text = json.dumps(mi, ensure_ascii=False)
    for secret in ("411.5", "1234.5", "住院", "illness", "per_capita", "scores", "hardship"):
        assert secret not in text

    [hr] = of(stream(kafka_bootstrap, topic_prefix, "human_resources", "employment"), hid)
    assert [m["id_number"] for m in hr["data"]["members"]] == [members[0]["id_number"]]  # working age only
    [edu] = of(stream(kafka_bootstrap, topic_prefix, "education", "pupils"), hid)
    assert [m["name"] for m in edu["data"]["members"]] == ["张小明"]

    # no agreement, no stream: housing and the other departments get nothing
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, **security_config(None))
    try:
        partner_topics = {t for t in admin.list_topics() if t.startswith(topic_prefix + "partner.")
                          and not t.startswith(topic_prefix + "partner.signal")}
    finally:
        admin.close()
    assert {t.removeprefix(topic_prefix) for t in partner_topics if not t.endswith(".dlt")} == {
        "partner.medical_insurance.enrolments", "partner.human_resources.employment", "partner.education.pupils"}

    # a near-dibao enrolment is nobody's business at medical insurance, but employment and education get it
    hid2, members2 = household(2)
    send(producer, topic_prefix, application(hid2, members2), enrolment(hid2, ("near_dibao",)))
    wait_until(lambda: of(stream(kafka_bootstrap, topic_prefix, "education", "pupils"), hid2), timeout=60,
               message="the near-dibao household's pupil")
    assert of(stream(kafka_bootstrap, topic_prefix, "medical_insurance", "enrolments"), hid2) == []


def test_a_withdrawal_of_consent_stops_the_export_for_that_purpose(exchange, producer, kafka_bootstrap, topic_prefix):
    runtime = exchange()
    hid, members = household(3)
    officer = {"Authorization": "Bearer " + issue_token(runtime.settings.jwt_secret, subject="v-1", role="village",
                                                       area=VILLAGE)}
    with TestClient(create_app(runtime, clock=FixedClock(NOW), start_workers=False)) as client:
        r = client.post(f"/api/v1/households/{hid}/consents", headers=officer, json={
            "purpose": "employment_assistance", "decision": "withdrawn", "division_code": VILLAGE,
            "method": "signed_form", "reference": "F-2026-001"})
        assert r.status_code == 201, r.text
        listed = client.get(f"/api/v1/households/{hid}/consents", headers=officer).json()
        assert listed["current"] == {"employment_assistance": "withdrawn"} and listed["total"] == 1
        other = {"Authorization": "Bearer " + issue_token(runtime.settings.jwt_secret, subject="v-2", role="village",
                                                         area="530103001001")}
        assert client.get(f"/api/v1/households/{hid}/consents", headers=other).status_code == 404
    [recorded] = wait_until(lambda: [e for e in envelopes(read_topic(kafka_bootstrap, topic_prefix + "exchange.consent"))
                                     if e["subject"] == hid], timeout=30, message="exchange.consent.recorded")
    assert recorded["data"]["decision"] == "withdrawn"

    send(producer, topic_prefix, application(hid, members), enrolment(hid))
    wait_until(lambda: of(stream(kafka_bootstrap, topic_prefix, "medical_insurance", "enrolments"), hid), timeout=60,
               message="the enrolment at medical insurance (consent for that purpose stands)")
    wait_until(lambda: of(stream(kafka_bootstrap, topic_prefix, "education", "pupils"), hid), timeout=30,
               message="the pupil at education")
    # the same transaction projected every agreement: employment's decision is already made, and it is nothing
    assert of(stream(kafka_bootstrap, topic_prefix, "human_resources", "employment"), hid) == []


def test_a_new_agreement_is_back_filled_from_the_internal_topics_once(exchange, databases, producer, kafka_bootstrap,
                                                                     topic_prefix, tmp_path):
    only_medical = tmp_path / "agreements"
    only_medical.mkdir()
    shutil.copy(AGREEMENTS_DIR / "medical_insurance.enrolments.json", only_medical)
    db = databases.create("exchange")
    exchange(only_medical, db=db)
    ensure_topics(kafka_bootstrap, [topic_prefix + "partner.human_resources.employment"])
    hids = []
    for n in (4, 5):
        hid, members = household(n)
        hids.append(hid)
        send(producer, topic_prefix, application(hid, members), enrolment(hid))
    for hid in hids:
        wait_until(lambda: of(stream(kafka_bootstrap, topic_prefix, "medical_insurance", "enrolments"), hid),
                   timeout=60, message="the enrolments under the first agreement")
    assert stream(kafka_bootstrap, topic_prefix, "human_resources", "employment") == []

    # the employment agreement arrives: same database, every agreement, relay only (no live consumer)
    later = exchange(db=db, consumers=False)
    counts = backfill(later, "human_resources.employment", timeout_s=60)
    assert counts["emitted"] == 2 and counts["projected"] == 2, counts
    got = wait_until(lambda: stream(kafka_bootstrap, topic_prefix, "human_resources", "employment", expected=2),
                     timeout=30, message="the back-filled employment stream")
    assert sorted(e["subject"] for e in got) == sorted(hids)
    assert all(e["data"]["source_event_type"] == "identification.household.enrolled" for e in got)
    again = backfill(later, "human_resources.employment", timeout_s=60)
    assert again["emitted"] == 0, again  # idempotent per (agreement, source event)
    assert len(stream(kafka_bootstrap, topic_prefix, "human_resources", "employment")) == 2
    # medical insurance was not sent anything twice
    assert len([e for e in stream(kafka_bootstrap, topic_prefix, "medical_insurance", "enrolments")
                if e["subject"] in hids]) == 2
