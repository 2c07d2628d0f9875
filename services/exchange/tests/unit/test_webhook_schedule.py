"""Back-off schedule, give-up and deactivation thresholds, area filter: the boundaries."""
from datetime import datetime, timedelta, timezone

from exchange.webhooks.schedule import (area_matches, delivery_gives_up, next_attempt_at, retry_delay,
                                        should_deactivate)


def test_retry_delay_doubles_from_base():
    assert retry_delay(0) == timedelta(0)
    assert retry_delay(1, base_seconds=30) == timedelta(seconds=30)
    assert retry_delay(2, base_seconds=30) == timedelta(seconds=60)
    assert retry_delay(3, base_seconds=30) == timedelta(seconds=120)


def test_retry_delay_capped():
    assert retry_delay(9, base_seconds=30, cap_seconds=7680) == timedelta(seconds=7680)  # 30*2**8 exactly the cap
    assert retry_delay(10, base_seconds=30, cap_seconds=7680) == timedelta(seconds=7680)
    assert retry_delay(8, base_seconds=30, cap_seconds=7680) == timedelta(seconds=3840)


def test_same_shape_as_tenacity():
    from tenacity import wait_exponential
    from tenacity import RetryCallState

    w = wait_exponential(multiplier=30, exp_base=2, max=3600)
    for n in range(1, 10):
        state = RetryCallState(None, None, (), {})
        state.attempt_number = n
        assert retry_delay(n, base_seconds=30, cap_seconds=3600).total_seconds() == w(state)


def test_next_attempt_at():
    t = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)
    assert next_attempt_at(t, 2, base_seconds=10) == t + timedelta(seconds=20)


def test_deactivation_threshold_boundary():
    assert not should_deactivate(4, 5)
    assert should_deactivate(5, 5)
    assert should_deactivate(6, 5)
    assert should_deactivate(1, 0)  # a threshold below one means one


def test_give_up_boundary():
    assert not delivery_gives_up(2, 3)
    assert delivery_gives_up(3, 3)


def test_area_filter():
    assert area_matches([], "110101")
    assert area_matches([""], None)
    assert area_matches(["1101"], "110101")
    assert not area_matches(["1102"], "110101")
    assert not area_matches(["1101"], None)
