"""Working days for statutory deadlines: Monday to Friday, minus public holidays, plus make-up working days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

# Deadlines and notice periods run on the local calendar, while the platform's clock gives UTC: 20:00 UTC on the last
# day of a notice is already the next morning in China.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

# State Council notices on public holidays (国务院办公厅关于部分节假日安排的通知), as (name, first day, last day) of
# each block of days off, and the weekend days that are working days instead (调休上班). Add a year when published.
CHINA_DAYS_OFF: dict[int, tuple[tuple[str, str, str], ...]] = {
    2025: (
        ("元旦 New Year's Day", "2025-01-01", "2025-01-01"),
        ("春节 Spring Festival", "2025-01-28", "2025-02-04"),
        ("清明节 Qingming", "2025-04-04", "2025-04-06"),
        ("劳动节 Labour Day", "2025-05-01", "2025-05-05"),
        ("端午节 Dragon Boat Festival", "2025-05-31", "2025-06-02"),
        ("国庆节、中秋节 National Day and Mid-Autumn", "2025-10-01", "2025-10-08"),
    ),
    2026: (
        ("元旦 New Year's Day", "2026-01-01", "2026-01-03"),
        ("春节 Spring Festival", "2026-02-15", "2026-02-23"),
        ("清明节 Qingming", "2026-04-04", "2026-04-06"),
        ("劳动节 Labour Day", "2026-05-01", "2026-05-05"),
        ("端午节 Dragon Boat Festival", "2026-06-19", "2026-06-21"),
        ("中秋节 Mid-Autumn", "2026-09-25", "2026-09-27"),
        ("国庆节 National Day", "2026-10-01", "2026-10-07"),
    ),
}
CHINA_MAKEUP_WORKDAYS: dict[int, tuple[str, ...]] = {
    2025: ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"),
    2026: ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"),
}


@dataclass(frozen=True)
class WorkingCalendar:
    """Counts working days. ``years`` lists the years whose holidays are known.

    Outside those years only weekends are days off, which can only make a deadline earlier than the true one, never
    later: a missing year shows cases as due too soon rather than hiding an overdue one. ``covers`` tells the caller.
    """

    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()

    @classmethod
    def china(cls) -> WorkingCalendar:
        """Mainland China's published public holidays and make-up working days (see CHINA_DAYS_OFF)."""
        holidays: set[date] = set()
        for blocks in CHINA_DAYS_OFF.values():
            for _name, first, last in blocks:
                day, end = date.fromisoformat(first), date.fromisoformat(last)
                while day <= end:
                    holidays.add(day)
                    day += timedelta(days=1)
        makeup = {date.fromisoformat(d) for days in CHINA_MAKEUP_WORKDAYS.values() for d in days}
        return cls(frozenset(holidays), frozenset(makeup), frozenset(CHINA_DAYS_OFF) | frozenset(CHINA_MAKEUP_WORKDAYS))

    def covers(self, day: date) -> bool:
        return local_date(day).year in self.years

    def is_working_day(self, day: date) -> bool:
        day = local_date(day)
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


def local_date(moment: date) -> date:
    """The China Standard Time date of a moment; a naive datetime is taken as local time already, a date as is."""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA_STANDARD_TIME).date() if moment.tzinfo is not None else moment.date()
    return moment
