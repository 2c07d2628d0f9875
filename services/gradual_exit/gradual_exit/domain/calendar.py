"""Local dates and whole-month arithmetic for observation periods, reviews and notices (China Standard Time)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from shared.clock import CHINA_TZ

# The platform's clock gives UTC, but an observation period or a review falls due on a local calendar day:
# 20:00 UTC on the last day is already the next morning in China.
CHINA_STANDARD_TIME = CHINA_TZ


def local_date(moment: date) -> date:
    """The China Standard Time date of a moment; a naive datetime is taken as local time already, a date as is."""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA_STANDARD_TIME).date() if moment.tzinfo is not None else moment.date()
    return moment


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter (31 August + 6 = 28/29 February)."""
    if isinstance(months, bool) or not isinstance(months, int) or months < 0:
        raise ValueError("months must be a whole number of at least 0")
    day = local_date(day)
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def whole_months_between(start: date, end: date) -> int:
    """How many whole months have passed from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    start, end = local_date(start), local_date(end)
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months
