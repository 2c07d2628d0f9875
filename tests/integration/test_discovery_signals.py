"""Partner signals over HTTP on real PostgreSQL: JSON lines and CSV, streamed, a result per record (clue, no clue,
invalid naming field and rule, duplicate), batches committed, the sender's department enforced."""
import json

from sqlalchemy import text

from discovery.models import Clue, Household, Signal
from tests.helpers import count, discovery_runtime
from tests.integration.discovery_support import (  # noqa: F401 (fixtures)
    VILLAGE,
    audit_rows,
    auth,
    client,
    clock,
    jsonl,
    outbox,
    partner,
    person,
    post_signals,
    runtime,
    signal,
    village,
)
from shared.contracts import registry


def broken_checksum(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def test_a_json_lines_file_gets_one_result_per_record_in_order(client, runtime):
    a, b, c = person(1), person(2), person(3)
    body = jsonl([
        signal(a, "MI-1"),                                                   # ¥12,000 per stay: a clue
        signal(b, "MI-2", amounts={"per_stay_yuan": 800}),                   # below every threshold
        signal(broken_checksum(c), "MI-3"),                                  # invalid ID number
        "{not json",                                                         # not JSON at all
        signal(a, "MI-1"),                                                   # the same record again
        signal(c, "HR-1", department="human_resources"),                     # not this partner's record
        signal(c, "MI-4", kind="earner_death", amounts={}, occurred_on="2026-07-01"),  # in the future
        signal(c, "MI-5", kind="earner_death", amounts={}),                  # a clue (high severity)
    ])
    r, lines = post_signals(client, runtime, body, headers={**partner(runtime), "X-Correlation-ID": "upload-1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    assert [(x["line"], x["external_id"], x["status"]) for x in lines] == [
        (1, "MI-1", "clue"), (2, "MI-2", "no_clue"), (3, "MI-3", "invalid"), (4, None, "invalid"),
        (5, "MI-1", "duplicate"), (6, "HR-1", "invalid"), (7, "MI-4", "invalid"), (8, "MI-5", "clue")]
    assert {k: lines[2]["error"][k] for k in ("field", "rule")} == {"field": "id_number", "rule": "id_number_checksum"}
    assert lines[3]["error"]["rule"] == "json_invalid"
    assert lines[4]["clue_id"] == lines[0]["clue_id"]  # the duplicate names the clue its first copy raised
    assert lines[5]["error"]["rule"] == "source_department_matches_token"
    assert lines[6]["error"] == {"field": "occurred_on", "rule": "date_in_future", **{
        k: lines[6]["error"][k] for k in ("message", "message_zh")}}
    assert all(x["error"]["message"] and x["error"]["message_zh"] for x in lines if x["status"] == "invalid")
    assert r.headers["X-Records-Total"] == "8" and r.headers["X-Records-Clue"] == "2"
    assert (r.headers["X-Records-Invalid"], r.headers["X-Records-Duplicate"], r.headers["X-Records-No-Clue"]) == ("4", "1", "1")

    assert (count(runtime, Signal), count(runtime, Clue), count(runtime, Household)) == (3, 2, 2)
    raised = outbox(runtime, "discovery.clue.raised")
    assert [e["data"]["clue_id"] for e in raised] == [lines[0]["clue_id"], lines[7]["clue_id"]]
    first, death = (e["data"] for e in raised)
    assert first["rule_id"] == "medical.per_stay.others" and first["rule_version"] == "53-v2"
    assert first["evidence"]["value"] == "12000" and first["evidence"]["threshold"] == "10000"
    assert first["verification_task"] == {"area": VILLAGE, "due_on": "2026-06-08"}  # 7 days for medium severity
    assert death["severity"] == "high" and death["verification_task"]["due_on"] == "2026-06-04"
    assert all(e["correlationid"] == "upload-1" for e in raised)
    for envelope in raised:
        registry().validate(envelope)
    [upload] = audit_rows(runtime, "signal_upload", r.headers["X-Upload-Id"])
    assert upload["actor"] == "dept-medical_insurance" and json.loads(upload["details"])["invalid"] == 4
    assert [a["action"] for a in audit_rows(runtime, "clue", lines[0]["clue_id"])] == ["clue.raised"]


def test_sending_the_same_file_again_changes_nothing(client, runtime):
    body = jsonl([signal(person(11), "MI-11"), signal(person(12), "MI-12", amounts={"per_stay_yuan": 1})])
    _, first = post_signals(client, runtime, body)
    r, again = post_signals(client, runtime, body)
    assert [x["status"] for x in first] == ["clue", "no_clue"]
    assert [x["status"] for x in again] == ["duplicate", "duplicate"]
    assert again[0]["clue_id"] == first[0]["clue_id"] and "clue_id" not in again[1]
    assert (count(runtime, Signal), count(runtime, Clue), len(outbox(runtime))) == (2, 1, 1)


def test_a_csv_file_is_read_with_its_amount_columns(client, runtime):
    a, b = person(21), person(22)
    csv = ("source_department,external_id,kind,id_number,division_code,occurred_on,household_status,note,"
           "amount.per_stay_yuan,amount.cumulative_year_yuan\r\n"
           f"medical_insurance,MI-21,medical_expense,{a},{VILLAGE},2026-05-01,monitored,住院,6500,\r\n"
           f"medical_insurance,MI-22,medical_expense,{b},{VILLAGE},2026-05-01,,,,100\r\n"
           f"medical_insurance,MI-23,medical_expense,{b},{VILLAGE},2026-05-01,none\r\n"
           f"medical_insurance,MI-24,medical_expense,{b},{VILLAGE},2026-05-01,none,,abc,\r\n")
    r, lines = post_signals(client, runtime, csv.encode("utf-8-sig"), "text/csv; charset=utf-8")
    assert r.status_code == 200, r.text
    assert [(x["line"], x["status"]) for x in lines] == [(2, "clue"), (3, "no_clue"), (4, "invalid"), (5, "invalid")]
    assert lines[2]["error"]["rule"] == "csv_field_count"
    assert (lines[3]["error"]["field"], lines[3]["error"]["rule"]) == ("amounts.per_stay_yuan", "amount_not_number")
    [raised] = outbox(runtime, "discovery.clue.raised")
    assert raised["data"]["rule_id"] == "medical.per_stay.vulnerable"  # ¥6,500 is above ¥6,000 for a monitored household


def test_a_csv_file_in_gb18030_is_read_when_the_charset_says_so(client, runtime):
    csv = ("source_department,external_id,kind,id_number,division_code,occurred_on,note\n"
           f"medical_insurance,MI-31,earner_death,{person(31)},{VILLAGE},2026-05-01,户主因病去世\n")
    r, lines = post_signals(client, runtime, csv.encode("gb18030"), "text/csv; charset=gb18030")
    assert [x["status"] for x in lines] == ["clue"]


def test_a_csv_header_that_misses_a_column_refuses_the_file(client, runtime):
    r, _ = post_signals(client, runtime, b"source_department,external_id,kind\nmedical_insurance,MI-1,earner_death\n",
                        "text/csv")
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert (error["field"], error["rule"]) == ("header", "csv_header") and error["message_zh"]
    assert count(runtime, Signal) == 0


def test_only_json_lines_or_csv_from_a_partner_with_a_department(client, runtime):
    body = jsonl([signal(person(41), "MI-41")])
    r, _ = post_signals(client, runtime, body, "application/json")
    assert r.status_code == 415 and r.json()["rule"] == "ndjson_or_csv" and r.json()["message_zh"]
    assert post_signals(client, runtime, body, headers={})[0].status_code == 401
    assert post_signals(client, runtime, body, headers=village(runtime))[0].status_code == 403
    no_department = auth(runtime, "partner", "", subject="dept-x")
    assert post_signals(client, runtime, body, headers=no_department)[0].status_code == 403
    assert count(runtime, Signal) == 0


def test_a_large_file_is_streamed_in_and_committed_in_batches(databases, kafka_bootstrap, topic_prefix, clock):
    from fastapi.testclient import TestClient

    from discovery.main import create_app

    runtime = discovery_runtime(databases.create("discovery"), kafka_bootstrap, topic_prefix, signal_batch_size=100)
    people = [person(1000 + i) for i in range(50)]
    n = 1200

    def chunks():  # a chunked request body, cut in the middle of lines
        data = jsonl([signal(people[i % 50], f"MI-{i}", amounts={"per_stay_yuan": 12000 if i % 100 == 0 else 50})
                      for i in range(n)])
        for start in range(0, len(data), 7000):
            yield data[start:start + 7000]

    with TestClient(create_app(runtime=runtime, clock=clock, start_workers=False)) as client:
        r = client.post("/api/v1/signals", content=chunks(),
                        headers={"Content-Type": "application/x-ndjson", **partner(runtime)})
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert r.status_code == 200 and len(lines) == n
    assert [x["line"] for x in lines] == list(range(1, n + 1))
    assert sum(x["status"] == "clue" for x in lines) == 12 and count(runtime, Signal) == n
    assert len(outbox(runtime, "discovery.clue.raised")) == 12
    with runtime.engine.connect() as conn:  # PostgreSQL's xmin: the transaction that wrote each row
        transactions = conn.execute(text("SELECT count(DISTINCT xmin::text) FROM signals")).scalar_one()
    assert transactions == n // 100
