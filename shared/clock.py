"""An injectable clock, so that deadlines and timestamps can be tested without sleeping."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that stands still until moved; for tests."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)


# Dates and times shown to citizens and staff are China time; stored and exchanged timestamps are UTC with an offset.
from zoneinfo import ZoneInfo  # noqa: E402

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_time(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every timestamp in the platform carries an offset")
    return moment.astimezone(CHINA_TZ)
