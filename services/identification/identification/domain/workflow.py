"""The statutory identification workflow as pure functions: states, actions, public notice, deadlines and outcomes.

The case moves through field assessment (with the household's authorisation), democratic review, public notice,
township review and county decision, to enrolled or rejected::

    opened --start_assessment--> field_assessment --complete_assessment--> democratic_review
    democratic_review --complete_review(propose_approval)--> awaiting_notice --publish_notice--> public_notice
    democratic_review --complete_review(propose_rejection)--> township_review      (a refusal is not made public)
    public_notice --lodge_objection--> public_notice
    public_notice --resolve_objection(upheld)--> field_assessment                  (the investigation re-opens)
    public_notice --resolve_objection(dismissed)--> public_notice
    public_notice --close_notice--> township_review       (notice period over, no open objection)
    township_review --complete_township_review(recommend_*)--> county_decision
    township_review --complete_township_review(return_for_assessment)--> field_assessment
    county_decision --decide(approve)--> enrolled          (needs the new household file number; grants only the
                                                            programmes whose notice ran its full period, or that the
                                                            notice policy allows before notice, published afterwards)
    county_decision --decide(reject)--> rejected           (needs the reasons; see rejection_notice)
    any open state --withdraw--> withdrawn

The caller keeps the case's data (objections, notice period, whether a notice was held) and passes what a guard needs
as keyword context, so ``transition`` stays a pure function of its arguments.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from identification.domain.assessment import yuan, yuan_zh
from identification.domain.calendar import WorkingCalendar, local_date
from shared.working_days import add_months
from identification.domain.eligibility import PROGRAMME_NAMES, Reason
from identification.domain.rules import PROGRAMMES, RuleSet
from shared.clock import CHINA_TZ

STATES = ("opened", "field_assessment", "democratic_review", "awaiting_notice", "public_notice", "township_review",
          "county_decision", "enrolled", "rejected", "withdrawn")
TERMINAL_STATES = ("enrolled", "rejected", "withdrawn")
ACTIONS = ("start_assessment", "complete_assessment", "complete_review", "publish_notice", "lodge_objection",
           "resolve_objection", "close_notice", "complete_township_review", "decide", "withdraw")

REVIEW_OUTCOMES = ("propose_approval", "propose_rejection")
OBJECTION_OUTCOMES = ("upheld", "dismissed")
TOWNSHIP_OUTCOMES = ("recommend_approval", "recommend_rejection", "return_for_assessment")
DECISION_OUTCOMES = ("approve", "reject")


# What people read: the Chinese names of states, actions and outcomes, so no message in Chinese shows a code.
STATE_NAMES_ZH = {
    "opened": "已受理", "field_assessment": "入户核查中", "democratic_review": "民主评议中", "awaiting_notice": "待公示",
    "public_notice": "公示中", "township_review": "乡镇审核中", "county_decision": "待县级审批", "enrolled": "已纳入",
    "rejected": "不予纳入", "withdrawn": "已撤回",
}
ACTION_NAMES_ZH = {
    "start_assessment": "开始入户核查", "complete_assessment": "提交核查评估", "complete_review": "记录民主评议",
    "publish_notice": "发布公示", "lodge_objection": "提出异议", "resolve_objection": "处理异议",
    "close_notice": "结束公示", "complete_township_review": "乡镇审核", "decide": "县级审批", "withdraw": "撤回",
}
OUTCOME_NAMES_ZH = {
    "propose_approval": "拟同意", "propose_rejection": "拟不同意", "upheld": "异议成立", "dismissed": "异议不成立",
    "recommend_approval": "建议批准", "recommend_rejection": "建议不予批准", "return_for_assessment": "退回重新核查",
    "approve": "批准", "reject": "不予批准", "open": "待处理",
}
# The context keys a guard may find missing, named for people.
_CONTEXT_NAMES_ZH = {
    "authorised": "家庭授权", "attendees": "参会人员", "opinions": "评议意见", "outcome": "结论", "programmes": "救助项目",
    "grounds": "异议理由", "open_objections": "待处理异议数", "now": "当前日期", "notice_last_day": "公示截止日",
    "file_number": "档案编号", "reasons": "不予批准理由", "eligible": "符合条件的救助项目",
    "noticed": "公示期满的救助项目", "before_notice": "可先行救助的项目",
}


def _zh_list(names: dict[str, str], codes: Sequence[str]) -> str:
    return "、".join(names.get(c, c) for c in codes)


def programme_names(programmes: Sequence[str]) -> tuple[str, str]:
    """The programmes' names in English ("; ") and Chinese ("、")."""
    return ("; ".join(PROGRAMME_NAMES.get(p, (p, p))[0] for p in programmes),
            "、".join(PROGRAMME_NAMES.get(p, (p, p))[1] for p in programmes))


class IllegalTransition(ValueError):
    """The action cannot be taken in this state; ``allowed`` lists the actions that can; ``zh`` says so in Chinese."""

    def __init__(self, state: str, action: str, allowed: tuple[str, ...], detail: str = ""):
        self.state, self.action, self.allowed = state, action, allowed
        nexts = ", ".join(allowed) if allowed else "none (the case is closed)"
        reason = f": {detail}" if detail else ""
        super().__init__(f"cannot {action} in state {state}{reason}; allowed next actions: {nexts}")
        nexts_zh = _zh_list(ACTION_NAMES_ZH, allowed) if allowed else "无（案件已办结）"
        self.zh = (f"案件当前状态为“{STATE_NAMES_ZH.get(state, '未知状态')}”，不能{ACTION_NAMES_ZH.get(action, '执行该操作')}；"
                   f"可执行的下一步：{nexts_zh}")


class ConditionNotMet(IllegalTransition):
    """The action belongs to this state, but a statutory condition for it is not met (bilingual, with a code)."""

    def __init__(self, state: str, action: str, code: str, en: str, zh: str):
        super().__init__(state, action, allowed_actions(state), en)
        self.code, self.en, self.zh = code, en, zh


def allowed_actions(state: str) -> tuple[str, ...]:
    """The actions that can be taken in ``state``, in workflow order (empty for a closed case)."""
    _check_state(state)
    return tuple(action for action in ACTIONS if (state, action) in _TRANSITIONS)


def transition(state: str, action: str, **context: object) -> str:
    """The state after ``action``, or IllegalTransition / ConditionNotMet (a subclass) saying why not.

    Context per action:
    - complete_assessment: ``authorised`` (the household's written authorisation to verify income and assets).
    - complete_review: ``attendees`` (a count or the list of people), ``opinions`` (non-empty), ``outcome`` in
      REVIEW_OUTCOMES.
    - publish_notice: ``programmes`` (the programmes proposed; their notice days come from notice_period()).
    - lodge_objection: ``grounds``.
    - resolve_objection: ``open_objections`` (before this one is resolved), ``outcome`` in OBJECTION_OUTCOMES.
    - close_notice: ``now``, ``notice_last_day``, ``open_objections``; ``notice_days`` 0 (a notice that needs no
      waiting) may close on the day it is published.
    - complete_township_review: ``outcome`` in TOWNSHIP_OUTCOMES; ``notice_held`` to recommend approval.
    - decide: ``outcome`` in DECISION_OUTCOMES; approve needs ``programmes`` (those granted), ``eligible`` (those the
      latest assessment found), ``noticed`` (those on a notice that ran its full period), ``before_notice`` (those the
      notice policy allows before notice) and ``file_number``; reject needs ``reasons``.
    """
    _check_state(state)
    handler = _TRANSITIONS.get((state, action))
    if handler is None:
        raise IllegalTransition(state, action, allowed_actions(state))
    return handler(_Guard(state, action, context))


# --- guards and transitions --------------------------------------------------------------------------------------

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
                            f"{ACTION_NAMES_ZH.get(self.action, '该操作')}缺少{_CONTEXT_NAMES_ZH.get(key, '必要信息')}")
        return self.context[key]

    def outcome(self, choices: tuple[str, ...]) -> str:
        outcome = self.need("outcome")
        if outcome not in choices:
            raise self.fail("unknown_outcome", f"outcome must be one of {', '.join(choices)}, got {outcome!r}",
                            f"结论须为{_zh_list(OUTCOME_NAMES_ZH, choices)}之一")
        return str(outcome)


def _start_assessment(guard: _Guard) -> str:
    return "field_assessment"


def _complete_assessment(guard: _Guard) -> str:
    if guard.need("authorised") is not True:
        raise guard.fail("authorisation_missing",
                         "the household has not authorised the verification of its income and assets",
                         "申请家庭未授权核查其收入和财产状况")
    return "democratic_review"


def _complete_review(guard: _Guard) -> str:
    attendees = guard.need("attendees")
    count = attendees if isinstance(attendees, int) and not isinstance(attendees, bool) else (
        len(attendees) if isinstance(attendees, (list, tuple, set, frozenset)) else 0)
    if count < 1:
        raise guard.fail("no_attendees", "a democratic review needs at least one attendee", "民主评议须有参会人员")
    opinions = guard.need("opinions")
    if isinstance(opinions, (str, bytes)) or not isinstance(opinions, Sequence) or not opinions:
        raise guard.fail("no_opinions", "a democratic review records the opinions given", "民主评议须记录评议意见")
    return "awaiting_notice" if guard.outcome(REVIEW_OUTCOMES) == "propose_approval" else "township_review"


def _publish_notice(guard: _Guard) -> str:
    _check_programmes(guard.need("programmes"), guard)
    return "public_notice"


def _lodge_objection(guard: _Guard) -> str:
    grounds = guard.need("grounds")
    if not isinstance(grounds, str) or not grounds.strip():
        raise guard.fail("no_grounds", "an objection states its grounds", "异议须说明理由")
    return "public_notice"


def _resolve_objection(guard: _Guard) -> str:
    if _count(guard, "open_objections") < 1:
        raise guard.fail("no_open_objection", "there is no open objection to resolve", "没有待处理的异议")
    # An upheld objection means the facts may be wrong: the investigation starts again from the field assessment.
    return "field_assessment" if guard.outcome(OBJECTION_OUTCOMES) == "upheld" else "public_notice"


def _close_notice(guard: _Guard) -> str:
    last_day = guard.need("notice_last_day")
    now = guard.need("now")
    if not isinstance(last_day, date) or not isinstance(now, date):
        raise guard.fail("bad_dates", "now and notice_last_day must be dates", "当前日期与公示截止日须为日期")
    today = local_date(now)
    waiting = guard.context.get("notice_days") != 0  # a notice that needs no waiting has ended when published
    if waiting and today <= local_date(last_day):
        raise guard.fail("notice_running",
                         f"the notice period runs until {local_date(last_day).isoformat()} inclusive (today is "
                         f"{today.isoformat()})",
                         f"公示期至{local_date(last_day).isoformat()}（含当日）结束，今天是{today.isoformat()}")
    if (open_objections := _count(guard, "open_objections")) > 0:
        raise guard.fail("objections_open", f"{open_objections} objection(s) are still open",
                         f"尚有{open_objections}件异议未处理")
    return "township_review"


def _complete_township_review(guard: _Guard) -> str:
    outcome = guard.outcome(TOWNSHIP_OUTCOMES)
    if outcome == "return_for_assessment":
        return "field_assessment"
    if outcome == "recommend_approval":
        _require_notice(guard)
    return "county_decision"


def _decide(guard: _Guard) -> str:
    if guard.outcome(DECISION_OUTCOMES) == "approve":
        granted = _check_programmes(guard.need("programmes"), guard)
        eligible = set(_names(guard, "eligible"))
        noticed = set(_names(guard, "noticed", required=False))
        before = set(_names(guard, "before_notice", required=False))
        not_eligible = [p for p in granted if p not in eligible]
        if not_eligible:
            en, zh = programme_names(not_eligible)
            raise guard.fail("not_eligible", f"the latest assessment did not find the household eligible for: {en}",
                             f"最近一次核查评估未认定该户符合以下救助项目的条件：{zh}")
        unnoticed = [p for p in granted if p not in noticed and p not in before]
        if unnoticed:
            en, zh = programme_names(unnoticed)
            raise guard.fail("not_on_notice",
                             f"only programmes whose public notice ran its full period can be granted; not on a "
                             f"completed notice: {en}",
                             f"只能批准已公示且公示期满的救助项目；以下项目未经公示或公示未满：{zh}")
        file_number = guard.need("file_number")
        if not isinstance(file_number, str) or not file_number.strip():
            raise guard.fail("no_file_number", "approval creates the household file: give its number",
                             "批准须建档立卡，请提供档案编号")
        return "enrolled"
    reasons = guard.need("reasons")
    if isinstance(reasons, (str, bytes)) or not isinstance(reasons, Sequence) or not reasons:
        raise guard.fail("no_reasons", "a rejection states its reasons", "不予批准须说明理由")
    return "rejected"


def _withdraw(guard: _Guard) -> str:
    return "withdrawn"


def _require_notice(guard: _Guard) -> None:
    if guard.context.get("notice_held") is not True:
        raise guard.fail("notice_not_held", "an approval needs a public notice that was held and closed",
                         "批准前须经公示且公示期满")


def _count(guard: _Guard, key: str) -> int:
    value = guard.need(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise guard.fail(f"bad_{key}", f"{key} must be a whole number of at least 0",
                         f"{_CONTEXT_NAMES_ZH.get(key, '数量')}须为非负整数")
    return value


def _names(guard: _Guard, key: str, required: bool = True) -> tuple[str, ...]:
    value = guard.need(key) if required else (guard.context.get(key) or ())
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
        raise guard.fail(f"bad_{key}", f"{key} must be a list of programmes",
                         f"{_CONTEXT_NAMES_ZH.get(key, '救助项目')}须为救助项目列表")
    return tuple(value)


def _check_programmes(programmes: object, guard: _Guard | None = None) -> tuple[str, ...]:
    if isinstance(programmes, str) or not isinstance(programmes, Sequence | set | frozenset) or not programmes:
        if guard:
            raise guard.fail("no_programmes", "name the programmes proposed", "须列明救助项目")
        raise ValueError("name at least one programme")
    unknown = [p for p in programmes if p not in PROGRAMMES]
    if unknown:
        message = f"unknown programme(s) {', '.join(map(str, unknown))}; programmes are {', '.join(PROGRAMMES)}"
        if guard:
            raise guard.fail("unknown_programme", message, "有未知的救助项目，请从规定的救助项目中选择")
        raise ValueError(message)
    return tuple(p for p in PROGRAMMES if p in programmes)


_TRANSITIONS: dict[tuple[str, str], Callable[[_Guard], str]] = {
    ("opened", "start_assessment"): _start_assessment,
    ("field_assessment", "complete_assessment"): _complete_assessment,
    ("democratic_review", "complete_review"): _complete_review,
    ("awaiting_notice", "publish_notice"): _publish_notice,
    ("public_notice", "lodge_objection"): _lodge_objection,
    ("public_notice", "resolve_objection"): _resolve_objection,
    ("public_notice", "close_notice"): _close_notice,
    ("township_review", "complete_township_review"): _complete_township_review,
    ("county_decision", "decide"): _decide,
    **{(state, "withdraw"): _withdraw for state in STATES if state not in TERMINAL_STATES},
}


def _check_state(state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown state {state!r}; states are {', '.join(STATES)}")


# --- public notice -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NoticePeriod:
    """A public notice runs ``days`` calendar days from the day it is published, that day included.

    With 0 days (only programmes that need no waiting, e.g. temporary assistance) the notice is a publication on
    ``first_day`` that has ended as soon as it is published; its ``last_day`` is ``first_day``, never earlier.
    """

    first_day: date
    last_day: date
    days: int

    def has_ended(self, now: date) -> bool:
        return self.days == 0 or local_date(now) > self.last_day

    def ends_at(self, published_at: datetime) -> datetime:
        """When the notice ends, in UTC: midnight China time after its last day, or when published for a 0-day notice."""
        if self.days == 0:
            return published_at
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=CHINA_TZ).astimezone(timezone.utc)


def notice_period_days(programmes: Sequence[str], rules: RuleSet) -> int:
    """The longest notice any proposed programme requires (``<programme>.notice_days``)."""
    return max(rules.integer(p, "notice_days") for p in _check_programmes(programmes))


def notice_period(published_on: date, programmes: Sequence[str], rules: RuleSet) -> NoticePeriod:
    """The notice period for the proposed programmes; with 0 days (temporary only) it has ended when published."""
    days = notice_period_days(programmes, rules)
    first = local_date(published_on)
    return NoticePeriod(first, first + timedelta(days=max(days, 1) - 1), days)


# --- notice policy and what a decision may grant --------------------------------------------------------------------

NOTICE_POLICY_FILE = Path(__file__).resolve().parent.parent / "rules" / "notice" / "policy.json"


@dataclass(frozen=True)
class NoticePolicy:
    """Which programmes may be granted before their notice (先行救助, then 事后公示) and how long that notice shows."""

    version: str
    granted_before_notice: frozenset[str]
    post_hoc_notice_days: int


def load_notice_policy(path: Path | None = None) -> NoticePolicy:
    """Reads ``rules/notice/policy.json``; ValueError names the file and the field for anything malformed."""
    path = NOTICE_POLICY_FILE if path is None else Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the notice policy: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: the notice policy must be a JSON object")
    before = raw.get("granted_before_notice")
    if not isinstance(before, list) or any(p not in PROGRAMMES for p in before):
        raise ValueError(f"{path}: granted_before_notice must list programmes among {', '.join(PROGRAMMES)}")
    days = raw.get("post_hoc_notice_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        raise ValueError(f"{path}: post_hoc_notice_days must be a whole number from 1 to 60")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError(f"{path}: version must be a non-empty string")
    return NoticePolicy(version, frozenset(before), days)


@dataclass(frozen=True)
class GrantPlan:
    """What an approval grants: ``on_notice`` after a completed notice, ``post_hoc`` before any (published after)."""

    granted: tuple[str, ...]
    on_notice: tuple[str, ...]
    post_hoc: tuple[str, ...]


def default_grant(eligible: Collection[str], noticed: Collection[str], before_notice: Collection[str]) -> tuple[str, ...]:
    """What an approval grants when the county names nothing: every eligible programme that completed its notice or
    may be granted before it."""
    return tuple(p for p in PROGRAMMES if p in eligible and (p in noticed or p in before_notice))


def plan_grant(granted: Collection[str], noticed: Collection[str]) -> GrantPlan:
    """Splits a grant (already checked by ``transition(..., "decide")``) into what was noticed and what is post hoc."""
    chosen = tuple(p for p in PROGRAMMES if p in granted)
    return GrantPlan(chosen, tuple(p for p in chosen if p in noticed), tuple(p for p in chosen if p not in noticed))


@dataclass(frozen=True)
class PublicNoticeEntry:
    """What may be published about one household: masked name, village, size and programmes, nothing else."""

    masked_name: str
    village: str
    household_size: int
    programmes: tuple[str, ...]
    income_band_en: str | None
    income_band_zh: str | None
    period: NoticePeriod | None
    text_en: str
    text_zh: str


# Resident ID numbers (18 characters, or the old 15 digits) and mobile numbers typed into a free-text field. A
# 6-, 9- or 12-digit division code is left alone: it names a place, not a person.
_PERSONAL_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{15}|1[0-9]{10})(?![0-9Xx])")


def mask_name(name: str) -> str:
    """张三 -> 张*, 张小三 -> 张*三, 欧阳小明 -> 欧**明: the first and last characters stay, the rest is starred."""
    chars = [c for c in name.strip() if not c.isspace()]
    if len(chars) <= 1:
        return "*"
    if len(chars) == 2:
        return chars[0] + "*"
    return chars[0] + "*" * (len(chars) - 2) + chars[-1]


def mask_for_notice(*, head_name: str, village: str, household_size: int, programmes: Sequence[str],
                    period: NoticePeriod | None = None, id_number: str | None = None,
                    per_capita_monthly_income_yuan: Decimal | None = None,
                    income_band_width_yuan: Decimal | None = None, health_details: str | None = None,
                    post_hoc: bool = False) -> PublicNoticeEntry:
    """The public-notice entry for a household, in English and Chinese.

    Published: the masked name, the village, the household size, the proposed programmes (never a monitoring
    category, which would reveal a hardship), the notice period, and, only if ``income_band_width_yuan`` is given,
    the per-capita income as a band of that width. ``id_number``, the exact income and ``health_details`` may be
    passed with the rest of the record but are never published; an ID or mobile number typed into the name or village
    is removed, and the result is checked not to contain the protected values. ``post_hoc`` words it as the
    publication, after the decision, of assistance granted first (先行救助). Dates are China dates.
    """
    if isinstance(household_size, bool) or not isinstance(household_size, int) or household_size < 1:
        raise ValueError("household_size must be a whole number of at least 1")
    chosen = _check_programmes(programmes)
    masked = mask_name(_PERSONAL_NUMBER.sub("", head_name))
    place = " ".join(_PERSONAL_NUMBER.sub("", village).split())
    band_en = band_zh = None
    if income_band_width_yuan is not None and per_capita_monthly_income_yuan is not None:
        width = Decimal(income_band_width_yuan)
        if width <= 0:
            raise ValueError("income_band_width_yuan must be positive")
        low = (Decimal(per_capita_monthly_income_yuan) // width) * width
        band_en = f"{yuan(low)} to {yuan(low + width)} per person a month"
        band_zh = f"月人均{yuan_zh(low)}至{yuan_zh(low + width)}"
    names_en = "; ".join(PROGRAMME_NAMES[p][0] for p in chosen)
    names_zh = "；".join(PROGRAMME_NAMES[p][1] for p in chosen)
    verb_en, verb_zh = ("has been granted", "已先行给予") if post_hoc else ("is proposed for", "拟纳入")
    en = (f"Public notice: the household of {masked}, {place} village, {household_size} member(s), {verb_en}: "
          f"{names_en}.")
    zh = f"公示：{place}{masked}户，家庭人口{household_size}人，{verb_zh}：{names_zh}。"
    if band_en:
        en += f" Per-capita income band: {band_en}."
        zh += f"收入区间：{band_zh}。"
    if post_hoc:
        shown_until = f" until {period.last_day.isoformat()}" if period is not None else ""
        shown_until_zh = f"，公示至{period.last_day.isoformat()}" if period is not None else ""
        en += (f" Granted first and published after the decision (emergency assistance){shown_until}; questions or "
               f"reports may be raised with the township civil-affairs office.")
        zh += f"属先行救助，事后公示{shown_until_zh}；如有疑问或反映，可向乡镇（街道）民政部门提出。"
    elif period is not None and period.days == 0:
        en += (f" Published on {period.first_day.isoformat()}; no notice period is required before the decision on "
               f"these programmes. Objections may be lodged with the township civil-affairs office.")
        zh += f"公示日期：{period.first_day.isoformat()}；上述项目无需等待公示期即可审批。如有异议，可向乡镇（街道）民政部门反映。"
    elif period is not None:
        en += (f" Notice period: {period.first_day.isoformat()} to {period.last_day.isoformat()}; objections may be "
               f"lodged with the township civil-affairs office during that time.")
        zh += (f"公示期：{period.first_day.isoformat()}至{period.last_day.isoformat()}；公示期内如有异议，"
               f"可向乡镇（街道）民政部门反映。")
    else:
        en += " Objections may be lodged with the township civil-affairs office during the notice period."
        zh += "公示期内如有异议，可向乡镇（街道）民政部门反映。"
    entry = PublicNoticeEntry(masked, place, household_size, chosen, band_en, band_zh, period, en, zh)
    _assert_nothing_sensitive(entry, id_number, per_capita_monthly_income_yuan, health_details)
    return entry


def _assert_nothing_sensitive(entry: PublicNoticeEntry, id_number: str | None,
                              income: Decimal | None, health: str | None) -> None:
    published = " ".join((entry.masked_name, entry.village, entry.text_en, entry.text_zh))
    secrets = [s.strip() for s in (id_number, health) if s and s.strip()]
    if income is not None and entry.income_band_en is None:
        secrets += [yuan(income), yuan_zh(income)]
    leaked = [s for s in secrets if s in published]
    if leaked:
        raise ValueError("the public notice would reveal protected data; check the village and name fields")


# --- deadlines ---------------------------------------------------------------------------------------------------

def decision_deadline(opened_on: date, programmes: Sequence[str], rules: RuleSet, calendar: WorkingCalendar, *,
                      extended: bool = False) -> date:
    """The earliest decision deadline among the programmes (``<programme>.deadline``).

    A deadline block gives ``calendar_days`` (monitoring: 15 days from the clue) and/or ``working_days`` (dibao: 30,
    ``extended_working_days`` 45 when ``extended``). With no programme known yet, ``workflow.default_deadline``
    applies. Day 1 is the day after ``opened_on``.
    """
    start = local_date(opened_on)
    blocks = [rules.value(p, "deadline") for p in _check_programmes(programmes)] if programmes else []
    blocks = blocks or [rules.value("workflow", "default_deadline")]
    return min(_deadline(start, block, calendar, extended) for block in blocks)


def is_overdue(deadline: date, now: date) -> bool:
    """Overdue from the day after the deadline (the deadline day itself is still on time)."""
    return local_date(now) > deadline


def _deadline(start: date, block: dict, calendar: WorkingCalendar, extended: bool) -> date:
    candidates = []
    if "calendar_days" in block:
        candidates.append(start + timedelta(days=int(block["calendar_days"])))
    if "working_days" in block:
        days = block.get("extended_working_days", block["working_days"]) if extended else block["working_days"]
        candidates.append(calendar.add_working_days(start, int(days)))
    return min(candidates)


# --- outcomes ----------------------------------------------------------------------------------------------------

def household_file_number(division_code: str, year: int, sequence: int) -> str:
    """The household file number created on enrolment (建档立卡): ``<division code>-<year>-<6-digit sequence>``."""
    if not isinstance(division_code, str) or not division_code.isdigit():
        raise ValueError(f"division_code must be digits, got {division_code!r}")
    if not 1 <= sequence <= 999_999:
        raise ValueError("sequence must be from 1 to 999999")
    return f"{division_code}-{year:04d}-{sequence:06d}"


@dataclass(frozen=True)
class RejectionNotice:
    """A written refusal: the reasons, and how and by when to challenge it."""

    reasons_en: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    reconsideration_by: date
    litigation_by: date
    text_en: str
    text_zh: str


def rejection_notice(reasons: Sequence[Reason], decided_on: date, rules: RuleSet) -> RejectionNotice:
    """The refusal letter for ``reasons`` (normally the failed reasons of the programmes applied for)."""
    if not reasons:
        raise ValueError("a rejection states at least one reason")
    decided = local_date(decided_on)
    days = rules.integer("appeal", "reconsideration_days")
    months = rules.integer("appeal", "litigation_months")
    reconsideration_by = decided + timedelta(days=days)
    litigation_by = add_months(decided, months)
    en_reasons = tuple(r.en for r in reasons)
    zh_reasons = tuple(r.zh for r in reasons)
    en = (f"Your application was not approved on {decided.isoformat()} because: {' '.join(en_reasons)} If you "
          f"disagree, you may apply for administrative reconsideration within {days} days (by "
          f"{reconsideration_by.isoformat()}) or bring an administrative lawsuit within {months} months (by "
          f"{litigation_by.isoformat()}). You may apply again when your situation changes.")
    zh = (f"您的申请于{decided.isoformat()}未获批准，理由：{''.join(zh_reasons)}如对决定不服，可在{days}日内"
          f"（{reconsideration_by.isoformat()}前）申请行政复议，或在{months}个月内（{litigation_by.isoformat()}前）"
          f"提起行政诉讼。家庭情况发生变化后可重新申请。")
    return RejectionNotice(en_reasons, zh_reasons, reconsideration_by, litigation_by, en, zh)
