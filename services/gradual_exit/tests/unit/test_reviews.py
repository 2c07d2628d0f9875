"""Periodic reviews: the interval by stability and labour capacity, several programmes, and the due-day boundary."""
from datetime import date

import pytest

from gradual_exit.domain.reviews import is_overdue, next_review, overdue_explanation, review_basis
from gradual_exit.domain.rules import RuleSet
from shared.policy_client import PolicyRules

RULES = PolicyRules("gradual_exit", build=RuleSet.from_policy).for_division("522701001002", date(2026, 3, 1))


@pytest.mark.parametrize("stable,labour,basis", [
    (False, True, "unstable_with_labour"),
    (False, False, "stable"), (False, None, "stable"),
    (True, True, "stable"), (None, True, "stable"), (None, None, "stable"), (True, False, "stable"),
])
def test_only_unstable_income_with_members_able_to_work_shortens_the_interval(stable, labour, basis):
    assert review_basis(stable, labour) == basis


@pytest.mark.parametrize("basis,due", [("stable", date(2027, 3, 2)), ("unstable_with_labour", date(2026, 9, 2))])
def test_dibao_is_reviewed_every_12_months_when_stable_and_every_6_when_unstable(basis, due):
    schedule = next_review(date(2026, 3, 2), ["dibao"], basis, RULES)
    assert (schedule.due_on, schedule.interval_months, schedule.programme) == (due, 12 if basis == "stable" else 6, "dibao")
    assert schedule.rule_version == RULES.version and schedule.explanation_en and schedule.explanation_zh


def test_the_shortest_interval_among_the_programmes_applies_and_linked_assistance_sets_none():
    assert next_review(date(2026, 3, 2), ["tekun", "dibao", "medical"], "unstable_with_labour", RULES).interval_months == 6
    assert next_review(date(2026, 3, 2), ["tekun", "medical"], "unstable_with_labour", RULES).interval_months == 12
    assert next_review(date(2026, 3, 2), ["medical", "temporary"], "stable", RULES) is None
    assert next_review(date(2026, 3, 2), [], "stable", RULES) is None


def test_a_due_day_at_the_end_of_a_short_month():
    assert next_review(date(2026, 8, 31), ["dibao"], "unstable_with_labour", RULES).due_on == date(2027, 2, 28)


@pytest.mark.parametrize("today,overdue", [(date(2027, 3, 1), False), (date(2027, 3, 2), False),
                                           (date(2027, 3, 3), True)])
def test_a_review_is_overdue_from_the_day_after_its_due_day(today, overdue):
    assert is_overdue(date(2027, 3, 2), today) is overdue


def test_the_intervals_are_policy_data(bundle):
    rules = bundle(releases=[{"region": "52", "version": 1, "effective_from": "2026-01-01", "overrides": {"gradual_exit": {
        "programmes": {"dibao": {"review_months": {"stable": 24, "unstable_with_labour": 3}}}}}}]
                   ).for_division("522701001002", date(2026, 3, 1))
    assert rules.version == "52-v1"
    assert next_review(date(2026, 3, 2), ["dibao"], "stable", rules).due_on == date(2028, 3, 2)
    assert next_review(date(2026, 3, 2), ["dibao"], "unstable_with_labour", rules).due_on == date(2026, 6, 2)


def test_the_overdue_explanation_is_bilingual():
    en, zh = overdue_explanation(date(2027, 3, 2), 6, "unstable_with_labour")
    assert "2027-03-02" in en and "6 months" in en and "unstable" in en
    assert "2027-03-02" in zh and "6个月" in zh and "收入不稳定" in zh
