"""Working days (weekends, public holidays, make-up working days) and the statutory decision deadlines built on them."""
from datetime import date, datetime, timedelta, timezone

import pytest

from identification.domain.calendar import CalendarYearMissing, WorkingCalendar, local_date
from identification.domain.rules import policy_rules
from identification.domain.workflow import decision_deadline, is_overdue

CHINA = WorkingCalendar.china()
WEEKDAYS_ONLY = WorkingCalendar(years=frozenset({2026}))
RULES = policy_rules().for_division("530102001001", date(2026, 3, 1))


# --- the working calendar --------------------------------------------------------------------------------------

@pytest.mark.parametrize("day,working", [
    (date(2026, 3, 2), True),    # Monday
    (date(2026, 3, 7), False),   # Saturday
    (date(2026, 3, 8), False),   # Sunday
    (date(2026, 1, 1), False),   # New Year's Day, Thursday
    (date(2026, 1, 2), False),   # bridged Friday
    (date(2026, 1, 4), True),    # Sunday worked instead
    (date(2026, 2, 14), True),   # Saturday worked before the Spring Festival
    (date(2026, 2, 23), False),  # last day of the Spring Festival, Monday
    (date(2026, 2, 28), True),   # Saturday worked after it
    (date(2026, 4, 6), False),   # Qingming, Monday
    (date(2026, 5, 5), False),
    (date(2026, 5, 9), True),
    (date(2026, 6, 19), False),
    (date(2026, 9, 25), False),
    (date(2026, 9, 20), True),
    (date(2026, 10, 7), False),
    (date(2026, 10, 10), True),
    (date(2025, 10, 8), False),
    (date(2025, 9, 28), True),
])
def test_china_days_off_and_make_up_days(day, working):
    assert CHINA.is_working_day(day) is working


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_each_year_has_248_working_days(year):
    # 365 days − 104 weekend days − 13 statutory holidays, with every swap made good by a make-up day.
    assert CHINA.working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == 248


def test_a_year_without_a_calendar_file_is_refused_never_guessed():
    last = max(CHINA.years)
    assert CHINA.covers(date(last, 12, 31)) and not CHINA.covers(date(last + 1, 1, 1))
    with pytest.raises(CalendarYearMissing, match=f"no working-day calendar for {last + 1}") as refused:
        CHINA.is_working_day(date(last + 1, 1, 4))
    assert refused.value.year == last + 1 and f"缺少{last + 1}年的工作日历" in refused.value.message_zh
    # A deadline that runs into the missing year is refused too, not cut short.
    with pytest.raises(CalendarYearMissing):
        CHINA.add_working_days(date(last, 12, 20), 30)


def test_counting_working_days_across_a_weekend():
    friday = date(2026, 3, 6)
    assert CHINA.add_working_days(friday, 0) == friday
    assert CHINA.add_working_days(friday, 1) == date(2026, 3, 9)
    assert CHINA.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert CHINA.working_days_between(friday, date(2026, 3, 9)) == 1
    assert CHINA.working_days_between(date(2026, 3, 9), friday) == 0
    with pytest.raises(ValueError):
        CHINA.add_working_days(friday, -1)


def test_counting_working_days_across_the_spring_festival():
    # Thu 12 Feb → Fri 13 (1), Sat 14 worked (2), 15–23 off, Tue 24 (3), Wed 25 (4), Thu 26 (5).
    assert CHINA.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert WEEKDAYS_ONLY.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 19)


@pytest.mark.parametrize("start", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 17)])
def test_adding_and_counting_working_days_agree(start):
    for count in (1, 10, 30):
        end = CHINA.add_working_days(start, count)
        assert CHINA.working_days_between(start, end) == count and CHINA.is_working_day(end)


def test_a_calendar_is_data_that_can_be_replaced():
    local = WorkingCalendar(holidays=frozenset({date(2026, 3, 9)}), makeup_workdays=frozenset({date(2026, 3, 7)}),
                            years=frozenset({2026}))
    assert local.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)
    assert local.add_working_days(date(2026, 3, 6), 2) == date(2026, 3, 10)


def test_moments_are_read_as_china_dates():
    assert local_date(datetime(2026, 1, 1, 16, tzinfo=timezone.utc)) == date(2026, 1, 2)
    assert local_date(datetime(2026, 1, 1, 15, 59, tzinfo=timezone.utc)) == date(2026, 1, 1)
    assert local_date(datetime(2026, 1, 1, 23, 0)) == date(2026, 1, 1)
    assert local_date(date(2026, 1, 1)) == date(2026, 1, 1)


# --- decision deadlines ----------------------------------------------------------------------------------------

def test_monitoring_is_decided_within_15_calendar_days_of_the_clue():
    assert RULES.value("monitoring", "deadline") == {"calendar_days": 15}
    assert decision_deadline(date(2026, 3, 2), ["monitoring"], RULES, CHINA) == date(2026, 3, 17)
    # Calendar days ignore the Spring Festival.
    assert decision_deadline(date(2026, 2, 12), ["monitoring"], RULES, CHINA) == date(2026, 2, 27)


def test_dibao_is_decided_within_30_working_days_with_holidays_skipped():
    # From Monday 2 March: 30 working days would end on 13 April, but Qingming (Monday 6 April) pushes it to the 14th.
    assert decision_deadline(date(2026, 3, 2), ["dibao"], RULES, CHINA) == date(2026, 4, 14)
    assert decision_deadline(date(2026, 3, 2), ["dibao"], RULES, WEEKDAYS_ONLY) == date(2026, 4, 13)


def test_dibao_deadline_can_be_extended_to_45_working_days():
    # 14 April is day 30; Labour Day (1-5 May) is skipped on the way to day 45.
    deadline = decision_deadline(date(2026, 3, 2), ["dibao"], RULES, CHINA, extended=True)
    assert CHINA.working_days_between(date(2026, 3, 2), deadline) == 45 and deadline == date(2026, 5, 8)
    # A calendar-day deadline has no extension.
    assert decision_deadline(date(2026, 3, 2), ["monitoring"], RULES, CHINA, extended=True) == date(2026, 3, 17)


def test_the_earliest_applicable_deadline_wins():
    assert decision_deadline(date(2026, 3, 2), ["dibao", "monitoring"], RULES, CHINA) == date(2026, 3, 17)
    temporary_days = RULES.value("temporary", "deadline")["working_days"]
    assert decision_deadline(date(2026, 3, 2), ["dibao", "temporary"], RULES, CHINA) == \
        CHINA.add_working_days(date(2026, 3, 2), temporary_days)


def test_before_the_programmes_are_known_the_default_deadline_applies():
    default = RULES.value("workflow", "default_deadline")["working_days"]
    assert decision_deadline(date(2026, 3, 2), [], RULES, CHINA) == CHINA.add_working_days(date(2026, 3, 2), default)
    opened_at = datetime(2026, 3, 1, 17, tzinfo=timezone.utc)  # already 2 March in China
    assert decision_deadline(opened_at, ["dibao"], RULES, CHINA) == date(2026, 4, 14)


def test_a_case_is_overdue_from_the_day_after_its_deadline():
    deadline = date(2026, 4, 14)
    assert not is_overdue(deadline, date(2026, 4, 14))
    assert is_overdue(deadline, date(2026, 4, 15))
    assert not is_overdue(deadline, datetime(2026, 4, 14, 15, 59, tzinfo=timezone.utc))
    assert is_overdue(deadline, datetime(2026, 4, 14, 16, 0, tzinfo=timezone.utc))
