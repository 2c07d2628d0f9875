"""The household file's read model on a real (SQLite) database through the shared consumer runner: every contract
example applied once, the summary row, a replay in any order into an empty database giving the same model, and a
bad event dead-lettered while the rest go on. (The same on Kafka and PostgreSQL: tests/integration.)"""
from __future__ import annotations

import json
from collections import namedtuple
from datetime import timedelta

import pytest
from kafka.structs import TopicPartition
from sqlalchemy import select

from portal.staff.household_consumer import CONSUMER
from portal.staff.household_file import NOT_HOUSEHOLD, RULES
from portal.staff.household_file import id_digest
from portal.staff.household_consumer import search_key
from portal.staff.household_tables import household_entries, household_people, household_summaries
from shared.consumer import ConsumerRunner
from shared.contracts import contracts_dir
from shared.kafka_io import topic_for
from tests.fuzz.apps import build

Record = namedtuple("Record", "topic partition offset key value")
HOUSEHOLD = "0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b"


class FakeConsumer:
    """Only what the runner calls between polls; the broker itself is exercised in tests/integration."""

    def __init__(self):
        self.committed: dict = {}

    def commit(self, offsets):
        self.committed.update(offsets)


class FakeProducer:
    def __init__(self):
        self.sent: list = []

    def send(self, topic, key=None, value=None, headers=None):
        self.sent.append((topic, key, value, dict(headers or [])))

    def flush(self, timeout=None):
        pass


def examples() -> list[bytes]:
    return [p.read_bytes() for p in sorted((contracts_dir() / "examples").glob("*.v1.json"))]


def batch_of(values: list[bytes]) -> dict:
    batch: dict = {}
    for offset, value in enumerate(values):
        envelope = json.loads(value)
        tp = TopicPartition(topic_for(envelope["type"]), 0)
        batch.setdefault(tp, []).append(Record(tp.topic, 0, offset, envelope["subject"].encode(), value))
    return batch


@pytest.fixture
def make_portal(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENT_GUARD", "strict")  # the read model's tables are declared exempt, not forgotten
    made = []

    def make(name="portal"):
        svc = build("portal", f"sqlite:///{tmp_path}/{name}.db")
        spec = next(s for s in svc.runtime.consumers if s.name == CONSUMER)
        runner = ConsumerRunner(service="portal", name=spec.name, consumer=FakeConsumer(), producer=FakeProducer(),
                                session_factory=svc.runtime.session_factory, engine=svc.runtime.engine,
                                tables=svc.runtime.tables, registry=svc.runtime.registry, handlers=spec.handlers,
                                retry_backoff_s=0.0)
        made.append(svc)
        return svc.runtime, runner

    yield make
    for svc in made:
        svc.runtime.engine.dispose()


def dump(runtime) -> tuple[list, list]:
    return dump_all(runtime)[:2]


def dump_all(runtime) -> tuple[list, list, list]:
    with runtime.engine.connect() as conn:
        entries = [dict(r._mapping) for r in conn.execute(select(household_entries).order_by("entry_id"))]
        summaries = [dict(r._mapping) for r in conn.execute(select(household_summaries).order_by("household_id"))]
        people = [dict(r._mapping) for r in conn.execute(select(household_people).order_by("id_digest"))]
    return entries, summaries, people


def test_every_example_is_applied_once_and_the_summary_tells_the_latest_of_each_fact(make_portal):
    runtime, runner = make_portal()
    runner.process(batch_of(examples()))
    entries, summaries = dump(runtime)
    assert sorted({e["event_type"] for e in entries}) == sorted(RULES)
    assert not {e["event_type"] for e in entries} & set(NOT_HOUSEHOLD)
    assert runner.producer.sent == []  # nothing dead-lettered
    assert all(tp.topic in {topic_for(t) for t in RULES} | {topic_for(t) for t in NOT_HOUSEHOLD}
               for tp in runner.consumer.committed)
    [summary] = [s for s in summaries if s["household_id"] == HOUSEHOLD]
    assert summary["entry_count"] == len([e for e in entries if e["household_id"] == HOUSEHOLD]) == len(RULES)
    assert summary["file_number"] == "530102-2026-000001" and summary["division_code"] == "530102001001"
    assert summary["head_name_masked"] == "张*" and summary["head_id_number_masked"] == "**************002X"
    # the status of the latest event carrying one: household.updated and clue.raised share 12-01 08:00 (a tie, decided
    # by the value, so that any order gives the same row)
    assert summary["lifecycle_status"] == "withdrawn"
    assert summary["case_id"] == "c0ffee00-1234-4abc-8def-0123456789ab"
    assert summary["last_event_at"] == max(e["occurred_at"] for e in entries)
    assert summary["first_event_at"] == min(e["occurred_at"] for e in entries)
    # ID numbers only as digests under the portal's key (every member's: the search finds a household by any of them)
    people = dump_all(runtime)[2]
    key = search_key(runtime.settings)
    assert {p["id_digest"] for p in people if p["household_id"] == HOUSEHOLD} == {
        id_digest(key, "11010519491231002X"), id_digest(key, "110105195001011234")}
    # nothing of a citizen's ID number or full name is stored
    text = json.dumps([entries, summaries, people], default=str, ensure_ascii=False)
    assert "11010519491231002X" not in text and "110105195001011234" not in text and "张三" not in text


def test_a_replay_from_the_beginning_into_an_empty_database_gives_the_same_model(make_portal):
    first, runner = make_portal("first")
    values = examples()
    runner.process(batch_of(values))
    before = dump_all(first)
    runner.process(batch_of(values))  # redelivered: the inbox and the entry ids make it a no-op
    assert dump_all(first) == before
    second, replay = make_portal("second")
    for value in reversed(values):  # another order, one poll each
        replay.process(batch_of([value]))
    assert dump_all(second) == before


def test_a_later_event_wins_whatever_the_arrival_order():
    from datetime import datetime, timezone

    from portal.staff.household_consumer import _newer
    t = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert _newer(t + timedelta(seconds=1), "a", t, "z") and not _newer(t, "z", t + timedelta(seconds=1), "a")
    assert _newer(t, "b", t, "a") and not _newer(t, "a", t, "b")  # a tie is decided by the value, not the order
    assert _newer(t, "a", None, None)


def test_an_event_that_breaks_its_contract_goes_to_the_dead_letter_topic_and_the_rest_are_applied(make_portal):
    runtime, runner = make_portal()
    good = json.loads((contracts_dir() / "examples" / "identification.case.opened.v1.json").read_text())
    bad = dict(good, id="bad-1", data={**good["data"], "case_id": 42})
    runner.process(batch_of([json.dumps(bad).encode(), json.dumps(good).encode()]))
    entries, _ = dump(runtime)
    assert [e["event_id"] for e in entries] == [good["id"]]
    [(topic, _key, value, headers)] = runner.producer.sent
    assert topic == "identification.case.dlt" and json.loads(value)["id"] == "bad-1"
    assert headers["dlt.reason"] == b"contract" and headers["dlt.consumer"] == CONSUMER.encode()
    assert runner.consumer.committed[TopicPartition("identification.case", 0)].offset == 2


def test_a_type_newer_than_the_contracts_is_kept_generically_and_a_new_major_of_a_known_type_is_dead_lettered(
        make_portal):
    runtime, runner = make_portal()
    known = json.loads((contracts_dir() / "examples" / "identification.case.opened.v1.json").read_text())
    new_type = dict(known, id="new-1", type="identification.case.reopened",
                    dataschema="urn:lowincome-platform:schema:identification.case.reopened:1",
                    data={"household_id": HOUSEHOLD, "division_code": "530102001001", "anything": ["new"]})
    new_major = dict(known, id="new-2", dataschema="urn:lowincome-platform:schema:identification.case.opened:2")
    unread = dict(known, id="new-3", type="assistance.provider.renamed",
                  dataschema="urn:lowincome-platform:schema:assistance.provider.renamed:1")
    runner.process(batch_of([json.dumps(e).encode() for e in (new_type, new_major, unread)]))
    entries, [summary] = dump(runtime)
    assert [(e["event_id"], e["event_type"], e["summary_id"]) for e in entries] == [
        ("new-1", "identification.case.reopened", "hh.ev.generic")]
    assert entries[0]["occurred_at"].isoformat().startswith(known["time"].rstrip("Z"))
    assert summary["division_code"] == "530102001001"
    dead = sorted(json.loads(value)["id"] for _topic, _key, value, _headers in runner.producer.sent)
    assert dead == ["new-2", "new-3"]  # a known type's unknown major, and a new type of a topic not read here
    assert runtime.outbox.registry is not runtime.registry  # the portal's own events meet the plain contracts


def test_an_over_long_free_field_is_cut_to_its_column_rather_than_stopping_the_file(make_portal):
    runtime, runner = make_portal()
    dismissed = json.loads((contracts_dir() / "examples" / "discovery.clue.dismissed.v1.json").read_text())
    dismissed["data"]["dismissed_by"] = {**dismissed["data"]["dismissed_by"], "name": "赵" * 100,
                                         "subject": "s" * 128}
    runner.process(batch_of([json.dumps(dismissed).encode()]))
    [entry], _ = dump(runtime)
    assert entry["actor_name"] == "赵" * 64 and entry["actor_subject"] == "s" * 128
    assert runner.producer.sent == []
