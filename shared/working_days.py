"""Working days for statutory deadlines, read from one calendar file per year (``shared/calendars/<year>.json``).

A working day is Monday to Friday, minus the public holidays, plus the weekend days worked instead (调休上班), as the
State Council's yearly notice on public holidays (国务院办公厅关于部分节假日安排的通知) sets them. A file::

    {
      "year": 2026,
      "status": "published" | "provisional",
      "source": "...", "notes": "...",            documentation only
      "days_off": [{"name_en": "...", "name_zh": "...", "first": "2026-01-01", "last": "2026-01-03",
                    "basis": "..."}, ...],                  basis: optional, why these days (provisional files)
      "makeup_working_days": [{"date": "2026-01-04", "for_en": "...", "for_zh": "..."}, ...]
    }

A day in a year that has no file has no answer: asking raises CalendarYearMissing (in English and Chinese, naming the
year) rather than guessing, because a weekday-only guess moves statutory deadlines by up to a week around the Spring
Festival and National Day.
"""
from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.clock import CHINA_TZ

CALENDARS_DIRECTORY = Path(__file__).resolve().parent / "calendars"
STATUSES = ("published", "provisional")


class CalendarDataError(ValueError):
    """A calendar file is malformed or contradicts itself; the message names the file."""


class CalendarYearMissing(LookupError):
    """A working day was asked about in a year that has no calendar file."""

    code = "calendar_year_missing"

    def __init__(self, year: int, known: frozenset[int] | tuple[int, ...] = ()):
        self.year = year
        listed = ", ".join(str(y) for y in sorted(known)) or "none"
        listed_zh = "、".join(f"{y}年" for y in sorted(known)) or "无"
        self.message = (f"no working-day calendar for {year}: working days in {year} cannot be counted until its "
                        f"public holidays (State Council notice) are added as calendars/{year}.json; calendars "
                        f"exist for: {listed}")
        self.message_zh = (f"缺少{year}年的工作日历：须先按国务院办公厅{year}年节假日安排通知补充该年度的节假日和调休上班日，"
                           f"才能计算{year}年的工作日；现有日历年度：{listed_zh}")
        super().__init__(f"{self.message} / {self.message_zh}")


def local_date(moment: date) -> date:
    """The China date of a moment; a naive datetime is taken as local time already, a date as is."""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA_TZ).date() if moment.tzinfo is not None else moment.date()
    return moment


@dataclass(frozen=True)
class WorkingCalendar:
    """Counts working days in the ``years`` it covers; any day outside them raises CalendarYearMissing."""

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()

    @classmethod
    def china(cls, directory: Path | None = None) -> WorkingCalendar:
        """Mainland China's calendar from the bundled files (or ``directory``)."""
        return load_calendar(directory)

    def covers(self, day: date) -> bool:
        return local_date(day).year in self.years

    def is_working_day(self, day: date) -> bool:
        day = local_date(day)
        if day.year not in self.years:
            raise CalendarYearMissing(day.year, self.years)
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, count: int) -> date:
        """The date of the ``count``-th working day after ``start`` (``start`` itself is day 0, never counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day, remaining = local_date(start), count
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not after ``start``)."""
        day, last, count = local_date(start), local_date(end), 0
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def load_calendar(directory: Path | None = None) -> WorkingCalendar:
    """Every ``<year>.json`` in the directory (default: the bundled ``calendars/``) as one calendar."""
    folder = CALENDARS_DIRECTORY if directory is None else Path(directory)
    files = sorted(folder.glob("*.json"))
    if not files:
        raise CalendarDataError(f"no calendar files (<year>.json) in {folder}")
    holidays: set[date] = set()
    makeup: set[date] = set()
    years: set[int] = set()
    for path in files:
        year, days_off, worked = read_calendar_file(path)
        years.add(year)
        holidays |= days_off
        makeup |= worked
    return WorkingCalendar(frozenset(holidays), frozenset(makeup), frozenset(years))


def read_calendar_file(path: Path) -> tuple[int, frozenset[date], frozenset[date]]:
    """(year, days off, make-up working days) of one file; CalendarDataError names the file and the entry."""
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarDataError(f"{name}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CalendarDataError(f"{name}: a calendar file holds one JSON object")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or path.stem != str(year):
        raise CalendarDataError(f"{name}: 'year' must be the whole number in the file name, got {year!r}")
    if data.get("status") not in STATUSES:
        raise CalendarDataError(f"{name}: 'status' must be one of {STATUSES}, got {data.get('status')!r}")
    if not isinstance(data.get("notes"), str) or not data["notes"].strip():
        raise CalendarDataError(f"{name}: 'notes' must say where the dates come from")
    unknown = set(data) - {"year", "status", "source", "notes", "days_off", "makeup_working_days"}
    if unknown:
        raise CalendarDataError(f"{name}: unknown keys {', '.join(sorted(unknown))}")
    days_off: set[date] = set()
    for index, block in enumerate(_entries(data, "days_off", name)):
        where = f"{name}: days_off[{index}]"
        _keys(block, {"name_en", "name_zh", "first", "last", "basis"}, where)
        _names(block, ("name_en", "name_zh"), where)
        first, last = _day(block.get("first"), year, f"{where}.first"), _day(block.get("last"), year, f"{where}.last")
        if last < first:
            raise CalendarDataError(f"{where}: last {last} is before first {first}")
        day = first
        while day <= last:
            if day in days_off:
                raise CalendarDataError(f"{where}: {day} is already a day off in another entry")
            days_off.add(day)
            day += timedelta(days=1)
    worked: set[date] = set()
    for index, entry in enumerate(_entries(data, "makeup_working_days", name)):
        where = f"{name}: makeup_working_days[{index}]"
        _keys(entry, {"date", "for_en", "for_zh"}, where)
        _names(entry, ("for_en", "for_zh"), where)
        day = _day(entry.get("date"), year, f"{where}.date")
        if day.weekday() < 5:
            raise CalendarDataError(f"{where}: {day} is a weekday, and only a weekend day can be worked instead")
        if day in days_off or day in worked:
            raise CalendarDataError(f"{where}: {day} is listed twice (as a day off or another make-up day)")
        worked.add(day)
    return year, frozenset(days_off), frozenset(worked)


def _entries(data: dict, key: str, name: str) -> list[dict]:
    entries = data.get(key)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CalendarDataError(f"{name}: '{key}' must be a list of objects")
    return entries


def _keys(entry: dict, allowed: set[str], where: str) -> None:
    unknown = set(entry) - allowed
    if unknown:
        raise CalendarDataError(f"{where}: unknown keys {', '.join(sorted(unknown))}")


def _names(entry: dict, keys: tuple[str, str], where: str) -> None:
    for key in keys:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise CalendarDataError(f"{where}: '{key}' must be a non-empty name")


def _day(value: Any, year: int, where: str) -> date:
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CalendarDataError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
    if day.year != year:
        raise CalendarDataError(f"{where}: {day} is not in {year}")
    return day


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter (31 August + 6 = 28/29 February).

    One definition for every month count in the platform (observation months, the taper paid by assistance, review
    and follow-up cadences, appeal deadlines), so that two services never disagree on when a month begins."""
    if isinstance(months, bool) or not isinstance(months, int) or months < 0:
        raise ValueError("months must be a whole number of at least 0")
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
