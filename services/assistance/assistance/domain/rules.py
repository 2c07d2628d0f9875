"""Assistance rule sets as data: versioned, effective-dated parameters per region, and the choice of the set that applies.

Layout of a rule file (``assistance/rules/*.json``, one rule set per file)::

    {
      "version": "CN-A-2022.1",        unique; recorded in every benefit, need, priority and match
      "region": "",                    division-code prefix; "" is the national default
      "effective_from": "2022-01-01",  first day the set applies
      "effective_to": null,            last day it applies (inclusive), or null for open-ended
      "title_en": "...", "title_zh": "...", "notes": [...]   documentation only
      "params": { ... }                the numbers, nested per programme (cash), per need and for priority
    }

A national file must hold every parameter in ``REQUIRED_PARAMS``. A regional file holds only the parameters it
changes and is deep-merged onto the set of the next shorter matching region that is effective on the same dates:
objects merge key by key, any other value (lists included) replaces the parent's whole. An override may only name
parameters the parent has, with a value of the same kind, so a misspelt key fails loudly. When the parent changes
during the regional file's period, the regional file yields one merged set per parent period, each versioned
``<parent version>+<regional version>``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from assistance.domain.catalogue import BENEFIT_OF_PROGRAMME, CARE_LEVELS, PROGRAMMES, SERVICE_TYPES
from shared.rule_data import (  # noqa: F401 (re-exported: the service's rule API)
    NoRuleSet,
    RuleDataError,
    check_no_overlap as _check_no_overlap,
    check_unique_versions as _check_unique_versions,
    has_path as _has_path,
    kind as _kind,
    merge_params,
    merge_regional,
    read_rule_file,
    parse_date as _parse_date,
    to_decimal as _to_decimal,
)

RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "rules"
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

# The components of the urgency score, in the order they are explained (see priority.py).
PRIORITY_COMPONENTS = ("income_gap", "rigid_expenditure", "disability", "dependants", "sudden_hardship", "waiting_time")

REQUIRED_PARAMS: tuple[tuple[str, ...], ...] = (
    ("cash", "dibao", "standard_yuan_per_person_month"),
    ("cash", "dibao", "minimum_yuan_per_person_month"),
    ("cash", "tekun", "basic_living_factor_of_dibao_standard"),
    ("cash", "tekun", "care_yuan_per_person_month"),
    ("cash", "tekun", "default_care_level"),
    ("cash", "temporary", "months_of_dibao_standard_per_person"),
    ("cash", "temporary", "max_yuan_per_household"),
    ("needs", "long_term", "programmes"),
    ("needs", "long_term", "needs"),
    ("needs", "temporary", "programmes"),
    ("needs", "temporary", "needs"),
    ("needs", "by_programme"),
    ("needs", "by_category"),
    ("needs", "by_score"),
    ("needs", "employment_services"),
    ("needs", "no_employment_services_from_labour_capacity_score"),
    ("priority", "weights"),
    ("priority", "waiting_days_for_full_score"),
    ("priority", "sudden_programmes"),
    ("priority", "sudden_categories"),
    ("quality", "unrated_rating"),
    ("quality", "minimum_ratings"),
)


def local_date(moment: date) -> date:
    """The China Standard Time date of a moment; a naive datetime is taken as local time already, a date as is."""
    if isinstance(moment, datetime):
        return moment.astimezone(CHINA_STANDARD_TIME).date() if moment.tzinfo is not None else moment.date()
    return moment


@dataclass(frozen=True)
class RuleSet:
    """One complete, effective-dated set of assistance parameters for a region (``params`` is read-only)."""

    version: str
    region: str
    effective_from: date
    effective_to: date | None
    params: dict = field(hash=False)
    sources: tuple[str, ...] = ()

    def covers(self, on: date) -> bool:
        on = local_date(on)
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def value(self, *path: str) -> Any:
        node: Any = self.params
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                raise KeyError(f"rule set {self.version} has no parameter {'.'.join(path[:depth + 1])}")
            node = node[key]
        return node

    def decimal(self, *path: str) -> Decimal:
        return _to_decimal(self.value(*path))

    def integer(self, *path: str) -> int:
        number = self.value(*path)
        if isinstance(number, bool) or not isinstance(number, int):
            raise KeyError(f"rule set {self.version}: parameter {'.'.join(path)} must be a whole number")
        return number

    def names(self, *path: str) -> tuple[str, ...]:
        return tuple(self.value(*path))


def load_rule_sets(directory: Path | None = None) -> list[RuleSet]:
    """Every ``*.json`` rule file of the directory (default: the bundled ``rules/``) as complete rule sets."""
    folder = RULES_DIRECTORY if directory is None else Path(directory)
    raw = [read_rule_file(path) for path in sorted(folder.glob("*.json"))]
    if not raw:
        raise RuleDataError(f"no rule files (*.json) in {folder}")
    _check_unique_versions(raw)
    _check_no_overlap(raw)
    complete: list[RuleSet] = []
    for entry in sorted(raw, key=lambda e: (len(e["region"]), e["region"], e["effective_from"])):
        if entry["region"] == "":
            rule_set = RuleSet(entry["version"], "", entry["effective_from"], entry["effective_to"],
                               entry["params"], (entry["version"],))
            check_complete(rule_set, entry["file"])
            complete.append(rule_set)
        else:
            complete.extend(merge_regional(entry, complete, RuleSet, check_complete))
    return sorted(complete, key=lambda s: (s.region, s.effective_from))


def select_rule_set(rule_sets: list[RuleSet] | tuple[RuleSet, ...], division_code: str, on: date) -> RuleSet:
    """The set of the longest region prefix of ``division_code`` that is effective on ``on``."""
    if not isinstance(division_code, str) or (division_code and not division_code.isdigit()):
        raise ValueError(f"a division code is a string of digits, got {division_code!r}")
    on = local_date(on)
    matching = [s for s in rule_sets if division_code.startswith(s.region) and s.covers(on)]
    if not matching:
        raise NoRuleSet(f"no assistance rule set for division {division_code or '(national)'} effective on "
                        f"{on.isoformat()}")
    longest = max(len(s.region) for s in matching)
    best = [s for s in matching if len(s.region) == longest]
    if len(best) > 1:
        raise RuleDataError(f"rule sets {', '.join(s.version for s in best)} are all effective for "
                            f"{division_code} on {on.isoformat()}")
    return best[0]


def check_complete(rule_set: RuleSet, where: str = "") -> None:
    """Raises RuleDataError unless every required parameter is there and every name in it is known."""
    label = where or rule_set.version
    missing = [".".join(path) for path in REQUIRED_PARAMS if not _has_path(rule_set.params, path)]
    if missing:
        raise RuleDataError(f"{label}: missing parameters {', '.join(missing)}")
    p = rule_set.params
    weights = p["priority"]["weights"]
    if sorted(weights) != sorted(PRIORITY_COMPONENTS):
        raise RuleDataError(f"{label}: priority.weights must give exactly {', '.join(PRIORITY_COMPONENTS)}")
    if any(_kind(w) != "number" or _to_decimal(w) < 0 for w in weights.values()):
        raise RuleDataError(f"{label}: priority.weights must be numbers of at least 0")
    if sum(_to_decimal(w) for w in weights.values()) != 1:
        raise RuleDataError(f"{label}: priority.weights must add up to 1, they add up to "
                            f"{sum(_to_decimal(w) for w in weights.values())}")
    if _to_decimal(p["priority"]["waiting_days_for_full_score"]) <= 0:
        raise RuleDataError(f"{label}: priority.waiting_days_for_full_score must be above 0")
    care = p["cash"]["tekun"]["care_yuan_per_person_month"]
    if sorted(care) != sorted(CARE_LEVELS):
        raise RuleDataError(f"{label}: cash.tekun.care_yuan_per_person_month must give exactly "
                            f"{', '.join(CARE_LEVELS)}")
    if p["cash"]["tekun"]["default_care_level"] not in CARE_LEVELS:
        raise RuleDataError(f"{label}: cash.tekun.default_care_level must be one of {', '.join(CARE_LEVELS)}")
    needs = p["needs"]
    for group in ("long_term", "temporary"):
        _check_names(needs[group]["programmes"], PROGRAMMES, f"{label}: needs.{group}.programmes")
        _check_names(needs[group]["needs"], SERVICE_TYPES, f"{label}: needs.{group}.needs")
    for programme, listed in needs["by_programme"].items():
        _check_names([programme], PROGRAMMES, f"{label}: needs.by_programme")
        _check_names(listed, SERVICE_TYPES, f"{label}: needs.by_programme.{programme}")
    for programme, categories in needs["by_category"].items():
        _check_names([programme], PROGRAMMES, f"{label}: needs.by_category")
        for category, listed in categories.items():
            _check_names(listed, SERVICE_TYPES, f"{label}: needs.by_category.{programme}.{category}")
    for index, trigger in enumerate(needs["by_score"]):
        where_ = f"{label}: needs.by_score[{index}]"
        if not isinstance(trigger, dict) or sorted(trigger) != ["at_least", "dimension", "need"]:
            raise RuleDataError(f"{where_} must have exactly dimension, at_least and need")
        _check_names([trigger["need"]], SERVICE_TYPES, where_)
        at_least = trigger["at_least"]
        if isinstance(at_least, bool) or not isinstance(at_least, int) or not 0 <= at_least <= 100:
            raise RuleDataError(f"{where_}.at_least must be a whole number from 0 to 100")
    _check_names(needs["employment_services"], SERVICE_TYPES, f"{label}: needs.employment_services")
    _check_names(p["priority"]["sudden_programmes"], PROGRAMMES, f"{label}: priority.sudden_programmes")
    for programme in BENEFIT_OF_PROGRAMME:
        if programme not in p["cash"]:
            raise RuleDataError(f"{label}: cash.{programme} is missing")


def _check_names(names: Any, known: tuple[str, ...], where: str) -> None:
    if not isinstance(names, list) or any(n not in known for n in names):
        raise RuleDataError(f"{where} must be a list of {', '.join(known)}; got {names!r}")


