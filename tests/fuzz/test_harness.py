"""The fuzz harness on a toy service that breaks each rule once: it must report every one of them."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from shared.db import make_engine, make_session_factory
from shared.emits import route_emits
from shared.messaging_tables import define_messaging_tables
from shared.unit_of_work import install_event_guard
from shared.web import install_common
from tests.fuzz import test_openapi_fuzz as harness
from tests.fuzz.apps import ServiceApp


class Amount(BaseModel):
    yuan: int = Field(ge=0, le=100)


def toy(tmp_path) -> ServiceApp:
    metadata = MetaData()
    thing = Table("thing", metadata, Column("id", Integer, primary_key=True, autoincrement=True), Column("v", String(20)))
    tables = define_messaging_tables(metadata)
    engine = make_engine(f"sqlite:///{tmp_path}/toy.db")
    metadata.create_all(engine)
    factory = make_session_factory(engine)
    install_event_guard(factory, metadata, service="toy")
    runtime = SimpleNamespace(consumers=[], periodic=[], metadata=metadata, tables=tables, engine=engine, session_factory=factory,
                              settings=SimpleNamespace(jwt_secret="toy-secret-0123456789abcdef0123456789",
                                                    service_name="toy"))
    app = FastAPI()
    install_common(app, "toy", lambda: None, lambda: True)

    def write(event_type: str | None):
        with factory() as s, s.begin():
            s.execute(insert(thing).values(v="x"))
            if event_type:
                s.execute(insert(tables.outbox).values(event_id=f"e-{uuid.uuid4().hex}", event_type=event_type,
                                                       topic="toy.thing", key="k", payload=b"{}"))

    @app.post("/claims-no-change", openapi_extra=route_emits(none="says it only reads"))
    def claims_no_change(body: Amount):
        write("toy.thing.changed")
        return {}

    @app.post("/other-event", openapi_extra=route_emits("toy.thing.changed"))
    def other_event(body: Amount):
        write("toy.thing.removed")
        return {}

    @app.post("/no-event", openapi_extra=route_emits("toy.thing.changed"))
    def no_event(body: Amount):
        write(None)
        return {}

    @app.get("/naive")
    def naive_time():
        return {"created_at": "2026-03-01T08:00:00"}

    @app.get("/crash")
    def crash(n: int = 0):
        raise RuntimeError("boom")

    return ServiceApp("toy", app, runtime)


def test_the_harness_reports_every_kind_of_violation(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "MAX_EXAMPLES", 3)
    monkeypatch.setattr(harness, "MAX_COVERAGE", 5)
    monkeypatch.setenv("EVENT_GUARD", "strict")
    run = harness.fuzz(toy(tmp_path))
    problems: dict[tuple[str, str], str] = {}
    for f in run.findings.values():
        problems[(f.method, f.path)] = problems.get((f.method, f.path), "") + f.problem + " | "
    assert "declared no state change but changed ['thing']" in problems[("POST", "/claims-no-change")]
    assert "does not declare: ['toy.thing.removed']" in problems[("POST", "/other-event")]
    assert "event guard: toy committed changes to thing" in problems[("POST", "/no-event")]
    assert "timestamp" in problems[("GET", "/naive")]
    assert "server error: RuntimeError: boom" in problems[("GET", "/crash")]
    assert not any("server error" in problems.get(("POST", p), "") for p in ("/claims-no-change", "/other-event"))
    assert run.calls > 5
