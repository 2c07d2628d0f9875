"""assistance on SQLite (the `make run` default): timestamps come back aware, so comparing them with the injected
clock never fails. The needs assessment that adds needs answered 500 here (naive vs aware datetimes); it must work, and
an exit taper must be paid the same as on PostgreSQL. Every timestamp the API returns carries an offset."""
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from assistance import handlers
from assistance.bootstrap import build_runtime
from assistance.config import Settings
from assistance.main import create_app
from assistance.scheduled import taper_months
from shared.clock import FixedClock
from shared.envelope import Event
from tests.integration.test_assistance_matching import VILLAGE, enrol, outbox, token

COUNTY = VILLAGE[:6]
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(tmp_path, clock):
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/assistance.db", kafka_bootstrap="127.0.0.1:1",
                                run_relay=False, run_consumers=False), clock=clock)
    rt.migrate()
    return rt


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def timestamps(value, path="$"):
    """Every value under a key ending in _at or _since (the API's timestamps), with where it was found."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (key.endswith("_at") or key.endswith("_since")) and isinstance(item, str):
                yield f"{path}.{key}", item
            else:
                yield from timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from timestamps(item, f"{path}[{index}]")


def test_a_needs_assessment_that_adds_and_cancels_needs_works_on_sqlite(client, runtime, clock):
    enrol(runtime, clock, "hh-sqlite", programmes=("dibao",), income=300.0)
    clock.advance(days=3)  # the need's waiting time is computed from a stored timestamp and the clock
    village = token(runtime, "village", VILLAGE)
    detail = client.get("/api/v1/households/hh-sqlite", headers=village).json()
    in_kind = next(n for n in detail["needs"] if n["need_type"] == "in_kind")
    r = client.post("/api/v1/households/hh-sqlite/needs-assessment", headers=village, json={
        "add_needs": [{"need_type": "housing_repair", "note": "屋顶漏雨"}, {"need_type": "skills_training"}],
        "cancel_needs": [{"need_id": in_kind["need_id"], "reason": "已由村集体解决"}],
        "per_capita_monthly_income_yuan": "250.50", "scores": {"housing_safety": 80}})
    assert r.status_code == 200, r.text
    needs = {n["need_type"]: n for n in r.json()["needs"]}
    assert needs["housing_repair"]["status"] == "waiting" and needs["housing_repair"]["origin"] == "caseworker"
    assert needs["in_kind"]["status"] == "cancelled"
    assert needs["care_services"]["priority_detail"]["waiting_days"] == 3
    assert outbox(runtime, "assistance.needs.assessed")[-1]["data"]["assessed_by"] == "village-officer"
    found = list(timestamps(r.json()))
    assert found and all(RFC3339.match(v) for _, v in found), [x for x in found if not RFC3339.match(x[1])]


def test_the_same_idempotency_key_creates_one_assessment_and_returns_the_first_answer(client, runtime, clock):
    enrol(runtime, clock, "hh-idem", programmes=("dibao",), income=300.0)
    village = {**token(runtime, "village", VILLAGE), "Idempotency-Key": "assess-hh-idem-1"}
    body = {"add_needs": [{"need_type": "housing_repair"}]}
    first = client.post("/api/v1/households/hh-idem/needs-assessment", headers=village, json=body)
    again = client.post("/api/v1/households/hh-idem/needs-assessment", headers=village, json=body)
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert len(first.json()["assessments"]) == 1 and len(outbox(runtime, "assistance.needs.assessed")) == 2
    other = client.post("/api/v1/households/hh-idem/needs-assessment", headers=village,
                        json={"add_needs": [{"need_type": "skills_training"}]})
    assert other.status_code == 409 and other.json()["rule"] == "same_key_same_body"


def test_the_exit_taper_is_paid_on_sqlite_too(client, runtime, clock):
    enrol(runtime, clock, "hh-taper", programmes=("dibao",), income=300.0)
    event = Event(type="gradual_exit.observation.started", source="/services/gradual_exit", subject="hh-taper", data={
        "observation_id": "obs-sqlite", "participation_id": "p-sqlite", "household_id": "hh-taper",
        "programme": "dibao", "division_code": VILLAGE, "started_at": START.isoformat(), "ends_on": "2026-09-02",
        "line_yuan_per_person_month": 600.0, "per_capita_monthly_income_yuan": 700.0,
        "support_schedule": [{"month": 1, "share": 1}, {"month": 2, "share": 0.5}],
        "reasons": [{"code": "income_above_line", "en": "Income above the line.", "zh": "收入高于标准。"}],
        "rule_version": "GE-test"})
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        handlers.on_observation_started(s, event, runtime.services)
    clock.at = START + timedelta(days=31)  # 2 April: month 2
    assert taper_months(runtime) == 1
    detail = client.get("/api/v1/households/hh-taper", headers=token(runtime, "county", COUNTY)).json()
    benefit = next(b for b in detail["benefits"] if b["kind"] == "dibao_top_up")
    assert (benefit["amount_yuan"], benefit["paid_amount_yuan"], benefit["paid_share"]) == ("600.00", "300.00", 0.5)
    found = list(timestamps(detail))
    assert all(RFC3339.match(v) for _, v in found)
    for envelope in outbox(runtime):
        runtime.registry.validate(envelope)
        assert all(RFC3339.match(v) for _, v in timestamps(envelope["data"])), envelope["type"]
