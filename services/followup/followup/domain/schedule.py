"""The check-in schedule as pure date arithmetic: due dates from the exit, grace before overdue, the early window.

Due dates are counted from the plan's anchor (the exit date) as anchor + k x interval months, never by adding an
interval to the previous date, so a plan anchored on 30 November stays at month ends (28 February, 30 May, ...)
instead of drifting. The schedule runs until the first due date on or after the target end (anchor + duration), so
the end of the follow-up is itself a check-in.

Deadlines are whole China Standard Time days: a check-in due on D with G grace days is on time up to and including
D + G, overdue from D + G + 1. A visit counts for a scheduled check-in from ``early_days`` before its due date.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.clock import CHINA_TZ
from shared.working_days import add_months

CHINA_STANDARD_TIME = CHINA_TZ


def local_date(moment: date) -> date:
    """The China Standard Time date of a moment; a naive datetime is taken as local already, a date as is."""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA_STANDARD_TIME).date() if moment.tzinfo is not None else moment.date()
    return moment


@dataclass(frozen=True)
class Cadence:
    """How often and how long a plan's check-ins run (from the rule set in force at the exit)."""

    interval_months: int
    duration_months: int
    grace_days: int
    early_days: int

    def __post_init__(self):
        if self.interval_months < 1 or self.duration_months < self.interval_months:
            raise ValueError("interval_months must be >= 1 and duration_months >= interval_months")
        if self.grace_days < 0 or self.early_days < 0:
            raise ValueError("grace_days and early_days must not be negative")


@dataclass(frozen=True)
class Due:
    """The k-th check-in after the anchor."""

    k: int
    due_on: date


def due_on(anchor: date, interval_months: int, k: int) -> date:
    return add_months(anchor, k * interval_months)


def dates_until(anchor: date, interval_months: int, target_end: date, after_k: int = 0) -> list[Due]:
    """Check-ins k = after_k + 1, ... until (and including) the first one on or after ``target_end``.

    Empty when check-in ``after_k`` is already on or after the target (the schedule covers it).
    """
    if after_k > 0 and due_on(anchor, interval_months, after_k) >= target_end:
        return []
    out: list[Due] = []
    k = after_k
    while True:
        k += 1
        day = due_on(anchor, interval_months, k)
        out.append(Due(k, day))
        if day >= target_end:
            return out


def initial_schedule(exit_day: date, cadence: Cadence) -> list[Due]:
    """The check-ins of a plan started by an exit on ``exit_day``: quarterly for 3 years gives 12."""
    return dates_until(exit_day, cadence.interval_months, add_months(exit_day, cadence.duration_months))


def extension(anchor: date, interval_months: int, last_k: int, exit_day: date, duration_months: int) -> list[Due]:
    """The check-ins to add when another programme's exit on ``exit_day`` needs follow-up for ``duration_months``:
    the plan keeps its anchor and cadence, and runs until it covers the later end."""
    return dates_until(anchor, interval_months, add_months(exit_day, duration_months), after_k=last_k)


def next_on_or_after(anchor: date, interval_months: int, last_k: int, day: date) -> Due:
    """The first check-in of the plan's cadence, after check-in ``last_k``, that falls on or after ``day``."""
    k = last_k + 1
    while due_on(anchor, interval_months, k) < day:
        k += 1
    return Due(k, due_on(anchor, interval_months, k))


def overdue_after(due: date, grace_days: int) -> date:
    """The last day a check-in is still on time."""
    return due + timedelta(days=grace_days)


def is_overdue(due: date, grace_days: int, today: date) -> bool:
    return local_date(today) > overdue_after(due, grace_days)


def window_opens(due: date, early_days: int) -> date:
    """The first day a visit counts for the check-in due on ``due``."""
    return due - timedelta(days=early_days)


def fulfilled_by(pending: Iterable[tuple[int, date]], visited_on: date, early_days: int) -> list[int]:
    """Which pending scheduled check-ins (seq, due date) a visit on ``visited_on`` fulfils: every one whose window
    has opened, so a visit after missed check-ins catches them all up; later ones stay pending."""
    return sorted(seq for seq, due in pending if window_opens(due, early_days) <= visited_on)
