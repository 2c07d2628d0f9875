"""Primitives of rule data files (versioned, effective-dated, per region) that several services' rule loaders share."""
from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable


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


def read_rule_file(path: Path) -> dict:
    try:
        # Decimal keeps 1.5 and 0.3 exact, so thresholds and weights compare exactly as written in the file.
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
    start = parse_date(data["effective_from"], path.name, "effective_from")
    end = None if data.get("effective_to") is None else parse_date(data["effective_to"], path.name, "effective_to")
    if end is not None and end < start:
        raise RuleDataError(f"{path.name}: effective_to {end} is before effective_from {start}")
    return {"file": path.name, "version": version, "region": region, "effective_from": start, "effective_to": end,
            "params": data["params"]}


def merge_regional(entry: dict, complete: list, rule_set: Callable[..., Any], check_complete: Callable[[Any, str], None]) -> list:
    """One merged set per stretch of the regional period during which the same parent set is in force.

    `rule_set` builds the service's RuleSet(version, region, effective_from, effective_to, params, sources);
    `check_complete(rule_set, file)` is the service's own check that every required parameter is there.
    """
    region, start, end = entry["region"], entry["effective_from"], entry["effective_to"]
    parents = [s for s in complete if region.startswith(s.region) and s.region != region]
    boundaries = {start}
    for parent in parents:
        for edge in (parent.effective_from, parent.effective_to + timedelta(days=1) if parent.effective_to else None):
            if edge is not None and edge > start and (end is None or edge <= end):
                boundaries.add(edge)
    cuts = sorted(boundaries)
    merged: list[RuleSet] = []
    for index, segment_start in enumerate(cuts):
        segment_end = cuts[index + 1] - timedelta(days=1) if index + 1 < len(cuts) else end
        effective = [p for p in parents if p.covers(segment_start)]
        if not effective:
            raise RuleDataError(f"{entry['file']}: no parent rule set (a shorter region prefix of {region!r}, or the "
                                f"national default) is effective on {segment_start.isoformat()}")
        parent = max(effective, key=lambda p: len(p.region))
        if merged and merged[-1].sources[:-1] == parent.sources:
            previous = merged.pop()
            segment_start = previous.effective_from
        params = merge_params(parent.params, entry["params"], where=f"{entry['file']}: params")
        merged.append(rule_set(f"{parent.version}+{entry['version']}", region, segment_start, segment_end, params,
                              parent.sources + (entry["version"],)))
    for rule_set in merged:
        check_complete(rule_set, entry["file"])
    return merged
