"""One programme's participation as a pure state machine: support, observation, and the statutory exit flow.

Every participation (one household in one programme) moves on its own; exit is never one cut for all::

    supported     --start_observation-->    observation      (income rose above the line; system)
    observation   --complete_observation--> exit_review      (the period is over and the exit conditions hold; system)
    exit_review   --review(propose_exit)--> exit_notice      (township review; the public notice is published)
    exit_review   --review(continue_support)--> supported
    exit_notice   --close_notice-->         exit_decision    (notice period over, no open objection)
    exit_decision --decide(exit)-->         exited           (county decision, with reasons)
    exit_decision --decide(continue_support)--> supported
    observation, exit_review, exit_notice, exit_decision --revert_observation--> supported
                                                             (income fell back, or the conditions no longer hold)

Objections to an exit notice are out of scope for now; ``close_notice`` already takes ``open_objections`` so that an
objection channel only has to supply the count (see handlers.Services.open_objections).

The caller keeps the data and passes what a guard needs as keyword context, so ``transition`` is a pure function.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from gradual_exit.domain.calendar import local_date
from gradual_exit.domain.rules import PROGRAMME_NAMES

STATES = ("supported", "observation", "exit_review", "exit_notice", "exit_decision", "exited")
TERMINAL_STATES = ("exited",)
ACTIONS = ("start_observation", "revert_observation", "complete_observation", "review", "close_notice", "decide")
# Taken by the platform on an income update or by the timer, never through a staff endpoint.
SYSTEM_ACTIONS = ("start_observation", "revert_observation", "complete_observation")
STAFF_ACTIONS = ("review", "close_notice", "decide")
REVIEW_OUTCOMES = ("propose_exit", "continue_support")
DECISION_OUTCOMES = ("exit", "continue_support")


class IllegalTransition(ValueError):
    """The action cannot be taken in this state; ``allowed`` lists the actions that can."""

    def __init__(self, state: str, action: str, allowed: tuple[str, ...], detail: str = ""):
        self.state, self.action, self.allowed = state, action, allowed
        nexts = ", ".join(allowed) if allowed else "none (the household has left this programme)"
        reason = f": {detail}" if detail else ""
        super().__init__(f"cannot {action} in state {state}{reason}; allowed next actions: {nexts}")


class ConditionNotMet(IllegalTransition):
    """The action belongs to this state, but a condition for it is not met (bilingual, with a code)."""

    def __init__(self, state: str, action: str, code: str, en: str, zh: str):
        self.code, self.en, self.zh = code, en, zh
        super().__init__(state, action, allowed_actions(state), en)


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions that can be taken in ``state``, in flow order (empty once exited)."""
    _check_state(state)
    return tuple(action for action in ACTIONS if (state, action) in _TRANSITIONS)


def staff_actions(state: str) -> tuple[str, ...]:
    """The allowed actions a member of staff can take through the API."""
    return tuple(a for a in allowed_actions(state) if a in STAFF_ACTIONS)


def transition(state: str, action: str, **context: object) -> str:
    """The state after ``action``, or IllegalTransition / ConditionNotMet (a subclass) saying why not.

    Context per action:
    - start_observation: ``income_above_line`` (True).
    - revert_observation: ``reasons`` (non-empty: why support continues).
    - complete_observation: ``period_over`` and ``conditions_met`` (both True).
    - review: ``outcome`` in REVIEW_OUTCOMES, ``opinion`` (non-empty).
    - close_notice: ``now``, ``notice_last_day`` (dates), ``open_objections``.
    - decide: ``outcome`` in DECISION_OUTCOMES, ``reasons`` (non-empty); exit also needs ``notice_held``.
    """
    _check_state(state)
    handler = _TRANSITIONS.get((state, action))
    if handler is None:
        raise IllegalTransition(state, action, allowed_actions(state))
    return handler(_Guard(state, action, context))


@dataclass(frozen=True)
class _Guard:
    state: str
    action: str
    context: dict

    def fail(self, code: str, en: str, zh: str) -> ConditionNotMet:
        return ConditionNotMet(self.state, self.action, code, en, zh)

    def need(self, key: str) -> object:
        if key not in self.context or self.context[key] is None:
            raise self.fail(f"missing_{key}", f"{self.action} needs {key!r}", f"缺少{key}")
        return self.context[key]

    def outcome(self, choices: tuple[str, ...]) -> str:
        outcome = self.need("outcome")
        if outcome not in choices:
            raise self.fail("unknown_outcome", f"outcome must be one of {', '.join(choices)}, got {outcome!r}",
                            f"结论须为{'、'.join(choices)}之一")
        return str(outcome)

    def non_empty(self, key: str, en: str, zh: str) -> None:
        value = self.need(key)
        if isinstance(value, str):
            if not value.strip():
                raise self.fail(f"no_{key}", en, zh)
        elif not isinstance(value, Sequence) or not value:
            raise self.fail(f"no_{key}", en, zh)


def _start_observation(guard: _Guard) -> str:
    if guard.need("income_above_line") is not True:
        raise guard.fail("income_not_above_line", "an observation starts only when income rises above the line",
                         "仅在收入高于标准时开始观察期")
    return "observation"


def _revert_observation(guard: _Guard) -> str:
    guard.non_empty("reasons", "a revert states why support continues", "撤销观察期须说明理由")
    return "supported"


def _complete_observation(guard: _Guard) -> str:
    if guard.need("period_over") is not True:
        raise guard.fail("observation_running", "the observation period is not over yet", "观察期尚未届满")
    if guard.need("conditions_met") is not True:
        raise guard.fail("exit_conditions_not_met", "the exit conditions do not hold", "不符合退出条件")
    return "exit_review"


def _review(guard: _Guard) -> str:
    outcome = guard.outcome(REVIEW_OUTCOMES)
    guard.non_empty("opinion", "a review records its opinion", "审核须记录意见")
    return "exit_notice" if outcome == "propose_exit" else "supported"


def _close_notice(guard: _Guard) -> str:
    last_day, now = guard.need("notice_last_day"), guard.need("now")
    if not isinstance(last_day, date) or not isinstance(now, date):
        raise guard.fail("bad_dates", "now and notice_last_day must be dates", "now 与 notice_last_day 须为日期")
    today = local_date(now)
    if today <= last_day:
        raise guard.fail("notice_running",
                         f"the notice period runs until {last_day.isoformat()} inclusive (today is {today.isoformat()})",
                         f"公示期至{last_day.isoformat()}（含当日）结束，今天是{today.isoformat()}")
    open_objections = guard.need("open_objections")
    if isinstance(open_objections, bool) or not isinstance(open_objections, int) or open_objections < 0:
        raise guard.fail("bad_open_objections", "open_objections must be a whole number of at least 0",
                         "open_objections 须为非负整数")
    if open_objections:
        raise guard.fail("objections_open", f"{open_objections} objection(s) are still open",
                         f"尚有{open_objections}件异议未处理")
    return "exit_decision"


def _decide(guard: _Guard) -> str:
    outcome = guard.outcome(DECISION_OUTCOMES)
    guard.non_empty("reasons", "a decision states its reasons", "决定须说明理由")
    if outcome == "exit":
        if guard.context.get("notice_held") is not True:
            raise guard.fail("notice_not_held", "an exit needs a public notice that was held and closed",
                             "退出前须经公示且公示期满")
        return "exited"
    return "supported"


_TRANSITIONS: dict[tuple[str, str], Callable[[_Guard], str]] = {
    ("supported", "start_observation"): _start_observation,
    ("observation", "complete_observation"): _complete_observation,
    ("exit_review", "review"): _review,
    ("exit_notice", "close_notice"): _close_notice,
    ("exit_decision", "decide"): _decide,
    **{(state, "revert_observation"): _revert_observation
       for state in ("observation", "exit_review", "exit_notice", "exit_decision")},
}


def _check_state(state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; states are {', '.join(STATES)}")


# --- the public notice of an exit ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticePeriod:
    """A notice runs ``days`` calendar days from the day it is published, that day included."""

    first_day: date
    last_day: date
    days: int


def notice_period(published_on: date, days: int) -> NoticePeriod:
    """With 0 days the notice has ended the day it is published (its last day is the day before)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError("days must be a whole number of at least 0")
    first = local_date(published_on)
    return NoticePeriod(first, first + timedelta(days=days - 1), days)


# Resident ID numbers and mobile numbers typed into a name; a division code (6, 9 or 12 digits) names a place.
_PERSONAL_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[0-9]{10})(?![0-9Xx])")


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明."""
    chars = [c for c in _PERSONAL_NUMBER.sub("", name or "") if not c.isspace()]
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


@dataclass(frozen=True)
class ExitNoticeText:
    text_en: str
    text_zh: str


def exit_notice_text(*, head_name: str | None, village: str, household_size: int, programme: str,
                     period: NoticePeriod) -> ExitNoticeText:
    """What is published about an exit: the masked head's name, the village, the size and the programme; never an
    income figure, an ID number or the reasons of the household's hardship."""
    if isinstance(household_size, bool) or not isinstance(household_size, int) or household_size < 1:
        raise ValueError("household_size must be a whole number of at least 1")
    en_name, zh_name = PROGRAMME_NAMES[programme]
    who_en = f"the household of {mask_name(head_name)}" if head_name else "a household"
    who_zh = f"{mask_name(head_name)}户" if head_name else "一户"
    place = _PERSONAL_NUMBER.sub("", village)
    return ExitNoticeText(
        f"Public notice: {who_en}, {place} village, {household_size} member(s), is proposed to leave {en_name} after "
        f"an observation period in which its income stayed above the line. Notice period: "
        f"{period.first_day.isoformat()} to {period.last_day.isoformat()}; objections may be lodged with the township "
        f"civil-affairs office during that time.",
        f"公示：{place}{who_zh}，家庭人口{household_size}人，经观察期收入稳定高于标准，拟退出{zh_name}。公示期："
        f"{period.first_day.isoformat()}至{period.last_day.isoformat()}；公示期内如有异议，可向乡镇（街道）民政部门反映。")
