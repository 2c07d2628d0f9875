"""One time model: every timestamp in APIs, events and audit rows is RFC 3339 with an offset, and the naive/aware
mix cannot come back (every timestamp column refuses a naive datetime; every date-time contract field refuses one).

Responses: a scripted pass over every GET route of every service with seeded ids (the fuzz run checks every
response it gets the same way). Events: every contract example and every outbox row the pass wrote.
"""
from __future__ import annotations

import copy
import functools
import importlib
import json
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError

from shared.contracts import ContractRegistry, ContractViolation, contracts_dir
from shared.db import UtcDateTime, make_engine
from tests.fuzz.apps import build
from tests.fuzz.checks import RFC3339, date_time_paths, set_at, timestamp_problems
from tests.fuzz.seed import apply_examples, id_pools
from tests.services import SERVICES

EXAMPLES = sorted((contracts_dir() / "examples").glob("*.json"))
SCHEMAS = sorted((contracts_dir() / "events").glob("*.schema.json"))


@functools.lru_cache(maxsize=1)
def _registry() -> ContractRegistry:
    return ContractRegistry()


# -- the checker ---------------------------------------------------------------------------------------------
def test_the_timestamp_check_tells_aware_from_naive():
    assert timestamp_problems({"at": "2026-03-01T08:00:00+08:00", "on": "2026-03-01", "decided_on": "2026-03-01",
                               "x": [{"sent_at": "2026-03-01T00:00:00.123Z"}], "name": "张三"}) == []
    assert timestamp_problems({"created_at": "2026-03-01T08:00:00"})  # naive
    assert timestamp_problems({"deep": [{"when": "2026-03-01 08:00:00+00:00"}]})  # str(datetime): not RFC 3339
    assert timestamp_problems(["2026-03-01T08:00"])  # no seconds, no offset
    assert timestamp_problems({"due_at": "tomorrow"})  # a time key holding no time


# -- events --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_contract_example_carries_offsets(path):
    assert timestamp_problems(json.loads(path.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name.removesuffix(".v1.schema.json"))
def test_every_date_time_field_of_every_contract_refuses_a_naive_value(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    example = json.loads((contracts_dir() / "examples" / path.name.replace(".schema.json", ".json")).read_text())
    registry = _registry()
    for field in date_time_paths(schema):
        broken = copy.deepcopy(example)
        if not set_at(broken["data"], field, "2026-03-01T08:00:00"):
            continue  # optional and absent in the example
        with pytest.raises(ContractViolation):
            registry.validate(broken)
    naive_envelope = copy.deepcopy(example)
    naive_envelope["time"] = "2026-03-01T08:00:00"
    with pytest.raises(ContractViolation):
        registry.validate(naive_envelope)


def test_the_date_time_walk_finds_the_fields_it_must_break():
    schema = json.loads((contracts_dir() / "events" / "identification.notice.published.v1.schema.json").read_text())
    assert ("ends_at",) in date_time_paths(schema)
    assert sum(len(date_time_paths(json.loads(p.read_text()))) for p in SCHEMAS) >= len(SCHEMAS) // 2


# -- storage -------------------------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/time.db"
    else:
        dbs = request.getfixturevalue("databases")
        name = f"t_time_{uuid.uuid4().hex[:10]}"
        with dbs.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        dbs.created.append(name)
        url = f"{dbs.server_url}/{name}"
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_a_naive_datetime_written_to_a_utc_column_raises_and_an_aware_one_reads_back_aware(engine):
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime))
    table.metadata.create_all(engine)
    with pytest.raises(StatementError) as exc, engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=datetime(2026, 3, 1, 8, 0)))
    assert isinstance(exc.value.orig, ValueError) and "naive" in str(exc.value.orig)
    from zoneinfo import ZoneInfo
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=2, at=datetime(2026, 3, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))))
        back = conn.execute(select(table.c.at).where(table.c.id == 2)).scalar_one()
    assert back == datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc) and back.utcoffset().total_seconds() == 0
    with engine.begin() as conn:
        assert conn.execute(select(table.c.id)).scalars().all() == [2]


@pytest.mark.parametrize("service", SERVICES)
def test_every_timestamp_column_of_every_service_is_utc_aware(service):
    metadata = importlib.import_module(f"{service}.models").metadata
    naive = [f"{t.name}.{c.name}" for t in metadata.sorted_tables for c in t.columns
             if isinstance(c.type, DateTime) and not isinstance(c.type, UtcDateTime)]
    assert not naive, f"{service}: timestamp columns that accept naive datetimes (use shared.db.UtcDateTime): {naive}"


# -- responses and the events they wrote ---------------------------------------------------------------------
def _get_routes(app) -> list[str]:
    return [p for p, item in app.openapi()["paths"].items() if "get" in item]


def _fill(template: str, pools: dict[str, list[str]]) -> str | None:
    import re
    names = re.findall(r"{(\w+)}", template)
    for name in names:
        if not pools.get(name):
            return None
        template = template.replace("{" + name + "}", pools[name][0])
    return template


@pytest.mark.parametrize("service", SERVICES)
def test_every_get_response_and_every_written_event_carries_offsets(service, tmp_path):
    from fastapi.testclient import TestClient
    svc = build(service, f"sqlite:///{tmp_path}/{service}.db")
    svc.runtime.session_factory._event_guard.strict = False  # this test is about time; the guard has its own
    apply_examples(svc)
    pools = id_pools(svc)
    problems, answered = [], 0
    with TestClient(svc.app, raise_server_exceptions=False) as client:
        for template in _get_routes(svc.app):
            url = _fill(template, pools)
            if url is None:
                continue
            response = client.get(url, headers=svc.headers("admin"))
            if response.status_code == 200 and response.headers.get("content-type", "").startswith("application/json"):
                answered += 1
                problems += [f"GET {template}: {p}" for p in timestamp_problems(response.json())]
    outbox, audit = svc.runtime.tables.outbox, svc.runtime.metadata.tables["audit_log"]
    with svc.runtime.engine.connect() as conn:
        events = [json.loads(bytes(p)) for p in conn.execute(select(outbox.c.payload)).scalars()]
        audits = conn.execute(select(audit.c.at, audit.c.details)).all()
    for envelope in events:
        problems += [f"event {envelope['type']}: {p}" for p in timestamp_problems(envelope)]
    for at, details in audits:
        if at.utcoffset() is None:
            problems.append(f"audit_log.at {at!r} is naive")
        if details:
            problems += [f"audit_log.details: {p}" for p in timestamp_problems(json.loads(details))]
    print(f"{service}: {answered} GET answers, {len(events)} events, {len(audits)} audit rows checked")
    assert answered, f"{service}: no GET route answered 200 with seeded data"
    # A consumer that only feeds a read model (declared @emits(none=...), e.g. the portal's household file) writes none.
    from tests.fuzz.declarations import resolve
    publishing = [fn for spec in svc.runtime.consumers for fn in spec.handlers.values()
                  if not getattr(resolve(fn), "__no_state_change__", None)]
    assert events or not publishing, f"{service}: seeding wrote no events to check"
    assert not problems, f"{service}:\n  " + "\n  ".join(sorted(set(problems))[:40])


def test_rfc3339_pattern_requires_an_offset():
    assert RFC3339.match("2026-03-01T08:00:00+08:00") and RFC3339.match("2026-03-01T00:00:00Z")
    assert not RFC3339.match("2026-03-01T08:00:00") and not RFC3339.match("2026-03-01 08:00:00+08:00")
