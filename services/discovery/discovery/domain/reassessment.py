"""A county re-assessment under a new policy version (identification.reassessment.flagged) as a risk clue.

identification re-runs the households whose latest case ended refused or enrolled under the rules in force now
(e.g. after the dibao standard rose) and flags each one newly eligible for a programme it does not hold. Discovery
does not change anything silently: it raises a clue of kind ``reassessment`` that the village verifies by a home
visit and then refers or dismisses, like a partner signal's clue.

Severity, kept simple: newly eligible for dibao or tekun (the household's basic living is at stake) is ``high``
(the urgent verification deadline); any other programme alone is ``medium``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

KIND = "reassessment"
RULE_ID = "reassessment.newly_eligible"
SOURCE_DEPARTMENT = "identification"
HIGH_SEVERITY_PROGRAMMES = frozenset({"dibao", "tekun"})


def severity_of(newly_eligible: Sequence[str]) -> str:
    """high when the household newly qualifies for dibao or tekun, otherwise medium."""
    return "high" if HIGH_SEVERITY_PROGRAMMES & set(newly_eligible) else "medium"


@dataclass(frozen=True)
class ReassessmentClue:
    """What a flag says, in the clue's terms (the household, record and verification task are the use case's)."""

    household_id: str
    division_code: str
    external_id: str  # the re-assessment run that flagged the household
    kind: str
    rule_id: str
    rule_version: str  # the version in force now, under which the household newly qualifies
    severity: str
    occurred_on: date
    evidence: dict[str, Any]
    explanation_en: str
    explanation_zh: str


def clue_of_flag(data: Mapping[str, Any], occurred_on: date) -> ReassessmentClue:
    """The clue of one ``identification.reassessment.flagged`` event's data; ``occurred_on`` is the China date the
    household was flagged. The explanation is identification's reasons, introduced as a re-assessment finding."""
    newly = list(data["newly_eligible"])
    evidence = {
        "newly_eligible": newly, "no_longer_eligible": list(data.get("no_longer_eligible") or []),
        "rule_version": data["rule_version"], "previous_rule_version": data["previous_rule_version"],
        "reassessment_id": data["reassessment_id"], "case_id": data["case_id"], "case_status": data["case_status"],
    }
    reasons = data["reasons"]
    return ReassessmentClue(
        household_id=data["household_id"], division_code=data["division_code"], external_id=data["reassessment_id"],
        kind=KIND, rule_id=RULE_ID, rule_version=data["rule_version"], severity=severity_of(newly),
        occurred_on=occurred_on, evidence=evidence,
        explanation_en=f"Re-assessment after a policy change: {reasons['en']}",
        explanation_zh=f"政策调整后重新评估：{reasons['zh']}")
