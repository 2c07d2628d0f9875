"""The shared working-day calendar: one data file per year, counted across holidays, make-up days and year ends, and
a clear refusal (English and Chinese, naming the year) for a year without a file."""
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from shared.working_days import (
    CALENDARS_DIRECTORY,
    CalendarDataError,
    CalendarYearMissing,
    WorkingCalendar,
    load_calendar,
    local_date,
    read_calendar_file,
)

CHINA = WorkingCalendar.china()


def write(folder: Path, file_year: int, **changes) -> Path:
    year = file_year
    data = {"year": year, "status": "published", "notes": "test data",
            "days_off": [{"name_en": "New Year's Day", "name_zh": "元旦",
                          "first": f"{year}-01-01", "last": f"{year}-01-01"}],
            "makeup_working_days": []}
    data.update(changes)
    path = folder / f"{file_year}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- the bundled data ------------------------------------------------------------------------------------------

def test_one_file_per_year_2025_to_2027():
    assert sorted(p.name for p in CALENDARS_DIRECTORY.glob("*.json")) == ["2025.json", "2026.json", "2027.json"]
    assert CHINA.years == frozenset({2025, 2026, 2027})


@pytest.mark.parametrize("year,status", [(2025, "published"), (2026, "published"), (2027, "provisional")])
def test_each_file_says_whether_the_state_council_notice_is_in_it(year, status):
    data = json.loads((CALENDARS_DIRECTORY / f"{year}.json").read_text(encoding="utf-8"))
    assert data["status"] == status
    if status == "provisional":
        assert data["notes"].startswith("PROVISIONAL until the State Council notice")


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_year_has_the_statutory_248_working_days(year):
    # 13 statutory days off; every weekend day swapped away is made good by a make-up day or a substitute day off.
    assert CHINA.working_days_between(date(year, 1, 1), date(year, 12, 31)) == 248


# The statutory days of 2027 under the national measures (13 days), with the lunar dates of 2027: lunar New Year
# 2027-02-06 (so New Year's Eve 02-05), Dragon Boat (5th of the 5th month) 06-09, Mid-Autumn (15th of the 8th) 09-15,
# Qingming solar term 04-05.
STATUTORY_2027 = [date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8),
                  date(2027, 4, 5), date(2027, 5, 1), date(2027, 5, 2), date(2027, 6, 9), date(2027, 9, 15),
                  date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)]
# One substitute day off for each statutory day that falls on a Saturday or Sunday.
SUBSTITUTES_2027 = [date(2027, 2, 9), date(2027, 2, 10), date(2027, 5, 3), date(2027, 5, 4), date(2027, 10, 4),
                    date(2027, 10, 5)]


def test_2027_holds_the_statutory_days_and_one_substitute_for_each_weekend_one():
    assert len(STATUTORY_2027) == 13
    assert not any(CHINA.is_working_day(day) for day in STATUTORY_2027 + SUBSTITUTES_2027)
    on_weekends = [day for day in STATUTORY_2027 if day.weekday() >= 5]
    assert len(on_weekends) == len(SUBSTITUTES_2027) and all(day.weekday() < 5 for day in SUBSTITUTES_2027)
    _year, days_off, worked = read_calendar_file(CALENDARS_DIRECTORY / "2027.json")
    assert days_off == frozenset(STATUTORY_2027 + SUBSTITUTES_2027)
    assert worked == frozenset(), "no make-up working day before the notice sets one"


@pytest.mark.parametrize("day,working", [
    (date(2027, 1, 4), True),     # Monday after New Year's Day
    (date(2027, 2, 4), True),     # Thursday before New Year's Eve
    (date(2027, 2, 11), True),    # Thursday after the substitute days
    (date(2027, 4, 6), True),
    (date(2027, 5, 5), True),
    (date(2027, 6, 8), True), (date(2027, 6, 10), True),
    (date(2027, 9, 14), True), (date(2027, 9, 16), True),
    (date(2027, 10, 6), True),
    (date(2027, 2, 13), False),   # an ordinary Saturday
])
def test_2027_around_its_holidays(day, working):
    assert CHINA.is_working_day(day) is working


# --- counting across holidays, make-up days and year ends ------------------------------------------------------

def test_counting_across_the_2025_spring_festival_and_its_make_up_days():
    # Fri 24 Jan → Sun 26 worked (1), Mon 27 (2), 28 Jan–4 Feb off, Wed 5 (3), Thu 6 (4), Fri 7 (5), Sat 8 worked (6),
    # Mon 10 (7).
    start = date(2025, 1, 24)
    assert [CHINA.add_working_days(start, n) for n in range(1, 8)] == [
        date(2025, 1, 26), date(2025, 1, 27), date(2025, 2, 5), date(2025, 2, 6), date(2025, 2, 7), date(2025, 2, 8),
        date(2025, 2, 10)]
    assert CHINA.working_days_between(start, date(2025, 2, 10)) == 7


def test_counting_across_the_2027_national_day():
    # Thu 30 Sep → 1–5 Oct off (Fri–Tue), Wed 6 (1), Thu 7 (2), Fri 8 (3), Mon 11 (4).
    assert CHINA.add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 6)
    assert CHINA.add_working_days(date(2027, 9, 30), 4) == date(2027, 10, 11)


@pytest.mark.parametrize("start,count,end", [
    (date(2025, 12, 31), 1, date(2026, 1, 4)),    # 1–3 Jan 2026 off, Sunday 4 Jan worked
    (date(2025, 12, 30), 2, date(2026, 1, 4)),
    (date(2026, 12, 31), 1, date(2027, 1, 4)),    # Friday 1 Jan 2027 off, then the weekend
    (date(2026, 12, 18), 11, date(2027, 1, 5)),   # 9 working days in the last two weeks of 2026
])
def test_counting_across_a_year_end(start, count, end):
    assert CHINA.add_working_days(start, count) == end
    assert CHINA.working_days_between(start, end) == count


@pytest.mark.parametrize("start", [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 3 * 365 - 60, 23)])
def test_adding_and_counting_agree_everywhere_in_the_calendar(start):
    for count in (1, 10, 30):
        end = CHINA.add_working_days(start, count)
        assert CHINA.working_days_between(start, end) == count and CHINA.is_working_day(end)


def test_a_moment_is_counted_on_its_china_date():
    assert local_date(datetime(2026, 12, 31, 16, tzinfo=timezone.utc)) == date(2027, 1, 1)
    assert not CHINA.is_working_day(datetime(2026, 12, 31, 16, tzinfo=timezone.utc))  # New Year's Day in China
    assert CHINA.is_working_day(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc))
    assert local_date(datetime(2026, 1, 1, 23, 0)) == date(2026, 1, 1), "naive: already local"
    assert local_date(date(2026, 1, 1)) == date(2026, 1, 1)


# --- a year without a file --------------------------------------------------------------------------------------

def test_a_year_without_a_file_is_refused_in_both_languages_naming_the_year(tmp_path):
    write(tmp_path, 2026)
    calendar = load_calendar(tmp_path)
    assert calendar.is_working_day(date(2026, 12, 31))
    with pytest.raises(CalendarYearMissing) as refused:
        calendar.is_working_day(date(2027, 1, 4))
    error = refused.value
    assert error.year == 2027 and error.code == "calendar_year_missing"
    assert "no working-day calendar for 2027" in error.message and "2026" in error.message
    assert "缺少2027年的工作日历" in error.message_zh and "2026年" in error.message_zh
    assert "2027" in str(error) and "缺少2027年" in str(error)


def test_counting_into_a_missing_year_is_refused_not_cut_short(tmp_path):
    write(tmp_path, 2026)
    calendar = load_calendar(tmp_path)
    assert calendar.add_working_days(date(2026, 12, 28), 3) == date(2026, 12, 31)
    with pytest.raises(CalendarYearMissing, match="2027"):
        calendar.add_working_days(date(2026, 12, 28), 4)
    with pytest.raises(CalendarYearMissing, match="2027"):
        calendar.working_days_between(date(2026, 12, 28), date(2027, 1, 1))
    with pytest.raises(CalendarYearMissing, match="2025"):
        calendar.working_days_between(date(2025, 12, 30), date(2026, 1, 5))


def test_the_bundled_calendar_refuses_the_year_after_its_last_file():
    with pytest.raises(CalendarYearMissing, match="2028"):
        CHINA.add_working_days(date(2027, 12, 1), 30)
    with pytest.raises(CalendarYearMissing, match="2024"):
        CHINA.is_working_day(date(2024, 12, 31))


def test_an_empty_calendar_covers_no_year():
    with pytest.raises(CalendarYearMissing, match="none"):
        WorkingCalendar().is_working_day(date(2026, 3, 2))


# --- malformed files are refused, naming the file ----------------------------------------------------------------

@pytest.mark.parametrize("changes,message", [
    ({"year": 2025}, "the whole number in the file name"),
    ({"status": "draft"}, "'status' must be one of"),
    ({"notes": ""}, "'notes' must say"),
    ({"holidays": []}, "unknown keys holidays"),
    ({"days_off": [{"name_en": "X", "name_zh": "X", "first": "2026-02-03", "last": "2026-02-01"}]}, "before first"),
    ({"days_off": [{"name_en": "X", "name_zh": "X", "first": "2025-12-31", "last": "2025-12-31"}]}, "is not in 2026"),
    ({"days_off": [{"name_en": "X", "name_zh": "X", "first": "2026-02-30", "last": "2026-03-01"}]}, "is not a date"),
    ({"days_off": [{"name_en": "", "name_zh": "X", "first": "2026-02-03", "last": "2026-02-03"}]}, "'name_en'"),
    ({"days_off": [{"name_en": "X", "name_zh": "X", "first": "2026-02-03", "last": "2026-02-03", "kind": "x"}]},
     "unknown keys kind"),
    ({"days_off": [{"name_en": "X", "name_zh": "X", "first": "2026-02-03", "last": "2026-02-04"},
                   {"name_en": "Y", "name_zh": "Y", "first": "2026-02-04", "last": "2026-02-05"}]},
     "already a day off"),
    ({"makeup_working_days": [{"date": "2026-03-02", "for_en": "X", "for_zh": "X"}]}, "is a weekday"),
    ({"makeup_working_days": [{"date": "2026-03-07", "for_en": "X", "for_zh": "X"}] * 2}, "listed twice"),
    ({"makeup_working_days": [{"date": "2026-03-07", "for_zh": "X"}]}, "'for_en'"),
    ({"makeup_working_days": {"date": "2026-03-07"}}, "must be a list"),
])
def test_a_malformed_file_is_refused_naming_it(tmp_path, changes, message):
    write(tmp_path, 2026, **changes)
    with pytest.raises(CalendarDataError, match=message) as refused:
        load_calendar(tmp_path)
    assert "2026.json" in str(refused.value)


def test_a_folder_without_calendar_files_is_refused(tmp_path):
    with pytest.raises(CalendarDataError, match="no calendar files"):
        load_calendar(tmp_path)
    (tmp_path / "2026.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CalendarDataError, match="2026.json: not readable JSON"):
        load_calendar(tmp_path)


def test_every_service_counts_months_with_the_one_shared_function():
    """The exit taper (assistance) must begin each month on the day gradual_exit does: one add_months, no copies."""
    import re
    from pathlib import Path

    import shared.working_days as wd
    from shared.working_days import add_months

    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 1, 31), 0) == date(2026, 1, 31)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    for bad in (-1, 1.0, True):
        with pytest.raises(ValueError):
            add_months(date(2026, 1, 1), bad)
    root = Path(wd.__file__).resolve().parent.parent
    copies = [str(p.relative_to(root)) for p in (root / "services").rglob("*.py")
              if "/tests/" not in str(p) and re.search(r"^def _?add_months\(", p.read_text(encoding="utf-8"), re.M)
              and "shared_add_months" not in p.read_text(encoding="utf-8")]
    assert copies == [], f"a second month arithmetic: {copies}"
