"""Follow-up rule sets as data: versioned, effective-dated parameters per region and programme, and their selection.

Layout of a rule file (``followup/rules/*.json``, one file per region and period)::

    {
      "version": "CN-FU-2025.1",       unique, without "+"; recorded in every plan, assessment and relapse
      "region": "",                    division-code prefix; "" is the national default
      "effective_from": "2025-01-01",  first day the file applies
      "effective_to": null,            last day (inclusive), or null for open-ended
      "title_en", "title_zh", "status", "notes"        documentation only
      "params": {
        "schedule": {...}, "income": {...}, "medical": {...}, "disaster": {...}, "labour": {...}, "other": {...},
        "signals": {...}, "risk_kind_precedence": [...],
        "programmes": {"<programme>": {<partial override of the parameters above>}}
      }
    }

A national file holds every parameter of ``REQUIRED_PARAMS``. A regional file holds only what it changes. The set in
force for a division on a date is the national file effective that day, deep-merged with the file of every longer
region prefix of the division effective that day (province, then prefecture, then county); its version is the
versions joined with "+". Objects merge key by key; any other value, lists included, replaces the parent's whole. An
override may only name parameters the parent has, with a value of the same kind (null and a text may replace each
other), so a misspelt key fails loudly instead of leaving the default silently in force.

``programmes`` holds per-programme overrides of the other parameters (e.g. a shorter follow-up after temporary
assistance); ``RuleSet.for_programme`` applies them. Every combination of files that can be in force together is
merged and checked when the files are loaded.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "rules"

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
    """A rule file is malformed, incomplete, overlaps another, or overrides a parameter its parent lacks."""


class NoRuleSet(LookupError):
    """No rule set is effective for a division code on a date."""


@dataclass(frozen=True)
class RuleSet:
    """The complete parameters in force for one division on one date (``programme`` set when overrides applied).

    ``params`` is shared between callers: treat it as read-only.
    """

    version: str
    region: str
    params: dict = field(hash=False, compare=False)
    programme: str | None = None

    def for_programme(self, programme: str | None) -> "RuleSet":
        """The same set with the programme's overrides applied (unchanged when it has none)."""
        if programme is None:
            return self
        override = self.params["programmes"].get(programme) or {}
        base = {k: v for k, v in self.params.items() if k != "programmes"}
        merged = merge_params(base, override, where=f"{self.version}: programmes.{programme}")
        merged["programmes"] = self.params["programmes"]
        return RuleSet(self.version, self.region, merged, programme)

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


@dataclass(frozen=True)
class RuleFile:
    name: str
    version: str
    region: str
    effective_from: date
    effective_to: date | None
    params: dict = field(hash=False, compare=False)

    def covers(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class RuleBook:
    """Every rule file, and the merged set in force for a division on a date."""

    def __init__(self, files: list[RuleFile]):
        self.files = sorted(files, key=lambda f: (len(f.region), f.region, f.effective_from))
        self._cache: dict[tuple[str, ...], RuleSet] = {}
        _check_unique_versions(self.files)
        _check_no_overlap(self.files)
        for national in (f for f in self.files if f.region == ""):
            check_complete(national.params, national.name)
        self._check_every_combination()

    @cached_property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({f.region for f in self.files}))

    def select(self, division_code: str, on: date, programme: str | None = None) -> RuleSet:
        """The set in force for ``division_code`` on ``on`` (the date the decision is made), with the programme's
        overrides when ``programme`` is given."""
        if not isinstance(division_code, str) or (division_code and not division_code.isdigit()):
            raise ValueError(f"a division code is a string of digits, got {division_code!r}")
        chain = [f for f in self.files if division_code.startswith(f.region) and f.covers(on)]
        if not chain or chain[0].region != "":
            raise NoRuleSet(f"no national follow-up rule set is effective on {on.isoformat()} "
                            f"(division {division_code or 'national'})")
        key = tuple(f.version for f in chain)
        if key not in self._cache:
            params = chain[0].params
            for regional in chain[1:]:
                params = merge_params(params, regional.params, where=f"{regional.name}: params")
            self._cache[key] = RuleSet("+".join(key), chain[-1].region, params)
        return self._cache[key].for_programme(programme)

    def _check_every_combination(self) -> None:
        """The files in force together change only where some file starts or ends: check each such combination."""
        boundaries = {f.effective_from for f in self.files} | {
            f.effective_to + timedelta(days=1) for f in self.files if f.effective_to}
        for region in self.regions:
            for on in sorted(boundaries):
                if not any(f.region == region and f.covers(on) for f in self.files):
                    continue
                try:
                    rule_set = self.select(region, on)
                except NoRuleSet as exc:
                    raise RuleDataError(f"region {region or 'national'} has a rule file in force on {on} but {exc}") from None
                check_complete(rule_set.params, rule_set.version)
                for programme in rule_set.params["programmes"]:
                    check_complete(rule_set.for_programme(programme).params, f"{rule_set.version} ({programme})")


def load_rule_book(directory: Path | None = None) -> RuleBook:
    """Reads every ``*.json`` rule file in the directory (default: the bundled ``rules/``)."""
    folder = RULES_DIRECTORY if directory is None else Path(directory)
    files = [_read_rule_file(path) for path in sorted(folder.glob("*.json"))]
    if not files:
        raise RuleDataError(f"no rule files (*.json) in {folder}")
    return RuleBook(files)


def merge_params(base: dict, override: dict, *, where: str = "override") -> dict:
    """``override`` deep-merged onto a copy of ``base``; only parameters ``base`` has, with values of the same kind.

    ``programmes`` is the exception: any programme code may be added, and its block is checked against the other
    parameters when the set is checked (check_complete)."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{where}.{key}"
        if key == "programmes" and "programmes" in merged:
            if not isinstance(value, dict):
                raise RuleDataError(f"{path}: must be an object of programme overrides")
            for programme, block in value.items():
                if programme not in PROGRAMMES:
                    raise RuleDataError(f"{path}.{programme}: not a programme ({', '.join(PROGRAMMES)})")
                if not isinstance(block, dict):
                    raise RuleDataError(f"{path}.{programme}: must be an object")
                merged["programmes"][programme] = _merge_loose(merged["programmes"].get(programme) or {}, block)
            continue
        if key not in merged:
            raise RuleDataError(f"{path}: no such parameter in the parent rule set")
        if isinstance(merged[key], dict):
            if not isinstance(value, dict):
                raise RuleDataError(f"{path}: the parent has an object here, the override has {type(value).__name__}")
            merged[key] = merge_params(merged[key], value, where=path)
        else:
            if not _same_kind(merged[key], value):
                raise RuleDataError(f"{path}: the parent has a {_kind(merged[key])}, the override a {_kind(value)}")
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
        if "programmes" in (block or {}):
            raise RuleDataError(f"{label}: programmes.{programme} may not nest programmes")
        merge_params(base, block or {}, where=f"{label}: programmes.{programme}")


def _merge_loose(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_loose(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _read_rule_file(path: Path) -> RuleFile:
    try:
        # Decimal keeps 0.3 exact, so a threshold compares exactly as written in the file.
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


def _parse_date(value: Any, file: str, key: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleDataError(f"{file}: {key} must be a date YYYY-MM-DD, got {value!r}") from None


def _check_unique_versions(files: list[RuleFile]) -> None:
    seen: dict[str, str] = {}
    for f in files:
        if f.version in seen:
            raise RuleDataError(f"{f.name}: version {f.version} is also used by {seen[f.version]}")
        seen[f.version] = f.name


def _check_no_overlap(files: list[RuleFile]) -> None:
    by_region: dict[str, list[RuleFile]] = {}
    for f in files:
        by_region.setdefault(f.region, []).append(f)
    for region, group in by_region.items():
        group.sort(key=lambda f: f.effective_from)
        for earlier, later in zip(group, group[1:]):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise RuleDataError(f"{later.name}: region {region or 'national'} overlaps {earlier.name}")


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
