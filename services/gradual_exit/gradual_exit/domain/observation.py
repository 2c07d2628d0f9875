"""The observation period (渐退观察期) as pure rules: when income starts, continues or ends one, and whether a
household may leave a programme when its period is over.

Everything here is per programme: a household in dibao and monitoring is compared with each line separately, and one
programme's observation never moves another's. Every result carries the rule version and reasons in English and
Chinese.

- ``decide_on_income``: on a new income figure, for one programme in one state: start an observation (income rose
  above the line), revert it (income fell back to or below the line, or nobody in the household can work and no
  lasting income source is confirmed), continue it, or nothing.
- ``exit_verdict``: when the period is over: may the household go to the exit review? Income stayed above the line
  throughout, a caseworker confirmed it stable, the guarantees hold, someone can work (or a lasting income source is
  confirmed: never on income alone), and the programme's own conditions (months monitored, assistance measures).
- ``support_share`` / ``support_schedule``: how much of the usual support is paid in each month of the observation.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from gradual_exit.domain.calendar import add_months, local_date, whole_months_between
from gradual_exit.domain.rules import GUARANTEES, PROGRAMME_NAMES, Line, RuleSet
from gradual_exit.domain.situation import HouseholdFacts

CENT = Decimal("0.01")
# The states in which an observation is running or its exit is being reviewed: a fall in income reverts all of them.
OBSERVING_STATES = ("observation", "exit_review", "exit_notice", "exit_decision")

IncomeAction = Literal["start_observation", "revert_observation", "continue", "none"]


@dataclass(frozen=True)
class Reason:
    code: str
    passed: bool
    en: str
    zh: str

    def as_dict(self) -> dict:
        return {"code": self.code, "en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class IncomeDecision:
    """What a new income figure means for one programme of the household."""

    programme: str
    state: str
    action: IncomeAction
    line: Line | None
    reasons: tuple[Reason, ...]
    rule_version: str

    @property
    def explanation_en(self) -> str:
        return " ".join(r.en for r in self.reasons)

    @property
    def explanation_zh(self) -> str:
        return "".join(r.zh for r in self.reasons)


@dataclass(frozen=True)
class ExitVerdict:
    """Whether the household may go to the exit review of one programme; ``reasons`` lists every condition."""

    programme: str
    met: bool
    reasons: tuple[Reason, ...]
    rule_version: str

    @property
    def failed(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if not r.passed)

    @property
    def explanation_en(self) -> str:
        return " ".join(r.en for r in self.reasons)

    @property
    def explanation_zh(self) -> str:
        return "".join(r.zh for r in self.reasons)


def yuan(amount: Decimal) -> str:
    return f"¥{Decimal(amount).quantize(CENT, ROUND_HALF_UP)}"


def yuan_zh(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(CENT, ROUND_HALF_UP)}元"


def programme_name(programme: str) -> tuple[str, str]:
    return PROGRAMME_NAMES[programme]


# --- a new income figure -------------------------------------------------------------------------------------------

def decide_on_income(programme: str, state: str, facts: HouseholdFacts, rules: RuleSet) -> IncomeDecision:
    """The decision for ``programme`` (currently in ``state``) given the household's facts after an update.

    The line is the programme's line in ``rules`` (the set in force on the day of the update). "Above the line"
    means strictly above: an income equal to the line is not above it.
    """
    line = rules.line(programme)
    en_name, zh_name = programme_name(programme)

    def decision(action: IncomeAction, *reasons: Reason) -> IncomeDecision:
        return IncomeDecision(programme, state, action, line, tuple(reasons), rules.version)

    if state == "exited":
        return decision("none", Reason("already_exited", True, f"The household has already left {en_name}.",
                                       f"该户已退出{zh_name}。"))
    if line is None:
        return decision("none", Reason(
            "not_income_tested", True,
            f"{en_name.capitalize()} has no income line in rule set {rules.version}: it does not end through an "
            f"income observation.",
            f"{zh_name}在规则{rules.version}中没有收入标准，不通过收入观察退出。"))
    income = facts.per_capita_monthly_income_yuan
    if income is None:
        return decision("none", Reason("income_not_recorded", False, "No per-capita income has been recorded.",
                                       "尚未记录人均收入。"))
    above = income > line.yuan_per_person_month
    comparison = _income_reason(income, line, above)
    observing = state in OBSERVING_STATES
    if not above:
        if observing:
            return decision("revert_observation", Reason(
                "income_fell_back", False,
                f"Per-capita income fell back to {yuan(income)} a month, not above the {en_name} line of "
                f"{yuan(line.yuan_per_person_month)} ({line.basis_en}): the observation is reverted and support "
                f"continues.",
                f"人均月收入回落至{yuan_zh(income)}，未高于{zh_name}标准{yuan_zh(line.yuan_per_person_month)}"
                f"（{line.basis_zh}），观察期撤销，继续给予救助。"))
        return decision("none", comparison)
    labour = labour_reason(facts, rules)
    if not labour.passed and facts.has_labour_capacity is False:
        # Nobody can work and no lasting income source is confirmed: income alone never opens (or keeps) an exit.
        return decision("revert_observation" if observing else "none", comparison, labour)
    if observing:
        return decision("continue", comparison)
    return decision("start_observation", comparison, labour)


def _income_reason(income: Decimal, line: Line, above: bool) -> Reason:
    en_name, zh_name = programme_name(line.programme)
    if above:
        return Reason("income_above_line", True,
                      f"Per-capita income {yuan(income)} a month is above the {en_name} line of "
                      f"{yuan(line.yuan_per_person_month)} ({line.basis_en}).",
                      f"人均月收入{yuan_zh(income)}，高于{zh_name}标准{yuan_zh(line.yuan_per_person_month)}"
                      f"（{line.basis_zh}）。")
    return Reason("income_not_above_line", False,
                  f"Per-capita income {yuan(income)} a month is not above the {en_name} line of "
                  f"{yuan(line.yuan_per_person_month)} ({line.basis_en}).",
                  f"人均月收入{yuan_zh(income)}，未高于{zh_name}标准{yuan_zh(line.yuan_per_person_month)}"
                  f"（{line.basis_zh}）。")


def labour_reason(facts: HouseholdFacts, rules: RuleSet) -> Reason:
    """Households without labour capacity are not exited on income alone (rule ``exit.*labour*``)."""
    if facts.has_labour_capacity is True:
        return Reason("labour_capacity", True, "At least one member is able to work.", "至少一名家庭成员有劳动能力。")
    if facts.has_labour_capacity is None:
        return Reason("labour_capacity_not_recorded", False,
                      "The members' labour capacity has not been recorded.", "尚未记录家庭成员的劳动能力。")
    if not rules.no_labour_needs_lasting_income():
        return Reason("no_labour_capacity_allowed", True,
                      f"No member is able to work; rule set {rules.version} allows an exit on income nonetheless.",
                      f"家庭成员均无劳动能力；规则{rules.version}允许据收入退出。")
    if facts.lasting_income_source is True:
        return Reason("lasting_income_source", True,
                      "No member is able to work, but a caseworker confirmed a lasting income source.",
                      "家庭成员均无劳动能力，但经核实有稳定持续的收入来源。")
    return Reason("no_labour_capacity", False,
                  "No member is able to work and no lasting income source is confirmed: a household without labour "
                  "capacity does not leave on income alone.",
                  "家庭成员均无劳动能力且未核实有稳定持续的收入来源：无劳动能力家庭不单凭收入退出。")


# --- the end of the period ------------------------------------------------------------------------------------------

def observation_end(started_on: date, programme: str, rules: RuleSet) -> date:
    """The day the observation period is complete: ``observation_months`` whole months after its start."""
    return add_months(local_date(started_on), rules.observation_months(programme))


def exit_verdict(programme: str, *, facts: HouseholdFacts, ends_on: date, lowest_income: Decimal, enrolled_on: date,
                 today: date, rules: RuleSet) -> ExitVerdict:
    """Whether the household may go to the exit review of ``programme`` on ``today``.

    ``lowest_income`` is the lowest per-capita income recorded since the observation started (the starting figure
    included); it must be above the line in force today. Every condition is reported, passed or not.
    """
    today = local_date(today)
    en_name, zh_name = programme_name(programme)
    line = rules.line(programme)
    if line is None:
        raise ValueError(f"{programme} has no income line in rule set {rules.version}")
    reasons: list[Reason] = []
    if today >= ends_on:
        reasons.append(Reason("observation_period_complete", True,
                              f"The observation period ended on {ends_on.isoformat()}.",
                              f"观察期已于{ends_on.isoformat()}届满。"))
    else:
        reasons.append(Reason("observation_period_running", False,
                              f"The observation period runs until {ends_on.isoformat()}.",
                              f"观察期至{ends_on.isoformat()}届满。"))
    if lowest_income > line.yuan_per_person_month:
        reasons.append(Reason("income_stably_above_line", True,
                              f"Per-capita income stayed above the {en_name} line of {yuan(line.yuan_per_person_month)} "
                              f"throughout the observation (lowest {yuan(lowest_income)} a month).",
                              f"观察期内人均月收入始终高于{zh_name}标准{yuan_zh(line.yuan_per_person_month)}"
                              f"（最低{yuan_zh(lowest_income)}）。"))
    else:
        reasons.append(Reason("income_not_above_line", False,
                              f"The lowest per-capita income recorded in the observation, {yuan(lowest_income)} a "
                              f"month, is not above the {en_name} line of {yuan(line.yuan_per_person_month)}.",
                              f"观察期内最低人均月收入{yuan_zh(lowest_income)}，未高于{zh_name}标准"
                              f"{yuan_zh(line.yuan_per_person_month)}。"))
    if rules.require_income_stable():
        if facts.income_stable is True:
            reasons.append(Reason("income_stable", True, "A caseworker confirmed the income as stable.",
                                  "经核实收入稳定。"))
        elif facts.income_stable is False:
            reasons.append(Reason("income_unstable", False, "The income was last recorded as unstable.",
                                  "最近一次核查记录收入不稳定。"))
        else:
            reasons.append(Reason("income_stability_not_confirmed", False,
                                  "No caseworker has confirmed the income as stable.", "收入稳定性尚未经核实确认。"))
    required = rules.required_guarantees()
    missing = [(en, zh) for key, en, zh in GUARANTEES if key in required and facts.guarantees.get(key) is False]
    unknown = [(en, zh) for key, en, zh in GUARANTEES if key in required and facts.guarantees.get(key) is None]
    if not missing and not unknown:
        names_en = ", ".join(en for key, en, _ in GUARANTEES if key in required) or "none required"
        names_zh = "、".join(zh for key, _, zh in GUARANTEES if key in required) or "无"
        reasons.append(Reason("guarantees_secured", True, f"The guarantees are secured ({names_en}).",
                              f"“两不愁三保障”及饮水安全已保障（{names_zh}）。"))
    else:
        parts_en, parts_zh = [], []
        if missing:
            parts_en.append("not secured: " + ", ".join(en for en, _ in missing))
            parts_zh.append("未保障：" + "、".join(zh for _, zh in missing))
        if unknown:
            parts_en.append("not recorded: " + ", ".join(en for en, _ in unknown))
            parts_zh.append("未记录：" + "、".join(zh for _, zh in unknown))
        reasons.append(Reason("guarantees_not_secured", False, f"Guarantees {'; '.join(parts_en)}.",
                              f"保障情况{'；'.join(parts_zh)}。"))
    reasons.append(labour_reason(facts, rules))
    months = rules.min_monitored_months(programme)
    if months:
        since = add_months(local_date(enrolled_on), months)
        if today >= since:
            reasons.append(Reason("monitored_long_enough", True,
                                  f"Monitored for at least {months} months (since {local_date(enrolled_on).isoformat()}).",
                                  f"已监测不少于{months}个月（自{local_date(enrolled_on).isoformat()}起）。"))
        else:
            reasons.append(Reason("monitored_too_briefly", False,
                                  f"Monitored since {local_date(enrolled_on).isoformat()}: {months} months are "
                                  f"needed (until {since.isoformat()}).",
                                  f"自{local_date(enrolled_on).isoformat()}起监测，须满{months}个月（至{since.isoformat()}）。"))
    measures = rules.min_assistance_measures(programme)
    if measures:
        if facts.assistance_measures >= measures:
            reasons.append(Reason("assistance_measures_received", True,
                                  f"{facts.assistance_measures} assistance measure(s) received (at least {measures}).",
                                  f"已落实帮扶措施{facts.assistance_measures}项（不少于{measures}项）。"))
        else:
            reasons.append(Reason("too_few_assistance_measures", False,
                                  f"{facts.assistance_measures} assistance measure(s) received; at least {measures} "
                                  f"are needed.",
                                  f"已落实帮扶措施{facts.assistance_measures}项，须不少于{measures}项。"))
    met = all(r.passed for r in reasons)
    return ExitVerdict(programme, met, tuple(reasons), rules.version)


# --- support through the observation --------------------------------------------------------------------------------

def support_share(programme: str, started_on: date, today: date, rules: RuleSet) -> Decimal:
    """The share of the usual support paid on ``today``: month 1 is the first month of the observation."""
    shares = rules.support_shares(programme)
    index = whole_months_between(started_on, today)
    return shares[min(index, len(shares) - 1)]


def support_schedule(programme: str, rules: RuleSet) -> list[dict]:
    """The share per month of the whole observation period, for the household's letter and the event."""
    shares = rules.support_shares(programme)
    months = rules.observation_months(programme)
    return [{"month": m + 1, "share": float(shares[min(m, len(shares) - 1)])} for m in range(months)]
