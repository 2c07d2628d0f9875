"""A re-assessment's flag as a risk clue (no I/O): severity from the programmes, evidence, explanation, and the
referral channel it gives."""
import json
from datetime import date

import pytest

from discovery.domain.lifecycle import ClueFacts, referral_content
from discovery.domain.reassessment import clue_of_flag, severity_of
from shared.contracts import contracts_dir


def example() -> dict:
    path = contracts_dir() / "examples" / "identification.reassessment.flagged.v1.json"
    return json.loads(path.read_text(encoding="utf-8"))["data"]


@pytest.mark.parametrize("programmes, severity", [
    (["dibao"], "high"), (["tekun"], "high"), (["near_dibao", "dibao"], "high"), (["near_dibao"], "medium"),
    (["medical", "education"], "medium"), (["monitoring"], "medium")])
def test_dibao_or_tekun_newly_eligible_is_high_anything_else_medium(programmes, severity):
    assert severity_of(programmes) == severity


def test_the_clue_lists_the_programmes_and_both_rule_versions_and_explains_with_identifications_reasons():
    data = {**example(), "newly_eligible": ["near_dibao", "medical"], "no_longer_eligible": ["temporary"]}
    clue = clue_of_flag(data, date(2026, 6, 1))
    assert (clue.kind, clue.rule_id, clue.rule_version, clue.severity) == (
        "reassessment", "reassessment.newly_eligible", "53-v3", "medium")
    assert clue.household_id == data["household_id"] and clue.division_code == "530102001001"
    assert clue.external_id == data["reassessment_id"] and clue.occurred_on == date(2026, 6, 1)
    assert clue.evidence == {
        "newly_eligible": ["near_dibao", "medical"], "no_longer_eligible": ["temporary"], "rule_version": "53-v3",
        "previous_rule_version": "53-v2", "reassessment_id": data["reassessment_id"], "case_id": data["case_id"],
        "case_status": "rejected"}
    assert clue.explanation_en.startswith("Re-assessment after a policy change: Under rule set 53-v3")
    assert clue.explanation_en.endswith(data["reasons"]["en"])
    assert clue.explanation_zh.startswith("政策调整后重新评估：") and clue.explanation_zh.endswith(data["reasons"]["zh"])


def test_the_example_flag_is_a_high_clue():
    assert clue_of_flag(example(), date(2026, 6, 1)).severity == "high"


def test_a_referral_of_a_reassessment_clue_names_the_reassessment_channel():
    clue = clue_of_flag(example(), date(2026, 6, 1))
    facts = ClueFacts("c1", clue.rule_id, clue.kind, clue.severity, clue.explanation_en, clue.explanation_zh)
    signal = ClueFacts("c2", "medical.per_stay.others", "medical_expense", "medium", "Hospital", "住院")
    assert referral_content([facts], [], []).channels == ["reassessment"]
    content = referral_content([facts, signal], [], ["online"])
    assert content.channels == ["online", "partner_signal", "reassessment"]
    assert [r["code"] for r in content.reasons] == ["reassessment.newly_eligible", "medical.per_stay.others"]
