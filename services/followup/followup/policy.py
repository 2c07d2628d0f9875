"""followup's rules: the ``followup`` section of the policy service's published documents, read through the one
shared client (``shared.policy_client.PolicyRules``): the replica table ``policy_rulesets`` plus the bundle shipped
with the platform, chosen locally for a division code on a date."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Table

from followup.domain.rules import RuleSet
from shared.policy_client import BUNDLE, PolicyRules

SECTION = "followup"


def policy_rules(table: Table | None = None, *, bundle: Path = BUNDLE, refresh_seconds: float = 1.0) -> PolicyRules[RuleSet]:
    """followup's rule sets by policy version; ``table`` is the replica (None: the shipped bundle only)."""
    return PolicyRules(SECTION, build=RuleSet.from_policy, table=table, bundle=bundle, refresh_seconds=refresh_seconds)


def select(rules: PolicyRules[RuleSet], division_code: str, on: date | datetime, programme: str | None = None) -> RuleSet:
    """The set in force for the division on the day (the day the decision is made), with the programme's overrides
    when ``programme`` is given. Raises NoRuleSet when no published version is in force."""
    return rules.for_division(division_code, on).for_programme(programme)
