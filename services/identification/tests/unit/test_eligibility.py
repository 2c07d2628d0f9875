"""Eligibility per programme: every threshold at, just below and just above its edge; residence, emergencies and the
temporary-assistance bridge; monitoring's negative list; several programmes at once; and the invariants every
decision keeps."""
import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from identification.domain.assessment import Guarantees, HouseholdFacts, Member, assess
from identification.domain.eligibility import PROGRAMME_NAMES, Decision, decide
from identification.domain.rules import PROGRAMMES, RuleSet, policy_rules
from shared.rule_data import merge_params

RULE_SETS = policy_rules()
RULES = RULE_SETS.for_division("110105", date(2026, 6, 1))
CENT = Decimal("0.01")
STD = RULES.decimal("dibao", "standard_yuan_per_person_month")
NEAR_LINE = RULES.decimal("near_dibao", "income_factor_of_dibao_standard") * STD
MONITORING_LINE = RULES.decimal("monitoring", "line_yuan_per_person_year")
REFERENCE = RULES.decimal("reference", "rural_disposable_income_yuan_per_person_year")
ELDERLY = RULES.integer("definitions", "elderly_age_from")
MINOR = RULES.integer("definitions", "minor_age_below")

ADULT = Member(40, "full", employed=True)
JOBLESS = Member(35, "full")
CHILD = Member(9, "none", in_compulsory_education=True)
BELOW, AT, ABOVE = -CENT, Decimal(0), CENT
EDGES_STRICTLY_BELOW = [(BELOW, True), (AT, False), (ABOVE, False)]   # income "below" a line
EDGES_NOT_EXCEEDING = [(BELOW, True), (AT, True), (ABOVE, False)]     # assets "not exceeding" a limit
EDGES_STRICTLY_ABOVE = [(BELOW, False), (AT, False), (ABOVE, True)]   # a share "above" a threshold


def household(members=(ADULT,), per_capita_month: Decimal | str = "300", residence=120, **kw) -> HouseholdFacts:
    members = tuple(members)
    return HouseholdFacts("110105001001", members, Decimal(per_capita_month) * len(members),
                          residence_months=residence, **kw)


def with_params(rules: RuleSet, override: dict) -> RuleSet:
    return dataclasses.replace(rules, version=rules.version + "+test", params=merge_params(rules.params, override))


def reason(decision: Decision, programme: str, code: str):
    matches = [r for r in decision.result(programme).reasons if r.code == code]
    assert len(matches) == 1, f"{programme} has no single reason {code}"
    return matches[0]


def eligible(decision: Decision, programme: str) -> bool:
    assert decision.result(programme).eligible is (programme in decision.eligible)
    return programme in decision.eligible


# A household that qualifies for each programme under the national default, living here long enough.
BASELINES = {
    "tekun": dict(members=(Member(70, "none"),), per_capita_month="0"),
    "dibao": dict(members=(ADULT, JOBLESS, CHILD)),
    "near_dibao": dict(members=(ADULT, ADULT), per_capita_month="700"),
    "rigid_expense": dict(members=(ADULT, ADULT), per_capita_month="1000", medical_expense_yuan_year=Decimal(13000)),
    "monitoring": dict(members=(ADULT,), per_capita_month="700"),
    "temporary": dict(members=(ADULT, ADULT), per_capita_month="500", sudden_hardship=True),
    "medical": dict(members=(ADULT, Member(50, "partial", chronic_illness=True))),
    "education": dict(members=(ADULT, CHILD)),
    "housing": dict(members=(ADULT, ADULT), housing_safe=False),
    # Employment needs a covered programme that asks for no more residence than employment: temporary.
    "employment": dict(members=(ADULT, JOBLESS), per_capita_month="500", sudden_hardship=True),
}


def baseline(programme: str, **changes) -> HouseholdFacts:
    return household(**(BASELINES[programme] | changes))


@pytest.mark.parametrize("programme", PROGRAMMES)
def test_each_baseline_household_qualifies(programme):
    assert eligible(decide(baseline(programme), RULES), programme)


# --- residence instead of household registration ---------------------------------------------------------------

@pytest.mark.parametrize("programme", PROGRAMMES)
def test_residence_requirement_per_programme_at_its_edge(programme):
    required = RULES.integer(programme, "residence_months")
    at = decide(baseline(programme, residence=required), RULES)
    assert eligible(at, programme) and reason(at, programme, "residence").passed
    short = decide(baseline(programme, residence=required - 1), RULES)
    assert not eligible(short, programme)
    assert not reason(short, programme, "residence").passed
    assert f"at least {required}" in reason(short, programme, "residence").en


def test_the_published_residence_example_temporary_3_dibao_6_tekun_12():
    five_months = decide(household((JOBLESS,), "100", residence=5, sudden_hardship=True), RULES)
    assert eligible(five_months, "temporary") and not eligible(five_months, "dibao")
    eleven = decide(household((Member(75, "none"),), "0", residence=11), RULES)
    assert not eligible(eleven, "tekun") and eligible(eleven, "dibao")
    assert "requires at least 12" in reason(eleven, "tekun", "residence").en


def test_an_emergency_waives_the_residence_of_temporary_assistance():
    decision = decide(baseline("temporary", residence=0), RULES, emergency=True)
    assert eligible(decision, "temporary")
    residence = reason(decision, "temporary", "residence")
    assert residence.passed and residence.waived
    assert "given first where the emergency happens" in residence.en and "急难发生地先行救助" in residence.zh
    assert decision.emergency
    assert "residence requirement of temporary assistance was waived" in decision.explanation_en
    assert "临时救助未审查居住期限" in decision.explanation_zh


@pytest.mark.parametrize("programme", [p for p in PROGRAMMES if p != "temporary"])
def test_an_emergency_does_not_waive_the_residence_of_the_other_programmes(programme):
    required = RULES.integer(programme, "residence_months")
    short = decide(baseline(programme, residence=required - 1), RULES, emergency=True)
    assert not eligible(short, programme)
    residence = reason(short, programme, "residence")
    assert not residence.passed and not residence.waived
    assert "does not waive" in residence.en and "不免除" in residence.zh
    assert "the other programmes keep theirs" in short.explanation_en
    at = decide(baseline(programme, residence=required), RULES, emergency=True)
    assert eligible(at, programme) and not reason(at, programme, "residence").waived


def test_the_scope_of_the_emergency_waiver_is_rules_data():
    everyone = with_params(RULES, {"emergency": {"waives_residence_for": list(PROGRAMMES)}})
    for programme in PROGRAMMES:
        decision = decide(baseline(programme, residence=0), everyone, emergency=True)
        assert eligible(decision, programme) and reason(decision, programme, "residence").waived
    nobody = with_params(RULES, {"emergency": {"waives_residence_for": []}})
    decision = decide(baseline("temporary", residence=0), nobody, emergency=True)
    assert not eligible(decision, "temporary") and not reason(decision, "temporary", "residence").waived
    assert "waive no residence requirement" in decision.explanation_en and "不因此免除" in decision.explanation_zh


def test_an_emergency_waives_only_residence():
    # With residence long enough everywhere, an emergency changes nothing but the residence reasons.
    for facts in [baseline(p) for p in PROGRAMMES] + [household((ADULT,), "5000")]:
        normal, emergency = decide(facts, RULES), decide(facts, RULES, emergency=True)
        assert normal.eligible == emergency.eligible and normal.categories == emergency.categories
        for before, after in zip(normal.programmes, emergency.programmes):
            assert [r for r in before.reasons if r.code != "residence"] == \
                   [r for r in after.reasons if r.code != "residence"]
    # Without residence, the programme's own criteria are judged exactly as before; only criteria that depend on
    # other programmes (exclusions, covered programmes) move with them.
    derived = {"low_income_household", "bridging"} | {f"not_{p}" for p in PROGRAMMES}
    for facts in [baseline(p, residence=0) for p in PROGRAMMES]:
        normal, emergency = decide(facts, RULES), decide(facts, RULES, emergency=True)
        for before, after in zip(normal.programmes, emergency.programmes):
            assert [r for r in before.reasons if r.code != "residence" and r.code not in derived] == \
                   [r for r in after.reasons if r.code != "residence" and r.code not in derived]
    well_off = decide(household((ADULT,), "5000", residence=0), RULES, emergency=True)
    assert well_off.eligible == ()


def test_no_household_registration_field_exists_to_restrict_eligibility():
    names = {f.name for f in dataclasses.fields(HouseholdFacts)}
    assert not any("hukou" in n or "registration" in n or "registered" in n for n in names)
    assert "registration is not required" in reason(decide(baseline("dibao"), RULES), "dibao", "residence").en


# --- dibao -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_dibao_income_must_be_below_the_standard(delta, expected):
    decision = decide(household((ADULT, JOBLESS, CHILD), STD + delta), RULES)
    assert eligible(decision, "dibao") is expected
    assert reason(decision, "dibao", "income_below_standard").passed is expected


def test_dibao_default_standard_is_542_literally():
    assert eligible(decide(household((JOBLESS,), "541.99"), RULES), "dibao")
    assert not eligible(decide(household((JOBLESS,), "542.00"), RULES), "dibao")
    text = reason(decide(household((JOBLESS,), "542.00"), RULES), "dibao", "income_below_standard").en
    assert "¥542.00" in text and "below" in text


@pytest.mark.parametrize("programme", ["tekun", "dibao", "near_dibao", "rigid_expense"])
@pytest.mark.parametrize("delta,expected", EDGES_NOT_EXCEEDING)
def test_savings_per_person_may_not_exceed_the_limit(programme, delta, expected):
    limit = RULES.decimal(programme, "assets", "savings_limit_months_of_standard_per_person") * STD
    size = len(BASELINES[programme]["members"])
    decision = decide(baseline(programme, savings_yuan=(limit + delta) * size), RULES)
    assert eligible(decision, programme) is expected
    assert reason(decision, programme, "savings_within_limit").passed is expected


@pytest.mark.parametrize("programme", ["tekun", "dibao", "near_dibao", "rigid_expense"])
@pytest.mark.parametrize("delta,expected", EDGES_NOT_EXCEEDING)
def test_vehicles_may_not_exceed_the_limit(programme, delta, expected):
    limit = RULES.decimal(programme, "assets", "vehicle_value_limit_yuan")
    decision = decide(baseline(programme, vehicles_value_yuan=limit + delta), RULES)
    assert eligible(decision, programme) is expected
    assert reason(decision, programme, "vehicles_within_limit").passed is expected


@pytest.mark.parametrize("programme", ["tekun", "dibao", "near_dibao", "rigid_expense"])
def test_extra_housing_and_a_business_are_limited_by_the_rules(programme):
    limit = RULES.integer(programme, "assets", "extra_housing_units_limit")
    assert eligible(decide(baseline(programme, extra_housing_units=limit), RULES), programme)
    over = decide(baseline(programme, extra_housing_units=limit + 1), RULES)
    assert not eligible(over, programme) and not reason(over, programme, "extra_housing_within_limit").passed
    business = decide(baseline(programme, owns_business=True), RULES)
    assert not eligible(business, programme) and not reason(business, programme, "no_business").passed
    allowing = with_params(RULES, {programme: {"assets": {"business_ownership_allowed": True}}})
    assert eligible(decide(baseline(programme, owns_business=True), allowing), programme)


def test_dibao_default_asset_limits_literally():
    # 24 months of ¥542 = ¥13,008 per person; vehicles up to ¥30,000.
    assert eligible(decide(household((JOBLESS,), "100", savings_yuan=Decimal("13008")), RULES), "dibao")
    assert not eligible(decide(household((JOBLESS,), "100", savings_yuan=Decimal("13008.01")), RULES), "dibao")
    assert not eligible(decide(household((JOBLESS,), "100", vehicles_value_yuan=Decimal("30000.01")), RULES), "dibao")


def test_a_regional_rule_set_changes_the_dibao_standard():
    yunnan = RULE_SETS.for_division("530102", date(2026, 6, 1))
    facts = household((JOBLESS,), "580")
    assert not eligible(decide(facts, RULES), "dibao")
    decision = decide(facts, yunnan)
    assert eligible(decision, "dibao") and "¥600.00" in reason(decision, "dibao", "income_below_standard").en


# --- tekun -----------------------------------------------------------------------------------------------------

def test_tekun_takes_the_place_of_dibao_and_near_dibao():
    decision = decide(baseline("tekun"), RULES)
    assert eligible(decision, "tekun")
    assert not eligible(decision, "dibao") and not reason(decision, "dibao", "not_tekun").passed
    assert not eligible(decision, "near_dibao") and not reason(decision, "near_dibao", "not_tekun").passed


def test_tekun_needs_no_legal_supporter_able_to_support():
    decision = decide(baseline("tekun", has_legal_supporter_able_to_support=True), RULES)
    assert not eligible(decision, "tekun") and not reason(decision, "tekun", "no_able_supporter").passed
    assert eligible(decision, "dibao")


@pytest.mark.parametrize("member,expected", [
    (Member(ELDERLY, "full"), True),            # the elderly are deemed unable to work
    (Member(ELDERLY - 1, "full"), False),
    (Member(ELDERLY - 1, "none"), False),       # unable to work, but neither elderly, minor nor disabled
    (Member(MINOR - 1, "none"), True),
    (Member(MINOR, "none"), False),
    (Member(40, "partial", 2), True),           # grade 2 counts as no labour capacity
    (Member(40, "partial", 3), False),
    (Member(40, "none", 3), True),
])
def test_tekun_members_must_be_elderly_minor_or_disabled_and_unable_to_work(member, expected):
    decision = decide(household((member,), "0"), RULES)
    assert eligible(decision, "tekun") is expected
    reasons = (reason(decision, "tekun", "elderly_disabled_or_minor"), reason(decision, "tekun", "no_labour_capacity"))
    assert all(r.passed for r in reasons) is expected


def test_tekun_needs_every_member_to_qualify():
    decision = decide(household((Member(70, "none"), Member(40, "full")), "0"), RULES)
    assert not eligible(decision, "tekun")
    assert "1 of 2 members" in reason(decision, "tekun", "elderly_disabled_or_minor").en


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_tekun_has_no_income_source_below_the_limit(delta, expected):
    limit = RULES.decimal("tekun", "income_limit_factor_of_dibao_standard") * STD
    decision = decide(baseline("tekun", per_capita_month=limit + delta), RULES)
    assert eligible(decision, "tekun") is expected
    assert reason(decision, "tekun", "no_income_source").passed is expected


# --- near dibao ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_near_dibao_income_must_be_below_one_and_a_half_standards(delta, expected):
    decision = decide(household((ADULT, ADULT), NEAR_LINE + delta), RULES)
    assert eligible(decision, "near_dibao") is expected
    assert reason(decision, "near_dibao", "income_below_near_dibao_line").passed is expected


def test_near_dibao_default_line_is_813_literally():
    assert eligible(decide(household((ADULT,), "812.99"), RULES), "near_dibao")
    assert not eligible(decide(household((ADULT,), "813.00"), RULES), "near_dibao")


def test_a_dibao_household_is_not_also_near_dibao():
    decision = decide(household((ADULT,), STD - CENT), RULES)
    assert eligible(decision, "dibao") and not eligible(decision, "near_dibao")
    assert not reason(decision, "near_dibao", "not_dibao").passed
    assert reason(decision, "near_dibao", "income_below_near_dibao_line").passed


def test_near_dibao_has_its_own_more_generous_asset_limit():
    dibao_limit = RULES.decimal("dibao", "assets", "savings_limit_months_of_standard_per_person") * STD
    decision = decide(household((JOBLESS,), "100", savings_yuan=dibao_limit + 1), RULES)
    assert not eligible(decision, "dibao") and eligible(decision, "near_dibao")


# --- rigid expenditure -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_rigid_expense_income_left_after_spending_must_be_below_the_line(delta, expected):
    line = RULES.decimal("rigid_expense", "remaining_income_factor_of_dibao_standard") * STD
    size, per_capita = 2, Decimal(1000)
    spending = (per_capita - line - delta) * 12 * size
    decision = decide(household((ADULT, ADULT), per_capita, medical_expense_yuan_year=spending), RULES)
    assert not reason(decision, "rigid_expense", "expense_share_above_threshold").passed
    assert reason(decision, "rigid_expense", "remaining_income_below_line").passed is expected
    assert eligible(decision, "rigid_expense") is expected


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_ABOVE)
def test_rigid_expense_share_of_income_must_be_above_the_threshold(delta, expected):
    threshold = RULES.decimal("rigid_expense", "expense_share_of_income_threshold")
    per_capita = Decimal(1650)
    annual = per_capita * 12
    spending = threshold * annual + delta
    decision = decide(household((ADULT,), per_capita, care_expense_yuan_year=spending), RULES)
    assert not reason(decision, "rigid_expense", "remaining_income_below_line").passed
    assert reason(decision, "rigid_expense", "expense_share_above_threshold").passed is expected
    assert eligible(decision, "rigid_expense") is expected


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_rigid_expense_per_capita_income_must_be_below_the_cap(delta, expected):
    cap = RULES.decimal("rigid_expense", "income_cap_share_of_reference_income") * REFERENCE
    per_capita = cap / 12 + delta
    decision = decide(household((ADULT,), per_capita, medical_expense_yuan_year=per_capita * 12 * Decimal("0.6")), RULES)
    assert reason(decision, "rigid_expense", "income_below_cap").passed is expected
    assert eligible(decision, "rigid_expense") is expected


def test_rigid_expense_default_share_threshold_is_half_of_income_literally():
    just_half = decide(household((ADULT,), "1650", medical_expense_yuan_year=Decimal("9900")), RULES)
    more = decide(household((ADULT,), "1650", medical_expense_yuan_year=Decimal("9900.01")), RULES)
    assert not eligible(just_half, "rigid_expense") and eligible(more, "rigid_expense")
    assert "50.0%" in reason(more, "rigid_expense", "expense_share_above_threshold").en


def test_rigid_expense_is_only_for_households_outside_dibao_and_near_dibao():
    decision = decide(household((ADULT,), "700", medical_expense_yuan_year=Decimal(8000)), RULES)
    assert eligible(decision, "near_dibao") and not eligible(decision, "rigid_expense")
    assert not reason(decision, "rigid_expense", "not_near_dibao").passed


# --- relapse-prevention monitoring -----------------------------------------------------------------------------

@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_monitoring_marginal_below_the_monitoring_line(delta, expected):
    decision = decide(household((ADULT,), MONITORING_LINE / 12 + delta), RULES)
    assert eligible(decision, "monitoring") is expected
    assert decision.result("monitoring").category == ("marginal" if expected else None)
    assert decision.categories == ({"monitoring": "marginal"} if expected else {})


def test_monitoring_default_line_is_8700_a_year_literally():
    assert eligible(decide(household((ADULT,), "724.99"), RULES), "monitoring")
    assert not eligible(decide(household((ADULT,), "725.00"), RULES), "monitoring")


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_monitoring_unstable_income_counts_up_to_the_risk_line(delta, expected):
    risk_line = RULES.decimal("monitoring", "unstable_income_factor_of_line") * MONITORING_LINE
    facts = household((ADULT,), risk_line / 12 + delta, formerly_poor=True, income_unstable=True)
    decision = decide(facts, RULES)
    assert eligible(decision, "monitoring") is expected
    assert decision.result("monitoring").category == ("unstable" if expected else None)


@pytest.mark.parametrize("formerly_poor,unstable,per_capita_year,category", [
    (True, False, MONITORING_LINE - 12, "unstable"),
    (True, False, MONITORING_LINE + 12, None),     # stable income above the line
    (False, True, MONITORING_LINE + 12, "marginal"),
    (False, False, MONITORING_LINE + 12, None),
])
def test_monitoring_category_follows_the_households_history(formerly_poor, unstable, per_capita_year, category):
    facts = household((ADULT,), per_capita_year / 12, formerly_poor=formerly_poor, income_unstable=unstable)
    assert decide(facts, RULES).result("monitoring").category == category


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_monitoring_sudden_when_income_after_rigid_spending_falls_below_the_line(delta, expected):
    per_capita = Decimal(2000)
    spending = per_capita * 12 - MONITORING_LINE - delta
    decision = decide(household((ADULT,), per_capita, sudden_hardship=True, medical_expense_yuan_year=spending), RULES)
    assert eligible(decision, "monitoring") is expected
    assert decision.result("monitoring").category == ("sudden" if expected else None)
    calm = decide(household((ADULT,), per_capita, sudden_hardship=False, medical_expense_yuan_year=spending), RULES)
    assert not eligible(calm, "monitoring")


def test_monitoring_category_precedence_is_a_rule():
    facts = household((ADULT,), "500", formerly_poor=True, sudden_hardship=True)
    decision = decide(facts, RULES)
    assert reason(decision, "monitoring", "unstable").passed and reason(decision, "monitoring", "sudden").passed
    assert decision.categories == {"monitoring": "sudden"}
    reordered = with_params(RULES, {"monitoring": {"category_precedence": ["unstable", "sudden", "marginal"]}})
    assert decide(facts, reordered).categories == {"monitoring": "unstable"}


def test_yunnan_2026_uses_its_own_monitoring_line():
    yunnan = RULE_SETS.for_division("530102", date(2026, 6, 1))
    facts = household((ADULT,), "749.99")
    assert eligible(decide(facts, yunnan), "monitoring") and not eligible(decide(facts, RULES), "monitoring")
    assert "¥9,000.00" in reason(decide(facts, yunnan), "monitoring", "marginal").en


# The provinces' negative list for monitoring: each item a parameter of monitoring.assets.
VEHICLE_LIMIT = RULES.decimal("monitoring", "assets", "vehicle_value_limit_yuan")
MONITORED = dict(members=(ADULT,), per_capita_month="700")   # a marginal household, monitored when nothing excludes it


def test_a_household_with_a_200000_yuan_car_and_a_second_property_is_not_monitored():
    facts = household(**MONITORED, vehicles_value_yuan=Decimal(200000), extra_housing_units=1)
    decision = decide(facts, RULES)
    assert not eligible(decision, "monitoring") and "monitoring" not in decision.categories
    assert reason(decision, "monitoring", "marginal").passed, "on income alone it would be monitored"
    vehicles, housing = reason(decision, "monitoring", "vehicles_within_limit"), \
        reason(decision, "monitoring", "extra_housing_within_limit")
    assert not vehicles.passed and "¥200,000.00" in vehicles.en and "¥50,000.00" in vehicles.en
    assert "200000.00元" in vehicles.zh
    assert not housing.passed and "1 housing unit" in housing.en and "另有住房1套" in housing.zh
    assert eligible(decide(household(**MONITORED), RULES), "monitoring")


@pytest.mark.parametrize("delta,expected", EDGES_NOT_EXCEEDING)
def test_monitoring_vehicle_value_may_not_exceed_the_negative_list_limit(delta, expected):
    decision = decide(household(**MONITORED, vehicles_value_yuan=VEHICLE_LIMIT + delta), RULES)
    assert eligible(decision, "monitoring") is expected
    assert reason(decision, "monitoring", "vehicles_within_limit").passed is expected


def test_monitoring_default_vehicle_limit_is_50000_literally():
    assert eligible(decide(household(**MONITORED, vehicles_value_yuan=Decimal("50000")), RULES), "monitoring")
    assert not eligible(decide(household(**MONITORED, vehicles_value_yuan=Decimal("50000.01")), RULES), "monitoring")


@pytest.mark.parametrize("limit,units,expected", [
    (0, 0, True), (0, 1, False),                    # the default: no other housing (none can have fewer than 0)
    (2, 1, True), (2, 2, True), (2, 3, False),      # below, at and above a limit a province may set
])
def test_monitoring_other_housing_may_not_exceed_the_negative_list_limit(limit, units, expected):
    rules = with_params(RULES, {"monitoring": {"assets": {"extra_housing_units_limit": limit}}})
    decision = decide(household(**MONITORED, extra_housing_units=units), rules)
    assert eligible(decision, "monitoring") is expected
    assert reason(decision, "monitoring", "extra_housing_within_limit").passed is expected


@pytest.mark.parametrize("code,fact,key", [
    ("no_commercial_property", "owns_commercial_property", "commercial_property_allowed"),
    ("no_business", "owns_business", "business_ownership_allowed"),
    ("no_public_payroll_member", "has_public_payroll_member", "public_payroll_member_allowed"),
])
@pytest.mark.parametrize("has,allowed,expected", [
    (False, False, True), (True, False, False), (False, True, True), (True, True, True)])
def test_monitoring_yes_no_items_of_the_negative_list(code, fact, key, has, allowed, expected):
    rules = with_params(RULES, {"monitoring": {"assets": {key: allowed}}})
    decision = decide(household(**MONITORED, **{fact: has}), rules)
    assert eligible(decision, "monitoring") is expected
    item = reason(decision, "monitoring", code)
    assert item.passed is expected
    if has:
        assert ("which is allowed" if allowed else "which is not allowed") in item.en
        assert ("规则允许" if allowed else "规则不允许") in item.zh


@pytest.mark.parametrize("code,fact,en,zh", [
    ("no_commercial_property", "owns_commercial_property", "commercial property", "商业用房"),
    ("no_public_payroll_member", "has_public_payroll_member", "public payroll", "财政供养人员"),
    ("no_business", "owns_business", "business", "经营实体"),
])
def test_the_default_negative_list_excludes_and_says_why(code, fact, en, zh):
    decision = decide(household(**MONITORED, **{fact: True}), RULES)
    assert not eligible(decision, "monitoring")
    item = reason(decision, "monitoring", code)
    assert not item.passed and en in item.en and zh in item.zh and "not allowed" in item.en


@pytest.mark.parametrize("facts,category", [
    (dict(members=(ADULT,), per_capita_month="700"), "marginal"),
    (dict(members=(ADULT,), per_capita_month="700", formerly_poor=True), "unstable"),
    (dict(members=(ADULT,), per_capita_month="2000", sudden_hardship=True, medical_expense_yuan_year=Decimal(20000)),
     "sudden"),
])
def test_the_negative_list_applies_to_every_monitoring_category(facts, category):
    assert decide(household(**facts), RULES).categories == {"monitoring": category}
    listed = decide(household(**facts, has_public_payroll_member=True), RULES)
    assert not eligible(listed, "monitoring") and listed.result("monitoring").category is None


def test_each_item_of_the_negative_list_is_a_parameter():
    facts = household(**MONITORED, vehicles_value_yuan=Decimal(200000), extra_housing_units=1,
                      owns_commercial_property=True, owns_business=True, has_public_payroll_member=True)
    lenient = with_params(RULES, {"monitoring": {"assets": {
        "vehicle_value_limit_yuan": 200000, "extra_housing_units_limit": 1, "commercial_property_allowed": True,
        "business_ownership_allowed": True, "public_payroll_member_allowed": True}}})
    assert not eligible(decide(facts, RULES), "monitoring")
    assert [r.code for r in decide(facts, RULES).result("monitoring").failed if not r.alternative] == [
        "vehicles_within_limit", "no_business", "extra_housing_within_limit", "no_commercial_property",
        "no_public_payroll_member"]
    assert eligible(decide(facts, lenient), "monitoring")


def test_an_asset_test_applies_only_where_the_programmes_rules_name_it():
    # Monitoring's default negative list has no savings limit, so savings do not exclude a household from it.
    savings = household(**MONITORED, savings_yuan=Decimal(1_000_000))
    assert eligible(decide(savings, RULES), "monitoring")
    assert "savings_within_limit" not in [r.code for r in decide(savings, RULES).result("monitoring").reasons]
    params = RULES.params
    params = {**params, "monitoring": {**params["monitoring"], "assets": {
        **params["monitoring"]["assets"], "savings_limit_months_of_standard_per_person": 24}}}
    with_savings = dataclasses.replace(RULES, version="with-savings", params=params)
    assert not eligible(decide(savings, with_savings), "monitoring")
    assert not reason(decide(savings, with_savings), "monitoring", "savings_within_limit").passed


def test_dibao_keeps_its_own_asset_limits():
    # The negative list is monitoring's: dibao's vehicle limit and other rules are its own block.
    facts = household((JOBLESS,), "100", vehicles_value_yuan=Decimal(40000))
    decision = decide(facts, RULES)
    assert not eligible(decision, "dibao") and eligible(decision, "monitoring")


# --- temporary assistance --------------------------------------------------------------------------------------

def test_temporary_assistance_needs_a_sudden_hardship():
    decision = decide(baseline("temporary", sudden_hardship=False), RULES)
    assert not eligible(decision, "temporary") and not reason(decision, "temporary", "sudden_hardship").passed


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_BELOW)
def test_temporary_assistance_when_income_after_spending_is_below_the_line(delta, expected):
    line = RULES.decimal("temporary", "remaining_income_factor_of_dibao_standard") * STD
    per_capita = Decimal(2000)
    spending = (per_capita - line - delta) * 12
    decision = decide(household((ADULT,), per_capita, sudden_hardship=True, medical_expense_yuan_year=spending), RULES)
    assert eligible(decision, "temporary") is expected


@pytest.mark.parametrize("changes,expected", [
    ({"guarantees": Guarantees(food=False)}, True),
    ({"guarantees": Guarantees(clothing=False)}, True),
    ({"guarantees": Guarantees(drinking_water=False)}, True),
    ({"guarantees": Guarantees(safe_housing=False)}, True),
    ({"housing_safe": False}, True),
    ({"guarantees": Guarantees(compulsory_education=False)}, False),
    ({}, False),
])
def test_temporary_assistance_when_basic_needs_are_unmet_whatever_the_income(changes, expected):
    decision = decide(household((ADULT,), "5000", sudden_hardship=True, **changes), RULES)
    assert eligible(decision, "temporary") is expected
    assert reason(decision, "temporary", "basic_needs_unmet").passed is expected


# --- temporary assistance bridging the programmes a household cannot yet receive ---------------------------------

DIBAO_MONTHS = RULES.integer("dibao", "residence_months")
TEMPORARY_MONTHS = RULES.integer("temporary", "residence_months")


def test_a_dibao_household_short_of_residence_is_bridged_by_temporary_assistance():
    decision = decide(baseline("dibao", residence=DIBAO_MONTHS - 1), RULES)
    assert not eligible(decision, "dibao") and [r.code for r in decision.result("dibao").failed] == ["residence"]
    assert eligible(decision, "temporary") and decision.result("temporary").routes == ("bridging",)
    assert not reason(decision, "temporary", "sudden_hardship").passed, "no sudden hardship: the bridge alone"
    bridge = reason(decision, "temporary", "bridging")
    assert bridge.passed and bridge.route == "bridging"
    assert "bridges minimum living guarantee (dibao)" in bridge.en
    assert f"{DIBAO_MONTHS - 1} month(s)" in bridge.en and f"requires {DIBAO_MONTHS}" in bridge.en
    assert "为最低生活保障过渡" in bridge.zh and "其他社会救助制度暂时无法覆盖" in bridge.zh
    assert bridge.en in decision.explanation_en and bridge.zh in decision.explanation_zh
    assert decision.rule_version == RULES.version


@pytest.mark.parametrize("residence,dibao,temporary", [
    (TEMPORARY_MONTHS - 1, False, False),   # not even temporary assistance's own residence
    (TEMPORARY_MONTHS, False, True),
    (DIBAO_MONTHS - 1, False, True),
    (DIBAO_MONTHS, True, False),            # dibao covers it: nothing to bridge
])
def test_the_bridge_spans_from_temporarys_residence_to_dibaos(residence, dibao, temporary):
    decision = decide(baseline("dibao", residence=residence), RULES)
    assert eligible(decision, "dibao") is dibao and eligible(decision, "temporary") is temporary
    assert reason(decision, "temporary", "bridging").passed is (not dibao)
    if dibao:
        assert "No bridging is needed" in reason(decision, "temporary", "bridging").en


@pytest.mark.parametrize("changes,failed", [
    ({"per_capita_month": STD}, "income_below_standard"),
    ({"vehicles_value_yuan": RULES.decimal("dibao", "assets", "vehicle_value_limit_yuan") + CENT},
     "vehicles_within_limit"),
    ({"owns_business": True}, "no_business"),
])
def test_no_bridge_for_a_household_that_fails_dibao_on_more_than_residence(changes, failed):
    decision = decide(baseline("dibao", residence=DIBAO_MONTHS - 1, **changes), RULES)
    assert not reason(decision, "dibao", failed).passed
    assert not eligible(decision, "temporary") and not reason(decision, "temporary", "bridging").passed


def test_the_bridge_can_be_turned_off_in_the_rules():
    off = with_params(RULES, {"temporary": {"bridging": {"enabled": False}}})
    decision = decide(baseline("dibao", residence=DIBAO_MONTHS - 1), off)
    assert not eligible(decision, "temporary")
    assert "bridging" not in [r.code for r in decision.result("temporary").reasons]
    # A sudden hardship still reaches temporary assistance the usual way.
    sudden = decide(baseline("dibao", residence=DIBAO_MONTHS - 1, sudden_hardship=True), off)
    assert eligible(sudden, "temporary") and sudden.result("temporary").routes == ("sudden",)


def test_the_programmes_bridged_are_rules_data():
    lone_elder = household((Member(75, "none"),), "0", residence=DIBAO_MONTHS - 1)
    both = decide(lone_elder, RULES)
    assert not eligible(both, "tekun") and not eligible(both, "dibao") and eligible(both, "temporary")
    assert "bridges extreme-poverty support (tekun), minimum living guarantee (dibao)" in \
        reason(both, "temporary", "bridging").en
    tekun_only = with_params(RULES, {"temporary": {"bridging": {"programmes": ["tekun"]}}})
    bridge = reason(decide(lone_elder, tekun_only), "temporary", "bridging")
    assert bridge.passed and "bridges extreme-poverty support (tekun):" in bridge.en
    nothing = with_params(RULES, {"temporary": {"bridging": {"programmes": []}}})
    assert not eligible(decide(lone_elder, nothing), "temporary")
    assert "name no programme" in reason(decide(lone_elder, nothing), "temporary", "bridging").en


def test_a_household_that_dibao_covers_while_tekun_waits_is_not_bridged():
    # 8 months: short of tekun's 12 but enough for dibao, which covers the household meanwhile.
    decision = decide(household((Member(75, "none"),), "0", residence=8), RULES)
    assert eligible(decision, "dibao") and not eligible(decision, "temporary")
    assert "qualifies for minimum living guarantee (dibao)" in reason(decision, "temporary", "bridging").en


def test_in_an_emergency_the_bridge_reaches_a_household_that_has_just_arrived():
    decision = decide(baseline("dibao", residence=0), RULES, emergency=True)
    assert not eligible(decision, "dibao") and not reason(decision, "dibao", "residence").waived
    assert eligible(decision, "temporary") and reason(decision, "temporary", "residence").waived
    assert decision.result("temporary").routes == ("bridging",)


def test_a_bridged_household_also_gets_employment_services_once_it_meets_their_residence():
    decision = decide(baseline("dibao", residence=DIBAO_MONTHS - 1), RULES)
    assert eligible(decision, "temporary") and eligible(decision, "employment")
    assert "temporary assistance" in reason(decision, "employment", "low_income_household").en


# --- special programmes ----------------------------------------------------------------------------------------

def test_medical_assistance_needs_illness_or_medical_spending():
    decision = decide(baseline("dibao"), RULES)
    assert eligible(decision, "dibao") and not eligible(decision, "medical")
    assert not reason(decision, "medical", "medical_need").passed
    spending = decide(baseline("dibao", medical_expense_yuan_year=Decimal(200)), RULES)
    assert eligible(spending, "medical") and reason(spending, "medical", "low_income_household").passed


@pytest.mark.parametrize("formerly_poor,share_key", [
    (False, "catastrophic_share_of_reference_income"), (True, "formerly_poor_share_of_reference_income")])
@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_ABOVE)
def test_medical_assistance_for_catastrophic_spending_outside_the_low_income_programmes(formerly_poor, share_key,
                                                                                          delta, expected):
    threshold = RULES.decimal("medical", share_key) * REFERENCE
    facts = household((ADULT,), "2000", formerly_poor=formerly_poor, medical_expense_yuan_year=threshold + delta)
    decision = decide(facts, RULES)
    assert not reason(decision, "medical", "low_income_household").passed
    assert reason(decision, "medical", "catastrophic_expense").passed is expected
    assert eligible(decision, "medical") is expected


def test_medical_catastrophic_threshold_defaults_literally():
    assert eligible(decide(household((ADULT,), "2000", medical_expense_yuan_year=Decimal("20133.01")), RULES), "medical")
    assert not eligible(decide(household((ADULT,), "2000", medical_expense_yuan_year=Decimal("20133")), RULES), "medical")
    poor = household((ADULT,), "2000", formerly_poor=True, medical_expense_yuan_year=Decimal("10066.51"))
    assert eligible(decide(poor, RULES), "medical")


def test_education_assistance_needs_a_student():
    decision = decide(baseline("dibao", members=(ADULT, JOBLESS)), RULES)
    assert not eligible(decision, "education") and not reason(decision, "education", "student_in_household").passed
    student = decide(baseline("dibao", members=(ADULT, Member(19, "full", in_higher_education=True))), RULES)
    assert eligible(student, "education")


@pytest.mark.parametrize("delta,expected", EDGES_STRICTLY_ABOVE)
def test_education_assistance_when_school_costs_take_more_than_the_threshold(delta, expected):
    threshold = RULES.decimal("education", "expense_share_of_income_threshold")
    per_capita = Decimal(1500)
    members = (ADULT, Member(19, "full", in_higher_education=True))
    spending = threshold * per_capita * 2 * 12 + delta
    decision = decide(household(members, per_capita, education_expense_yuan_year=spending), RULES)
    assert not reason(decision, "education", "low_income_household").passed
    assert eligible(decision, "education") is expected


@pytest.mark.parametrize("changes,code", [
    ({"housing_safe": True}, "dwelling_unsafe"),
    ({"members": (ADULT, ADULT), "per_capita_month": "5000"}, "low_income_household"),
])
def test_housing_assistance_needs_an_unsafe_dwelling_and_a_low_income_programme(changes, code):
    decision = decide(baseline("housing", **changes), RULES)
    assert not eligible(decision, "housing") and not reason(decision, "housing", code).passed


def test_housing_assistance_counts_the_safe_housing_guarantee_and_other_dwellings():
    assert eligible(decide(baseline("housing", housing_safe=True, guarantees=Guarantees(safe_housing=False)), RULES),
                    "housing")
    limit = RULES.integer("housing", "extra_housing_units_limit")
    lenient = with_params(RULES, {"dibao": {"assets": {"extra_housing_units_limit": limit + 1}}})
    decision = decide(baseline("housing", extra_housing_units=limit + 1), lenient)
    assert eligible(decision, "dibao") and not eligible(decision, "housing")
    assert not reason(decision, "housing", "no_other_dwelling").passed


@pytest.mark.parametrize("member,expected", [
    (JOBLESS, True),
    (Member(35, "partial"), True),
    (Member(MINOR, "full"), True),
    (Member(ELDERLY - 1, "full"), True),
    (Member(35, "full", employed=True), False),
    (Member(35, "none"), False),
    (Member(ELDERLY, "full"), False),
    (Member(MINOR - 1, "full"), False),
    (Member(20, "full", in_higher_education=True), False),
])
def test_employment_assistance_needs_a_working_age_member_able_to_work_without_a_job(member, expected):
    decision = decide(baseline("employment", members=(ADULT, member)), RULES)
    assert eligible(decision, "employment") is expected
    assert reason(decision, "employment", "jobless_able_member").passed is expected


def test_employment_assistance_reaches_temporary_recipients_but_not_the_well_off():
    three_months = RULES.integer("temporary", "residence_months")
    decision = decide(baseline("employment", residence=three_months), RULES)
    assert eligible(decision, "temporary") and not eligible(decision, "dibao") and eligible(decision, "employment")
    assert "temporary assistance" in reason(decision, "employment", "low_income_household").en
    well_off = decide(household((ADULT, JOBLESS), "5000"), RULES)
    assert not eligible(well_off, "employment")
    assert not reason(well_off, "employment", "low_income_household").passed


# --- several programmes at once, and the invariants ------------------------------------------------------------

def test_a_household_in_several_programmes_at_once():
    members = (Member(70, "none", 1, True), Member(40, "partial"), Member(10, "none", in_compulsory_education=True))
    facts = household(members, "400", savings_yuan=Decimal(3000), medical_expense_yuan_year=Decimal(9000), residence=8,
                      sudden_hardship=True, housing_safe=False)
    decision = decide(facts, RULES)
    assert decision.eligible == ("dibao", "monitoring", "temporary", "medical", "education", "employment")
    assert decision.categories == {"monitoring": "sudden"}
    assert not reason(decision, "housing", "residence").passed  # 8 months, housing asks for 12
    assert "6 programme(s)" in decision.explanation_en and "6项" in decision.explanation_zh
    assert "household in sudden severe hardship" in decision.explanation_en


def test_a_lone_elder_gets_support_care_and_housing_together():
    facts = household((Member(82, "none", chronic_illness=True),), "0", housing_safe=False)
    decision = decide(facts, RULES)
    assert decision.eligible == ("tekun", "monitoring", "medical", "housing")
    assert decision.categories == {"monitoring": "marginal"}


def test_a_well_off_household_qualifies_for_nothing_and_is_told_so():
    decision = decide(household((ADULT, ADULT), "5000"), RULES)
    assert decision.eligible == () and decision.categories == {}
    assert "qualifies for no programme" in decision.explanation_en and "不符合任何救助条件" in decision.explanation_zh


# Criteria that are facts, not comparisons with a number: their sentences carry no figures.
YES_NO_CRITERIA = {"no_able_supporter", "no_business", "sudden_hardship", "basic_needs_unmet", "dwelling_unsafe",
                   "low_income_household", "no_commercial_property", "no_public_payroll_member", "bridging"}
SAMPLES = [baseline(p) for p in PROGRAMMES] + [
    baseline("dibao", residence=4),                                                 # bridged by temporary
    baseline("monitoring", vehicles_value_yuan=Decimal(200000), extra_housing_units=1, owns_commercial_property=True,
             has_public_payroll_member=True, owns_business=True),                 # on the negative list
    household((ADULT, ADULT), "5000"),
    household((Member(70, "none", 1, True), JOBLESS, CHILD), "0", sudden_hardship=True, housing_safe=False,
              guarantees=Guarantees(food=False), formerly_poor=True, income_unstable=True, residence=0),
    household((ADULT,), "0", care_expense_yuan_year=Decimal(5000), education_expense_yuan_year=Decimal(100)),
]


@pytest.mark.parametrize("facts", SAMPLES)
@pytest.mark.parametrize("emergency", [False, True])
def test_every_decision_keeps_its_invariants(facts, emergency):
    decision = decide(facts, RULES, emergency=emergency)
    assert tuple(r.programme for r in decision.programmes) == PROGRAMMES
    assert decision.eligible == tuple(r.programme for r in decision.programmes if r.eligible)
    assert decision.rule_version == RULES.version
    assert decision.scores == assess(facts, RULES).scores
    waivable = RULES.names("emergency", "waives_residence_for")
    for result in decision.programmes:
        codes = [r.code for r in result.reasons]
        assert codes[0] == "residence" and len(codes) == len(set(codes))
        assert result.reasons[0].route is None, "residence is needed whichever way"

        def group_passes(reasons):
            required = [r.passed for r in reasons if not r.alternative]
            alternatives = [r.passed for r in reasons if r.alternative]
            return all(required) and (not alternatives or any(alternatives))
        routes = {r.route for r in result.reasons} - {None}
        passed_routes = {route for route in routes if group_passes([r for r in result.reasons if r.route == route])}
        assert result.eligible is (group_passes([r for r in result.reasons if r.route is None])
                                   and (not routes or bool(passed_routes)))
        assert set(result.routes) == passed_routes
        assert (result.category is not None) is (result.programme == "monitoring" and result.eligible)
        assert result.failed == tuple(r for r in result.reasons if not r.passed)
        # what keeps it from passing (the self-check shows it): failed reasons that, once met, make it pass
        assert (not result.unmet) is result.eligible and set(result.unmet) <= set(result.failed)
        met = [dataclasses.replace(r, passed=True) if r in result.unmet else r for r in result.reasons]
        assert group_passes([r for r in met if r.route is None])
        assert not routes or any(group_passes([r for r in met if r.route == route]) for route in routes)
        for r in result.reasons:
            assert r.en and r.zh and "{" not in r.en + r.zh
            if not r.code.startswith("not_") and r.code not in YES_NO_CRITERIA:
                assert any(ch.isdigit() for ch in r.en) and any(ch.isdigit() for ch in r.zh), r.code
            assert not r.waived or (emergency and r.code == "residence" and result.programme in waivable)
        if result.eligible:
            assert PROGRAMME_NAMES[result.programme][0] in decision.explanation_en
            assert PROGRAMME_NAMES[result.programme][1] in decision.explanation_zh


def test_an_unknown_programme_is_reported():
    with pytest.raises(KeyError, match="no programme 'pension'"):
        decide(baseline("dibao"), RULES).result("pension")
