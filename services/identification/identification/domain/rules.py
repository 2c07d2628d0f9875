"""The identification rule set: the ``identification`` section of a published policy document, as its domain reads it.

Rules are data owned once by the policy service: one document per version and region, published as
``policy.ruleset.published`` and shipped as defaults in ``shared/policy_bundle`` (the national ``CN-v1`` and the
Yunnan releases ``53-v1``, ``53-v2``). ``shared.policy_client.PolicyRules`` keeps the replica, picks the version in
force for a division code on a date (longest region prefix, then the latest start) and projects the section into the
layout read here, with the shared standards (dibao standard, monitoring line, reference income) put back at
``dibao.standard_yuan_per_person_month``, ``monitoring.line_yuan_per_person_year`` and
``reference.rural_disposable_income_yuan_per_person_year``. ``RuleSet.from_policy`` builds the set of one version and
runs ``check_complete``: every parameter in ``REQUIRED_PARAMS`` and sound programme references, or RuleDataError
naming the version. Regional merging, overlaps and unique versions are the policy service's checks.

Every assessment and decision records the version it was made under (``rule_version``, e.g. ``53-v2``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table

from identification.domain.calendar import local_date
from shared.policy_client import BUNDLE, PolicyEntry, PolicyRules
from shared.rule_data import (  # noqa: F401 (re-exported: the service's rule API)
    NoRuleSet,
    RuleDataError,
    has_path as _has_path,
    to_decimal as _to_decimal,
)

SECTION = "identification"


# The order in which eligibility evaluates programmes: a programme may only refer (exclusions, covered programmes)
# to programmes that come before it.
PROGRAMMES = ("tekun", "dibao", "near_dibao", "rigid_expense", "monitoring", "temporary",
              "medical", "education", "housing", "employment")
MONITORING_CATEGORIES = ("unstable", "marginal", "sudden")

# The asset tests eligibility knows (``<programme>.assets.<key>``); a programme is tested on the keys its block has.
ASSET_TESTS = ("savings_limit_months_of_standard_per_person", "vehicle_value_limit_yuan", "business_ownership_allowed",
               "extra_housing_units_limit", "commercial_property_allowed", "public_payroll_member_allowed")
# The tests each programme must have: the low-income programmes' asset limits, and monitoring's negative list.
_ASSETS: dict[str, tuple[str, ...]] = {
    **{programme: ASSET_TESTS[:4] for programme in ("tekun", "dibao", "near_dibao", "rigid_expense")},
    "monitoring": ("vehicle_value_limit_yuan", "commercial_property_allowed", "business_ownership_allowed",
                   "public_payroll_member_allowed", "extra_housing_units_limit"),
}
_PROCEDURE = ("residence_months", "notice_days")

# Every parameter the domain code reads. Every published version must define all of them.
REQUIRED_PARAMS: tuple[tuple[str, ...], ...] = (
    ("definitions", "minor_age_below"),
    ("definitions", "elderly_age_from"),
    ("reference", "rural_disposable_income_yuan_per_person_year"),
    *((programme, key) for programme in PROGRAMMES for key in _PROCEDURE),
    *((programme, "assets", key) for programme, keys in _ASSETS.items() for key in keys),
    ("tekun", "income_limit_factor_of_dibao_standard"),
    ("tekun", "no_labour_capacity_disability_grades"),
    ("dibao", "standard_yuan_per_person_month"),
    ("dibao", "excluded_if_eligible_for"),
    ("near_dibao", "income_factor_of_dibao_standard"),
    ("near_dibao", "excluded_if_eligible_for"),
    ("rigid_expense", "income_cap_share_of_reference_income"),
    ("rigid_expense", "remaining_income_factor_of_dibao_standard"),
    ("rigid_expense", "expense_share_of_income_threshold"),
    ("rigid_expense", "excluded_if_eligible_for"),
    ("monitoring", "line_yuan_per_person_year"),
    ("monitoring", "unstable_income_factor_of_line"),
    ("monitoring", "category_precedence"),
    ("temporary", "remaining_income_factor_of_dibao_standard"),
    ("temporary", "bridging", "enabled"),
    ("temporary", "bridging", "programmes"),
    ("emergency", "waives_residence_for"),
    ("medical", "covered_programmes"),
    ("medical", "catastrophic_share_of_reference_income"),
    ("medical", "formerly_poor_share_of_reference_income"),
    ("education", "covered_programmes"),
    ("education", "expense_share_of_income_threshold"),
    ("housing", "covered_programmes"),
    ("housing", "extra_housing_units_limit"),
    ("employment", "covered_programmes"),
    ("assessment", "income_zero_score_factor_of_dibao_standard"),
    ("assessment", "partial_labour_weight"),
    ("assessment", "disability_grade_scores"),
    ("workflow", "default_deadline"),
    ("appeal", "reconsideration_days"),
    ("appeal", "litigation_months"),
    # economic-status checks (domain/verification.py)
    ("verification", "version"),
    ("verification", "fact_departments"),
    ("verification", "due_working_days"),
    ("verification", "income_tolerance_share"),
    ("verification", "income_tolerance_yuan"),
)


@dataclass(frozen=True)
class RuleSet:
    """One complete, effective-dated set of policy parameters for a region (division-code prefix; "" = national).

    ``params`` is shared by every caller of the cached set: treat it as read-only. ``version`` is the policy version
    (``CN-v1``, ``53-v2``) and ``sources`` the versions it was built from.
    """

    version: str
    region: str
    effective_from: date
    effective_to: date | None
    params: dict = field(hash=False)
    sources: tuple[str, ...] = ()

    @classmethod
    def from_policy(cls, entry: PolicyEntry, params: dict) -> "RuleSet":
        """The set of one published version (``params``: its projected ``identification`` section), checked complete."""
        rule_set = cls(entry.rule_version, entry.region, entry.effective_from, entry.effective_to, params,
                       (entry.rule_version,))
        check_complete(rule_set)
        return rule_set

    def covers(self, on: date) -> bool:
        on = local_date(on)
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def value(self, *path: str) -> Any:
        """The parameter at a key path, e.g. value("dibao", "notice_days"); KeyError names the missing path."""
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

    def flag(self, *path: str) -> bool:
        return bool(self.value(*path))

    def names(self, *path: str) -> tuple[str, ...]:
        return tuple(self.value(*path))


def policy_rules(table: Table | None = None, *, refresh_seconds: float = 1.0,
                 bundle: Path = BUNDLE) -> PolicyRules[RuleSet]:
    """identification's rules: the replica ``table`` (bind a session factory to read it) over the shipped bundle."""
    return PolicyRules(SECTION, build=RuleSet.from_policy, table=table, refresh_seconds=refresh_seconds, bundle=bundle)


def check_complete(rule_set: RuleSet, where: str = "") -> None:
    """Raises RuleDataError unless the set holds every required parameter and its programme references are sound."""
    label = where or rule_set.version
    missing = [".".join(path) for path in REQUIRED_PARAMS if not _has_path(rule_set.params, path)]
    if missing:
        raise RuleDataError(f"{label}: missing parameters {', '.join(missing)}")
    for programme in PROGRAMMES:
        block = rule_set.params[programme]
        earlier = PROGRAMMES[:PROGRAMMES.index(programme)]
        for key in ("excluded_if_eligible_for", "covered_programmes"):
            for named in block.get(key, ()):
                if named not in earlier:
                    raise RuleDataError(f"{label}: {programme}.{key} names {named!r}, which is not a programme "
                                        f"evaluated before {programme} ({', '.join(earlier) or 'none'})")
        deadline = block.get("deadline")
        if deadline is not None:
            _check_deadline(deadline, f"{label}: {programme}.deadline")
        unknown = sorted(set(block.get("assets", {})) - set(ASSET_TESTS))
        if unknown:
            raise RuleDataError(f"{label}: {programme}.assets has {', '.join(unknown)}, which eligibility does not "
                                f"test (known: {', '.join(ASSET_TESTS)})")
    _check_programmes(rule_set.params["emergency"]["waives_residence_for"], PROGRAMMES,
                      f"{label}: emergency.waives_residence_for", "a programme")
    # Bridging looks at the results of the programmes it bridges, so they must be decided before temporary.
    before_temporary = PROGRAMMES[:PROGRAMMES.index("temporary")]
    _check_programmes(rule_set.params["temporary"]["bridging"]["programmes"], before_temporary,
                      f"{label}: temporary.bridging.programmes", "a programme evaluated before temporary")
    if not isinstance(rule_set.params["temporary"]["bridging"]["enabled"], bool):
        raise RuleDataError(f"{label}: temporary.bridging.enabled must be true or false")
    _check_deadline(rule_set.params["workflow"]["default_deadline"], f"{label}: workflow.default_deadline")
    precedence = rule_set.params["monitoring"]["category_precedence"]
    if sorted(precedence) != sorted(MONITORING_CATEGORIES):
        raise RuleDataError(f"{label}: monitoring.category_precedence must order exactly {MONITORING_CATEGORIES}")


def _check_programmes(value: Any, allowed: tuple[str, ...], label: str, what: str) -> None:
    if not isinstance(value, list):
        raise RuleDataError(f"{label} must be a list of programmes")
    for named in value:
        if named not in allowed:
            raise RuleDataError(f"{label} names {named!r}, which is not {what} ({', '.join(allowed)})")


def _check_deadline(deadline: Any, label: str) -> None:
    if not isinstance(deadline, dict) or not ({"working_days", "calendar_days"} & deadline.keys()):
        raise RuleDataError(f"{label} must give working_days or calendar_days")


