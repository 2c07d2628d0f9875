"""Re-assessment when the rules change (domain/reassessment.py): the outcome change of a household's latest facts
from the rule set its assessment used to another, at every edge of the raised dibao standard; what ``held`` means;
the bilingual explanation with both versions; the emergency flag; facts rebuilt from a stored assessment; and the
candidate rule set of a policy draft (complete, or RuleDataError naming the problem)."""
from __future__ import annotations

import copy
import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from identification.api.schemas import FactsIn
from identification.domain.assessment import Guarantees, HouseholdFacts, Member
from identification.domain.eligibility import decide
from identification.domain.reassessment import OutcomeChange, candidate_rule_set, compare, facts_from_record
from identification.domain.rules import PROGRAMMES, RuleDataError, policy_rules
from shared.policy_client import baseline_entries, merge
from shared.rule_data import merge_params

VILLAGE = "530102001001"
START = date(2026, 6, 1)
V2 = policy_rules().for_division(VILLAGE, START)                       # Yunnan 2026: dibao standard ¥600
V2_DOCUMENT = next(e for e in baseline_entries() if e.rule_version == "53-v2").document
RAISED = merge(V2_DOCUMENT, {"standards": {"dibao_standard_yuan_per_person_month": 700}})
V3 = candidate_rule_set("53-v3", "53", START, RAISED)                  # the same, with a ¥700 standard
NEAR_FACTOR = V2.decimal("near_dibao", "income_factor_of_dibao_standard")
# Three people: one employed, one able but without a job, one child at school.
MEMBERS = (Member(40, "full", employed=True), Member(35, "full"), Member(9, "none", in_compulsory_education=True))
CENT = Decimal("0.01")


def household(per_capita: Decimal | str, **kw) -> HouseholdFacts:
    return HouseholdFacts(VILLAGE, MEMBERS, Decimal(per_capita) * len(MEMBERS), residence_months=60, **kw)


def test_the_rule_sets_are_what_the_tests_assume():
    assert V2.version == "53-v2" and V2.decimal("dibao", "standard_yuan_per_person_month") == 600
    assert V3.version == "53-v3" and V3.region == "53" and V3.effective_from == START
    assert V3.decimal("dibao", "standard_yuan_per_person_month") == 700
    assert NEAR_FACTOR * 600 > 700  # under the old standard the household between the two is near-dibao


# Per-capita income around both standards: below the old one (dibao under both), at the old one (income "below" a
# standard is strict, so no dibao before), between them, just below, at and above the new one.
@pytest.mark.parametrize("per_capita,newly,lost", [
    (Decimal(600) - CENT, (), ()),
    (Decimal(600), ("dibao",), ("near_dibao",)),
    (Decimal(650), ("dibao",), ("near_dibao",)),
    (Decimal(700) - CENT, ("dibao",), ("near_dibao",)),
    (Decimal(700), (), ()),
    (Decimal(700) + CENT, (), ()),
])
def test_raising_the_dibao_standard_at_each_edge(per_capita, newly, lost):
    change = compare(household(per_capita), V2, V3)
    assert change.newly_eligible == newly and change.no_longer_eligible == lost
    assert change.changed is bool(newly or lost)
    assert change.previous_rule_version == "53-v2" and change.rule_version == "53-v3"
    before, after = set(decide(household(per_capita), V2).eligible), set(decide(household(per_capita), V3).eligible)
    assert set(change.still_eligible) == before & after
    assert set(change.unchanged) == set(PROGRAMMES) - set(newly) - set(lost)


def test_the_three_lists_partition_the_programmes_in_their_order():
    for per_capita in ("0", "300", "599.99", "600", "650", "699.99", "700", "899.99", "900", "1049.99", "1050", "5000"):
        change = compare(household(per_capita), V2, V3)
        listed = change.newly_eligible + change.no_longer_eligible + change.unchanged
        assert sorted(listed) == sorted(PROGRAMMES), per_capita
        for part in (change.newly_eligible, change.no_longer_eligible, change.unchanged, change.still_eligible):
            assert list(part) == [p for p in PROGRAMMES if p in part]
        assert set(change.still_eligible) <= set(change.unchanged)


def test_the_same_rule_set_changes_nothing_and_says_so():
    change = compare(household("650"), V2, V2)
    assert not change.changed and change.newly_eligible == () and change.no_longer_eligible == ()
    assert change.unchanged == PROGRAMMES and "near_dibao" in change.still_eligible
    assert change.reasons_en == "Under rule set 53-v2 the household's outcome is the same as under 53-v2."
    assert change.reasons_zh == "依据规则版本53-v2，该户的认定结果与规则版本53-v2相同。"
    assert change.reasons == {"en": change.reasons_en, "zh": change.reasons_zh}


def test_the_explanation_cites_both_versions_and_the_criteria_that_changed_in_the_new_numbers():
    change = compare(household("650"), V2, V3)
    en, zh = change.reasons_en, change.reasons_zh
    assert en.startswith("Under rule set 53-v3 (previously 53-v2).")
    assert "The household newly qualifies for minimum living guarantee (dibao)." in en
    assert "the dibao standard is ¥700.00" in en and "¥650.00 a month" in en
    assert "The household no longer qualifies for near-poverty household (near dibao)." in en
    assert zh.startswith("依据规则版本53-v3（此前为53-v2）：")
    assert "该户新符合最低生活保障的条件。" in zh and "低保标准为700.00元" in zh
    assert "该户不再符合低保边缘家庭的条件。" in zh
    assert "600" not in en.split("(previously 53-v2).")[1]  # the criteria are told in the candidate's figures


def test_a_lowered_standard_makes_a_holder_no_longer_eligible():
    lowered = candidate_rule_set("53-v3", "53", START,
                                 merge(V2_DOCUMENT, {"standards": {"dibao_standard_yuan_per_person_month": 500}}))
    change = compare(household("550"), V2, lowered, held=("dibao", "monitoring", "education", "employment"))
    assert change.no_longer_eligible == ("dibao",)
    assert change.newly_eligible == ("near_dibao",)  # the standard fell below its income: near-dibao instead
    assert "The household no longer qualifies for minimum living guarantee (dibao)." in change.reasons_en
    assert "低保标准为500.00元" in change.reasons_zh


def test_held_decides_what_the_change_means_for_the_household():
    facts = household("650")
    raw = compare(facts, V2, V3)
    refused = compare(facts, V2, V3, held=())
    assert raw.no_longer_eligible == ("near_dibao",)
    assert refused.newly_eligible == ("dibao",) and refused.no_longer_eligible == ()  # it never had near-dibao
    assert "near_dibao" in refused.unchanged
    holder = compare(facts, V2, V3, held=("near_dibao", "monitoring"))
    assert holder.newly_eligible == ("dibao",) and holder.no_longer_eligible == ("near_dibao",)
    already = compare(facts, V2, V3, held=("dibao",))  # a programme it holds is never "newly" eligible
    assert already.newly_eligible == () and already.no_longer_eligible == () and not already.changed
    assert already.reasons_en.endswith("the same as under 53-v2.")


def test_held_must_name_programmes():
    with pytest.raises(ValueError, match="not programmes"):
        compare(household("650"), V2, V3, held=("cash",))


def test_the_assessment_emergency_flag_applies_under_both_rule_sets():
    # Sudden hardship without food, living here two months: temporary assistance asks 6 months before, 1 after;
    # an emergency waives temporary's residence under both, so only without it does the change show.
    six = dataclasses.replace(V2, version="53-v2-six", params=merge_params(V2.params, {"temporary": {"residence_months": 6}}))
    facts = HouseholdFacts(VILLAGE, MEMBERS, Decimal(5000) * 3, residence_months=2, sudden_hardship=True,
                           guarantees=Guarantees(food=False), care_expense_yuan_year=Decimal(180000))
    assert "temporary" in compare(facts, six, V2).newly_eligible
    with_emergency = compare(facts, six, V2, emergency=True)
    assert "temporary" not in with_emergency.newly_eligible and "temporary" in with_emergency.still_eligible


def test_outcome_change_is_a_value():
    change = compare(household("650"), V2, V3)
    assert isinstance(change, OutcomeChange) and change == compare(household("650"), V2, V3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.newly_eligible = ()  # type: ignore[misc]


# -- facts rebuilt from a stored assessment ----------------------------------------------------------------------

STORED = FactsIn(members=[{"age": 45, "labour_capacity": "partial", "chronic_illness": True, "disability_grade": 3},
                          {"age": 12, "labour_capacity": "none", "in_compulsory_education": True}],
                 monthly_income_yuan=Decimal("1300.50"), savings_yuan=Decimal("2000"), residence_months=24,
                 medical_expense_yuan_year=Decimal("3000.25"), guarantees={"drinking_water": False},
                 formerly_poor=True, owns_commercial_property=False)


def test_facts_are_rebuilt_exactly_as_the_field_assessment_recorded_them():
    stored = STORED.model_dump(mode="json")
    assert isinstance(stored["monthly_income_yuan"], str)  # how the API stores money
    assert facts_from_record(VILLAGE, stored) == STORED.to_domain(VILLAGE)
    numbers = {**stored, "monthly_income_yuan": 1300.5, "savings_yuan": 2000}
    assert facts_from_record(VILLAGE, numbers).monthly_income_yuan == Decimal("1300.50")
    assert stored == STORED.model_dump(mode="json")  # the record is not changed


def test_a_record_without_facts_is_refused():
    with pytest.raises(ValueError, match="no household facts"):
        facts_from_record(VILLAGE, {})
    with pytest.raises(ValueError, match="no household facts"):
        facts_from_record(VILLAGE, None)  # type: ignore[arg-type]
    stored = STORED.model_dump(mode="json")
    with pytest.raises(ValueError, match="does not know: pets"):
        facts_from_record(VILLAGE, {**stored, "pets": 2})
    without_income = {k: v for k, v in stored.items() if k != "monthly_income_yuan"}
    with pytest.raises(ValueError, match="no monthly_income_yuan"):
        facts_from_record(VILLAGE, without_income)
    with pytest.raises(ValueError, match="labour_capacity"):
        facts_from_record(VILLAGE, {**stored, "members": [{"age": 30, "labour_capacity": "some"}]})


# -- the candidate of a policy draft -----------------------------------------------------------------------------

def test_a_complete_draft_builds_a_rule_set_that_decides():
    assert V3.sources == ("53-v3",) and V3.effective_to is None
    assert decide(household("650"), V3).rule_version == "53-v3"


def test_a_draft_without_the_section_names_it():
    document = {k: v for k, v in RAISED.items() if k != "identification"}
    with pytest.raises(RuleDataError, match="candidate 53-v3: the document has no section 'identification'"):
        candidate_rule_set("53-v3", "53", START, document)
    with pytest.raises(RuleDataError, match="no section 'standards'"):
        candidate_rule_set("53-v3", "53", START, {k: v for k, v in RAISED.items() if k != "standards"})


def test_a_draft_missing_a_parameter_names_the_parameter():
    document = copy.deepcopy(RAISED)
    del document["identification"]["near_dibao"]["income_factor_of_dibao_standard"]
    with pytest.raises(RuleDataError, match="53-v3: missing parameters near_dibao.income_factor_of_dibao_standard"):
        candidate_rule_set("53-v3", "53", START, document)


@pytest.mark.parametrize("broken", [
    {"standards": {"dibao_standard_yuan_per_person_month": "much"}},
    {"identification": {"dibao": {"residence_months": "six"}}},
    {"identification": {"dibao": "everyone"}},
    {"standards": []},
])
def test_a_draft_with_a_wrong_kind_of_value_is_refused(broken):
    with pytest.raises(RuleDataError, match="candidate 53-v3"):
        candidate_rule_set("53-v3", "53", START, merge(V2_DOCUMENT, broken))


def test_a_draft_that_is_not_a_document_is_refused():
    with pytest.raises(RuleDataError, match="candidate x: "):
        candidate_rule_set("x", "53", START, {"identification": [], "standards": {}})
