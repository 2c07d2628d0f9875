"""The urgency score: every component, its boundaries, clamping, the weights as data and the explanation."""
from datetime import date
from decimal import Decimal

import pytest

from assistance.domain.needs import Household
from assistance.domain.priority import priority
from assistance.domain.rules import RuleSet, merge_params, policy_rules

POLICY = policy_rules()  # the versions shipped with the platform

RULES = POLICY.for_division("520326101203", date(2026, 3, 1))  # dibao standard 542


def household(income=None, scores=None, programmes=("near_dibao",), categories=None, sudden=False):
    return Household("520326101203", programmes, 2, categories or {}, scores or {},
                     None if income is None else Decimal(income), sudden)


def component(p, name):
    return next(c for c in p.components if c.name == name)


@pytest.mark.parametrize("income,value", [("0", "100"), ("271", "50"), ("541.99", "0"), ("542", "0"),
                                          ("542.01", "0"), ("5000", "0"), ("0.01", "100")])
def test_income_gap_is_the_share_of_the_standard_missing(income, value):
    assert component(priority(household(income), waiting_days=0, rules=RULES), "income_gap").value == Decimal(value)


def test_income_gap_falls_back_to_the_identification_score_then_to_zero():
    fallback = component(priority(household(scores={"income": 70}), waiting_days=0, rules=RULES), "income_gap")
    assert fallback.value == 70 and "identification income score" in fallback.en
    unknown = component(priority(household(), waiting_days=0, rules=RULES), "income_gap")
    assert unknown.value == 0 and "neither" in unknown.en and "尚无" in unknown.zh
    known = component(priority(household("100", scores={"income": 0}), waiting_days=0, rules=RULES), "income_gap")
    assert known.value == Decimal("81.55"), "a recorded income wins over the score"


@pytest.mark.parametrize("days,value", [(0, "0"), (1, "1.11"), (89, "98.89"), (90, "100"), (91, "100"), (400, "100")])
def test_waiting_time_grows_to_full_at_the_configured_day(days, value):
    assert component(priority(household(), waiting_days=days, rules=RULES), "waiting_time").value == Decimal(value)


def test_sudden_hardship_comes_from_a_programme_a_category_or_the_caseworker():
    def sudden(**kw):
        return component(priority(household(**kw), waiting_days=0, rules=RULES), "sudden_hardship")
    assert sudden().value == 0
    assert sudden(programmes=("temporary",)).value == 100 and "temporary assistance" in sudden(programmes=("temporary",)).en
    assert sudden(programmes=("monitoring",), categories={"monitoring": "sudden"}).value == 100
    assert sudden(programmes=("monitoring",), categories={"monitoring": "marginal"}).value == 0
    assert sudden(sudden=True).value == 100 and "工作人员记录" in sudden(sudden=True).zh


def test_scores_are_taken_as_given_and_clamped_to_0_100():
    p = priority(household(scores={"rigid_expenditure": 130, "disability": -5, "dependants": 40}), waiting_days=0,
                 rules=RULES)
    assert [component(p, n).value for n in ("rigid_expenditure", "disability", "dependants")] == [100, 0, 40]
    assert "no score recorded" not in component(p, "dependants").en
    assert "no score recorded" in component(priority(household(), waiting_days=0, rules=RULES), "dependants").en


def test_the_score_is_the_weighted_sum_rounded_half_up():
    p = priority(household("271", scores={"rigid_expenditure": 50, "disability": 80, "dependants": 30},
                           programmes=("temporary",)), waiting_days=45, rules=RULES)
    # 0.30 x 50 + 0.15 x 50 + 0.15 x 80 + 0.10 x 30 + 0.20 x 100 + 0.10 x 50
    assert p.score == Decimal("62.50") and p.points == 6250 and p.rule_version == "CN-v1"
    assert priority(household(), waiting_days=0, rules=RULES).score == 0
    top = priority(household("0", scores={"rigid_expenditure": 100, "disability": 100, "dependants": 100},
                             sudden=True), waiting_days=90, rules=RULES)
    assert top.score == 100


def test_the_weights_are_rule_data():
    weights = {"income_gap": 1, "rigid_expenditure": 0, "disability": 0, "dependants": 0, "sudden_hardship": 0,
               "waiting_time": 0}
    rules = RuleSet("only-income", "", RULES.effective_from, None,
                    merge_params(RULES.params, {"priority": {"weights": weights}}))
    assert priority(household("271", scores={"disability": 100}), waiting_days=90, rules=rules).score == 50


def test_the_explanation_names_every_component_its_weight_and_the_rule_version_in_both_languages():
    p = priority(household("271", scores={"disability": 80}), waiting_days=9, rules=RULES)
    en, zh = p.explanation()
    assert en.startswith("Priority ") and "CN-v1" in en and "CN-v1" in zh
    for name in ("income_gap", "rigid_expenditure", "disability", "dependants", "sudden_hardship", "waiting_time"):
        assert f"({name})" in en
    for word in ("收入缺口", "刚性支出负担", "残疾", "年龄与被抚养人", "突发困难", "等待时间"):
        assert word in zh
    assert "¥271" in en and "271元" in zh and "9 day(s)" in en
    detail = p.as_dict()
    assert detail["score"] == float(p.score) and len(detail["components"]) == 6
    assert sum(c["contribution"] for c in detail["components"]) == pytest.approx(float(p.score), abs=0.05)


def test_negative_waiting_days_are_refused():
    with pytest.raises(ValueError):
        priority(household(), waiting_days=-1, rules=RULES)
