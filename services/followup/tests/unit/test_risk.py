"""Relapse-risk rules at the edges of every threshold (at, just below, just above), with version and both languages."""
from datetime import date
from decimal import Decimal as D

import pytest

from followup.domain.risk import CheckinObservation, assess_checkin, assess_signal, pct, yuan, yuan_zh
from followup.policy import policy_rules

SHIPPED = policy_rules()
RULES = SHIPPED.for_division("110105001001", date(2026, 3, 1))          # CN-v1: line 8700, drop 30%
YUNNAN = SHIPPED.for_division("530102001001", date(2026, 3, 1))         # 53-v2: line 9000, reference income 17000


def observe(income="3000", members=1, **extra) -> CheckinObservation:
    return CheckinObservation(household_monthly_income_yuan=D(income), member_count=members, **extra)


def check(assessment, code):
    found = [c for c in assessment.checks if c.code == code]
    assert len(found) == 1, f"{code} not among {[c.code for c in assessment.checks]}"
    return found[0]


# --- income -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("income,members,at_risk", [
    ("725", 1, False),        # exactly the line: 725 x 12 = 8700
    ("724.99", 1, True),
    ("725.01", 1, False),
    ("2175", 3, False),       # exactly the line for three people, compared without rounding
    ("2174.99", 3, True),
    ("0", 2, True),
])
def test_per_capita_income_below_the_monitoring_line_is_a_risk_and_at_the_line_is_not(income, members, at_risk):
    result = check(assess_checkin(observe(income, members), None, RULES), "income.below_line")
    assert result.at_risk is at_risk and result.risk_kind == "income_drop"
    assert "8,700" in result.en and "8700 元" in result.zh


@pytest.mark.parametrize("income,at_risk", [("750", False), ("749.99", True), ("750.01", False)])
def test_the_line_is_the_regions(income, at_risk):
    assert check(assess_checkin(observe(income), None, YUNNAN), "income.below_line").at_risk is at_risk


@pytest.mark.parametrize("per_capita,at_risk", [("1400", False), ("1399.99", True), ("1400.01", False), ("2500", False)])
def test_a_fall_of_more_than_the_threshold_share_from_the_income_at_exit_is_a_risk(per_capita, at_risk):
    result = check(assess_checkin(observe(per_capita), D("2000"), RULES), "income.drop")
    assert result.at_risk is at_risk
    assert check(assess_checkin(observe(per_capita), D("2000"), RULES), "income.below_line").at_risk is False
    assert "30%" in result.en and "30%" in result.zh


def test_the_fall_is_per_capita_for_the_household_size_seen_now():
    # ¥4,200 for 3 people is ¥1,400 each: exactly 30% below ¥2,000
    assert check(assess_checkin(observe("4200", 3), D("2000"), RULES), "income.drop").at_risk is False
    assert check(assess_checkin(observe("4199.97", 3), D("2000"), RULES), "income.drop").at_risk is True


def test_without_an_income_at_exit_the_fall_is_not_judged_but_the_line_is():
    codes = {c.code for c in assess_checkin(observe("3000"), None, RULES).checks}
    assert "income.drop" not in codes and "income.below_line" in codes
    assert "income.drop" not in {c.code for c in assess_checkin(observe("3000"), D(0), RULES).checks}


# --- medical ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cost,at_risk", [("10066.50", False), ("10066.49", False), ("10066.51", True)])
def test_out_of_pocket_medical_costs_above_half_the_reference_income_are_a_risk(cost, at_risk):
    result = check(assess_checkin(observe(medical_out_of_pocket_yuan_year=D(cost)), None, RULES),
                   "medical.out_of_pocket_year")
    assert result.at_risk is at_risk and result.risk_kind == "medical_expense"
    assert "10,066.50" in result.en and "10066.50 元" in result.zh


def test_the_medical_threshold_follows_the_regions_reference_income():
    assert check(assess_checkin(observe(medical_out_of_pocket_yuan_year=D("8500")), None, YUNNAN),
                 "medical.out_of_pocket_year").at_risk is False
    assert check(assess_checkin(observe(medical_out_of_pocket_yuan_year=D("8500.01")), None, YUNNAN),
                 "medical.out_of_pocket_year").at_risk is True


@pytest.mark.parametrize("cost,at_risk", [("6000", False), ("5999.99", False), ("6000.01", True)])
def test_one_stay_above_the_per_stay_threshold_is_a_risk(cost, at_risk):
    assert check(assess_checkin(observe(medical_per_stay_yuan=D(cost)), None, RULES), "medical.per_stay").at_risk is at_risk


# --- disaster -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("share,at_risk", [("0.3", False), ("0.2999", False), ("0.3001", True), ("1", True)])
def test_a_loss_above_the_threshold_share_of_annual_income_is_a_risk(share, at_risk):
    result = check(assess_checkin(observe(disaster_loss_share=D(share)), None, RULES), "disaster.loss_share")
    assert result.at_risk is at_risk and result.risk_kind == "disaster"


@pytest.mark.parametrize("loss,at_risk", [("10800", False), ("10799.99", False), ("10800.01", True)])
def test_a_loss_in_yuan_is_turned_into_a_share_of_the_income_observed(loss, at_risk):
    # ¥3,000 a month is ¥36,000 a year: 30% is ¥10,800 (also above the ¥10,000 amount, judged separately)
    result = check(assess_checkin(observe("3000", disaster_loss_yuan=D(loss)), None, RULES), "disaster.loss_share")
    assert result.at_risk is at_risk
    assert result.evidence["annual_household_income_yuan"] == 36000


@pytest.mark.parametrize("loss,at_risk", [("10000", False), ("9999.99", False), ("10000.01", True)])
def test_a_loss_above_the_amount_threshold_is_a_risk_whatever_the_income(loss, at_risk):
    assessment = assess_checkin(observe("100000", disaster_loss_yuan=D(loss)), None, RULES)
    assert check(assessment, "disaster.loss_amount").at_risk is at_risk
    assert check(assessment, "disaster.loss_share").at_risk is False


def test_a_loss_when_the_household_has_no_income_is_judged_by_amount_only():
    assessment = assess_checkin(observe("0", disaster_loss_yuan=D("500")), None, RULES)
    assert "disaster.loss_share" not in {c.code for c in assessment.checks}
    assert check(assessment, "disaster.loss_amount").at_risk is False


# --- labour and other ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lost,at_risk", [(0, False), (1, True), (2, True)])
def test_one_member_losing_labour_capacity_is_a_risk(lost, at_risk):
    result = check(assess_checkin(observe(members=3, labour_loss_members=lost), None, RULES), "labour.members_lost")
    assert result.at_risk is at_risk and result.risk_kind == "labour_loss"


@pytest.mark.parametrize("lost,at_risk", [(1, False), (2, True), (3, True)])
def test_the_number_of_members_is_rule_data(bundle, national, lost, at_risk):
    rules = bundle(national(labour={"members_lost_at_least": 2})).for_division("110105", date(2026, 1, 1))
    assert check(assess_checkin(observe(members=3, labour_loss_members=lost), None, rules),
                 "labour.members_lost").at_risk is at_risk


def test_the_death_of_the_earner_and_another_risk_staff_see_are_risks():
    assessment = assess_checkin(observe(earner_died=True, other_risk="房屋倒塌"), None, RULES)
    assert check(assessment, "labour.earner_died").at_risk
    other = check(assessment, "other.staff_reported")
    assert other.at_risk and other.risk_kind == "other" and "房屋倒塌" in other.en and "房屋倒塌" in other.zh


# --- the assessment as a whole ------------------------------------------------------------------------------------

def test_a_visit_with_nothing_wrong_is_no_risk_and_says_why_in_both_languages():
    assessment = assess_checkin(observe("3000", 2), D("1500"), RULES)
    assert not assessment.at_risk and assessment.risk_kind is None and assessment.reasons == ()
    assert assessment.rule_version == "CN-v1"
    assert assessment.explanation_en.startswith("No relapse risk (rules CN-v1)")
    assert assessment.explanation_zh.startswith("未发现返贫风险（规则 CN-v1）")
    assert all(c.en and c.zh for c in assessment.checks)


def test_several_risks_name_the_first_kind_in_the_rules_precedence_and_list_every_reason():
    assessment = assess_checkin(observe("500", medical_per_stay_yuan=D("9000")), D("1500"), RULES)
    assert assessment.risk_kinds == ("medical_expense", "income_drop")
    assert assessment.risk_kind == "medical_expense"
    assert {r.code for r in assessment.reasons} == {"income.below_line", "income.drop", "medical.per_stay"}
    assert "medical_expense" in assessment.explanation_en and "存在返贫风险" in assessment.explanation_zh
    data = assessment.as_dict()
    assert data["rule_version"] == "CN-v1" and data["at_risk"] and len(data["checks"]) == len(assessment.checks)


def test_the_precedence_is_rule_data(bundle, national):
    rules = bundle(national(risk_kind_precedence=["income_drop", "other", "disaster", "medical_expense",
                                                  "labour_loss"])).for_division("110105", date(2026, 1, 1))
    assert assess_checkin(observe("500", medical_per_stay_yuan=D("9000")), None, rules).risk_kind == "income_drop"


@pytest.mark.parametrize("bad", [dict(members=0), dict(income="-1"), dict(members=2, labour_loss_members=3),
                                 dict(disaster_loss_share=D("1.2"))])
def test_an_impossible_observation_is_refused(bad):
    income, members = bad.pop("income", "100"), bad.pop("members", 1)
    with pytest.raises(ValueError):
        observe(income, members, **bad)


# --- partner signals ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amounts,codes_at_risk", [
    ({"per_stay_yuan": D("6000")}, set()),
    ({"per_stay_yuan": D("6000.01")}, {"medical.per_stay"}),
    ({"cumulative_year_yuan": D("10066.50")}, set()),
    ({"cumulative_year_yuan": D("10066.51"), "per_stay_yuan": D("100")}, {"medical.out_of_pocket_year"}),
])
def test_a_medical_signal_is_judged_by_the_same_thresholds(amounts, codes_at_risk):
    assessment = assess_signal("medical_expense", amounts, RULES)
    assert {c.code for c in assessment.reasons} == codes_at_risk
    assert assessment.risk_kind == ("medical_expense" if codes_at_risk else None)


@pytest.mark.parametrize("grade,at_risk", [(1, True), (2, True), (3, False), (4, False)])
def test_a_new_disability_of_grade_two_or_worse_is_loss_of_labour(grade, at_risk):
    assessment = assess_signal("severe_disability", {"grade": D(grade)}, RULES)
    assert assessment.at_risk is at_risk and assessment.checks[0].risk_kind == "labour_loss"


@pytest.mark.parametrize("kind,risk_kind", [("earner_death", "labour_loss"), ("earner_labour_loss", "labour_loss"),
                                            ("unemployment", "income_drop"), ("migrant_return", None)])
def test_signals_without_amounts_are_risks_as_the_rules_say(kind, risk_kind):
    assessment = assess_signal(kind, {}, RULES)
    assert assessment.risk_kind == risk_kind
    assert assessment.checks[0].en and assessment.checks[0].zh


def test_a_region_may_count_a_migrant_workers_return_as_a_risk(bundle, release):
    rules = bundle(None, release("11", 1, "2026-01-01", {"followup": {"signals": {"migrant_return": "income_drop"}}})
                   ).for_division("1101", date(2026, 1, 1))
    assert rules.version == "11-v1"
    assert assess_signal("migrant_return", {}, rules).risk_kind == "income_drop"


@pytest.mark.parametrize("amounts,income,at_risk", [
    ({"loss_share": D("0.3")}, None, False),
    ({"loss_share": D("0.3001")}, None, True),
    ({"loss_yuan": D("9000")}, D("30000"), False),    # exactly 30% of ¥30,000, and not above ¥10,000
    ({"loss_yuan": D("9000.01")}, D("30000"), True),
    ({"loss_yuan": D("5000")}, None, False),
    ({"loss_yuan": D("10000.01")}, None, True),
])
def test_a_disaster_or_crop_loss_is_judged_by_share_and_amount(amounts, income, at_risk):
    for kind in ("disaster_loss", "crop_failure"):
        assessment = assess_signal(kind, amounts, RULES, income)
        assert assessment.at_risk is at_risk, (kind, amounts)
        assert assessment.risk_kind in (None, "disaster")


@pytest.mark.parametrize("current,at_risk", [("700", False), ("699.99", True), ("700.01", False)])
def test_a_reported_income_drop_of_more_than_the_threshold_is_a_risk(current, at_risk):
    assessment = assess_signal("income_drop", {"previous_monthly_yuan": D("1000"), "current_monthly_yuan": D(current)}, RULES)
    assert assessment.at_risk is at_risk and assessment.checks[0].code == "income.reported_drop"


@pytest.mark.parametrize("cost,at_risk", [("10000", False), ("10000.01", True)])
def test_high_education_costs_are_another_risk(cost, at_risk):
    assessment = assess_signal("education_cost", {"annual_cost_yuan": D(cost)}, RULES)
    assert assessment.at_risk is at_risk and assessment.checks[0].risk_kind == "other"


def test_an_unknown_signal_kind_is_refused():
    with pytest.raises(ValueError):
        assess_signal("lottery_win", {}, RULES)


def test_money_and_shares_read_naturally():
    assert yuan(D("8700")) == "¥8,700" and yuan(D("724.99")) == "¥724.99" and yuan(D("10066.5")) == "¥10,066.50"
    assert yuan_zh(D("8700")) == "8700 元" and yuan_zh(D("0.5")) == "0.50 元"
    assert pct(D("0.3")) == "30%" and pct(D("0.3001")) == "30.01%" and pct(D("0.125")) == "12.5%"
