"""Fixtures and helpers (no tests) of gradual_exit's integration tests: a runtime on a fresh PostgreSQL database with an
injected clock, enrolment events as identification sends them, tokens, and what reached the outbox."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gradual_exit import handlers
from gradual_exit.bootstrap import build_runtime
from gradual_exit.config import Settings
from gradual_exit.main import create_app
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import Event, decode
from shared.synthetic import HouseholdFactory

VILLAGE = "522701001002"  # Guizhou: the national default rules apply
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
YUNNAN_VILLAGE = "530102001001"  # Yunnan 2026: dibao standard 600 and a tapered dibao observation
START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # 09:00 on Monday 2 March in China
ALL_SECURED = {k: True for k in ("food", "clothing", "compulsory_education", "basic_medical", "safe_housing",
                                 "drinking_water")}


def gradual_exit_runtime(db_url: str, bootstrap: str, prefix: str, clock=None, **overrides):
    return build_runtime(Settings(database_url=db_url, kafka_bootstrap=bootstrap, topic_prefix=prefix,
                                  relay_idle_seconds=0.05, **overrides), clock=clock)


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    return gradual_exit_runtime(databases.create("gradual_exit"), kafka_bootstrap, topic_prefix, clock=clock)


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def token(runtime, role, area, subject=None, department=None) -> dict:
    # signed at wall-clock time: token expiry is real time, while observation periods follow the injected clock
    t = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-officer", role=role, area=area,
                    department=department)
    return {"Authorization": f"Bearer {t}"}


def village(runtime, area=VILLAGE):
    return token(runtime, "village", area)


def township(runtime, area=TOWNSHIP):
    return token(runtime, "township", area)


def county(runtime, area=COUNTY):
    return token(runtime, "county", area)


def enrolled_event(household_id: str, *, programmes=("dibao", "medical"), division=VILLAGE, at=START,
                   scores=None, categories=None, income=400.0, member_count=2, case_id=None) -> Event:
    data = {"case_id": case_id or str(uuid.uuid4()), "household_id": household_id,
            "file_number": f"{division[:6]}-2026-000001", "division_code": division, "programmes": list(programmes),
            "categories": categories or {}, "rule_version": "CN-2022.1", "enrolled_at": at.isoformat(),
            "member_count": member_count,
            "scores": {"labour_capacity": 50} if scores is None else scores}
    if income is not None:
        data["per_capita_monthly_income_yuan"] = income
    return Event(type="identification.household.enrolled", source="/services/identification", subject=household_id,
                 data=data)


def enrol(runtime, household_id: str = "hh-1", **kwargs) -> Event:
    event = enrolled_event(household_id, **kwargs)
    runtime.registry.validate(event.envelope())  # exactly what identification would publish
    with runtime.session_factory() as s, s.begin():
        handlers.on_household_enrolled(s, event, runtime.services)
    return event


def members(seed=1, division=VILLAGE, capacities=("full", "none")) -> list[dict]:
    body = HouseholdFactory(seed).application_body(division=division, size=len(capacities))
    return [{**m, "labour_capacity": c} for m, c in zip(body["members"], capacities)]


def recheck(income="700", **over) -> dict:
    body = {"kind": "update", "per_capita_monthly_income_yuan": income, "income_stable": True, "members": members(),
            "guarantees": ALL_SECURED}
    body.update(over)
    return body


def record(client, runtime, household_id="hh-1", headers=None, **body):
    r = client.post(f"/api/v1/households/{household_id}/situations", headers=headers or village(runtime), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def programme_of(client, runtime, programme, household_id="hh-1") -> dict:
    r = client.get(f"/api/v1/households/{household_id}", headers=county(runtime))
    assert r.status_code == 200, r.text
    return next(p for p in r.json()["programmes"] if p["programme"] == programme)


def outbox(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    return [decode(bytes(p)) for p in rows]


def outbox_types(runtime) -> list[str]:
    return [e["type"] for e in outbox(runtime)]


def last_event(runtime, event_type: str) -> dict:
    matching = [e for e in outbox(runtime) if e["type"] == event_type]
    assert matching, f"no {event_type} in the outbox: {outbox_types(runtime)}"
    return matching[-1]
