"""What discovery's integration and end-to-end tests share: the runtime on a fresh database, a client at a fixed
date, staff and partner tokens, partner records, and readers of the outbox and the audit trail."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from discovery.main import create_app
from discovery.models import audit_log
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.synthetic import HouseholdFactory
from tests.helpers import discovery_runtime

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in China
TODAY = date(2026, 6, 1)
COUNTY, TOWNSHIP, VILLAGE = "530102", "530102001", "530102001001"
NEIGHBOUR_VILLAGE = "530102001002"  # same township, another village
ELSEWHERE = "522701001002"  # another province


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix, clock):
    rt = discovery_runtime(databases.create("discovery"), kafka_bootstrap, topic_prefix)
    rt.clock = rt.services.clock = clock
    return rt


@pytest.fixture
def client(runtime, clock):
    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as c:
        yield c


def auth(runtime, role: str, area: str = "", subject: str | None = None, department: str | None = None,
         name: str = "") -> dict[str, str]:
    token = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-{area or department}", role=role,
                        area=area, name=name, department=department, now=datetime.now(timezone.utc))
    return {"Authorization": f"Bearer {token}"}


def village(runtime, area: str = VILLAGE, name: str = "王五") -> dict[str, str]:
    return auth(runtime, "village", area, name=name)


def township(runtime, area: str = TOWNSHIP) -> dict[str, str]:
    return auth(runtime, "township", area, name="赵六")


def county(runtime, area: str = COUNTY) -> dict[str, str]:
    return auth(runtime, "county", area)


def partner(runtime, department: str = "medical_insurance") -> dict[str, str]:
    return auth(runtime, "partner", "", subject=f"dept-{department}", department=department)


def person(seed: int, division: str = VILLAGE, age: int = 45) -> str:
    factory = HouseholdFactory(seed)
    return factory.resident_id(division, factory.birth_date(age, age))


def application(seed: int, division: str = VILLAGE, size: int = 3) -> dict:
    return HouseholdFactory(seed).application_body(division=division, size=size)


def signal(id_number: str, external_id: str, *, kind: str = "medical_expense", amounts: dict | None = None,
           division: str = VILLAGE, occurred_on: str = "2026-05-20", department: str = "medical_insurance",
           **extra) -> dict:
    """A partner record; by default one hospital stay of ¥12,000 out of pocket (above the ¥10,000 threshold)."""
    return {"source_department": department, "external_id": external_id, "kind": kind, "id_number": id_number,
            "division_code": division, "occurred_on": occurred_on,
            "amounts": {"per_stay_yuan": 12000} if amounts is None else amounts, **extra}


def jsonl(records: list[dict | str]) -> bytes:
    """JSON lines; a str is written as it is (a broken line)."""
    return b"".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)).encode() + b"\n" for r in records)


def post_signals(client, runtime, body: bytes, content_type: str = "application/x-ndjson",
                 headers: dict | None = None):
    r = client.post("/api/v1/signals", content=body,
                    headers={"Content-Type": content_type, **(partner(runtime) if headers is None else headers)})
    lines = [json.loads(line) for line in r.text.splitlines() if line] if r.status_code == 200 else []
    return r, lines


def outbox(runtime, event_type: str | None = None) -> list[dict]:
    o = runtime.tables.outbox
    query = select(o.c.payload).order_by(o.c.id)
    if event_type:
        query = query.where(o.c.event_type == event_type)
    with runtime.engine.connect() as conn:
        return [json.loads(bytes(p)) for p in conn.execute(query).scalars()]


def audit_rows(runtime, entity_type: str | None = None, entity_id: str | None = None) -> list[dict]:
    query = select(audit_log).order_by(audit_log.c.id)
    if entity_type:
        query = query.where(audit_log.c.entity_type == entity_type)
    if entity_id:
        query = query.where(audit_log.c.entity_id == entity_id)
    with runtime.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def raise_clue(client, runtime, id_number: str, external_id: str = "MI-1", **kw) -> str:
    r, lines = post_signals(client, runtime, jsonl([signal(id_number, external_id, **kw)]),
                            headers=partner(runtime, kw.get("department", "medical_insurance")))
    assert r.status_code == 200 and lines[0]["status"] == "clue", (r.status_code, r.text)
    return lines[0]["clue_id"]


def verification(confirmed: bool = True, **extra) -> dict:
    return {"confirmed": confirmed, "visited_on": "2026-05-30",
            "observations": {"monthly_income_yuan": 600, "housing_safe": True, "labour_capacity_lost": confirmed,
                             "notes": "户主住院后无法务农"},
            "indicators": ["illness", "medical_costs"] if confirmed else [], **extra}


def survey(members: list[dict], recommendation: str = "refer", division: str = VILLAGE, **extra) -> dict:
    return {"division_code": division, "visited_on": "2026-05-30", "members": members,
            "observations": {"monthly_income_yuan": 500, "housing_safe": False, "labour_capacity_lost": True},
            "indicators": ["housing_unsafe", "labour_capacity_lost"], "recommendation": recommendation, **extra}
