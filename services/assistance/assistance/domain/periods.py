"""Capacity periods: a provider's places are counted per calendar month, quarter or year (China Standard Time)."""
from __future__ import annotations

from datetime import date

from assistance.domain.rules import local_date

PERIOD_KINDS = ("month", "quarter", "year")


def period_key(kind: str, on: date) -> str:
    """The period containing ``on``: ``2026-03`` (month), ``2026-Q1`` (quarter) or ``2026`` (year)."""
    day = local_date(on)
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if kind == "year":
        return f"{day.year:04d}"
    raise ValueError(f"period kind must be one of {', '.join(PERIOD_KINDS)}, got {kind!r}")
