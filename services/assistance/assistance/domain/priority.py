"""The urgency score of a need: a documented, explainable weighted sum of six components, each scored 0 to 100.

    priority = Σ weight(component) × value(component)          (0 to 100, two decimals, rounded half up)

Weights are ``priority.weights`` in the rule set and add up to 1. The components:

- ``income_gap``: how far per-capita monthly income falls below the dibao standard, as a percentage of the standard
  (0 at or above the standard, 100 at no income). Before the caseworker records the income, identification's
  ``income`` hardship score stands in; without either it is 0, and the explanation says so.
- ``rigid_expenditure``: identification's rigid-expenditure hardship score (medical, education, care spending as a
  share of income).
- ``disability``: identification's disability score (the most severe grade in the household).
- ``dependants``: identification's dependants score (children and elderly members as a share of the household) —
  the "age and dependants" component.
- ``sudden_hardship``: 100 when the household is in sudden hardship (a programme in ``priority.sudden_programmes``,
  a category in ``priority.sudden_categories``, or recorded by the caseworker), else 0.
- ``waiting_time``: days the need has waited as a percentage of ``priority.waiting_days_for_full_score``, at most
  100, so that nobody waits forever behind newer, slightly more urgent needs.

Scores outside 0-100 are clamped. ``Priority.points`` (score × 100, an integer) is what matching sorts by.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal

from assistance.domain.benefits import dibao_standard
from assistance.domain.catalogue import PROGRAMME_NAMES
from assistance.domain.needs import Household
from assistance.domain.rules import PRIORITY_COMPONENTS, RuleSet
from assistance.domain.wording import CENT, score, yuan, yuan_zh

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Component:
    """One component's value (0-100) and weight; ``facts`` hold the numbers it came from, rendered by ``en``/``zh``."""

    name: str
    value: Decimal
    weight: Decimal
    facts: tuple = ()

    @property
    def contribution(self) -> Decimal:
        return self.value * self.weight

    @property
    def en(self) -> str:
        return _explain(self, "en")

    @property
    def zh(self) -> str:
        return _explain(self, "zh")

    def as_dict(self) -> dict:
        return {"component": self.name, "value": float(self.value), "weight": float(self.weight),
                "contribution": float(self.contribution.quantize(CENT, rounding=ROUND_HALF_UP)),
                "en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Priority:
    score: Decimal
    components: tuple[Component, ...]
    rule_version: str

    @property
    def points(self) -> int:
        return int(self.score * 100)

    def explanation(self) -> tuple[str, str]:
        parts_en = " + ".join(f"{c.weight} × {score(c.value)} ({c.name})" for c in self.components)
        parts_zh = " + ".join(f"{c.weight} × {score(c.value)}（{_ZH_NAMES[c.name]}）" for c in self.components)
        en = (f"Priority {score(self.score)} of 100 = {parts_en}, under rule set {self.rule_version}. "
              + " ".join(c.en for c in self.components))
        zh = (f"优先级{score(self.score)}分（满分100）= {parts_zh}，依据规则版本{self.rule_version}。"
              + "".join(c.zh for c in self.components))
        return en, zh

    def as_dict(self) -> dict:
        en, zh = self.explanation()
        return {"score": float(self.score), "rule_version": self.rule_version,
                "components": [c.as_dict() for c in self.components], "explanation_en": en, "explanation_zh": zh}


_ZH_NAMES = {"income_gap": "收入缺口", "rigid_expenditure": "刚性支出负担", "disability": "残疾",
             "dependants": "年龄与被抚养人", "sudden_hardship": "突发困难", "waiting_time": "等待时间"}


@dataclass(frozen=True)
class _Params:
    weights: dict
    standard: Decimal
    full_days: Decimal
    sudden_programmes: tuple[str, ...]
    sudden_categories: tuple[str, ...]


@lru_cache(maxsize=64)
def _params(rules: RuleSet) -> _Params:
    """The parameters priority reads, looked up once per rule set rather than once per need."""
    return _Params({name: rules.decimal("priority", "weights", name) for name in PRIORITY_COMPONENTS},
                   dibao_standard(rules), rules.decimal("priority", "waiting_days_for_full_score"),
                   rules.names("priority", "sudden_programmes"), rules.names("priority", "sudden_categories"))


def priority(household: Household, *, waiting_days: int, rules: RuleSet) -> Priority:
    """The urgency of one of the household's needs that has waited ``waiting_days`` days."""
    if isinstance(waiting_days, bool) or not isinstance(waiting_days, int) or waiting_days < 0:
        raise ValueError(f"waiting_days must be a whole number of at least 0, got {waiting_days!r}")
    p = _params(rules)
    weights = p.weights
    components = (
        _income_gap(household, p.standard, weights["income_gap"]),
        _score_component(household, "rigid_expenditure", weights["rigid_expenditure"]),
        _score_component(household, "disability", weights["disability"]),
        _score_component(household, "dependants", weights["dependants"]),
        _sudden(household, p, weights["sudden_hardship"]),
        _waiting(waiting_days, p.full_days, weights["waiting_time"]),
    )
    total = sum((c.contribution for c in components), _ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
    return Priority(total, components, rules.version)


def inputs_signature(household: Household, *, waiting_days: int, rules: RuleSet) -> str:
    """A fingerprint of everything ``priority`` reads: equal fingerprints, equal priorities and explanations."""
    facts = (rules.version, waiting_days, str(household.per_capita_monthly_income_yuan),
             sorted((k, int(v)) for k, v in household.scores.items()), sorted(household.programmes),
             sorted(household.categories.items()), bool(household.sudden_hardship))
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:32]


def _clamp(value: Decimal) -> Decimal:
    return min(_HUNDRED, max(_ZERO, value))


# Explanations are rendered from the facts only when asked for: scoring a hundred thousand needs should not pay for
# a million sentences nobody reads.

def _income_gap(household: Household, standard: Decimal, weight: Decimal) -> Component:
    income = household.per_capita_monthly_income_yuan
    if income is not None:
        value = _clamp((_HUNDRED * (standard - income) / standard).quantize(CENT, rounding=ROUND_HALF_UP))
        return Component("income_gap", value, weight, ("income", income, standard))
    if "income" in household.scores:
        return Component("income_gap", _clamp(Decimal(int(household.scores["income"]))), weight, ("income_score",))
    return Component("income_gap", _ZERO, weight, ("unknown",))


def _score_component(household: Household, dimension: str, weight: Decimal) -> Component:
    known = dimension in household.scores
    return Component(dimension, _clamp(Decimal(int(household.scores.get(dimension, 0)))), weight,
                     ("score",) if known else ("unknown",))


def _sudden(household: Household, p: _Params, weight: Decimal) -> Component:
    programmes = tuple(x for x in p.sudden_programmes if x in household.programmes)
    categories = tuple(c for c in household.categories.values() if c in p.sudden_categories)
    if household.sudden_hardship or programmes or categories:
        return Component("sudden_hardship", _HUNDRED, weight,
                         ("sudden", programmes, categories, household.sudden_hardship))
    return Component("sudden_hardship", _ZERO, weight, ("none",))


def _waiting(days: int, full: Decimal, weight: Decimal) -> Component:
    value = _clamp((_HUNDRED * days / full).quantize(CENT, rounding=ROUND_HALF_UP))
    return Component("waiting_time", value, weight, ("days", days, full))


_WHAT = {
    "rigid_expenditure": ("rigid-expenditure burden (medical, education and care spending against income)",
                          "刚性支出负担"),
    "disability": ("disability (the most severe grade in the household)", "残疾（家庭成员最重残疾等级）"),
    "dependants": ("age and dependants (children and elderly members)", "年龄与被抚养人（儿童和老人）"),
}


def _explain(c: Component, language: str) -> str:
    value, kind = score(c.value), c.facts[0]
    en = language == "en"
    if c.name == "income_gap":
        if kind == "income":
            income, standard = c.facts[1], c.facts[2]
            return (f"Income gap {value}: per-capita income {yuan(income)} a month against the dibao standard of "
                    f"{yuan(standard)} (0 at or above the standard, 100 at no income)." if en else
                    f"收入缺口{value}分：月人均收入{yuan_zh(income)}，低保标准{yuan_zh(standard)}（达到标准为0分，无收入为100分）。")
        if kind == "income_score":
            return (f"Income gap {value}: the identification income score, used until the caseworker records the "
                    f"per-capita income." if en else
                    f"收入缺口{value}分：采用精准识别的收入维度得分，待工作人员录入月人均收入后重新计算。")
        return ("Income gap 0: neither the per-capita income nor an income score is known yet." if en else
                "收入缺口0分：尚无月人均收入或收入维度得分。")
    if c.name in _WHAT:
        what_en, what_zh = _WHAT[c.name]
        if kind == "score":
            return f"{what_en[0].upper()}{what_en[1:]}: {value}." if en else f"{what_zh}：{value}分。"
        return f"{what_en[0].upper()}{what_en[1:]}: 0, no score recorded." if en else f"{what_zh}：0分，暂无该维度得分。"
    if c.name == "sudden_hardship":
        if kind == "none":
            return "Sudden hardship: 0, none recorded." if en else "突发困难：0分，无记录。"
        _kind, programmes, categories, recorded = c.facts
        if en:
            why = [PROGRAMME_NAMES[p][0] for p in programmes] + [f"category '{x}'" for x in categories]
            why += ["recorded by the caseworker"] if recorded else []
            return f"Sudden hardship: 100 ({'; '.join(why)})."
        why = [PROGRAMME_NAMES[p][1] for p in programmes] + [f"“{x}”类别" for x in categories]
        why += ["工作人员记录"] if recorded else []
        return f"突发困难：100分（{'；'.join(why)}）。"
    days, full = c.facts[1], c.facts[2]
    return (f"Waiting time {value}: {days} day(s) waited; 100 after {score(full)} days." if en else
            f"等待时间{value}分：已等待{days}天，满{score(full)}天为100分。")
