"""Household facts: what an update changes, what it leaves, and what enrolment tells before any re-check."""
from decimal import Decimal

import pytest

from gradual_exit.domain.situation import (
    HouseholdFacts,
    Member,
    SituationUpdate,
    apply_update,
    enrolment_facts,
    has_labour_capacity,
)

WORKING = ("full", "partial")
KNOWN = HouseholdFacts(per_capita_monthly_income_yuan=Decimal(500), income_stable=False,
                       members=(Member("full", "张三"),), has_labour_capacity=True,
                       guarantees={"food": True, "drinking_water": False}, assistance_measures=2)


def test_an_update_replaces_only_what_it_states():
    after = apply_update(KNOWN, SituationUpdate(per_capita_monthly_income_yuan=Decimal(900)), WORKING)
    assert after.per_capita_monthly_income_yuan == 900
    assert (after.income_stable, after.members, after.has_labour_capacity, after.guarantees, after.assistance_measures) \
        == (False, KNOWN.members, True, KNOWN.guarantees, 2)


def test_guarantees_merge_item_by_item():
    after = apply_update(KNOWN, SituationUpdate(guarantees={"drinking_water": True, "safe_housing": True}), WORKING)
    assert after.guarantees == {"food": True, "drinking_water": True, "safe_housing": True}


@pytest.mark.parametrize("capacities,expected", [
    (("full",), True), (("partial",), True), (("none", "partial"), True), (("none",), False), (("none", "none"), False),
])
def test_labour_capacity_follows_the_members(capacities, expected):
    members = tuple(Member(c) for c in capacities)
    after = apply_update(KNOWN, SituationUpdate(members=members), WORKING)
    assert after.has_labour_capacity is expected and after.members == members


def test_partial_capacity_counts_only_if_the_rules_say_so():
    assert has_labour_capacity((Member("partial"),), ("full",)) is False
    assert has_labour_capacity((), WORKING) is None


def test_stability_measures_and_a_lasting_source_are_replaced_when_stated():
    after = apply_update(KNOWN, SituationUpdate(income_stable=True, assistance_measures_received=1,
                                                lasting_income_source=True), WORKING)
    assert (after.income_stable, after.assistance_measures, after.lasting_income_source) == (True, 1, True)


@pytest.mark.parametrize("kwargs", [
    {"per_capita_monthly_income_yuan": Decimal("-0.01")}, {"members": ()}, {"guarantees": {"wifi": True}},
    {"assistance_measures_received": -1},
])
def test_an_impossible_update_is_refused(kwargs):
    with pytest.raises(ValueError):
        SituationUpdate(**kwargs)


def test_a_member_has_a_known_labour_capacity():
    with pytest.raises(ValueError):
        Member("some")


@pytest.mark.parametrize("update,states", [
    (SituationUpdate(), False), (SituationUpdate(guarantees={}), False),
    (SituationUpdate(per_capita_monthly_income_yuan=Decimal(0)), True), (SituationUpdate(income_stable=False), True),
    (SituationUpdate(guarantees={"food": True}), True), (SituationUpdate(assistance_measures_received=0), True),
    (SituationUpdate(lasting_income_source=False), True), (SituationUpdate(members=(Member("none"),)), True),
])
def test_an_update_must_state_something(update, states):
    assert update.states_anything() is states


@pytest.mark.parametrize("programmes,scores,labour", [
    (["tekun"], {"labour_capacity": 0}, False),      # tekun: no labour capacity by definition
    (["dibao"], {"labour_capacity": 100}, False),    # identification: 100 = no labour units at all
    (["dibao"], {"labour_capacity": 99}, True),
    (["dibao"], {"labour_capacity": 0}, True),
    (["dibao"], {"income": 80}, None),
    (["dibao"], None, None),
])
def test_enrolment_tells_whether_anyone_can_work(programmes, scores, labour):
    facts = enrolment_facts(programmes=programmes, categories={}, scores=scores, per_capita_monthly_income_yuan=400.0)
    assert facts.has_labour_capacity is labour and facts.per_capita_monthly_income_yuan == Decimal("400.0")


@pytest.mark.parametrize("categories,stable", [({"monitoring": "unstable"}, False), ({"monitoring": "marginal"}, None),
                                               ({}, None)])
def test_an_unstable_relapse_prevention_household_has_an_unstable_income(categories, stable):
    facts = enrolment_facts(programmes=["monitoring"], categories=categories, scores=None,
                            per_capita_monthly_income_yuan=None)
    assert facts.income_stable is stable and facts.per_capita_monthly_income_yuan is None
