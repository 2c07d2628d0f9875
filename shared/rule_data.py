"""Primitives of rule data that several services share: the errors, a strict merge (followup's per-programme
overrides, tests), kinds and exact numbers. Rule data itself comes from published policy (shared.policy_client)."""
from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any


class RuleDataError(ValueError):
    """Rule data is malformed or incomplete, or an override names a parameter its parent lacks."""


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




