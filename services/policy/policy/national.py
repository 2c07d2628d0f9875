"""The national defaults and the regional releases shipped with the platform (``shared/policy_bundle``).

The bundle is the one copy of every default parameter: the policy service publishes it at first start, and every
service's ``shared.policy_client.PolicyRules`` starts from the same files until the publications arrive, so the two
cannot differ. The calendar section is built from ``shared/calendars`` (one file per year).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from shared.policy_client import BUNDLE, shipped_national, shipped_releases

__all__ = ["BUNDLE", "NationalDefaults", "NationalDefaultsError", "build", "shipped_releases"]


class NationalDefaultsError(ValueError):
    """The shipped national document is unreadable or breaks the schema."""


@dataclass(frozen=True)
class NationalDefaults:
    document: dict
    effective_from: date
    title: str
    legal_basis: dict
    sources: dict[str, str]


def build(bundle: Path = BUNDLE) -> NationalDefaults:
    try:
        data = shipped_national(bundle)
    except (OSError, ValueError, KeyError) as exc:
        raise NationalDefaultsError(f"{bundle / 'national.json'}: not readable ({exc})") from None
    return NationalDefaults(data["document"], date.fromisoformat(data["effective_from"]), data["title"],
                            data["legal_basis"], {"bundle": "shared/policy_bundle/national.json"})
