"""Rule sets as data: the programme lines, observation, taper, review and notice parameters per region and period.

Layout of a rule file (``gradual_exit/rules/*.json``, one rule set per file)::

    {
      "version": "GE-CN-2022.1",       unique; recorded in every decision made with it
      "region": "",                    division-code prefix; "" is the national default
      "effective_from": "2022-01-01",  first day the set applies
      "effective_to": null,            last day it applies (inclusive), or null for open-ended
      "title_en", "title_zh", "status", "notes"     documentation only
      "params": { ... }
    }

A national file must hold every parameter (see ``check_complete``). A regional file holds only what it changes. The
set that applies to a household on a day is the national set in force that day with every regional set in force that
day whose region is a prefix of the household's division code merged onto it, shortest prefix first (province, then
prefecture, then county). Its version is the versions joined with ``+`` (``GE-CN-2022.1+GE-53-2026.1``). Objects merge
key by key; any other value, lists included, replaces the parent's whole. An override may only name parameters the
national set has, so a misspelt key fails at load time instead of silently leaving the default in force.

Per programme (``params.programmes.<programme>``):

- ``line``: the income line, per person per month, that the household's per-capita income is compared with; one of
  ``{"factor_of_dibao_standard": x}``, ``{"yuan_per_person_month": x}``, ``{"yuan_per_person_year": x}`` (divided
  by 12) or ``{"share_of_reference_income": x}`` (of ``reference.rural_disposable_income_yuan_per_person_year``,
  divided by 12); ``null`` for a programme that does not end through an income observation (one-off or linked).
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

import copy
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from gradual_exit.domain.calendar import local_date

RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "rules"

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
LINE_KINDS = ("factor_of_dibao_standard", "yuan_per_person_month", "yuan_per_person_year", "share_of_reference_income")
MONTHS_PER_YEAR = Decimal(12)
CENT = Decimal("0.01")

_PROGRAMME_KEYS = ("line", "observation_months", "support_share_by_month", "review_months", "notice_days",
                   "exit_conditions")
# Every parameter the domain code reads. A national rule file must define all of them.
REQUIRED_PARAMS: tuple[tuple[str, ...], ...] = (
    ("reference", "dibao_standard_yuan_per_person_month"),
    ("reference", "rural_disposable_income_yuan_per_person_year"),
    ("exit", "required_guarantees"),
    ("exit", "require_income_stable"),
    ("exit", "working_labour_capacities"),
    ("exit", "no_labour_capacity_needs_lasting_income_source"),
    *(("programmes", p, key) for p in PROGRAMMES for key in _PROGRAMME_KEYS),
    *(("programmes", p, "exit_conditions", key) for p in PROGRAMMES
      for key in ("min_monitored_months", "min_assistance_measures")),
)


class RuleDataError(ValueError):
    """A rule file is malformed, incomplete, overlaps another, or overrides a parameter the national set lacks."""


class NoRuleSet(LookupError):
    """No national rule set is effective on a date."""


@dataclass(frozen=True)
class Line:
    """A programme's income line per person per month, and how it was derived (for explanations)."""

    programme: str
    yuan_per_person_month: Decimal
    basis_en: str
    basis_zh: str


@dataclass(frozen=True)
class RuleSet:
    """One complete set of parameters for a region on a day. ``params`` is shared: treat it as read-only."""

    version: str
    region: str
    params: dict = field(hash=False, compare=False)
    sources: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class RuleFile:
    """One rule file as read: complete (national) or partial (regional)."""

    file: str
    version: str
    region: str
    effective_from: date
    effective_to: date | None
    params: dict = field(hash=False, compare=False)

    def covers(self, on: date) -> bool:
        on = local_date(on)
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class RuleBook:
    """Every rule file of the service, and the choice of the set that applies to a division code on a day."""

    def __init__(self, files: list[RuleFile]):
        self.files = sorted(files, key=lambda f: (len(f.region), f.region, f.effective_from))
        self._merged: dict[tuple[str, ...], RuleSet] = {}

    def for_division(self, division_code: str, on: date) -> RuleSet:
        """The national set in force on ``on`` with every regional set in force then for this division merged on."""
        if not isinstance(division_code, str) or (division_code and not division_code.isdigit()):
            raise ValueError(f"a division code is a string of digits, got {division_code!r}")
        on = local_date(on)
        chain = [f for f in self.files if division_code.startswith(f.region) and f.covers(on)]
        if not chain or chain[0].region != "":
            raise NoRuleSet(f"no national gradual-exit rule set is effective on {on.isoformat()}")
        key = tuple(f.version for f in chain)
        if key not in self._merged:
            self._merged[key] = _merge_chain(chain)
        return self._merged[key]


def load_rule_book(directory: Path | None = None) -> RuleBook:
    """Reads every ``*.json`` rule file in the directory (default: the bundled ``rules/``) and checks them all.

    Raises RuleDataError naming the file for anything malformed, incomplete, overlapping or misspelt.
    """
    folder = RULES_DIRECTORY if directory is None else Path(directory)
    files = [_read_rule_file(path) for path in sorted(folder.glob("*.json"))]
    if not files:
        raise RuleDataError(f"no rule files (*.json) in {folder}")
    _check_unique_versions(files)
    _check_no_overlap(files)
    national = [f for f in files if f.region == ""]
    if not national:
        raise RuleDataError(f"no national rule file (region \"\") in {folder}")
    for f in national:
        check_complete(RuleSet(f.version, "", f.params, (f.version,)), f.file)
    for f in files:
        if f.region == "":
            continue
        overlapping = [n for n in national if _overlap(n, f)]
        if not overlapping:
            raise RuleDataError(f"{f.file}: no national rule set is effective during its period")
        for n in overlapping:  # the override must fit every national set it can be merged with
            merged = merge_params(n.params, f.params, where=f"{f.file}: params")
            check_complete(RuleSet(f"{n.version}+{f.version}", f.region, merged), f.file)
    return RuleBook(files)


def merge_params(base: dict, override: dict, *, where: str = "override") -> dict:
    """``override`` deep-merged onto a copy of ``base``; only keys ``base`` has, with values of a compatible kind.

    ``null`` may replace anything and be replaced by anything: a region can switch a parameter off or on.
    """
    merged = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{where}.{key}"
        if key not in merged:
            raise RuleDataError(f"{path}: no such parameter in the national rule set")
        current = merged[key]
        if isinstance(current, dict) and isinstance(value, dict) and key != "line":
            merged[key] = merge_params(current, value, where=path)
            continue
        if current is not None and value is not None and _kind(current) != _kind(value):
            raise RuleDataError(f"{path}: the national set has a {_kind(current)}, the override a {_kind(value)}")
        merged[key] = copy.deepcopy(value)  # a line is replaced whole: its kind may change
    return merged


def check_complete(rule_set: RuleSet, where: str = "") -> None:
    """Raises RuleDataError unless every required parameter is present and every value is sound."""
    label = where or rule_set.version
    missing = [".".join(path) for path in REQUIRED_PARAMS if not _has_path(rule_set.params, path)]
    if missing:
        raise RuleDataError(f"{label}: missing parameters {', '.join(missing)}")
    p = rule_set.params
    for key in ("dibao_standard_yuan_per_person_month", "rural_disposable_income_yuan_per_person_year"):
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


def _merge_chain(chain: list[RuleFile]) -> RuleSet:
    params = chain[0].params
    for regional in chain[1:]:
        params = merge_params(params, regional.params, where=f"{regional.file}: params")
    versions = tuple(f.version for f in chain)
    return RuleSet("+".join(versions), chain[-1].region, params, versions)


def _read_rule_file(path: Path) -> RuleFile:
    try:
        # Decimal keeps 1.5 and 0.75 exact, so a line compares exactly as written in the file.
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, ValueError) as exc:
        raise RuleDataError(f"{path.name}: not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RuleDataError(f"{path.name}: the top level must be an object")
    for key in ("version", "region", "effective_from", "params"):
        if key not in data:
            raise RuleDataError(f"{path.name}: missing {key!r}")
    version, region = data["version"], data["region"]
    if not isinstance(version, str) or not version.strip() or "+" in version:
        raise RuleDataError(f"{path.name}: version must be a non-empty string without '+'")
    if not isinstance(region, str) or (region and not region.isdigit()):
        raise RuleDataError(f"{path.name}: region must be \"\" (national) or a division-code prefix of digits")
    if not isinstance(data["params"], dict):
        raise RuleDataError(f"{path.name}: params must be an object")
    start = _parse_date(data["effective_from"], path.name, "effective_from")
    end = None if data.get("effective_to") is None else _parse_date(data["effective_to"], path.name, "effective_to")
    if end is not None and end < start:
        raise RuleDataError(f"{path.name}: effective_to {end} is before effective_from {start}")
    return RuleFile(path.name, version, region, start, end, data["params"])


def _check_unique_versions(files: list[RuleFile]) -> None:
    seen: dict[str, str] = {}
    for f in files:
        if f.version in seen:
            raise RuleDataError(f"{f.file}: version {f.version} is also used by {seen[f.version]}")
        seen[f.version] = f.file


def _overlap(a: RuleFile, b: RuleFile) -> bool:
    return (a.effective_to is None or a.effective_to >= b.effective_from) and \
        (b.effective_to is None or b.effective_to >= a.effective_from)


def _check_no_overlap(files: list[RuleFile]) -> None:
    by_region: dict[str, list[RuleFile]] = {}
    for f in files:
        by_region.setdefault(f.region, []).append(f)
    for entries in by_region.values():
        entries.sort(key=lambda f: f.effective_from)
        for before, after in zip(entries, entries[1:]):
            if _overlap(before, after):
                raise RuleDataError(f"{before.file} and {after.file} are both effective for region "
                                    f"{before.region or 'national'} on {after.effective_from.isoformat()}")


def _parse_date(value: Any, file: str, key: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleDataError(f"{file}: {key} must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def _has_path(params: dict, path: tuple[str, ...]) -> bool:
    node: Any = params
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, Decimal, float))


def _positive(value: Any, label: str) -> None:
    if not _is_number(value) or Decimal(str(value)) <= 0:
        raise RuleDataError(f"{label} must be a positive number, got {value!r}")


def _whole(value: Any, label: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleDataError(f"{label} must be a whole number of at least {minimum}, got {value!r}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if _is_number(value):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"
