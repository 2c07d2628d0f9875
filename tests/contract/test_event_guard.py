"""The event guard itself, on a tiny schema: a commit that changes domain tables without an outbox row fails.

Run on SQLite and on PostgreSQL (the two databases the services run on): the guard sees writes at the cursor, and
the drivers differ in what they report there.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.audit import SYSTEM, define_audit_table, record
from shared.db import make_engine, make_session_factory
from shared.messaging_tables import define_messaging_tables
from shared.unit_of_work import EVENTS_MISSING, MissingEvent, install_event_guard, without_event


class Base(DeclarativeBase):
    metadata = MetaData()


class Thing(Base):
    __tablename__ = "thing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))


note = Table("note", Base.metadata, Column("id", Integer, primary_key=True), Column("body", String(40)))
scratch = Table("scratch", Base.metadata, Column("id", Integer, primary_key=True),
                info={"event_exempt": "a timer's last-run row"})
messaging = define_messaging_tables(Base.metadata)
audit = define_audit_table(Base.metadata)


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/guard.db"
        dbs = None
    else:
        dbs = request.getfixturevalue("databases")
        name = f"t_guard_{uuid.uuid4().hex[:10]}"
        with dbs.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        dbs.created.append(name)
        url = f"{dbs.server_url}/{name}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Thing.__table__).values(id=1, status="open"))
    session_factory = make_session_factory(engine)
    install_event_guard(session_factory, Base.metadata, service="guard-test", strict=True)
    yield session_factory
    engine.dispose()


def _event(session) -> None:
    session.execute(insert(messaging.outbox).values(event_id=f"e-{uuid.uuid4().hex}", event_type="x.y.z", topic="x.y",
                                                    key="h-1", payload=b"{}"))


def _status(factory) -> str:
    with factory() as s:
        return s.get(Thing, 1).status


def test_an_orm_update_without_an_event_is_refused_and_rolled_back(factory):
    with pytest.raises(MissingEvent) as exc, factory() as s, s.begin():
        s.get(Thing, 1).status = "closed"
    assert exc.value.tables == ["thing"]
    assert _status(factory) == "open"


def test_an_orm_insert_still_pending_at_commit_is_seen(factory):
    with pytest.raises(MissingEvent), factory() as s, s.begin():
        s.add(Thing(id=2, status="new"))  # not flushed yet: the guard flushes before its verdict


def test_a_core_insert_without_an_event_is_refused(factory):
    with pytest.raises(MissingEvent) as exc, factory() as s, s.begin():
        s.execute(insert(note).values(id=1, body="x"))
    assert exc.value.tables == ["note"]
    with factory() as s:
        assert s.execute(select(note)).all() == []


def test_core_update_delete_and_text_statements_without_an_event_are_refused(factory):
    for statement in (update(Thing).where(Thing.id == 1).values(status="x"), delete(Thing.__table__).where(Thing.id == 1),
                      text("UPDATE thing SET status = 'y' WHERE id = 1")):
        with pytest.raises(MissingEvent), factory() as s, s.begin():
            s.execute(statement)
    assert _status(factory) == "open"


def test_an_explicit_commit_is_checked_too(factory):
    s = factory()
    s.execute(insert(note).values(id=5, body="x"))
    with pytest.raises(MissingEvent):
        s.commit()
    s.close()


def test_a_change_with_an_event_passes(factory):
    with factory() as s, s.begin():
        s.get(Thing, 1).status = "closed"
        s.execute(insert(note).values(id=1, body="x"))
        _event(s)
    assert _status(factory) == "closed"


def test_bookkeeping_tables_alone_need_no_event(factory):
    with factory() as s, s.begin():
        s.execute(insert(scratch).values(id=1))
        s.execute(insert(messaging.inbox).values(event_id="e1", consumer="c", event_type="t", topic="t", partition=0,
                                                 offset=0))
        s.execute(insert(messaging.idempotency).values(scope="s", key="k", request_hash="h", status_code=200,
                                                       response_body="{}"))
        from datetime import datetime, timezone
        record(s, audit, actor=SYSTEM, at=datetime.now(timezone.utc), action="read", entity_type="thing", entity_id="1")


def test_writes_that_touch_no_row_are_not_changes(factory):
    dialect_insert = pg_insert if factory.kw["bind"].dialect.name == "postgresql" else sqlite_insert
    with factory() as s, s.begin():
        s.execute(update(Thing).where(Thing.id == 99).values(status="x"))
        s.execute(dialect_insert(Thing.__table__).values(id=1, status="dup").on_conflict_do_nothing())
        s.get(Thing, 1)  # read only


def test_an_event_in_one_transaction_does_not_excuse_the_next(factory):
    with factory() as s:
        with s.begin():
            s.get(Thing, 1).status = "closed"
            _event(s)
        with pytest.raises(MissingEvent), s.begin():
            s.get(Thing, 1).status = "reopened"
    assert _status(factory) == "closed"


def test_a_rolled_back_change_leaves_nothing_behind_for_the_next_transaction(factory):
    with factory() as s:
        s.execute(insert(note).values(id=7, body="x"))
        s.rollback()
        with s.begin():
            s.execute(select(note)).all()


def test_an_exemption_must_give_a_reason_and_covers_one_transaction(factory):
    with pytest.raises(ValueError):
        without_event(factory(), "")
    with factory() as s:
        with s.begin():
            without_event(s, "test seed data")
            s.execute(insert(note).values(id=1, body="seed"))
        with pytest.raises(MissingEvent), s.begin():
            s.execute(insert(note).values(id=2, body="again"))


def test_outside_strict_mode_it_warns_counts_and_commits(factory, caplog):
    guard = install_event_guard(factory, [], strict=False)
    before = EVENTS_MISSING.labels("guard-test")._value.get()
    with factory() as s, s.begin():
        s.get(Thing, 1).status = "lenient"
    assert _status(factory) == "lenient"
    assert EVENTS_MISSING.labels("guard-test")._value.get() == before + 1
    assert any("without an event" in r.getMessage() for r in caplog.records)
    guard.strict = True


def test_strict_mode_follows_the_environment_by_default(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path}/env.db")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    install_event_guard(factory, Base.metadata)
    monkeypatch.setenv("EVENT_GUARD", "strict")
    with pytest.raises(MissingEvent), factory() as s, s.begin():
        s.execute(insert(note).values(id=1, body="x"))
    monkeypatch.setenv("EVENT_GUARD", "warn")
    with factory() as s, s.begin():
        s.execute(insert(note).values(id=1, body="x"))
    engine.dispose()


def test_within_one_transaction_each_unit_of_work_must_publish_its_own_change(factory):
    """A consumer applies a batch of events in one transaction: one handler's event does not excuse another."""
    from shared.unit_of_work import check_event_since, event_checkpoint
    with factory() as s, s.begin():
        s.execute(select(note)).all()
        mark = event_checkpoint(s)
        s.get(Thing, 1).status = "first"
        _event(s)
        check_event_since(s, mark, "first handler")  # published: fine
        mark = event_checkpoint(s)
        s.execute(insert(scratch).values(id=9))
        check_event_since(s, mark, "bookkeeping handler")  # exempt table only: fine
        mark = event_checkpoint(s)
        s.get(Thing, 1).status = "second"  # the same table again, silently
        with pytest.raises(MissingEvent) as exc:
            check_event_since(s, mark, "second handler")
        assert "second handler" in str(exc.value) and exc.value.tables == ["thing"]
        s.rollback()
