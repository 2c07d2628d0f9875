"""Assistance rule sets: the ``assistance`` section of the published policy documents, as complete parameter sets.

The parameters are no longer files of this service: the policy service publishes one document per version and region
(``policy.ruleset.published``), kept in assistance's replica table and, for the defaults shipped with the platform,
read from ``shared/policy_bundle``. ``shared.policy_client.PolicyRules("assistance", build=RuleSet.from_policy, ...)``
chooses the version in force for a division code on a date; ``RuleSet.from_policy`` turns a version's projected
``assistance`` section (the dibao standard put back at ``cash.dibao.standard_yuan_per_person_month``) into a
``RuleSet`` cited by its policy version (``CN-v1``, ``53-v2``) and refuses an incomplete one (``check_complete``).
Every benefit, need, priority and match records that version.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from assistance.domain.catalogue import BENEFIT_OF_PROGRAMME, CARE_LEVELS, PROGRAMMES, SERVICE_TYPES
from shared.policy_client import PolicyEntry, PolicyRules
from shared.rule_data import (  # noqa: F401 (re-exported: the service's rule API)
    NoRuleSet,
    RuleDataError,
    has_path as _has_path,
    kind as _kind,
    merge_params,
    to_decimal as _to_decimal,
)

SECTION = "assistance"
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

    @classmethod
    def from_policy(cls, entry: PolicyEntry, params: dict) -> "RuleSet":
        """The rule set of a published policy version (``params``: its projected ``assistance`` section), checked
        complete; raises RuleDataError naming the version otherwise."""
        rule_set = cls(entry.rule_version, entry.region, entry.effective_from, entry.effective_to, params,
                       (entry.rule_version,))
        check_complete(rule_set)
        return rule_set

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


def policy_rules(table: Table | None = None, **options: Any) -> PolicyRules[RuleSet]:
    """Assistance's rules from published policy: the replica ``table`` (None: the shipped bundle only) plus the bundle.

    ``options`` go to PolicyRules (``session_factory``, ``refresh_seconds``, ``bundle``)."""
    return PolicyRules(SECTION, build=RuleSet.from_policy, table=table, **options)


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


