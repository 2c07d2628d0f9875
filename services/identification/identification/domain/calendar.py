"""Working days for statutory deadlines: the platform's shared calendar data (shared/calendars/<year>.json).

Deadlines and notice periods run on the local calendar, while the platform's clock gives UTC: 20:00 UTC on the last
day of a notice is already the next morning in China (``local_date``). A deadline that reaches a year without a
calendar file raises CalendarYearMissing, in English and Chinese, naming the year.
"""
from __future__ import annotations

from shared.working_days import (  # noqa: F401 (re-exported: the service's calendar API)
    CalendarDataError,
    CalendarYearMissing,
    WorkingCalendar,
    load_calendar,
    local_date,
)
