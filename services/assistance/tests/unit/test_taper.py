"""The exit taper: which observation month a day falls in, the share paid, the amount, at every edge."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from assistance.domain.taper import (
    ONE,
    add_months,
    entitlement,
    month_number,
    month_starts_on,
    parse_schedule,
    percent,
    plan,
    share_of_month,
    tapered,
)

YUNNAN = parse_schedule([{"month": m + 1, "share": s} for m, s in enumerate([1, 1, 1, 0.8, 0.6, 0.5])])
START = date(2026, 3, 15)


@pytest.mark.parametrize("on,month", [
    (date(2026, 3, 14), 0),   # the day before the observation: not started
    (date(2026, 3, 15), 1),   # the start day is month 1
    (date(2026, 4, 14), 1),   # the last day of month 1
    (date(2026, 4, 15), 2),   # month 2 starts on the same day a month later
    (date(2026, 6, 14), 3),
    (date(2026, 6, 15), 4),
    (date(2026, 9, 14), 6),
    (date(2026, 9, 15), 7),   # past the schedule
    (date(2027, 3, 15), 13),
])
def test_the_observation_month_of_a_day_counts_from_the_start_day(on, month):
    assert month_number(START, on) == month


@pytest.mark.parametrize("start,on,month", [
    (date(2026, 1, 31), date(2026, 2, 27), 1),
    (date(2026, 1, 31), date(2026, 2, 28), 2),   # a shorter month: month 2 starts on its last day
    (date(2026, 1, 31), date(2026, 3, 30), 2),
    (date(2026, 1, 31), date(2026, 3, 31), 3),   # and month 3 on the 31st again
    (date(2028, 1, 31), date(2028, 2, 29), 2),   # a leap year
    (date(2026, 12, 20), date(2027, 1, 20), 2),  # across the year end
    (date(2026, 12, 20), date(2027, 1, 19), 1),
])
def test_month_edges_in_short_months_leap_years_and_across_the_year_end(start, on, month):
    assert month_number(start, on) == month
    assert month_starts_on(start, month) <= on
    assert on < month_starts_on(start, month + 1)


def test_a_moment_is_counted_in_china_time():
    # 16:30 UTC on the 14th is 00:30 on the 15th in Beijing: month 2 has begun
    assert month_number(START, datetime(2026, 4, 14, 16, 30, tzinfo=timezone.utc)) == 2
    assert month_number(START, datetime(2026, 4, 14, 15, 59, tzinfo=timezone.utc)) == 1


def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_shorter_month():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 15), 0) == date(2026, 3, 15)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@pytest.mark.parametrize("month,share", [(0, "1"), (1, "1"), (3, "1"), (4, "0.8"), (5, "0.6"), (6, "0.5"),
                                         (7, "0.5"), (60, "0.5")])
def test_the_share_follows_the_schedule_and_its_last_entry_carries_on(month, share):
    assert share_of_month(YUNNAN, month) == Decimal(share)


def test_months_before_the_first_entry_of_a_sparse_schedule_are_paid_in_full():
    sparse = parse_schedule([{"month": 5, "share": 0.4}, {"month": 3, "share": 0.7}])
    assert [share_of_month(sparse, m) for m in range(1, 7)] == [ONE, ONE, Decimal("0.7"), Decimal("0.7"),
                                                                Decimal("0.4"), Decimal("0.4")]


@pytest.mark.parametrize("share,amount", [("1", "600.00"), ("0", "0.00"), ("0.8", "480.00"), ("0.333", "199.80"),
                                          ("0.5", "300.00")])
def test_the_amount_is_the_full_amount_times_the_share_rounded_to_the_cent(share, amount):
    assert tapered(Decimal("600"), Decimal(share)) == Decimal(amount)


def test_rounding_is_half_up_at_the_cent():
    assert tapered(Decimal("0.05"), Decimal("0.5")) == Decimal("0.03")  # 0.025 -> 0.03
    assert tapered(Decimal("284.01"), Decimal("0.5")) == Decimal("142.01")  # 142.005 -> 142.01


@pytest.mark.parametrize("bad", [[], [{"month": 0, "share": 1}], [{"month": 1, "share": 1.01}],
                                 [{"month": 1, "share": -0.01}], [{"month": 1, "share": 1}, {"month": 1, "share": 0.5}],
                                 [{"month": True, "share": 1}], [{"month": 1, "share": float("nan")}]])
def test_a_schedule_that_cannot_be_paid_is_refused(bad):
    with pytest.raises(ValueError):
        parse_schedule(bad)


def test_shares_zero_and_one_are_payable():
    assert parse_schedule([{"month": 1, "share": 0}, {"month": 2, "share": 1}])[0].share == 0


def test_the_plan_lists_every_month_with_its_dates_and_amount():
    months = plan(Decimal("600"), START, YUNNAN)
    assert [(m.month, m.starts_on, m.ends_on, m.amount_yuan) for m in months] == [
        (1, date(2026, 3, 15), date(2026, 4, 14), Decimal("600.00")),
        (2, date(2026, 4, 15), date(2026, 5, 14), Decimal("600.00")),
        (3, date(2026, 5, 15), date(2026, 6, 14), Decimal("600.00")),
        (4, date(2026, 6, 15), date(2026, 7, 14), Decimal("480.00")),
        (5, date(2026, 7, 15), date(2026, 8, 14), Decimal("360.00")),
        (6, date(2026, 8, 15), date(2026, 9, 14), Decimal("300.00"))]
    for earlier, later in zip(months, months[1:]):
        assert later.starts_on == earlier.ends_on + timedelta(days=1)


def test_the_entitlement_of_a_day_is_explained_with_the_rule_version_in_both_languages():
    e = entitlement("dibao", Decimal("600"), START, YUNNAN, date(2026, 6, 20), rule_version="53-v2")
    assert (e.month, e.share, e.amount_yuan, e.full_amount_yuan) == (4, Decimal("0.8"), Decimal("480.00"),
                                                                     Decimal("600.00"))
    assert "month 4" in e.en and "80%" in e.en and "¥480" in e.en and "53-v2" in e.en
    assert "第4个月" in e.zh and "80%" in e.zh and "480元" in e.zh and "53-v2" in e.zh
    assert "dibao" not in e.zh


def test_after_the_schedule_the_last_share_is_paid_and_said_so():
    e = entitlement("dibao", Decimal("600"), START, YUNNAN, date(2026, 10, 1), rule_version="v")
    assert (e.month, e.share, e.amount_yuan) == (7, Decimal("0.5"), Decimal("300.00"))
    assert "last share" in e.en and "渐退期已满" in e.zh


def test_before_the_start_and_after_a_revert_the_full_amount_is_paid():
    before = entitlement("tekun", Decimal("900"), START, YUNNAN, date(2026, 3, 1), rule_version="v")
    assert (before.month, before.share, before.amount_yuan) == (0, ONE, Decimal("900.00"))
    # reverted in month 5 (share 0.6): the full amount again, whatever the month
    reverted = entitlement("dibao", Decimal("600"), START, YUNNAN, date(2026, 7, 20), rule_version="GE-v2",
                           reverted=True)
    assert (reverted.month, reverted.share, reverted.amount_yuan) == (0, ONE, Decimal("600.00"))
    assert "reverted" in reverted.en and "GE-v2" in reverted.en and "撤销" in reverted.zh


def test_a_zero_share_month_pays_nothing_and_says_so():
    stop = parse_schedule([{"month": 1, "share": 1}, {"month": 2, "share": 0}])
    e = entitlement("dibao", Decimal("600"), START, stop, date(2026, 4, 15), rule_version="v")
    assert (e.month, e.amount_yuan) == (2, Decimal("0.00")) and "0%" in e.en


def test_percent_is_written_without_trailing_zeros():
    assert [percent(Decimal(s)) for s in ("1", "0.8", "0.333", "0")] == ["100%", "80%", "33.3%", "0%"]
