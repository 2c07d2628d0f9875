"""Rule sets as data: versioned, effective-dated policy parameters per region and the choice of the set that applies.

Layout of a rule file (``identification/rules/*.json``, one rule set per file)::

    {
      "version": "53-2026.1",          unique; recorded in every assessment and decision
      "region": "53",                  division-code prefix; "" is the national default
      "effective_from": "2026-01-01",  first day the set applies
      "effective_to": null,            last day it applies (inclusive), or null for open-ended
      "status": "...", "title_en": "...", "title_zh": "...", "notes": [...]   documentation only
      "params": { ... }                the numbers, nested per programme / dimension
    }

A national file (``region == ""``) must hold every parameter in ``REQUIRED_PARAMS``. A regional file holds only the
parameters it changes: at load time it is deep-merged onto the set of the next shorter matching region (province for
a county, national for a province) that is effective on the same dates. Objects merge key by key; any other value,
lists included, replaces the parent's value whole. An override may only name parameters that the parent has, with a
value of the same kind, so a misspelt key fails loudly instead of silently leaving the default in force. When the
parent changes during the regional file's period, the regional file yields one merged set per parent period, each
versioned ``<parent version>+<regional version>``; ``sources`` lists the files merged, outermost first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from identification.domain.calendar import local_date
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

# Every parameter the domain code reads. A national rule file must define all of them.
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
)


@dataclass(frozen=True)
class RuleSet:
    """One complete, effective-dated set of policy parameters for a region (division-code prefix; "" = national).

    ``params`` is shared by every caller of the loaded list: treat it as read-only (merge_params returns a copy).
    """

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


def load_rule_sets(directory: Path | None = None) -> list[RuleSet]:
    """Reads every ``*.json`` rule file in the directory (default: the bundled ``rules/``) into complete rule sets.

    Regional files are deep-merged onto their parent (see the module docstring); the result is sorted by region,
    then by effective_from. Raises RuleDataError naming the file for anything malformed.
    """
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
    """The set of the longest region prefix of ``division_code`` that is effective on ``on``.

    Pass the date the decision is (or was) made: explaining a past decision with the date it was made selects the
    rules that were in force then, not today's.
    """
    if not isinstance(division_code, str) or (division_code and not division_code.isdigit()):
        raise ValueError(f"a division code is a string of digits, got {division_code!r}")
    on = local_date(on)
    matching = [s for s in rule_sets if division_code.startswith(s.region) and s.covers(on)]
    if not matching:
        known = "; ".join(f"{s.version} (region {s.region or 'national'}, {s.effective_from} to "
                          f"{s.effective_to or 'open'})" for s in rule_sets if division_code.startswith(s.region))
        raise NoRuleSet(f"no rule set for division {division_code or '(national)'} effective on {on.isoformat()}; "
                        f"sets for this division: {known or 'none'}")
    longest = max(len(s.region) for s in matching)
    best = [s for s in matching if len(s.region) == longest]
    if len(best) > 1:
        raise RuleDataError(f"rule sets {', '.join(s.version for s in best)} are all effective for "
                            f"{division_code} on {on.isoformat()}")
    return best[0]


def rule_set_by_version(rule_sets: list[RuleSet] | tuple[RuleSet, ...], version: str) -> RuleSet:
    """The set recorded in a past assessment or decision (``rule_version``)."""
    for rule_set in rule_sets:
        if rule_set.version == version:
            return rule_set
    raise NoRuleSet(f"no rule set with version {version!r}")


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


