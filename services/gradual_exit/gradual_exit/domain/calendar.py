"""Local dates and whole-month arithmetic for observation periods, reviews and notices (China Standard Time)."""
from __future__ import annotations

from datetime import date, datetime

from shared.clock import CHINA_TZ
from shared.working_days import add_months as shared_add_months

# The platform's clock gives UTC, but an observation period or a review falls due on a local calendar day:
# 20:00 UTC on the last day is already the next morning in China.
CHINA_STANDARD_TIME = CHINA_TZ


def local_date(moment: date) -> date:
    """The China Standard Time date of a moment; a naive datetime is taken as local time already, a date as is."""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA_STANDARD_TIME).date() if moment.tzinfo is not None else moment.date()
    return moment


def add_months(day: date, months: int) -> date:
    """The same China date ``months`` later (shared.working_days.add_months on the local date of ``day``)."""
    return shared_add_months(local_date(day), months)


def whole_months_between(start: date, end: date) -> int:
    """How many whole months have passed from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    start, end = local_date(start), local_date(end)
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months
