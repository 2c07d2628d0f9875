"""Primitives of rule data files (versioned, effective-dated, per region) that several services' rule loaders share."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any


class RuleDataError(ValueError):
    """A rule file is malformed, incomplete, overlaps another, or overrides a parameter its parent lacks."""


class NoRuleSet(LookupError):
    """No rule set is effective for a division code on a date."""


def merge_params(base: dict, override: dict, *, where: str = "override") -> dict:
    """``override`` deep-merged onto a copy of ``base``; only parameters ``base`` has, with values of the same kind."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        path = f"{where}.{key}"
        if key not in merged:
            raise RuleDataError(f"{path}: no such parameter in the parent rule set")
        if isinstance(merged[key], dict):
            if not isinstance(value, dict):
                raise RuleDataError(f"{path}: the parent has an object here, the override has {type(value).__name__}")
            merged[key] = merge_params(merged[key], value, where=path)
        else:
            if kind(merged[key]) != kind(value):
                raise RuleDataError(f"{path}: the parent has a {kind(merged[key])}, the override a {kind(value)}")
            merged[key] = copy.deepcopy(value)
    return merged


def check_unique_versions(raw: list[dict]) -> None:
    seen: dict[str, str] = {}
    for entry in raw:
        if entry["version"] in seen:
            raise RuleDataError(f"{entry['file']}: version {entry['version']} is also used by {seen[entry['version']]}")
        seen[entry["version"]] = entry["file"]


def check_no_overlap(raw: list[dict]) -> None:
    by_region: dict[str, list[dict]] = {}
    for entry in raw:
        by_region.setdefault(entry["region"], []).append(entry)
    for entries in by_region.values():
        entries.sort(key=lambda e: e["effective_from"])
        for before, after in zip(entries, entries[1:]):
            if before["effective_to"] is None or before["effective_to"] >= after["effective_from"]:
                raise RuleDataError(f"{before['file']} and {after['file']} are both effective for region "
                                    f"{before['region'] or 'national'} on {after['effective_from'].isoformat()}")


def parse_date(value: Any, file: str, key: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleDataError(f"{file}: {key} must be an ISO date (YYYY-MM-DD), got {value!r}") from None


def has_path(params: dict, path: tuple[str, ...]) -> bool:
    node: Any = params
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, Decimal, float)):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if value is None:
        return "null"
    return "string"


def to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        raise KeyError(f"expected a number, got {value!r}")
    return value if isinstance(value, Decimal) else Decimal(str(value))
