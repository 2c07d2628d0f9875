"""Follow-up rule sets: the ``followup`` section of a published policy document, checked and made ready to read.

The rule sets come from ``shared.policy_client.PolicyRules("followup", build=RuleSet.from_policy, ...)``: the policy
service publishes one complete document per version and region (``CN-v1``, ``53-v2``, ...), and its ``followup``
section, with the shared standards put back in place (``project``), is the ``params`` of a RuleSet::

    "schedule": {...}, "income": {...}, "medical": {...}, "disaster": {...}, "labour": {...}, "other": {...},
    "signals": {...}, "risk_kind_precedence": [...],
    "programmes": {"<programme>": {<partial override of the parameters above>}}

``income.monitoring_line_yuan_per_person_year`` and ``medical.reference_income_yuan_per_person_year`` are the
document's standards. ``programmes`` holds per-programme overrides of the other parameters (e.g. a shorter follow-up
after temporary assistance): ``RuleSet.for_programme`` deep-merges them, and an override may only name parameters
the section has, with a value of the same kind (null and a text may replace each other), so a misspelt key fails
loudly instead of leaving the default silently in force. ``RuleSet.from_policy`` checks the section is complete, and
so is every programme's merged set, when a version is first used.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.rule_data import NoRuleSet

if TYPE_CHECKING:
    from shared.policy_client import PolicyEntry

__all__ = ["NoRuleSet", "RuleDataError", "RuleSet", "check_complete", "merge_params", "PROGRAMMES", "RISK_KINDS",
           "PRESENCE_SIGNAL_KINDS", "REQUIRED_PARAMS"]

PROGRAMMES = ("dibao", "tekun", "near_dibao", "rigid_expense", "monitoring", "temporary",
              "medical", "education", "housing", "employment")
RISK_KINDS = ("income_drop", "medical_expense", "disaster", "labour_loss", "other")
# Partner signal kinds that carry no amount: whether each is a relapse risk by its presence, and of which kind, is
# rule data (``signals``); the kinds with amounts are judged by the thresholds.
PRESENCE_SIGNAL_KINDS = ("earner_death", "earner_labour_loss", "unemployment", "migrant_return")

REQUIRED_PARAMS: tuple[tuple[str, ...], ...] = (
    ("schedule", "interval_months"),
    ("schedule", "duration_months"),
    ("schedule", "grace_days"),
    ("schedule", "early_days"),
    ("income", "monitoring_line_yuan_per_person_year"),
    ("income", "drop_share_threshold"),
    ("medical", "reference_income_yuan_per_person_year"),
    ("medical", "out_of_pocket_share_of_reference_income"),
    ("medical", "per_stay_yuan_threshold"),
    ("disaster", "loss_share_threshold"),
    ("disaster", "loss_yuan_threshold"),
    ("labour", "members_lost_at_least"),
    ("labour", "severe_disability_grade_at_most"),
    ("other", "education_cost_yuan_threshold"),
    *(("signals", kind) for kind in PRESENCE_SIGNAL_KINDS),
    ("risk_kind_precedence",),
    ("programmes",),
)


class RuleDataError(ValueError):
    """A policy document's followup section is incomplete or wrong, or a programme override does not fit it."""


@dataclass(frozen=True)
class RuleSet:
    """The complete parameters of one policy version (``programme`` set when that programme's overrides applied).

    ``version`` is the policy version every decision cites (``CN-v1``, ``53-v2``). ``params`` is shared between
    callers: treat it as read-only.
    """

    version: str
    region: str
    params: dict = field(hash=False, compare=False)
    programme: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    @classmethod
    def from_policy(cls, entry: "PolicyEntry", params: dict) -> "RuleSet":
        """PolicyRules' factory: the version's followup section, checked with every programme's overrides applied;
        raises RuleDataError naming the version."""
        rule_set = cls(entry.rule_version, entry.region, params, effective_from=entry.effective_from,
                       effective_to=entry.effective_to)
        check_complete(params, rule_set.version)
        for programme in params["programmes"]:
            check_complete(rule_set.for_programme(programme).params, f"{rule_set.version} ({programme})")
        return rule_set

    def for_programme(self, programme: str | None) -> "RuleSet":
        """The same set with the programme's overrides applied (unchanged when it has none)."""
        if programme is None:
            return self
        override = self.params["programmes"].get(programme) or {}
        base = {k: v for k, v in self.params.items() if k != "programmes"}
        merged = merge_params(base, override, where=f"{self.version}: programmes.{programme}")
        merged["programmes"] = self.params["programmes"]
        return dataclasses.replace(self, params=merged, programme=programme)

    def value(self, *path: str) -> Any:
        node: Any = self.params
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or key not in node:
                raise KeyError(f"rule set {self.version} has no parameter {'.'.join(path[:depth + 1])}")
            node = node[key]
        return node

    def decimal(self, *path: str) -> Decimal:
        return _to_decimal(self.value(*path), ".".join(path))

    def integer(self, *path: str) -> int:
        number = self.value(*path)
        if isinstance(number, bool) or not isinstance(number, int):
            raise KeyError(f"rule set {self.version}: parameter {'.'.join(path)} must be a whole number")
        return number


def merge_params(base: dict, override: dict, *, where: str = "override") -> dict:
    """``override`` (a programme's block) deep-merged onto a copy of ``base``; only parameters ``base`` has, with
    values of the same kind."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{where}.{key}"
        if key not in merged:
            raise RuleDataError(f"{path}: no such parameter in the rule set")
        if isinstance(merged[key], dict):
            if not isinstance(value, dict):
                raise RuleDataError(f"{path}: the rule set has an object here, the override has {type(value).__name__}")
            merged[key] = merge_params(merged[key], value, where=path)
        else:
            if not _same_kind(merged[key], value):
                raise RuleDataError(f"{path}: the rule set has a {_kind(merged[key])}, the override a {_kind(value)}")
            merged[key] = copy.deepcopy(value)
    return merged


def check_complete(params: dict, label: str) -> None:
    """Raises RuleDataError unless every required parameter is there and every value makes sense."""
    missing = [".".join(path) for path in REQUIRED_PARAMS if not _has_path(params, path)]
    if missing:
        raise RuleDataError(f"{label}: missing parameters {', '.join(missing)}")
    schedule = params["schedule"]
    for key in ("interval_months", "duration_months", "grace_days", "early_days"):
        if isinstance(schedule[key], bool) or not isinstance(schedule[key], int) or schedule[key] < 0:
            raise RuleDataError(f"{label}: schedule.{key} must be a whole number, not negative")
    if schedule["interval_months"] < 1 or schedule["duration_months"] < schedule["interval_months"]:
        raise RuleDataError(f"{label}: schedule needs interval_months >= 1 and duration_months >= interval_months")
    if schedule["early_days"] >= 31 * schedule["interval_months"]:
        raise RuleDataError(f"{label}: schedule.early_days must be shorter than the interval")
    for path in (("income", "drop_share_threshold"), ("disaster", "loss_share_threshold")):
        share = _to_decimal(_get(params, path), f"{label}: {'.'.join(path)}")
        if not Decimal(0) < share <= Decimal(1):
            raise RuleDataError(f"{label}: {'.'.join(path)} must be a share above 0 and at most 1")
    for path in (("income", "monitoring_line_yuan_per_person_year"), ("medical", "reference_income_yuan_per_person_year"),
                 ("medical", "out_of_pocket_share_of_reference_income"), ("medical", "per_stay_yuan_threshold"),
                 ("disaster", "loss_yuan_threshold"), ("other", "education_cost_yuan_threshold")):
        if _to_decimal(_get(params, path), f"{label}: {'.'.join(path)}") <= 0:
            raise RuleDataError(f"{label}: {'.'.join(path)} must be above 0")
    labour = params["labour"]
    if not isinstance(labour["members_lost_at_least"], int) or labour["members_lost_at_least"] < 1:
        raise RuleDataError(f"{label}: labour.members_lost_at_least must be a whole number of at least 1")
    if labour["severe_disability_grade_at_most"] not in (1, 2, 3, 4):
        raise RuleDataError(f"{label}: labour.severe_disability_grade_at_most must be a disability grade 1-4")
    for kind in PRESENCE_SIGNAL_KINDS:
        if params["signals"][kind] not in (*RISK_KINDS, None):
            raise RuleDataError(f"{label}: signals.{kind} must be a risk kind ({', '.join(RISK_KINDS)}) or null")
    unknown = set(params["signals"]) - set(PRESENCE_SIGNAL_KINDS)
    if unknown:
        raise RuleDataError(f"{label}: signals names unknown kinds {sorted(unknown)}")
    if sorted(params["risk_kind_precedence"]) != sorted(RISK_KINDS):
        raise RuleDataError(f"{label}: risk_kind_precedence must order exactly {RISK_KINDS}")
    programmes = params["programmes"]
    if not isinstance(programmes, dict):
        raise RuleDataError(f"{label}: programmes must be an object")
    base = {k: v for k, v in params.items() if k != "programmes"}
    for programme, block in programmes.items():
        if programme not in PROGRAMMES:
            raise RuleDataError(f"{label}: programmes.{programme} is not a programme ({', '.join(PROGRAMMES)})")
        if block is not None and not isinstance(block, dict):
            raise RuleDataError(f"{label}: programmes.{programme} must be an object")
        if "programmes" in (block or {}):
            raise RuleDataError(f"{label}: programmes.{programme} may not nest programmes")
        merge_params(base, block or {}, where=f"{label}: programmes.{programme}")


def _get(params: dict, path: tuple[str, ...]) -> Any:
    node: Any = params
    for key in path:
        node = node[key]
    return node


def _has_path(params: dict, path: tuple[str, ...]) -> bool:
    node: Any = params
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _to_decimal(value: Any, label: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise RuleDataError(f"{label}: must be a number, got {value!r}")
    try:
        return Decimal(str(value))
    except ArithmeticError:
        raise RuleDataError(f"{label}: must be a number, got {value!r}") from None


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal)):
        return "number"
    return type(value).__name__


def _same_kind(parent: Any, value: Any) -> bool:
    kinds = {_kind(parent), _kind(value)}
    return len(kinds) == 1 or kinds == {"null", "str"}
