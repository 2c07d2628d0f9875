"""Local dates and whole months: the arithmetic behind observation ends, reviews and tapers."""
from datetime import date, datetime, timezone

import pytest

from gradual_exit.domain.calendar import add_months, local_date, whole_months_between


def test_a_utc_evening_is_the_next_day_in_china():
    assert local_date(datetime(2026, 9, 1, 15, 59, tzinfo=timezone.utc)) == date(2026, 9, 1)
    assert local_date(datetime(2026, 9, 1, 16, 0, tzinfo=timezone.utc)) == date(2026, 9, 2)
    assert local_date(datetime(2026, 9, 1, 23, 0)) == date(2026, 9, 1), "naive: already local"
    assert local_date(date(2026, 9, 1)) == date(2026, 9, 1)


@pytest.mark.parametrize("start,months,end", [
    (date(2026, 3, 2), 6, date(2026, 9, 2)), (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)), (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 1, 31), 0, date(2026, 1, 31)), (date(2026, 3, 2), 12, date(2027, 3, 2)),
])
def test_add_months_clamps_to_the_end_of_a_shorter_month(start, months, end):
    assert add_months(start, months) == end


def test_add_months_refuses_negative_months():
    with pytest.raises(ValueError):
        add_months(date(2026, 1, 1), -1)


@pytest.mark.parametrize("end,months", [
    (date(2026, 3, 1), 0), (date(2026, 3, 2), 0), (date(2026, 4, 1), 0), (date(2026, 4, 2), 1),
    (date(2026, 9, 1), 5), (date(2026, 9, 2), 6), (date(2027, 3, 2), 12),
])
def test_whole_months_between(end, months):
    assert whole_months_between(date(2026, 3, 2), end) == months


def test_whole_months_from_a_month_end():
    assert whole_months_between(date(2026, 8, 31), date(2027, 2, 27)) == 5
    assert whole_months_between(date(2026, 8, 31), date(2027, 2, 28)) == 6
