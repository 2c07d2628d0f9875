"""The multi-dimensional assessment: each dimension's score at its edges, its explained numbers, and input checks."""
from datetime import date
from decimal import Decimal

import pytest

from identification.domain.assessment import (
    DIMENSIONS,
    Guarantees,
    HouseholdFacts,
    Member,
    assess,
    per_capita_annual_income,
    per_capita_monthly_income,
    percent,
    remaining_per_capita_monthly_income,
    rigid_share,
    yuan,
    yuan_zh,
)
from identification.domain.rules import policy_rules

RULE_SETS = policy_rules()
RULES = RULE_SETS.for_division("110105", date(2026, 6, 1))
STANDARD = RULES.decimal("dibao", "standard_yuan_per_person_month")
ADULT = Member(40, "full", employed=True)


def facts(members=(ADULT,), income="0", **kw) -> HouseholdFacts:
    return HouseholdFacts("110105001001", tuple(members), Decimal(income), residence_months=24, **kw)


def score(household: HouseholdFacts, dimension: str, rules=RULES) -> int:
    return assess(household, rules).dimension(dimension).score


# --- income arithmetic -----------------------------------------------------------------------------------------

def test_per_capita_income_divides_the_household_income_by_its_size():
    household = facts((ADULT, ADULT, Member(10, "none")), "1626")
    assert per_capita_monthly_income(household) == Decimal("542")
    assert per_capita_annual_income(household) == Decimal("6504")


def test_rigid_share_and_remaining_income():
    household = facts((ADULT, ADULT), "1000", medical_expense_yuan_year=Decimal("3000"),
                      education_expense_yuan_year=Decimal("2000"), care_expense_yuan_year=Decimal("1000"))
    assert rigid_share(household) == Decimal("0.5")
    assert remaining_per_capita_monthly_income(household) == Decimal("250")
    assert rigid_share(facts(income="0", medical_expense_yuan_year=Decimal(5))) is None


# --- every dimension -------------------------------------------------------------------------------------------

def test_every_dimension_is_scored_in_range_with_bilingual_sentences_and_the_rule_version():
    household = facts((Member(70, "none", 2, True), Member(8, "none", in_compulsory_education=True)), "300",
                      savings_yuan=Decimal(100), medical_expense_yuan_year=Decimal(4000), housing_safe=False,
                      guarantees=Guarantees(drinking_water=False))
    result = assess(household, RULES)
    assert tuple(d.dimension for d in result.dimensions) == DIMENSIONS
    assert result.rule_version == "CN-v1"
    for dimension in result.dimensions:
        assert 0 <= dimension.score <= 100
        assert dimension.explanation_en.endswith(".") and dimension.explanation_zh.endswith("。")
        assert any(ch.isdigit() for ch in dimension.explanation_en + dimension.explanation_zh)
    assert result.scores == {d.dimension: d.score for d in result.dimensions}
    with pytest.raises(KeyError, match="no dimension 'wealth'"):
        result.dimension("wealth")


@pytest.mark.parametrize("per_capita,expected", [
    (Decimal(0), 100), (STANDARD, 33), (STANDARD * Decimal("0.75"), 50), (STANDARD * Decimal("1.5"), 0),
    (STANDARD * 2, 0)])
def test_income_falls_linearly_from_100_at_no_income_to_0_at_the_near_dibao_line(per_capita, expected):
    assert score(facts((ADULT, ADULT), str(per_capita * 2)), "income") == expected


def test_income_explanation_names_the_income_the_standard_and_the_zero_line():
    dimension = assess(facts((ADULT, ADULT), "800"), RULES).dimension("income")
    assert "¥400.00" in dimension.explanation_en and "¥542.00" in dimension.explanation_en
    assert "¥813.00" in dimension.explanation_en and "73.8%" in dimension.explanation_en
    assert "400.00元" in dimension.explanation_zh and "542.00元" in dimension.explanation_zh
    assert dimension.facts["dibao_standard_yuan"] == STANDARD


def test_a_higher_regional_standard_raises_the_income_score():
    yunnan = RULE_SETS.for_division("530102", date(2026, 6, 1))
    household = facts(income=str(STANDARD))
    assert score(household, "income") == 33
    assert score(household, "income", yunnan) == 40  # 542 against 1.5 × 600


def test_assets_score_falls_with_savings_and_is_zero_past_a_hard_limit():
    limit = STANDARD * RULES.decimal("dibao", "assets", "savings_limit_months_of_standard_per_person")
    vehicle_limit = RULES.decimal("dibao", "assets", "vehicle_value_limit_yuan")
    assert score(facts(), "assets") == 100
    assert score(facts((ADULT, ADULT), savings_yuan=limit), "assets") == 50
    assert score(facts(savings_yuan=limit), "assets") == 0
    assert score(facts(vehicles_value_yuan=vehicle_limit), "assets") == 100
    assert score(facts(vehicles_value_yuan=vehicle_limit + Decimal("0.01")), "assets") == 0
    assert score(facts(owns_business=True), "assets") == 0
    assert score(facts(extra_housing_units=1), "assets") == 0
    over = assess(facts(vehicles_value_yuan=Decimal(80000)), RULES).dimension("assets")
    assert "¥80,000.00" in over.explanation_en and "¥30,000.00" in over.explanation_en
    assert over.facts["limits_exceeded"] == 1


def test_rigid_expenditure_score_is_its_share_of_income_and_names_the_threshold():
    household = facts(income="1200", medical_expense_yuan_year=Decimal(6000), education_expense_yuan_year=Decimal(3000))
    dimension = assess(household, RULES).dimension("rigid_expenditure")
    assert dimension.score == 63  # 62.5% rounds half up
    assert "62.5%" in dimension.explanation_en and "50.0%" in dimension.explanation_en
    assert "¥9,000.00" in dimension.explanation_en and "¥14,400.00" in dimension.explanation_en
    assert score(facts(income="1000", medical_expense_yuan_year=Decimal(24000)), "rigid_expenditure") == 100
    assert score(facts(income="0", care_expense_yuan_year=Decimal(1)), "rigid_expenditure") == 100
    assert score(facts(income="0"), "rigid_expenditure") == 0
    assert "无收入" in assess(facts(income="0"), RULES).dimension("rigid_expenditure").explanation_zh


def test_labour_capacity_counts_working_age_members_only_with_partial_weighted():
    minor = RULES.integer("definitions", "minor_age_below")
    elderly = RULES.integer("definitions", "elderly_age_from")
    weight = RULES.decimal("assessment", "partial_labour_weight")
    two_adults_two_children = facts((ADULT, ADULT, Member(5, "none"), Member(7, "none")))
    assert score(two_adults_two_children, "labour_capacity") == 50
    assert score(facts((Member(30, "partial"),)), "labour_capacity") == int(100 * (1 - weight))
    assert score(facts((Member(elderly, "full"), Member(minor, "full"))), "labour_capacity") == 50
    assert score(facts((Member(elderly - 1, "full"), Member(minor - 1, "full"))), "labour_capacity") == 50
    assert score(facts((Member(30, "none"),)), "labour_capacity") == 100
    text = assess(two_adults_two_children, RULES).dimension("labour_capacity").explanation_en
    assert "2 of 4 members" in text and "16 to 59" in text


@pytest.mark.parametrize("grades,expected", [((), 0), ((4,), 40), ((3,), 60), ((2,), 80), ((1,), 100), ((3, 1), 100)])
def test_disability_scores_the_most_severe_grade(grades, expected):
    members = tuple(Member(40, "partial", grade) for grade in grades) or (ADULT,)
    assert score(facts(members), "disability") == expected


def test_health_and_dependants_are_shares_of_the_household():
    elderly = RULES.integer("definitions", "elderly_age_from")
    minor = RULES.integer("definitions", "minor_age_below")
    household = facts((ADULT, Member(minor - 1, "none", chronic_illness=True), Member(elderly, "none"),
                       Member(minor, "full")))
    assert score(household, "health") == 25
    assert score(household, "dependants") == 50
    text = assess(household, RULES).dimension("dependants").explanation_en
    assert "1 child(ren) under 16 and 1 elderly member(s) aged 60" in text


def test_housing_safety_is_all_or_nothing():
    assert score(facts(), "housing_safety") == 0
    assert score(facts(housing_safe=False), "housing_safety") == 100
    assert score(facts(guarantees=Guarantees(safe_housing=False)), "housing_safety") == 100


def test_guarantees_score_the_missing_items_and_name_them():
    household = facts(guarantees=Guarantees(food=False, drinking_water=False))
    dimension = assess(household, RULES).dimension("guarantees")
    assert dimension.score == 33
    assert "food, safe drinking water" in dimension.explanation_en
    assert "吃、饮水安全" in dimension.explanation_zh
    assert score(facts(), "guarantees") == 0
    assert score(facts(guarantees=Guarantees(*([False] * 6))), "guarantees") == 100


# --- input checks and formatting -------------------------------------------------------------------------------

def test_amounts_are_coerced_to_exact_decimals():
    household = HouseholdFacts("110105", (ADULT,), 1000, savings_yuan="12.30", medical_expense_yuan_year=0.1)
    assert household.monthly_income_yuan == Decimal(1000) and household.savings_yuan == Decimal("12.30")
    assert household.medical_expense_yuan_year == Decimal("0.1")
    assert isinstance(household.members, tuple)


@pytest.mark.parametrize("changes,fragment", [
    ({"members": ()}, "at least one member"),
    ({"monthly_income_yuan": Decimal(-1)}, "monthly_income_yuan"),
    ({"savings_yuan": "lots"}, "savings_yuan"),
    ({"vehicles_value_yuan": Decimal("NaN")}, "vehicles_value_yuan"),
    ({"medical_expense_yuan_year": True}, "medical_expense_yuan_year"),
    ({"division_code": "53-01"}, "division_code"),
    ({"residence_months": -1}, "residence_months"),
    ({"extra_housing_units": 1.5}, "extra_housing_units"),
])
def test_impossible_household_facts_are_refused(changes, fragment):
    values = {"division_code": "110105", "members": (ADULT,), "monthly_income_yuan": Decimal(0)} | changes
    with pytest.raises(ValueError, match=fragment):
        HouseholdFacts(**values)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"age": -1, "labour_capacity": "full"}, "age"),
    ({"age": True, "labour_capacity": "full"}, "age"),
    ({"age": 30, "labour_capacity": "some"}, "labour_capacity"),
    ({"age": 30, "labour_capacity": "full", "disability_grade": 5}, "disability_grade"),
    ({"age": 30, "labour_capacity": "full", "disability_grade": 0}, "disability_grade"),
])
def test_impossible_members_are_refused(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        Member(**kwargs)


def test_money_and_percent_formatting():
    assert yuan(Decimal("1234.5")) == "¥1,234.50"
    assert yuan(Decimal("-0.005")) == "-¥0.01"
    assert yuan_zh(Decimal("1234.5")) == "1234.50元"
    assert percent(Decimal("0.625")) == "62.5%"
