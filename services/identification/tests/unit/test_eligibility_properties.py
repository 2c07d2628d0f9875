"""Properties of the policy corrections over random households: the emergency waiver's scope, the temporary-assistance
bridge, and monitoring's negative list."""
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from identification.domain.assessment import Guarantees, HouseholdFacts, Member
from identification.domain.eligibility import decide
from identification.domain.rules import policy_rules

RULE_SETS = policy_rules()
NATIONAL = RULE_SETS.for_division("110105", date(2026, 6, 1))
YUNNAN = RULE_SETS.for_division("530102", date(2026, 6, 1))
SCOPE = set(NATIONAL.names("emergency", "waives_residence_for"))

members = st.builds(
    Member, age=st.integers(0, 100), labour_capacity=st.sampled_from(["full", "partial", "none"]),
    disability_grade=st.one_of(st.none(), st.integers(1, 4)), chronic_illness=st.booleans(),
    in_compulsory_education=st.booleans(), in_higher_education=st.booleans(), employed=st.booleans())
money = st.decimals(0, 60000, places=2, allow_nan=False, allow_infinity=False)
households = st.builds(
    HouseholdFacts, division_code=st.just("110105001001"), members=st.lists(members, min_size=1, max_size=5),
    monthly_income_yuan=st.decimals(0, 8000, places=2, allow_nan=False, allow_infinity=False),
    savings_yuan=money, vehicles_value_yuan=st.sampled_from([Decimal(0), Decimal(30000), Decimal(50000),
                                                             Decimal("50000.01"), Decimal(200000)]),
    owns_business=st.booleans(), extra_housing_units=st.integers(0, 2), medical_expense_yuan_year=money,
    education_expense_yuan_year=money, care_expense_yuan_year=money, housing_safe=st.booleans(),
    guarantees=st.builds(Guarantees, food=st.booleans(), safe_housing=st.booleans()),
    residence_months=st.integers(0, 14), formerly_poor=st.booleans(), income_unstable=st.booleans(),
    sudden_hardship=st.booleans(), has_legal_supporter_able_to_support=st.booleans(),
    owns_commercial_property=st.booleans(), has_public_payroll_member=st.booleans())
rule_sets = st.sampled_from([NATIONAL, YUNNAN])


def depends_on_scope(programme: str, rules) -> bool:
    """Whether a programme's result can move with a waived one (it names it as covered or excluding)."""
    block = rules.value(programme)
    named = set(block.get("covered_programmes", ())) | set(block.get("excluded_if_eligible_for", ()))
    return programme in SCOPE or bool(named & SCOPE)


@settings(max_examples=300, deadline=None)
@given(households, rule_sets)
def test_an_emergency_moves_only_the_programmes_in_the_waivers_scope_and_those_that_follow_them(facts, rules):
    normal, emergency = decide(facts, rules), decide(facts, rules, emergency=True)
    for before, after in zip(normal.programmes, emergency.programmes):
        if not depends_on_scope(before.programme, rules):
            assert before.eligible == after.eligible, before.programme
            assert not any(r.waived for r in after.reasons)
    # Waiving a requirement can only add programmes.
    assert set(normal.eligible) <= set(emergency.eligible)
    assert emergency.rule_version == normal.rule_version == rules.version


@settings(max_examples=300, deadline=None)
@given(households, rule_sets)
def test_the_bridge_carries_exactly_the_households_that_dibao_or_tekun_miss_on_residence_alone(facts, rules):
    decision = decide(facts, rules)
    bridge = next(r for r in decision.result("temporary").reasons if r.code == "bridging")
    bridged = rules.names("temporary", "bridging", "programmes")
    covered = any(decision.result(p).eligible for p in bridged)
    # tekun and dibao have no alternative criteria: failing residence alone means no other reason failed.
    short_only_on_residence = [p for p in bridged if [r.code for r in decision.result(p).failed] == ["residence"]]
    assert bridge.passed is (not covered and bool(short_only_on_residence))
    if "bridging" in decision.result("temporary").routes and decision.result("temporary").eligible:
        assert "dibao" not in decision.eligible and "tekun" not in decision.eligible
        assert bridge.en in decision.explanation_en and bridge.zh in decision.explanation_zh


@settings(max_examples=300, deadline=None)
@given(households, rule_sets)
def test_nobody_on_the_negative_list_is_monitored(facts, rules):
    decision = decide(facts, rules)
    limit = rules.decimal("monitoring", "assets", "vehicle_value_limit_yuan")
    listed = (facts.vehicles_value_yuan > limit or facts.owns_commercial_property or facts.owns_business
              or facts.has_public_payroll_member
              or facts.extra_housing_units > rules.integer("monitoring", "assets", "extra_housing_units_limit"))
    if listed:
        assert "monitoring" not in decision.eligible and "monitoring" not in decision.categories
    assert all(r.passed for r in decision.result("monitoring").reasons
               if r.code in {"vehicles_within_limit", "no_commercial_property", "no_business",
                             "no_public_payroll_member", "extra_housing_within_limit"}) is (not listed)
