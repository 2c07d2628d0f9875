"""The check-in schedule: month arithmetic, quarterly for three years, grace days and the early window at their edges."""
from datetime import date, datetime, timedelta, timezone

import pytest

from followup.domain.schedule import (
    Cadence,
    Due,
    add_months,
    dates_until,
    due_on,
    extension,
    fulfilled_by,
    initial_schedule,
    is_overdue,
    local_date,
    next_on_or_after,
    overdue_after,
    window_opens,
)

QUARTERLY_3Y = Cadence(interval_months=3, duration_months=36, grace_days=15, early_days=30)


@pytest.mark.parametrize("day,months,expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2027, 1, 31), 13, date(2028, 2, 29)),   # leap year
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),   # across the year
    (date(2026, 3, 2), 0, date(2026, 3, 2)),
    (date(2026, 3, 2), 36, date(2029, 3, 2)),
])
def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


def test_add_months_refuses_going_back():
    with pytest.raises(ValueError):
        add_months(date(2026, 1, 1), -1)


def test_due_dates_count_from_the_anchor_so_month_ends_do_not_drift():
    anchor = date(2026, 11, 30)
    assert [due_on(anchor, 3, k) for k in (1, 2, 3, 4)] == [
        date(2027, 2, 28), date(2027, 5, 30), date(2027, 8, 30), date(2027, 11, 30)]


def test_the_default_is_a_check_in_every_quarter_for_three_years():
    exit_day = date(2026, 3, 2)
    schedule = initial_schedule(exit_day, QUARTERLY_3Y)
    assert len(schedule) == 12
    assert schedule[0] == Due(1, date(2026, 6, 2))
    assert schedule[-1] == Due(12, date(2029, 3, 2)), "the end of the follow-up is itself a check-in"
    assert [d.k for d in schedule] == list(range(1, 13))


def test_an_interval_that_does_not_divide_the_duration_still_covers_the_end():
    schedule = initial_schedule(date(2026, 1, 1), Cadence(5, 12, 0, 0))
    assert [d.due_on for d in schedule] == [date(2026, 6, 1), date(2026, 11, 1), date(2027, 4, 1)]


def test_a_one_year_follow_up_every_quarter_has_four_check_ins():
    assert len(initial_schedule(date(2026, 1, 1), Cadence(3, 12, 15, 30))) == 4


@pytest.mark.parametrize("interval,duration,grace,early", [(0, 12, 0, 0), (6, 3, 0, 0), (3, 36, -1, 0), (3, 36, 0, -1)])
def test_a_cadence_that_makes_no_sense_is_refused(interval, duration, grace, early):
    with pytest.raises(ValueError):
        Cadence(interval, duration, grace, early)


@pytest.mark.parametrize("days_after_due,overdue", [(0, False), (14, False), (15, False), (16, True), (40, True)])
def test_a_check_in_is_overdue_only_after_its_grace_days(days_after_due, overdue):
    due = date(2026, 6, 2)
    assert overdue_after(due, 15) == date(2026, 6, 17)
    assert is_overdue(due, 15, due + timedelta(days=days_after_due)) is overdue


@pytest.mark.parametrize("days_after_due,overdue", [(-1, False), (0, False), (1, True)])
def test_with_no_grace_a_check_in_is_overdue_the_day_after_it_is_due(days_after_due, overdue):
    due = date(2026, 6, 2)
    assert is_overdue(due, 0, due + timedelta(days=days_after_due)) is overdue


def test_overdue_follows_the_china_date_of_the_clock():
    due = date(2026, 6, 2)
    # 16:30 UTC on the last on-time day is already the next day in Beijing
    assert is_overdue(due, 15, datetime(2026, 6, 17, 15, 59, tzinfo=timezone.utc)) is False
    assert is_overdue(due, 15, datetime(2026, 6, 17, 16, 0, tzinfo=timezone.utc)) is True
    assert local_date(datetime(2026, 6, 17, 16, 0, tzinfo=timezone.utc)) == date(2026, 6, 18)
    assert local_date(date(2026, 6, 17)) == date(2026, 6, 17)


@pytest.mark.parametrize("days_before_due,counts", [(31, False), (30, True), (29, True), (0, True)])
def test_a_visit_counts_for_a_check_in_from_early_days_before_it_is_due(days_before_due, counts):
    due = date(2026, 6, 2)
    assert window_opens(due, 30) == date(2026, 5, 3)
    visited = due - timedelta(days=days_before_due)
    assert (fulfilled_by([(1, due)], visited, 30) == [1]) is counts


def test_a_visit_after_missed_check_ins_catches_them_all_up_but_not_the_next_one():
    pending = [(1, date(2026, 6, 2)), (2, date(2026, 9, 2)), (3, date(2026, 12, 2))]
    assert fulfilled_by(pending, date(2026, 10, 1), 30) == [1, 2]
    assert fulfilled_by(pending, date(2026, 11, 2), 30) == [1, 2, 3]
    assert fulfilled_by(pending, date(2026, 3, 2), 30) == []


def test_another_exit_extends_the_schedule_on_the_same_cadence_until_it_covers_the_later_end():
    anchor = date(2026, 1, 1)
    first = initial_schedule(anchor, QUARTERLY_3Y)
    assert first[-1] == Due(12, date(2029, 1, 1))
    added = extension(anchor, 3, 12, date(2026, 2, 15), 36)
    assert added == [Due(13, date(2029, 4, 1))], "Feb 15 2029 is covered by the next check-in of the cadence"
    assert extension(anchor, 3, 12, date(2026, 1, 1), 36) == [], "an exit the same day needs nothing more"
    assert extension(anchor, 3, 12, date(2025, 12, 1), 36) == [], "an earlier exit is already covered"
    assert [d.k for d in extension(anchor, 3, 12, date(2026, 7, 1), 36)] == [13, 14]


def test_dates_until_starts_after_the_last_one_scheduled():
    assert dates_until(date(2026, 1, 1), 3, date(2026, 7, 1)) == [Due(1, date(2026, 4, 1)), Due(2, date(2026, 7, 1))]
    assert dates_until(date(2026, 1, 1), 3, date(2026, 7, 1), after_k=2) == []
    assert dates_until(date(2026, 1, 1), 3, date(2026, 7, 2), after_k=2) == [Due(3, date(2026, 10, 1))]


def test_next_on_or_after_keeps_the_cadence():
    anchor = date(2026, 1, 1)
    assert next_on_or_after(anchor, 3, 12, date(2029, 5, 20)) == Due(14, date(2029, 7, 1))
    assert next_on_or_after(anchor, 3, 2, date(2026, 10, 1)) == Due(3, date(2026, 10, 1)), "on the day itself"
    assert next_on_or_after(anchor, 3, 2, date(2026, 4, 1)) == Due(3, date(2026, 10, 1)), "always after the last one"
