"""An accepted petition about a household in hardship that is missed (漏保, oversight.petition.accepted) as a clue.

The township accepted the petition, so it is worth a visit: it becomes a clue of kind ``petition`` for the village
the petition names, verified by a home visit and then referred or dismissed like a partner signal's clue. The
household is the one the petition names when discovery knows it, otherwise a new record known only by the petition
(its members are recorded at the verification visit). Severity ``medium``: the normal verification deadline.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

KIND = "petition"
RULE_ID = "petition.wrongly_missed"
SOURCE_DEPARTMENT = "oversight"
SEVERITY = "medium"
# A household record made for a petition gets an id derived from the petition: a redelivery finds the same one.
_NAMESPACE = uuid.UUID("5b0f4f5e-8a0e-4d54-9d8e-6f1c2b3a4d5e")


def applies(data: Mapping[str, Any]) -> bool:
    """Only a wrongly missed household in a village (12-digit division code) becomes a clue."""
    return data.get("category") == "wrongly_missed" and len(data.get("division_code", "")) == 12


def household_id_for(petition_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"petition:{petition_id}"))


@dataclass(frozen=True)
class PetitionClue:
    division_code: str
    external_id: str  # the petition id
    kind: str
    rule_id: str
    rule_version: str
    severity: str
    occurred_on: date
    evidence: dict[str, Any]
    explanation_en: str
    explanation_zh: str


def clue_of_petition(data: Mapping[str, Any], accepted_on: date) -> PetitionClue:
    description = data["description"]
    return PetitionClue(
        division_code=data["division_code"], external_id=data["petition_id"], kind=KIND, rule_id=RULE_ID,
        rule_version=data["rule_version"], severity=SEVERITY, occurred_on=accepted_on,
        evidence={"petition_id": data["petition_id"], "tracking_number": data["tracking_number"],
                  "handling_area": data["handling_area"], "description": description},
        explanation_en=f"Petition {data['tracking_number']} (accepted) reports a household in hardship that is not "
                       f"assisted: {description}",
        explanation_zh=f"信访事项{data['tracking_number']}（已受理）反映有困难家庭未纳入救助（漏保）：{description}")
