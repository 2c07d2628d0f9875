"""Rule sets as data: the programme lines, observation, taper, review and notice parameters per region and period.

The parameters come from the published policy documents (``shared.policy_client.PolicyRules("gradual_exit", ...)``:
the replica of ``policy.ruleset.published`` plus the bundle shipped in ``shared/policy_bundle``). A rule set is the
``gradual_exit`` section of the document in force for a division code on a day, projected by
``shared.policy_client.project``: the shared standards (dibao standard, monitoring line, reference income) are put
under ``reference`` (see ``STANDARD_PATHS["gradual_exit"]``). ``RuleSet.from_policy(entry, params)`` builds it, with
the policy version every decision cites (``CN-v1``, ``53-v2``), and refuses an incomplete one (``check_complete``).

Per programme (``params.programmes.<programme>``):

- ``line``: the income line, per person per month, that the household's per-capita income is compared with; one of
  ``{"factor_of_dibao_standard": x}`` (of ``reference.dibao_standard_yuan_per_person_month``),
  ``{"factor_of_monitoring_line": x}`` (of ``reference.monitoring_line_yuan_per_person_year``, divided by 12),
  ``{"yuan_per_person_month": x}``, ``{"yuan_per_person_year": x}`` (divided by 12) or
  ``{"share_of_reference_income": x}`` (of ``reference.rural_disposable_income_yuan_per_person_year``, divided by 12);
  ``null`` for a programme that does not end through an income observation (one-off or linked).
- ``observation_months``: how long income must stay above the line before the exit review (null without a line).
- ``support_share_by_month``: the share of the usual support paid in each month of the observation (the last entry
  applies to any later month); all 1 = support continues unchanged, smaller shares taper it.
- ``review_months``: ``{"stable": m, "unstable_with_labour": m}``: the periodic review interval, or null for none.
- ``notice_days``: the calendar days of the public notice before an exit decision.
- ``exit_conditions``: ``min_monitored_months`` since enrolment and ``min_assistance_measures`` received (the published
  condition for relapse-prevention monitoring: at least half a year and at least one measure).

Common exit parameters (``params.exit``): ``required_guarantees`` (which of the guarantees must hold),
``require_income_stable`` (a caseworker must have confirmed the income as stable), ``working_labour_capacities``
(which member labour capacities count as "able to work"), ``no_labour_capacity_needs_lasting_income_source`` (a
household without labour capacity leaves only when a lasting income source is confirmed, never on income alone).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from shared import rule_data
from shared.policy_client import PolicyEntry
from shared.rule_data import NoRuleSet  # what PolicyRules raises when no version is in force (main.py answers 409)

PROGRAMMES = ("tekun", "dibao", "near_dibao", "rigid_expense", "monitoring", "temporary",
              "medical", "education", "housing", "employment")
PROGRAMME_NAMES: dict[str, tuple[str, str]] = {
    "tekun": ("extreme-poverty support (tekun)", "特困人员救助供养"),
    "dibao": ("minimum living guarantee (dibao)", "最低生活保障"),
    "near_dibao": ("near-poverty household (near dibao)", "低保边缘家庭"),
    "rigid_expense": ("rigid-expenditure hardship household", "刚性支出困难家庭"),
    "monitoring": ("relapse-prevention monitoring", "防止返贫监测"),
    "temporary": ("temporary assistance", "临时救助"),
    "medical": ("medical assistance", "医疗救助"),
    "education": ("education assistance", "教育救助"),
    "housing": ("housing assistance", "住房救助"),
    "employment": ("employment assistance", "就业救助"),
}
# (key, English, Chinese) of "two no-worries, three guarantees" plus drinking water (两不愁三保障及饮水安全).
GUARANTEES: tuple[tuple[str, str, str], ...] = (
    ("food", "food", "吃"),
    ("clothing", "clothing", "穿"),
    ("compulsory_education", "compulsory education", "义务教育"),
    ("basic_medical", "basic medical care", "基本医疗"),
    ("safe_housing", "safe housing", "住房安全"),
    ("drinking_water", "safe drinking water", "饮水安全"),
)
GUARANTEE_KEYS = tuple(key for key, _en, _zh in GUARANTEES)
LABOUR_CAPACITIES = ("full", "partial", "none")
REVIEW_BASES = ("stable", "unstable_with_labour")
LINE_KINDS = ("factor_of_dibao_standard", "factor_of_monitoring_line", "yuan_per_person_month", "yuan_per_person_year",
              "share_of_reference_income")
MONTHS_PER_YEAR = Decimal(12)
CENT = Decimal("0.01")

_PROGRAMME_KEYS = ("line", "observation_months", "support_share_by_month", "review_months", "notice_days",
                   "exit_conditions")
# Every parameter the domain code reads. Every rule set built from a policy document must define all of them.
REQUIRED_PARAMS: tuple[tuple[str, ...], ...] = (
    ("reference", "dibao_standard_yuan_per_person_month"),
    ("reference", "monitoring_line_yuan_per_person_year"),
    ("reference", "rural_disposable_income_yuan_per_person_year"),
    ("exit", "required_guarantees"),
    ("exit", "require_income_stable"),
    ("exit", "working_labour_capacities"),
    ("exit", "no_labour_capacity_needs_lasting_income_source"),
    *(("programmes", p, key) for p in PROGRAMMES for key in _PROGRAMME_KEYS),
    *(("programmes", p, "exit_conditions", key) for p in PROGRAMMES
      for key in ("min_monitored_months", "min_assistance_measures")),
)


class RuleDataError(rule_data.RuleDataError):
    """A policy document's gradual_exit parameters are incomplete or unsound (the message names the version)."""


@dataclass(frozen=True)
class Line:
    """A programme's income line per person per month, and how it was derived (for explanations)."""

    programme: str
    yuan_per_person_month: Decimal
    basis_en: str
    basis_zh: str


@dataclass(frozen=True)
class RuleSet:
    """One complete set of parameters for a region and period. ``params`` is shared: treat it as read-only."""

    version: str
    region: str
    params: dict = field(hash=False, compare=False)
    effective_from: date | None = None
    effective_to: date | None = None

    @classmethod
    def from_policy(cls, entry: PolicyEntry, params: dict) -> "RuleSet":
        """The rule set of a published policy version (``params`` = its projected ``gradual_exit`` section).

        Raises RuleDataError naming the version when a parameter is missing or unsound.
        """
        rule_set = cls(entry.rule_version, entry.region, params, entry.effective_from, entry.effective_to)
        check_complete(rule_set)
        return rule_set

    def value(self, *path: str) -> Any:
        node: Any = self.params
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                raise KeyError(f"rule set {self.version} has no parameter {'.'.join(path[:depth + 1])}")
            node = node[key]
        return node

    def programme(self, programme: str) -> dict:
        if programme not in PROGRAMMES:
            raise ValueError(f"unknown programme {programme!r}; programmes are {', '.join(PROGRAMMES)}")
        return self.value("programmes", programme)

    def line(self, programme: str) -> Line | None:
        """The programme's line per person per month, rounded to the fen; None when it has no income line."""
        spec = self.programme(programme)["line"]
        if spec is None:
            return None
        (kind, number), = spec.items()
        number = Decimal(str(number))
        if kind == "factor_of_dibao_standard":
            standard = Decimal(str(self.value("reference", "dibao_standard_yuan_per_person_month")))
            amount = standard * number
            en = f"the dibao standard ¥{standard} a person a month × {number}"
            zh = f"低保标准每人每月{standard}元×{number}"
        elif kind == "factor_of_monitoring_line":
            monitoring = Decimal(str(self.value("reference", "monitoring_line_yuan_per_person_year")))
            amount = monitoring * number / MONTHS_PER_YEAR
            en = f"{number} × the relapse-prevention monitoring line ¥{monitoring} a person a year ÷ 12"
            zh = f"防止返贫监测线每人每年{monitoring}元×{number}÷12"
        elif kind == "yuan_per_person_month":
            amount, en, zh = number, f"¥{number} a person a month", f"每人每月{number}元"
        elif kind == "yuan_per_person_year":
            amount = number / MONTHS_PER_YEAR
            en, zh = f"¥{number} a person a year ÷ 12", f"每人每年{number}元÷12"
        else:  # share_of_reference_income
            reference = Decimal(str(self.value("reference", "rural_disposable_income_yuan_per_person_year")))
            amount = reference * number / MONTHS_PER_YEAR
            en = f"{number} × the rural per-capita disposable income ¥{reference} a year ÷ 12"
            zh = f"农村居民人均可支配收入每年{reference}元×{number}÷12"
        return Line(programme, amount.quantize(CENT, ROUND_HALF_UP), en, zh)

    def observation_months(self, programme: str) -> int:
        return int(self.programme(programme)["observation_months"])

    def support_shares(self, programme: str) -> tuple[Decimal, ...]:
        return tuple(Decimal(str(s)) for s in self.programme(programme)["support_share_by_month"])

    def review_months(self, programme: str, basis: str) -> int | None:
        if basis not in REVIEW_BASES:
            raise ValueError(f"basis must be one of {REVIEW_BASES}, got {basis!r}")
        months = self.programme(programme)["review_months"]
        return None if months is None else int(months[basis])

    def notice_days(self, programme: str) -> int:
        return int(self.programme(programme)["notice_days"])

    def min_monitored_months(self, programme: str) -> int:
        return int(self.programme(programme)["exit_conditions"]["min_monitored_months"])

    def min_assistance_measures(self, programme: str) -> int:
        return int(self.programme(programme)["exit_conditions"]["min_assistance_measures"])

    def required_guarantees(self) -> tuple[str, ...]:
        return tuple(self.value("exit", "required_guarantees"))

    def require_income_stable(self) -> bool:
        return bool(self.value("exit", "require_income_stable"))

    def working_labour_capacities(self) -> tuple[str, ...]:
        return tuple(self.value("exit", "working_labour_capacities"))

    def no_labour_needs_lasting_income(self) -> bool:
        return bool(self.value("exit", "no_labour_capacity_needs_lasting_income_source"))


def check_complete(rule_set: RuleSet, where: str = "") -> None:
    """Raises RuleDataError unless every required parameter is present and every value is sound."""
    label = where or rule_set.version
    missing = [".".join(path) for path in REQUIRED_PARAMS if not rule_data.has_path(rule_set.params, path)]
    if missing:
        raise RuleDataError(f"{label}: missing parameters {', '.join(missing)}")
    p = rule_set.params
    for key in ("dibao_standard_yuan_per_person_month", "monitoring_line_yuan_per_person_year",
                "rural_disposable_income_yuan_per_person_year"):
        _positive(p["reference"][key], f"{label}: reference.{key}")
    unknown = set(p["exit"]["required_guarantees"]) - set(GUARANTEE_KEYS)
    if unknown or not isinstance(p["exit"]["required_guarantees"], list):
        raise RuleDataError(f"{label}: exit.required_guarantees must list some of {', '.join(GUARANTEE_KEYS)}")
    working = p["exit"]["working_labour_capacities"]
    if not isinstance(working, list) or not working or set(working) - {"full", "partial"}:
        raise RuleDataError(f"{label}: exit.working_labour_capacities must list full and/or partial")
    for key in ("require_income_stable", "no_labour_capacity_needs_lasting_income_source"):
        if not isinstance(p["exit"][key], bool):
            raise RuleDataError(f"{label}: exit.{key} must be true or false")
    for programme in PROGRAMMES:
        _check_programme(p["programmes"][programme], f"{label}: programmes.{programme}")
    extra = set(p["programmes"]) - set(PROGRAMMES)
    if extra:
        raise RuleDataError(f"{label}: unknown programme(s) {', '.join(sorted(extra))}")


def _check_programme(block: dict, label: str) -> None:
    line = block["line"]
    if line is not None:
        if not isinstance(line, dict) or len(line) != 1 or next(iter(line)) not in LINE_KINDS:
            raise RuleDataError(f"{label}.line must be null or one of {{{', '.join(LINE_KINDS)}: number}}")
        _positive(next(iter(line.values())), f"{label}.line")
        _whole(block["observation_months"], f"{label}.observation_months", minimum=1)
        shares = block["support_share_by_month"]
        if not isinstance(shares, list) or not shares or not all(
                _is_number(s) and Decimal(str(s)) >= 0 and Decimal(str(s)) <= 1 for s in shares):
            raise RuleDataError(f"{label}.support_share_by_month must list shares from 0 to 1, one per month")
    review = block["review_months"]
    if review is not None:
        if not isinstance(review, dict) or set(review) != set(REVIEW_BASES):
            raise RuleDataError(f"{label}.review_months must be null or give {' and '.join(REVIEW_BASES)}")
        for basis in REVIEW_BASES:
            _whole(review[basis], f"{label}.review_months.{basis}", minimum=1)
    _whole(block["notice_days"], f"{label}.notice_days", minimum=0)
    for key in ("min_monitored_months", "min_assistance_measures"):
        _whole(block["exit_conditions"][key], f"{label}.exit_conditions.{key}", minimum=0)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, Decimal, float))


def _positive(value: Any, label: str) -> None:
    if not _is_number(value) or Decimal(str(value)) <= 0:
        raise RuleDataError(f"{label} must be a positive number, got {value!r}")


def _whole(value: Any, label: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleDataError(f"{label} must be a whole number of at least {minimum}, got {value!r}")
