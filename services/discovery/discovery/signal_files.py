"""Streaming readers of partner signal files (JSON lines, CSV) and per-record screening results; one line at a time."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO, Iterable, Iterator, Literal, TextIO

from discovery.domain.screening import NoRulesInForce, RiskClue, Screener
from discovery.domain.signals import InvalidSignal, SignalRecord, parse_record

Row = tuple[int, dict[str, Any] | None, InvalidSignal | None]
MAX_LINE = 1 << 20  # a partner record is well under 1 KiB; a longer line is a broken file, not a record to hold in memory
CSV_COLUMNS = ("source_department", "external_id", "kind", "id_number", "division_code", "occurred_on",
               "household_status", "note")
CSV_REQUIRED = frozenset(CSV_COLUMNS) - {"household_status", "note"}
AMOUNT_PREFIX = "amount."


@dataclass(frozen=True, slots=True)
class RecordResult:
    """What became of one record of a file: a clue, nothing to report, or the rule it broke."""

    line: int
    external_id: str | None
    status: Literal["clue", "no_clue", "invalid"]
    clue: RiskClue | None = None
    error: InvalidSignal | None = None
    record: SignalRecord | None = None


def iter_jsonl(stream: BinaryIO | TextIO, max_line: int = MAX_LINE) -> Iterator[Row]:
    """(line number, decoded object, None) or (line number, None, error) for each non-blank line, from 1.

    Numbers with a fraction are decoded as Decimal, so 7000.10 stays 7000.10. A UTF-8 byte-order mark is allowed.
    """
    readline = stream.readline
    # One decoder for the file: json.loads(..., parse_float=...) would build a new one per line.
    decode = json.JSONDecoder(parse_float=Decimal).decode
    first = readline(max_line + 1)
    if not first:
        return
    binary = isinstance(first, bytes)
    newline: Any = b"\n" if binary else "\n"
    bom: Any = b"\xef\xbb\xbf" if binary else "\ufeff"
    line, number = first[len(bom):] if first.startswith(bom) else first, 0
    while line:
        number += 1
        if len(line) > max_line and not line.endswith(newline):
            while True:  # drop the rest of the over-long line without keeping it
                rest = readline(max_line)
                if not rest or rest.endswith(newline):
                    break
            yield number, None, InvalidSignal("line", "line_too_long", f"line is longer than {max_line} characters",
                                              f"该行超过 {max_line} 个字符")
        else:
            try:
                raw = decode(line.decode("utf-8") if binary else line)
            except ValueError as error:  # JSONDecodeError, and UnicodeDecodeError for bytes that are not UTF-8
                if line.strip():
                    yield number, None, InvalidSignal("line", "json_invalid", f"not valid JSON: {error}",
                                                      "不是有效的 JSON")
            else:
                if type(raw) is dict:
                    yield number, raw, None
                else:
                    yield number, None, InvalidSignal("line", "json_not_object", "each line must be one JSON object",
                                                      "每行必须是一个 JSON 对象")
        line = readline(max_line + 1)


def iter_csv(stream: BinaryIO | TextIO, encoding: str = "utf-8-sig") -> Iterator[Row]:
    """Rows of a CSV with a header (CSV_COLUMNS plus `amount.<name>` columns) as raw records, numbered by the line
    each row starts on. A header that misses a required column or names an unknown one raises InvalidSignal.

    A binary stream is decoded with `encoding` (default UTF-8 with or without BOM; exports from some partner
    systems need "gb18030").
    """
    wrapper = None
    if not isinstance(stream, io.TextIOBase):
        wrapper = io.TextIOWrapper(stream, encoding=encoding, newline="")  # type: ignore[arg-type]
        text: TextIO = wrapper
    else:
        text = stream  # type: ignore[assignment]
    try:
        yield from _csv_rows(text)
    finally:
        if wrapper is not None:
            wrapper.detach()  # the caller owns the stream: do not let the wrapper close it


def _csv_rows(text: TextIO) -> Iterator[Row]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [name.strip() for name in header]
    missing = CSV_REQUIRED - set(header)
    unknown = [name for name in header if name not in CSV_COLUMNS and not (
        name.startswith(AMOUNT_PREFIX) and len(name) > len(AMOUNT_PREFIX))]
    if missing or unknown or len(set(header)) != len(header):
        problem = (f"missing {sorted(missing)}" if missing else f"unknown {unknown}" if unknown else "repeated columns")
        raise InvalidSignal("header", "csv_header", f"CSV header: {problem}; expected {', '.join(CSV_COLUMNS)} and "
                            f"{AMOUNT_PREFIX}<name> columns", "CSV 表头缺少必需列、含未知列或列名重复")
    width = len(header)
    columns = [(i, name) for i, name in enumerate(header) if not name.startswith(AMOUNT_PREFIX)]
    amount_columns = [(i, name[len(AMOUNT_PREFIX):]) for i, name in enumerate(header) if name.startswith(AMOUNT_PREFIX)]
    ended = reader.line_num
    while True:
        start = ended + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            ended = reader.line_num
            yield start, None, InvalidSignal("line", "csv_invalid", f"not a valid CSV row: {error}", "不是有效的 CSV 行")
            continue
        ended = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield start, None, InvalidSignal("line", "csv_field_count", f"{len(row)} fields where the header has {width}",
                                             f"该行有 {len(row)} 个字段，表头有 {width} 个")
            continue
        # Empty cells are absent values: a missing required field is then named by parse_record.
        raw: dict[str, Any] = {name: row[i] for i, name in columns if row[i] != ""}
        raw["amounts"] = {name: row[i] for i, name in amount_columns if row[i].strip() != ""}
        yield start, raw, None


def screen_stream(rows: Iterable[Row], screener: Screener, *, today: date | None = None) -> Iterator[RecordResult]:
    """Parses and screens each row lazily; a bad record becomes an `invalid` result and the stream goes on."""
    today = today or date.today()
    screen = screener.screen
    for line, raw, error in rows:
        if error is not None:
            yield RecordResult(line, _external_id(raw), "invalid", error=error)
            continue
        try:
            record = parse_record(raw, today=today)  # type: ignore[arg-type]
        except InvalidSignal as invalid:
            yield RecordResult(line, _external_id(raw), "invalid", error=invalid)
            continue
        try:
            clue = screen(record)
        except NoRulesInForce:
            yield RecordResult(line, record.external_id, "invalid", record=record, error=InvalidSignal(
                "occurred_on", "no_screening_rules_in_force", f"no screening rules were in force on {record.occurred_on}",
                f"{record.occurred_on} 没有生效的筛查规则"))
            continue
        yield RecordResult(line, record.external_id, "no_clue" if clue is None else "clue", clue, None, record)


def _external_id(raw: Any) -> str | None:
    value = raw.get("external_id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and value else None
