"""A plan's life cycle: start, extend, restart, relapse episodes (one event each), completion."""
import re

import pytest

from followup.domain.plan import (
    ACTION_ZH,
    ACTIONS,
    OUTCOME_ZH,
    STATUS_ZH,
    STATUSES,
    IllegalTransition,
    allowed_actions,
    close_episode,
    complete,
    may_record,
    on_exit,
    on_risk,
)


@pytest.mark.parametrize("status,before_episode,expected", [
    (None, False, ("start", "active")),
    ("active", False, ("extend", "active")),
    ("relapsed", False, ("restart", "active")),
    ("relapsed", True, ("record", "relapsed")),
    ("completed", False, ("restart", "active")),
])
def test_an_exit_starts_extends_restarts_or_is_only_recorded(status, before_episode, expected):
    assert on_exit(status, before_open_episode=before_episode) == expected


def test_the_first_risk_opens_an_episode_and_later_ones_join_it():
    assert on_risk("active") == ("open_episode", "relapsed")
    assert on_risk("relapsed") == ("attach", "relapsed")


def test_a_completed_plan_takes_no_risk_check_in_or_signal():
    for action in ("checkin", "signal"):
        with pytest.raises(IllegalTransition) as exc:
            may_record("completed", action)
        assert exc.value.code == "plan_completed" and exc.value.en and exc.value.zh
        assert exc.value.allowed == ("exit",)
    with pytest.raises(IllegalTransition):
        on_risk("completed")


def test_check_ins_and_signals_are_recorded_while_active_or_relapsed():
    for status in ("active", "relapsed"):
        may_record(status, "checkin")
        may_record(status, "signal")


def test_only_a_relapsed_plan_has_an_episode_to_close():
    assert close_episode("relapsed") == "active"
    with pytest.raises(IllegalTransition) as exc:
        close_episode("active")
    assert exc.value.code == "no_open_episode" and "没有" in exc.value.zh


def test_only_an_active_plan_completes():
    assert complete("active") == "completed"
    for status in ("relapsed", "completed"):
        with pytest.raises(IllegalTransition):
            complete(status)


def test_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError):
        allowed_actions("archived")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_refusal_is_bilingual_and_the_chinese_names_status_and_action_in_chinese(status, action):
    refuse = {"exit": lambda s: on_exit(s), "checkin": lambda s: may_record(s, "checkin"),
              "signal": lambda s: may_record(s, "signal"), "risk": on_risk, "close_episode": close_episode,
              "complete": complete}[action]
    if action in allowed_actions(status):
        refuse(status)
        return
    with pytest.raises(IllegalTransition) as exc:
        refuse(status)
    assert exc.value.en and exc.value.zh and not re.search(r"[A-Za-z]{3,}", exc.value.zh), exc.value.zh
    assert exc.value.allowed == allowed_actions(status)


def test_every_status_action_and_outcome_has_a_chinese_name():
    assert set(STATUS_ZH) == set(STATUSES) and set(ACTIONS) <= set(ACTION_ZH)
    assert {"resolved", "not_confirmed", "exited_again"} <= set(OUTCOME_ZH)
    assert not any(re.search(r"[A-Za-z]", n) for n in (*STATUS_ZH.values(), *ACTION_ZH.values(), *OUTCOME_ZH.values()))
