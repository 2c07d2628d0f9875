"""Streaming JSON-lines and CSV signal files: one result per record, in order, whatever is wrong with some lines."""
import io
import json
from datetime import date
from decimal import Decimal

import pytest

from discovery.domain.screening import Screener, rule_set_from_policy
from discovery.domain.signals import InvalidSignal
from discovery.signal_files import iter_csv, iter_jsonl, screen_stream
from shared.policy_client import PolicyRules

TODAY = date(2025, 12, 31)
SCREENER = Screener(PolicyRules("screening", build=rule_set_from_policy))  # the shipped policy bundle
VALID_ID = "11010519491231002X"


def signal(external_id: str, **changes) -> dict:
    record = {"source_department": "medical_insurance", "external_id": external_id, "kind": "medical_expense",
              "id_number": VALID_ID, "division_code": "431228102201", "occurred_on": "2025-03-04",
              "household_status": "monitored", "amounts": {"per_stay_yuan": "7000.10"}}
    record.update(changes)
    return record


def outcome(results) -> list[tuple]:
    return [(r.line, r.external_id, r.status, r.clue.rule_id if r.clue else None, r.error.rule if r.error else None)
            for r in results]


def jsonl(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


MIXED = jsonl(
    json.dumps(signal("A1")),
    json.dumps(signal("A2", amounts={"per_stay_yuan": "100"})),
    "",
    "{not json",
    "[1, 2]",
    json.dumps(signal("A6", id_number="11010519491231003X")),
    json.dumps(signal("A7", kind="earner_death", amounts={}, household_status="none", note="车祸")),
    json.dumps(signal("A8", occurred_on="2021-12-31")),  # before the shipped national policy took effect (2022)
)
EXPECTED = [
    (1, "A1", "clue", "medical.per_stay.vulnerable", None),
    (2, "A2", "no_clue", None, None),
    (4, None, "invalid", None, "json_invalid"),
    (5, None, "invalid", None, "json_not_object"),
    (6, "A6", "invalid", None, "id_number_checksum"),
    (7, "A7", "clue", "earner.death", None),
    (8, "A8", "invalid", None, "no_screening_rules_in_force"),
]


def test_jsonl_mix_of_valid_and_invalid_lines_gives_one_result_per_record():
    results = list(screen_stream(iter_jsonl(io.BytesIO(MIXED)), SCREENER, today=TODAY))
    assert outcome(results) == EXPECTED
    assert results[0].record.amounts == {"per_stay_yuan": Decimal("7000.10")}
    assert results[4].error.field == "id_number" and results[4].error.message_zh


def test_jsonl_from_a_text_stream_gives_the_same_results():
    results = screen_stream(iter_jsonl(io.StringIO(MIXED.decode("utf-8"))), SCREENER, today=TODAY)
    assert outcome(results) == EXPECTED


def test_json_numbers_with_fractions_stay_exact():
    [(_, raw, error)] = list(iter_jsonl(io.BytesIO(b'{"amounts": {"per_stay_yuan": 7000.10, "n": 3}}\n')))
    assert error is None and raw["amounts"] == {"per_stay_yuan": Decimal("7000.10"), "n": 3}
    assert str(raw["amounts"]["per_stay_yuan"]) == "7000.10"


def test_last_line_without_newline_and_windows_line_ends_are_read():
    data = (json.dumps(signal("B1")) + "\r\n" + json.dumps(signal("B2"))).encode()
    assert [(line, raw["external_id"]) for line, raw, _ in iter_jsonl(io.BytesIO(data))] == [(1, "B1"), (2, "B2")]


def test_an_over_long_line_is_refused_without_losing_the_next_one():
    data = jsonl(json.dumps(signal("C1", note="x" * 500)), json.dumps(signal("C2")))
    rows = list(iter_jsonl(io.BytesIO(data), max_line=300))
    assert [(line, raw and raw["external_id"], error and error.rule) for line, raw, error in rows] == [
        (1, None, "line_too_long"), (2, "C2", None)]


def test_bytes_that_are_not_utf8_are_an_invalid_line():
    rows = list(iter_jsonl(io.BytesIO(b'{"note": "\xff"}\n' + jsonl(json.dumps(signal("D2"))))))
    assert [(line, error and error.rule) for line, _, error in rows] == [(1, "json_invalid"), (2, None)]


def test_screening_is_lazy_one_record_at_a_time():
    pulled = []

    def rows():
        for row in iter_jsonl(io.BytesIO(MIXED)):
            pulled.append(row[0])
            yield row

    results = screen_stream(rows(), SCREENER, today=TODAY)
    assert next(results).line == 1
    assert pulled == [1]


CSV_HEADER = ("source_department,external_id,kind,id_number,division_code,occurred_on,household_status,"
              "amount.per_stay_yuan,amount.cumulative_year_yuan,amount.grade,note\n")


def csv_file(*rows: str) -> str:
    return CSV_HEADER + "".join(row + "\n" for row in rows)


CSV_MIXED = csv_file(
    f"medical_insurance,M1,medical_expense,{VALID_ID},431228102201,2025-03-04,monitored,7000.10,,,",
    f"medical_insurance,M2,medical_expense,{VALID_ID},431228102201,2025-03-04,,7000.10,,,",  # status none: below 10,000
    f'disabled_federation,M3,severe_disability,{VALID_ID},431228102201,2025-03-04,none,,,2,"登记\n一级/二级"',
    f"medical_insurance,M4,medical_expense,{VALID_ID},431228102201,2025-03-04,monitored,-5,,,",
    "medical_insurance,M5,medical_expense",
    f"medical_insurance,M6,medical_expense,{VALID_ID},431228102201,2026-03-04,monitored,7000,,,",
    "",
    f"medical_insurance,M8,medical_expense,{VALID_ID},530102001001,2025-03-04,monitored,,8180.51,,",
    f"medical_insurance,,medical_expense,{VALID_ID},530102001001,2025-03-04,monitored,,8180.51,,",
)
CSV_EXPECTED = [
    (2, "M1", "clue", "medical.per_stay.vulnerable", None),
    (3, "M2", "no_clue", None, None),
    (4, "M3", "clue", "disability.severe", None),  # its quoted note runs over two lines
    (6, "M4", "invalid", None, "amount_negative"),
    (7, None, "invalid", None, "csv_field_count"),
    (8, "M6", "invalid", None, "date_in_future"),
    (10, "M8", "clue", "medical.cumulative.vulnerable", None),  # Yunnan's lower income base
    (11, None, "invalid", None, "field_missing"),
]


def test_csv_mix_of_valid_and_invalid_rows_gives_one_result_per_record_numbered_by_first_line():
    results = list(screen_stream(iter_csv(io.StringIO(CSV_MIXED, newline="")), SCREENER, today=TODAY))
    assert outcome(results) == CSV_EXPECTED
    assert results[2].record.note == "登记\n一级/二级"
    assert results[2].record.amounts == {"grade": Decimal("2")}
    assert results[1].record.household_status == "none"
    assert results[3].error.field == "amounts.per_stay_yuan"


def test_csv_binary_stream_with_bom_is_decoded_and_left_open_for_the_caller():
    stream = io.BytesIO(b"\xef\xbb\xbf" + CSV_MIXED.encode("utf-8"))
    assert outcome(screen_stream(iter_csv(stream), SCREENER, today=TODAY)) == CSV_EXPECTED
    assert not stream.closed


def test_csv_in_gb18030_can_be_read_with_its_encoding():
    stream = io.BytesIO(CSV_MIXED.encode("gb18030"))
    results = list(screen_stream(iter_csv(stream, encoding="gb18030"), SCREENER, today=TODAY))
    assert results[2].record.note == "登记\n一级/二级"


@pytest.mark.parametrize("header", [
    "source_department,external_id,kind,id_number,division_code,note\n",  # no occurred_on
    CSV_HEADER.replace("amount.grade", "grade"),
    CSV_HEADER.replace("amount.grade", "amount."),
    CSV_HEADER.replace("note", "kind"),
])
def test_a_csv_header_that_cannot_be_read_stops_the_file(header):
    with pytest.raises(InvalidSignal) as exc:
        list(iter_csv(io.StringIO(header)))
    assert (exc.value.field, exc.value.rule) == ("header", "csv_header")


def test_an_empty_file_has_no_rows():
    assert list(iter_csv(io.StringIO(""))) == []
    assert list(iter_jsonl(io.BytesIO(b""))) == []


def test_a_jsonl_file_may_start_with_a_byte_order_mark():
    data = b"\xef\xbb\xbf" + jsonl(json.dumps(signal("E1")), json.dumps(signal("E2")))
    assert [(line, raw["external_id"]) for line, raw, _ in iter_jsonl(io.BytesIO(data))] == [(1, "E1"), (2, "E2")]
    text = "\ufeff" + data[3:].decode()
    assert [(line, raw["external_id"]) for line, raw, _ in iter_jsonl(io.StringIO(text))] == [(1, "E1"), (2, "E2")]
