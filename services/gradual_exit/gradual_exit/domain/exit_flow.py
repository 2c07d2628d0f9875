"""One programme's participation as a pure state machine: support, observation, and the statutory exit flow.

Every participation (one household in one programme) moves on its own; exit is never one cut for all::

    supported     --start_observation-->    observation      (income rose above the line; system)
    observation   --complete_observation--> exit_review      (the period is over and the exit conditions hold; system)
    exit_review   --review(propose_exit)--> exit_notice      (township review; the public notice is published)
    exit_review   --review(continue_support)--> supported
    exit_notice   --lodge_objection-->      exit_notice      (anyone, while the notice runs; the objection is recorded)
    exit_notice   --resolve_objection(upheld)-->    exit_review   (the notice is withdrawn; the township reviews again)
    exit_notice   --resolve_objection(dismissed)--> exit_notice
    exit_notice   --close_notice-->         exit_decision    (notice period over, no open objection)
    exit_decision --decide(exit)-->         exited           (county decision, with reasons)
    exit_decision --decide(continue_support)--> supported
    observation, exit_review, exit_notice, exit_decision --revert_observation--> supported
                                                             (income fell back, or the conditions no longer hold)

An open objection holds the exit: the notice cannot close and the county cannot decide until it is resolved.

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
ACTIONS = ("start_observation", "revert_observation", "complete_observation", "review", "lodge_objection",
           "resolve_objection", "close_notice", "decide")
# Taken by the platform on an income update or by the timer, never through a staff endpoint.
SYSTEM_ACTIONS = ("start_observation", "revert_observation", "complete_observation")
# Taken by anyone through the public endpoint, without an account.
PUBLIC_ACTIONS = ("lodge_objection",)
STAFF_ACTIONS = ("review", "resolve_objection", "close_notice", "decide")
REVIEW_OUTCOMES = ("propose_exit", "continue_support")
OBJECTION_OUTCOMES = ("upheld", "dismissed")
DECISION_OUTCOMES = ("exit", "continue_support")

# Names shown in Chinese messages (a Chinese reader sees no English codes).
STATE_ZH = {"supported": "救助中", "observation": "渐退观察期", "exit_review": "待乡镇审核退出",
            "exit_notice": "退出公示中", "exit_decision": "待县级审批退出", "exited": "已退出"}
ACTION_ZH = {"start_observation": "开始观察期", "revert_observation": "撤销观察期", "complete_observation": "观察期届满",
             "review": "乡镇审核", "lodge_objection": "提出异议", "resolve_objection": "处理异议",
             "close_notice": "结束公示", "decide": "县级审批",
             "record_review": "记录定期核查", "record_update": "记录情况变化", "read": "查阅渐退记录"}
OUTCOME_ZH = {"propose_exit": "拟退出", "continue_support": "继续救助", "exit": "退出", "upheld": "异议成立",
              "dismissed": "异议不成立"}
CONTEXT_ZH = {"income_above_line": "收入是否高于标准", "reasons": "理由", "period_over": "观察期是否届满",
              "conditions_met": "退出条件是否满足", "outcome": "结论", "opinion": "审核意见", "now": "当前日期",
              "notice_last_day": "公示截止日", "open_objections": "未处理异议数", "grounds": "异议理由",
              "notice_held": "是否已公示"}


def state_zh(state: str) -> str:
    return STATE_ZH.get(state, state)


def action_zh(action: str) -> str:
    return ACTION_ZH.get(action, action)


def actions_zh(actions) -> str:
    return "、".join(action_zh(a) for a in actions) or "无"


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
    - lodge_objection: ``now``, ``notice_last_day`` (dates), ``grounds`` (non-empty).
    - resolve_objection: ``open_objections`` (before this one is resolved, at least 1), ``outcome`` in
      OBJECTION_OUTCOMES, ``reasons`` (non-empty).
    - close_notice: ``now``, ``notice_last_day`` (dates), ``open_objections``.
    - decide: ``outcome`` in DECISION_OUTCOMES, ``reasons`` (non-empty), ``open_objections`` (0); exit also needs
      ``notice_held``.
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
            raise self.fail(f"missing_{key}", f"{self.action} needs {key!r}",
                            f"{action_zh(self.action)}缺少{CONTEXT_ZH.get(key, '必要信息')}")
        return self.context[key]

    def outcome(self, choices: tuple[str, ...]) -> str:
        outcome = self.need("outcome")
        if outcome not in choices:
            raise self.fail("unknown_outcome", f"outcome must be one of {', '.join(choices)}, got {outcome!r}",
                            f"结论须为{'、'.join(OUTCOME_ZH.get(c, c) for c in choices)}之一")
        return str(outcome)

    def count(self, key: str) -> int:
        value = self.need(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"bad_{key}", f"{key} must be a whole number of at least 0",
                            f"{CONTEXT_ZH.get(key, '数量')}须为非负整数")
        return value

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


def _dates(guard: _Guard) -> tuple[date, date]:
    last_day, now = guard.need("notice_last_day"), guard.need("now")
    if not isinstance(last_day, date) or not isinstance(now, date):
        raise guard.fail("bad_dates", "now and notice_last_day must be dates", "当前日期与公示截止日须为日期")
    return local_date(now), last_day


def _lodge_objection(guard: _Guard) -> str:
    today, last_day = _dates(guard)
    if today > last_day:
        raise guard.fail("notice_not_running",
                         f"objections can be lodged only while the notice runs (it ended on {last_day.isoformat()})",
                         f"只能在公示期内提出异议（公示期已于{last_day.isoformat()}结束）")
    guard.non_empty("grounds", "an objection states its grounds", "异议须说明理由")
    return "exit_notice"


def _resolve_objection(guard: _Guard) -> str:
    if guard.count("open_objections") < 1:
        raise guard.fail("no_open_objection", "there is no open objection to resolve", "没有待处理的异议")
    outcome = guard.outcome(OBJECTION_OUTCOMES)
    guard.non_empty("reasons", "a resolution states its reasons", "处理异议须说明理由")
    # An upheld objection means the facts behind the exit may be wrong: the township reviews the exit again.
    return "exit_review" if outcome == "upheld" else "exit_notice"


def _objections_resolved(guard: _Guard) -> None:
    open_objections = guard.count("open_objections")
    if open_objections:
        raise guard.fail("objections_open", f"{open_objections} objection(s) to the exit notice are still open; "
                                            f"resolve them first",
                         f"退出公示尚有{open_objections}件异议未处理，须先处理异议")


def _close_notice(guard: _Guard) -> str:
    today, last_day = _dates(guard)
    if today <= last_day:
        raise guard.fail("notice_running",
                         f"the notice period runs until {last_day.isoformat()} inclusive (today is {today.isoformat()})",
                         f"公示期至{last_day.isoformat()}（含当日）结束，今天是{today.isoformat()}")
    _objections_resolved(guard)
    return "exit_decision"


def refuse_while_objections_open(state: str, action: str, open_objections: int) -> None:
    """An unresolved objection holds every later step of the exit, whatever state the participation is in."""
    _objections_resolved(_Guard(state, action, {"open_objections": open_objections}))


def _decide(guard: _Guard) -> str:
    outcome = guard.outcome(DECISION_OUTCOMES)
    guard.non_empty("reasons", "a decision states its reasons", "决定须说明理由")
    _objections_resolved(guard)
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
    ("exit_notice", "lodge_objection"): _lodge_objection,
    ("exit_notice", "resolve_objection"): _resolve_objection,
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
    if period.days == 0:  # no notice period: published for the record, never with an end before its start
        return ExitNoticeText(
            f"Public notice: {who_en}, {place} village, {household_size} member(s), is to leave {en_name} after an "
            f"observation period in which its income stayed above the line. Published on "
            f"{period.first_day.isoformat()} for information (no notice period is required); objections may be "
            f"lodged with the township civil-affairs office.",
            f"公示：{place}{who_zh}，家庭人口{household_size}人，经观察期收入稳定高于标准，拟退出{zh_name}。"
            f"{period.first_day.isoformat()}发布，仅作告知（无需公示期）；如有异议，可向乡镇（街道）民政部门反映。")
    return ExitNoticeText(
        f"Public notice: {who_en}, {place} village, {household_size} member(s), is proposed to leave {en_name} after "
        f"an observation period in which its income stayed above the line. Notice period: "
        f"{period.first_day.isoformat()} to {period.last_day.isoformat()}; objections may be lodged with the township "
        f"civil-affairs office during that time.",
        f"公示：{place}{who_zh}，家庭人口{household_size}人，经观察期收入稳定高于标准，拟退出{zh_name}。公示期："
        f"{period.first_day.isoformat()}至{period.last_day.isoformat()}；公示期内如有异议，可向乡镇（街道）民政部门反映。")
