"""Cash benefits: the dibao top-up, tekun support and temporary cash at and around every threshold."""
from datetime import date
from decimal import Decimal

import pytest

from assistance.domain.benefits import cash_benefits, dibao_top_up, tekun_support, temporary_cash
from assistance.domain.rules import RuleSet, merge_params, policy_rules

POLICY = policy_rules()  # the versions shipped with the platform

NATIONAL = POLICY.for_division("520326101203", date(2026, 3, 1))  # standard 542
YUNNAN = POLICY.for_division("530102001001", date(2026, 3, 1))  # standard 600


def with_params(rules: RuleSet, override: dict) -> RuleSet:
    return RuleSet(rules.version + "+test", rules.region, rules.effective_from, rules.effective_to,
                   merge_params(rules.params, override))


@pytest.mark.parametrize("income,status,amount", [
    ("0", "grant", "1084.00"),        # no income: the whole standard for 2 members
    ("400", "grant", "284.00"),       # (542 - 400) x 2
    ("541.99", "grant", "0.02"),      # just below the standard
    ("542", "none", "0.00"),          # at the standard: nothing due
    ("542.01", "none", "0.00"),       # just above
])
def test_the_dibao_top_up_is_the_gap_to_the_standard_times_the_members(income, status, amount):
    grant = dibao_top_up(2, Decimal(income), NATIONAL)
    assert (grant.status, grant.amount_yuan) == (status, Decimal(amount))
    assert grant.rule_version == "CN-v1" and grant.frequency == "monthly"
    assert grant.explanation_en and grant.explanation_zh and grant.calculation["members"] == 2


@pytest.mark.parametrize("income,amount", [
    ("530", "100.00"),     # gap 12 a person, below the floor of 50: the floor is paid
    ("492", "100.00"),     # gap exactly 50: at the floor
    ("491.99", "100.02"),  # gap just above the floor: the gap
])
def test_a_regional_floor_raises_a_small_top_up(income, amount):
    rules = with_params(NATIONAL, {"cash": {"dibao": {"minimum_yuan_per_person_month": 50}}})
    grant = dibao_top_up(2, Decimal(income), rules)
    assert grant.amount_yuan == Decimal(amount)
    assert ("minimum" in grant.explanation_en) is (income == "530")


def test_the_top_up_waits_for_an_unknown_income_instead_of_guessing():
    grant = dibao_top_up(3, None, NATIONAL)
    assert grant.status == "awaiting_income" and not grant.payable and grant.amount_yuan == 0
    assert "not known" in grant.explanation_en and "需求评估" in grant.explanation_zh


def test_the_regional_standard_applies_in_its_region():
    assert dibao_top_up(2, Decimal(400), YUNNAN).amount_yuan == Decimal("400.00")
    assert "53-v2" in dibao_top_up(2, Decimal(400), YUNNAN).explanation_en


@pytest.mark.parametrize("level,per_person", [(None, "804.60"), ("self_care", "804.60"),
                                              ("partly_dependent", "1104.60"), ("fully_dependent", "1604.60")])
def test_tekun_support_is_basic_living_plus_care_per_member(level, per_person):
    grant = tekun_support(2, level, NATIONAL)  # 1.3 x 542 = 704.60 basic
    assert grant.amount_yuan == Decimal(per_person) * 2
    assert grant.calculation["care_level_assumed"] is (level is None)
    assert ("assumed" in grant.explanation_en) is (level is None)


def test_an_unknown_care_level_is_refused():
    with pytest.raises(ValueError):
        tekun_support(1, "bedridden", NATIONAL)


@pytest.mark.parametrize("members,amount,capped", [(4, "4336.00", False), (5, "5000.00", True), (1, "1084.00", False)])
def test_temporary_cash_is_months_of_the_standard_up_to_a_cap(members, amount, capped):
    grant = temporary_cash(members, NATIONAL)  # 2 x 542 x members, at most 5000
    assert grant.amount_yuan == Decimal(amount) and grant.calculation["capped"] is capped
    assert grant.frequency == "one_off"


def test_temporary_cash_at_exactly_the_cap_is_not_capped():
    rules = with_params(NATIONAL, {"cash": {"temporary": {"max_yuan_per_household": 4336}}})
    assert temporary_cash(4, rules).calculation["capped"] is False
    assert temporary_cash(4, with_params(NATIONAL, {"cash": {"temporary": {"max_yuan_per_household": 4335.99}}})
                          ).amount_yuan == Decimal("4335.99")


def test_only_cash_programmes_give_cash_in_catalogue_order():
    grants = cash_benefits(("medical", "temporary", "dibao"), members=2,
                           per_capita_monthly_income_yuan=Decimal(100), care_level=None, rules=NATIONAL)
    assert [g.kind for g in grants] == ["dibao_top_up", "temporary_cash"]
    assert cash_benefits(("medical", "housing"), members=2, per_capita_monthly_income_yuan=None, care_level=None,
                         rules=NATIONAL) == ()
    with pytest.raises(ValueError):
        cash_benefits(("dibao",), members=0, per_capita_monthly_income_yuan=None, care_level=None, rules=NATIONAL)


def test_amounts_round_half_up_to_the_cent():
    rules = with_params(NATIONAL, {"cash": {"tekun": {"basic_living_factor_of_dibao_standard": 1.3333}}})
    assert tekun_support(1, "self_care", rules).calculation["basic_living_yuan_per_person_month"] == "722.65"
