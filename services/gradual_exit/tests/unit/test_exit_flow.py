"""The participation state machine: every state x action pair, every guard, the notice period and its masking."""
import re
from datetime import date

import pytest

from gradual_exit.domain.exit_flow import (
    ACTIONS,
    STAFF_ACTIONS,
    STATES,
    TERMINAL_STATES,
    ACTION_ZH,
    OUTCOME_ZH,
    STATE_ZH,
    ConditionNotMet,
    IllegalTransition,
    allowed_actions,
    exit_notice_text,
    mask_name,
    notice_period,
    refuse_while_objections_open,
    staff_actions,
    transition,
)

LAST_DAY = date(2026, 9, 9)
REASONS = [{"code": "x", "en": "x", "zh": "x"}]
OBSERVING = ("observation", "exit_review", "exit_notice", "exit_decision")

LEGAL = {
    ("supported", "start_observation"): ({"income_above_line": True}, "observation"),
    ("observation", "complete_observation"): ({"period_over": True, "conditions_met": True}, "exit_review"),
    ("exit_review", "review"): ({"outcome": "propose_exit", "opinion": "同意"}, "exit_notice"),
    ("exit_notice", "lodge_objection"): ({"now": LAST_DAY, "notice_last_day": LAST_DAY, "grounds": "该户仍有重病患者"},
                                         "exit_notice"),
    ("exit_notice", "resolve_objection"): ({"open_objections": 1, "outcome": "dismissed", "reasons": ["核实无误"]},
                                           "exit_notice"),
    ("exit_notice", "close_notice"): ({"now": date(2026, 9, 10), "notice_last_day": LAST_DAY, "open_objections": 0},
                                      "exit_decision"),
    ("exit_decision", "decide"): ({"outcome": "exit", "reasons": REASONS, "notice_held": True, "open_objections": 0},
                                  "exited"),
    **{(state, "revert_observation"): ({"reasons": REASONS}, "supported") for state in OBSERVING},
}
VALID_CONTEXT = {action: context for (_state, action), (context, _next) in LEGAL.items()}
PAIRS = [(state, action) for state in STATES for action in ACTIONS]


@pytest.mark.parametrize("state,action", PAIRS)
def test_every_state_and_action_pair(state, action):
    if (state, action) in LEGAL:
        context, expected = LEGAL[(state, action)]
        assert transition(state, action, **context) == expected
        assert action in allowed_actions(state)
    else:
        assert action not in allowed_actions(state)
        with pytest.raises(IllegalTransition) as exc:
            transition(state, action, **VALID_CONTEXT[action])
        assert not isinstance(exc.value, ConditionNotMet)
        assert (exc.value.state, exc.value.action, exc.value.allowed) == (state, action, allowed_actions(state))
        for allowed in allowed_actions(state):
            assert allowed in str(exc.value)


def test_the_allowed_actions_of_each_state():
    assert {state: allowed_actions(state) for state in STATES} == {
        "supported": ("start_observation",),
        "observation": ("revert_observation", "complete_observation"),
        "exit_review": ("revert_observation", "review"),
        "exit_notice": ("revert_observation", "lodge_objection", "resolve_objection", "close_notice"),
        "exit_decision": ("revert_observation", "decide"),
        "exited": (),
    }
    assert {state: staff_actions(state) for state in STATES} == {
        "supported": (), "observation": (), "exit_review": ("review",),
        "exit_notice": ("resolve_objection", "close_notice"),
        "exit_decision": ("decide",), "exited": ()}
    assert TERMINAL_STATES == ("exited",) and set(STAFF_ACTIONS) <= set(ACTIONS)


def test_a_review_may_continue_support_and_a_decision_may_too():
    assert transition("exit_review", "review", outcome="continue_support", opinion="收入来源不稳定") == "supported"
    assert transition("exit_decision", "decide", outcome="continue_support", reasons=REASONS,
                      open_objections=0) == "supported"


def test_an_upheld_objection_sends_the_exit_back_to_the_township_review_and_a_dismissed_one_does_not():
    context = {"open_objections": 1, "reasons": ["核实"]}
    assert transition("exit_notice", "resolve_objection", outcome="upheld", **context) == "exit_review"
    assert transition("exit_notice", "resolve_objection", outcome="dismissed", **context) == "exit_notice"


@pytest.mark.parametrize("today,allowed", [(date(2026, 9, 3), True), (LAST_DAY, True), (date(2026, 9, 10), False)])
def test_an_objection_can_be_lodged_on_every_day_of_the_notice_and_not_after(today, allowed):
    context = {"now": today, "notice_last_day": LAST_DAY, "grounds": "该户仍有重病患者"}
    if allowed:
        assert transition("exit_notice", "lodge_objection", **context) == "exit_notice"
    else:
        with pytest.raises(ConditionNotMet) as exc:
            transition("exit_notice", "lodge_objection", **context)
        assert exc.value.code == "notice_not_running" and "2026-09-09" in exc.value.zh


@pytest.mark.parametrize("open_objections", [1, 2])
@pytest.mark.parametrize("outcome,extra", [("exit", {"notice_held": True}), ("continue_support", {})])
def test_no_decision_while_an_objection_is_open(open_objections, outcome, extra):
    with pytest.raises(ConditionNotMet) as exc:
        transition("exit_decision", "decide", outcome=outcome, reasons=REASONS, open_objections=open_objections,
                   **extra)
    assert exc.value.code == "objections_open" and f"{open_objections}件异议" in exc.value.zh
    with pytest.raises(ConditionNotMet) as exc:
        refuse_while_objections_open("exit_notice", "decide", open_objections)
    assert exc.value.code == "objections_open" and exc.value.state == "exit_notice"
    refuse_while_objections_open("exit_notice", "decide", 0)  # none open: nothing to refuse


GUARDS = [
    ("supported", "start_observation", {"income_above_line": False}, "income_not_above_line"),
    ("supported", "start_observation", {}, "missing_income_above_line"),
    ("observation", "revert_observation", {"reasons": []}, "no_reasons"),
    ("observation", "complete_observation", {"period_over": False, "conditions_met": True}, "observation_running"),
    ("observation", "complete_observation", {"period_over": True, "conditions_met": False}, "exit_conditions_not_met"),
    ("exit_review", "review", {"outcome": "maybe", "opinion": "x"}, "unknown_outcome"),
    ("exit_review", "review", {"outcome": "propose_exit", "opinion": "  "}, "no_opinion"),
    ("exit_review", "review", {"opinion": "x"}, "missing_outcome"),
    ("exit_notice", "close_notice", {"now": LAST_DAY, "notice_last_day": LAST_DAY, "open_objections": 0},
     "notice_running"),
    ("exit_notice", "close_notice", {"now": date(2026, 9, 10), "notice_last_day": LAST_DAY, "open_objections": 1},
     "objections_open"),
    ("exit_notice", "close_notice", {"now": date(2026, 9, 10), "notice_last_day": LAST_DAY, "open_objections": -1},
     "bad_open_objections"),
    ("exit_notice", "close_notice", {"now": "today", "notice_last_day": LAST_DAY, "open_objections": 0}, "bad_dates"),
    ("exit_notice", "close_notice", {"now": date(2026, 9, 10), "open_objections": 0}, "missing_notice_last_day"),
    ("exit_notice", "lodge_objection", {"now": LAST_DAY, "notice_last_day": LAST_DAY, "grounds": " "}, "no_grounds"),
    ("exit_notice", "lodge_objection", {"now": LAST_DAY, "notice_last_day": LAST_DAY}, "missing_grounds"),
    ("exit_notice", "lodge_objection", {"now": date(2026, 9, 10), "notice_last_day": LAST_DAY, "grounds": "x"},
     "notice_not_running"),
    ("exit_notice", "lodge_objection", {"now": "today", "notice_last_day": LAST_DAY, "grounds": "x"}, "bad_dates"),
    ("exit_notice", "resolve_objection", {"open_objections": 0, "outcome": "upheld", "reasons": ["x"]},
     "no_open_objection"),
    ("exit_notice", "resolve_objection", {"open_objections": True, "outcome": "upheld", "reasons": ["x"]},
     "bad_open_objections"),
    ("exit_notice", "resolve_objection", {"open_objections": 1, "outcome": "maybe", "reasons": ["x"]},
     "unknown_outcome"),
    ("exit_notice", "resolve_objection", {"open_objections": 1, "outcome": "upheld", "reasons": []}, "no_reasons"),
    ("exit_decision", "decide", {"outcome": "exit", "reasons": REASONS, "open_objections": 0}, "notice_not_held"),
    ("exit_decision", "decide", {"outcome": "exit", "reasons": [], "notice_held": True, "open_objections": 0},
     "no_reasons"),
    ("exit_decision", "decide", {"outcome": "continue_support", "reasons": [], "open_objections": 0}, "no_reasons"),
    ("exit_decision", "decide", {"outcome": "cut", "reasons": REASONS, "open_objections": 0}, "unknown_outcome"),
    ("exit_decision", "decide", {"outcome": "exit", "reasons": REASONS, "notice_held": True}, "missing_open_objections"),
    ("exit_decision", "decide", {"outcome": "exit", "reasons": REASONS, "notice_held": True, "open_objections": 1},
     "objections_open"),
]


@pytest.mark.parametrize("state,action,context,code", GUARDS, ids=[g[3] + "-" + g[1] for g in GUARDS])
def test_every_guard_names_its_rule_in_english_and_chinese(state, action, context, code):
    with pytest.raises(ConditionNotMet) as exc:
        transition(state, action, **context)
    assert exc.value.code == code and exc.value.en and exc.value.zh
    assert exc.value.allowed == allowed_actions(state)
    assert not re.search(r"[A-Za-z]{3,}", exc.value.zh), f"English in the Chinese message: {exc.value.zh}"


def test_every_state_action_and_outcome_has_a_chinese_name():
    assert set(STATE_ZH) == set(STATES) and set(ACTIONS) <= set(ACTION_ZH)
    assert {"propose_exit", "continue_support", "exit", "upheld", "dismissed"} <= set(OUTCOME_ZH)
    for name in (*STATE_ZH.values(), *ACTION_ZH.values(), *OUTCOME_ZH.values()):
        assert not re.search(r"[A-Za-z]", name), name


def test_the_notice_can_close_the_day_after_its_last_day():
    context = {"notice_last_day": LAST_DAY, "open_objections": 0}
    with pytest.raises(ConditionNotMet):
        transition("exit_notice", "close_notice", now=LAST_DAY, **context)
    assert transition("exit_notice", "close_notice", now=date(2026, 9, 10), **context) == "exit_decision"


def test_an_unknown_state_is_a_programming_error():
    with pytest.raises(ValueError):
        transition("limbo", "decide")
    with pytest.raises(ValueError):
        allowed_actions("limbo")


@pytest.mark.parametrize("days,last", [(7, date(2026, 9, 9)), (1, date(2026, 9, 3)), (0, date(2026, 9, 2))])
def test_the_notice_runs_its_days_including_the_day_it_is_published(days, last):
    period = notice_period(date(2026, 9, 3), days)
    assert (period.first_day, period.last_day, period.days) == (date(2026, 9, 3), last, days)


def test_a_notice_period_is_a_whole_number_of_days():
    with pytest.raises(ValueError):
        notice_period(date(2026, 9, 3), -1)


@pytest.mark.parametrize("name,masked", [("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("李", "*"),
                                         ("", "*"), ("张三11010519491231002X", "张*")])
def test_names_are_masked(name, masked):
    assert mask_name(name) == masked


def test_the_exit_notice_publishes_nothing_sensitive():
    text = exit_notice_text(head_name="张小三", village="530102001001", household_size=3, programme="dibao",
                            period=notice_period(date(2026, 9, 3), 7))
    published = text.text_en + text.text_zh
    assert "张*三" in published and "张小三" not in published
    assert "530102001001" in published and "2026-09-09" in published
    assert "minimum living guarantee" in text.text_en and "最低生活保障" in text.text_zh
    assert "¥" not in published and "元" not in published


def test_an_exit_notice_without_a_known_name_names_no_one():
    text = exit_notice_text(head_name=None, village="530102001001", household_size=1, programme="monitoring",
                            period=notice_period(date(2026, 9, 3), 5))
    assert "a household" in text.text_en and "一户" in text.text_zh


def test_a_notice_without_a_period_never_prints_an_end_before_its_start():
    text = exit_notice_text(head_name="张三", village="530102001001", household_size=2, programme="temporary",
                            period=notice_period(date(2026, 9, 3), 0))
    assert "2026-09-03" in text.text_en and "2026-09-03" in text.text_zh
    assert "2026-09-02" not in text.text_en + text.text_zh
    assert "no notice period is required" in text.text_en and "无需公示期" in text.text_zh


def test_an_exit_notice_needs_a_household_size():
    with pytest.raises(ValueError):
        exit_notice_text(head_name="张三", village="530102001001", household_size=0, programme="dibao",
                         period=notice_period(date(2026, 9, 3), 7))
