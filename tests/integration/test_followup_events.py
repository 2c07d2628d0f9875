"""followup on the real broker: an exit on gradual_exit's topic starts a plan, a partner's signal on the inbound topic
raises one relapse on followup.relapse (key = household id), redeliveries change nothing; and its migrations match."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from followup.bootstrap import OWNED_TOPICS, build_runtime
from followup.config import Settings
from followup.models import PartnerSignal, Plan, metadata
from shared.clock import FixedClock
from shared.envelope import Event
from shared.synthetic import HouseholdFactory
from tests.fixtures import envelopes, read_topic, wait_until
from tests.helpers import assert_all_valid, count

VILLAGE = "530102001001"
START = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def test_followup_migrations_match_its_models(databases):
    url = databases.create("followup")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "version_table": "alembic_version_followup"})
            diff = compare_metadata(context, metadata)
            assert diff == [], f"models and migrations of followup differ: {diff}"
            tables = set(inspect(conn).get_table_names())
        assert {"alembic_version_followup", "plans", "scheduled_checkins", "relapses", "outbox", "inbox"} <= tables
        assert "alembic_version" not in tables
    finally:
        engine.dispose()


def test_followup_owns_exactly_its_topics():
    assert OWNED_TOPICS == ["followup.checkin", "followup.plan", "followup.relapse", "followup.signal"]


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix):
    settings = Settings(database_url=databases.create("followup"), kafka_bootstrap=kafka_bootstrap,
                        topic_prefix=topic_prefix, relay_idle_seconds=0.05, consumer_retry_backoff_seconds=0.05,
                        schedule_check_seconds=3600)
    runtime = build_runtime(settings, clock=FixedClock(START))
    runtime.ensure_topics()
    runtime.start_workers()
    yield runtime
    runtime.stop_workers()


def send(producer, topic: str, event: Event) -> None:
    producer.send(topic, key=event.subject.encode(), value=event.to_bytes(),
                  headers=[("content-type", b"application/cloudevents+json")]).get(timeout=10)


def test_an_exit_and_a_partner_signal_on_the_broker_become_a_plan_and_one_relapse(runtime, producer, kafka_bootstrap,
                                                                                  topic_prefix):
    household = str(uuid.uuid4())
    members = HouseholdFactory(3).application_body(division=VILLAGE, size=2)["members"]
    exited = Event(type="gradual_exit.household.exited", source="/services/gradual_exit", subject=household, data={
        "exit_id": "ex-k-1", "household_id": household, "programme": "dibao", "division_code": VILLAGE,
        "exited_at": START.isoformat(), "reasons": [{"code": "income_stable_above_line", "en": "stable", "zh": "稳定"}],
        "remaining_programmes": [], "per_capita_monthly_income_yuan": 1200.0, "members": members})
    send(producer, topic_prefix + "gradual_exit.household", exited)
    send(producer, topic_prefix + "gradual_exit.household", exited)  # redelivered: the inbox absorbs it
    wait_until(lambda: count(runtime, Plan) == 1, timeout=60, message="the plan to be started")

    def signal(external_id: str, id_number: str, per_stay: float) -> Event:
        return Event(type="partner.signal.reported", source="/partners/medical_insurance", subject=external_id, data={
            "source_department": "medical_insurance", "external_id": external_id, "kind": "medical_expense",
            "id_number": id_number, "division_code": VILLAGE, "occurred_on": "2026-03-01",
            "amounts": {"per_stay_yuan": per_stay}})

    stranger = HouseholdFactory(99).application_body(division=VILLAGE, size=1)["members"][0]["id_number"]
    send(producer, topic_prefix + "partner.signal", signal("mi-a", stranger, 50000))       # not followed up: skipped
    send(producer, topic_prefix + "partner.signal", signal("mi-b", members[1]["id_number"], 18000))
    send(producer, topic_prefix + "partner.signal", signal("mi-c", members[0]["id_number"], 25000))  # same episode
    wait_until(lambda: count(runtime, PartnerSignal) == 2, timeout=60, message="both matching signals to be recorded")

    relapse_records = read_topic(kafka_bootstrap, topic_prefix + "followup.relapse", expected=1, timeout=30)
    plan_records = read_topic(kafka_bootstrap, topic_prefix + "followup.plan", expected=1, timeout=30)
    relapses, plans = envelopes(relapse_records), envelopes(plan_records)
    assert_all_valid(relapses + plans)
    assert [e["type"] for e in plans] == ["followup.plan.started"]
    assert [e["type"] for e in relapses] == ["followup.relapse.detected"], "one relapse for the episode"
    assert relapse_records[0].key.decode() == household == relapses[0]["subject"]
    data = relapses[0]["data"]
    assert data["risk_kind"] == "medical_expense" and data["evidence"]["department"] == "medical_insurance"
    assert {m["id_number"] for m in data["members"]} == {m["id_number"] for m in members}
    assert plans[0]["causationid"] == exited.id and plans[0]["correlationid"] == exited.id
    assert count(runtime, Plan) == 1
