"""When a failed notification is tried again, and when a subscription has failed too often: pure rules."""
from __future__ import annotations

from datetime import datetime, timedelta

RULE_VERSION = "webhook-retry-1"


def retry_delay(attempts: int, *, base_seconds: float = 30.0, factor: float = 2.0,
                cap_seconds: float = 6 * 3600.0) -> timedelta:
    """Delay before the next try after `attempts` failed tries (1 → base, doubling, never beyond cap).

    The same shape as tenacity's wait_exponential(multiplier=base, exp_base=factor, max=cap); kept pure so the
    scheduled job can compute due times on the injectable clock instead of sleeping."""
    if attempts < 1:
        return timedelta(0)
    seconds = base_seconds * factor ** (attempts - 1)
    return timedelta(seconds=min(seconds, cap_seconds))


def next_attempt_at(last_attempt: datetime, attempts: int, **kw) -> datetime:
    return last_attempt + retry_delay(attempts, **kw)


def should_deactivate(consecutive_failures: int, threshold: int) -> bool:
    """A subscription is deactivated at its threshold-th consecutive failed delivery (threshold ≥ 1)."""
    return consecutive_failures >= max(1, threshold)


def delivery_gives_up(attempts: int, max_attempts: int) -> bool:
    """One notification is given up (status failed) after max_attempts tries."""
    return attempts >= max(1, max_attempts)


def area_matches(areas: list[str] | tuple[str, ...], division_code: str | None) -> bool:
    """A subscription's area filter: division-code prefixes; an empty filter or "" means everywhere."""
    if not areas or "" in areas:
        return True
    return bool(division_code) and any(division_code.startswith(a) for a in areas)
