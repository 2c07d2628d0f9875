"""Needs derived from programmes, categories and scores: the report's two rules, every threshold, and the grounds."""
from datetime import date

import pytest

from assistance.domain.needs import Household, derive_needs
from assistance.domain.rules import RuleSet, merge_params, policy_rules

POLICY = policy_rules()  # the versions shipped with the platform

RULES = POLICY.for_division("520326101203", date(2026, 3, 1))


def household(*programmes, scores=None, categories=None):
    return Household("520326101203", tuple(programmes), 3, categories or {}, scores or {})


def test_long_term_recipients_get_care_and_medical_on_top_of_in_kind():
    result = derive_needs(household("dibao"), RULES)
    assert result.types() == ("in_kind", "medical_assistance", "care_services")
    assert all(n.grounds[0].code == "long_term_recipient" and n.grounds[0].programmes == ("dibao",)
               for n in result.needs)
    tekun = derive_needs(household("tekun"), RULES).types()
    assert tekun == ("in_kind", "daily_care", "medical_assistance", "care_services")


def test_temporary_recipients_also_get_employment_services_alongside_material_aid():
    result = derive_needs(household("temporary"), RULES)
    assert result.types() == ("in_kind", "skills_training", "job_referral")
    assert "employment services" in result.needs[1].grounds[0].en and "就业" in result.needs[1].grounds[0].zh


def test_a_need_given_by_two_rules_is_one_need_with_both_grounds():
    result = derive_needs(household("dibao", "medical"), RULES)
    medical = next(n for n in result.needs if n.need_type == "medical_assistance")
    assert [g.code for g in medical.grounds] == ["long_term_recipient", "programme_medical"]


@pytest.mark.parametrize("programme,expected", [
    ("medical", ("medical_assistance",)), ("education", ("education_grant",)), ("housing", ("housing_repair",)),
    ("employment", ("skills_training", "job_referral")), ("monitoring", ("skills_training", "job_referral")),
    ("near_dibao", ()), ("rigid_expense", ("in_kind",)),
])
def test_each_programme_gives_its_own_needs(programme, expected):
    assert derive_needs(household(programme), RULES).types() == expected


def test_a_sudden_hardship_category_adds_psychological_support():
    result = derive_needs(household("monitoring", categories={"monitoring": "sudden"}), RULES)
    assert "psychological_support" in result.types() and "in_kind" in result.types()
    assert derive_needs(household("monitoring", categories={"monitoring": "marginal"}), RULES).types() == (
        "skills_training", "job_referral")
    # a category of a programme the household is not in gives nothing
    assert derive_needs(household("medical", categories={"monitoring": "sudden"}), RULES).types() == (
        "medical_assistance",)


@pytest.mark.parametrize("dimension,threshold,need", [
    ("housing_safety", 100, "housing_repair"), ("disability", 60, "daily_care"),
    ("labour_capacity", 80, "labour_help"), ("health", 50, "medical_assistance"),
])
def test_a_score_gives_a_need_at_its_threshold_not_below(dimension, threshold, need):
    at = derive_needs(household("near_dibao", scores={dimension: threshold}), RULES)
    below = derive_needs(household("near_dibao", scores={dimension: threshold - 1}), RULES)
    above = derive_needs(household("near_dibao", scores={dimension: min(100, threshold + 1)}), RULES)
    assert need in at.types() and need in above.types() and need not in below.types()
    ground = next(n for n in at.needs if n.need_type == need).grounds[0]
    assert ground.code == f"score_{dimension}" and ground.programmes == () and str(threshold) in ground.en


@pytest.mark.parametrize("labour,skipped", [(99, False), (100, True)])
def test_employment_services_are_left_out_only_when_nobody_can_work(labour, skipped):
    result = derive_needs(household("temporary", scores={"labour_capacity": labour}), RULES)
    assert ("skills_training" not in result.types()) is skipped
    assert [s.need_type for s in result.skipped] == (["skills_training", "job_referral"] if skipped else [])
    if skipped:
        assert result.skipped[0].code == "no_labour_capacity" and "100" in result.skipped[0].en


def test_a_household_in_no_programme_has_no_needs_even_with_high_scores():
    assert derive_needs(household(scores={"housing_safety": 100}), RULES).needs == ()


def test_the_rules_are_data():
    rules = RuleSet("t", "", RULES.effective_from, None, merge_params(RULES.params, {"needs": {
        "temporary": {"needs": ["in_kind"]}, "no_employment_services_from_labour_capacity_score": 50}}))
    assert derive_needs(household("temporary"), rules).types() == ("in_kind",)
    assert derive_needs(household("employment", scores={"labour_capacity": 50}), rules).types() == ()
    assert derive_needs(household("dibao"), rules).rule_version == "t"
