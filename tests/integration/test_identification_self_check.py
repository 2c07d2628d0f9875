"""The citizen's self-check on real PostgreSQL: a policy version published into identification's replica is used by
POST /api/v1/public/eligibility-check from its first day without a restart, and the check writes nothing to any
table (the outbox included)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, table

from identification.main import create_app
from shared.clock import FixedClock
from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, baseline_entries, merge
from tests.helpers import identification_runtime

VILLAGE = "530102001001"
PATH = "/api/v1/public/eligibility-check"
THE_DAY_BEFORE = datetime(2026, 5, 31, 8, 0, tzinfo=timezone.utc)   # 16:00 in China, 31 May: 53-v2 (¥600)
RAISED_FROM = date(2026, 6, 1)
V2_DOCUMENT = next(e for e in baseline_entries() if e.rule_version == "53-v2").document
# three people, ¥650 each a month: above ¥600, below ¥700
BODY = {"division_code": VILLAGE, "facts": {
    "members": [{"age": 40, "labour_capacity": "full", "employed": True}, {"age": 35, "labour_capacity": "full"},
                {"age": 9, "labour_capacity": "none", "in_compulsory_education": True}],
    "monthly_income_yuan": "1950", "residence_months": 60}}


@pytest.fixture
def clock():
    return FixedClock(THE_DAY_BEFORE)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    return identification_runtime(databases.create("identification"), kafka_bootstrap, topic_prefix, clock=clock,
                                  policy_refresh_seconds=0)


def publish_raised_standard(runtime) -> None:
    event = Event(type=POLICY_PUBLISHED, source="/services/policy", subject="53-v3", data={
        "ruleset_id": str(uuid.uuid4()), "region": "53", "version": 3, "rule_version": "53-v3",
        "title": "Yunnan: dibao standard ¥700 / 云南省低保标准调整为700元", "effective_from": RAISED_FROM.isoformat(),
        "effective_to": None, "legal_basis": {"document_number": "ILLUSTRATIVE-53-2026-06", "url": None},
        "source": "api", "replaces": "53-v2", "proposed_by": "officer-a", "approved_by": "officer-b",
        "published_at": "2026-05-20T02:00:00+00:00",
        "overrides": {"standards": {"dibao_standard_yuan_per_person_month": 700}},
        "document": merge(V2_DOCUMENT, {"standards": {"dibao_standard_yuan_per_person_month": 700}})})
    with runtime.session_factory() as session, session.begin():
        runtime.services.rules.store.handler(session, event)


def rows(runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in inspect(conn).get_table_names()}


def dibao(answer: dict) -> dict:
    return next(p for p in answer["programmes"] if p["programme"] == "dibao")


def test_the_self_check_uses_the_version_published_for_the_day_and_writes_nothing(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as client:
        publish_raised_standard(runtime)
        before = rows(runtime)
        assert before["policy_rulesets"] == 1 and runtime.tables.outbox.name in before

        answer = client.post(PATH, json=BODY).json()
        assert (answer["on"], answer["rule_version"]) == ("2026-05-31", "53-v2")
        assert dibao(answer)["may_fit"] is False and "¥600.00" in dibao(answer)["reasons"][1]["en"]

        clock.at = datetime(2026, 5, 31, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 June in China
        answer = client.post(PATH, json=BODY).json()
        assert (answer["on"], answer["rule_version"]) == ("2026-06-01", "53-v3")
        income = next(r for r in dibao(answer)["reasons"] if r["code"] == "income_below_standard")
        assert dibao(answer)["may_fit"] is True and "¥650.00" in income["en"] and "¥700.00" in income["en"]
        assert "53-v3" in answer["note"]["en"]

        assert rows(runtime) == before
