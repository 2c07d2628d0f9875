"""Economic-status checks: the pure rules (departments per fact kind, due date, income tolerance at its boundary,
discrepancies, prefill with sources) read from the shipped national policy."""
from datetime import date
from decimal import Decimal

import pytest

from identification.domain import verification as v
from shared.policy_client import shipped_national
from shared.working_days import WorkingCalendar


@pytest.fixture(scope="module")
def rules() -> v.VerificationRules:
    return v.VerificationRules.from_params(shipped_national()["document"]["identification"]["verification"])


def income(amount, start="2026-01-01", end="2026-01-31"):
    return {"amount_yuan": amount, "period_start": start, "period_end": end}


def test_the_shipped_rules_name_a_department_for_every_fact_kind(rules):
    assert rules.version == "verification-2026.1"
    assert set(rules.fact_departments) == set(v.FACT_KINDS)
    asked = rules.departments()
    assert asked["human_resources"] == ["income_records", "social_insurance_payments"]
    assert asked["market_regulation"] == ["business_registration"]
    assert list(asked) == sorted(asked)
    assert v.VerificationRules.from_params({**_params(rules), "fact_departments": {"vehicles": ["x"]}}).departments(
        ["income_records"]) == {}


def _params(rules):
    return {"version": rules.version, "fact_departments": {k: list(d) for k, d in rules.fact_departments.items()},
            "due_working_days": rules.due_working_days, "income_tolerance_share": str(rules.income_tolerance_share),
            "income_tolerance_yuan": str(rules.income_tolerance_yuan)}


@pytest.mark.parametrize("change", [{"due_working_days": 0}, {"income_tolerance_share": -0.01},
                                    {"fact_departments": {"savings": ["bank"]}}])
def test_unsound_rules_are_refused(rules, change):
    with pytest.raises(v.VerificationRuleError):
        v.VerificationRules.from_params({**_params(rules), **change})


def test_incomplete_rules_are_refused(rules):
    params = _params(rules)
    del params["due_working_days"]
    with pytest.raises(v.VerificationRuleError):
        v.VerificationRules.from_params(params)


def test_the_due_date_counts_working_days_and_overdue_starts_the_day_after(rules):
    calendar = WorkingCalendar.china()
    start = date(2026, 3, 2)  # a Monday; 10 working days: Monday 16 March
    due = v.due_date(start, rules, calendar.add_working_days)
    assert due == date(2026, 3, 16)
    assert not v.is_overdue(due, due)
    assert v.is_overdue(due, date(2026, 3, 17))


@pytest.mark.parametrize("start,end,months", [("2026-01-01", "2026-01-31", 1), ("2026-01-15", "2026-03-02", 3),
                                              ("2025-12-01", "2026-11-30", 12)])
def test_income_records_are_converted_to_a_monthly_amount(start, end, months):
    assert v.monthly_income([income(1200, start, end)]) == (Decimal(1200) / months).quantize(Decimal("0.01"))


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        v.months_covered(date(2026, 2, 1), date(2026, 1, 31))


# Tolerance: the larger of 10 % of the declared income and 100 yuan (national rules verification-2026.1).
@pytest.mark.parametrize("declared,reported,flagged", [
    ("600", "700", False),       # 100 yuan above: exactly at the fixed tolerance
    ("600", "700.01", True),     # one fen over
    ("600", "499.99", True),     # below, one fen over
    ("600", "500", False),
    ("2000", "2200", False),     # 10 % of 2000 = 200: at the boundary
    ("2000", "2200.01", True),
    ("2000", "1799.99", True),
    ("0", "100", False),
    ("0", "100.01", True),
])
def test_income_discrepancy_at_the_tolerance_boundary(rules, declared, reported, flagged):
    found = v.income_discrepancy(Decimal(declared), Decimal(reported), "tax", rules)
    assert (found is not None) is flagged
    if found:
        d = found.as_dict()
        assert d["declared"] == declared and d["reported"] == reported and d["department"] == "tax"
        assert d["rule_version"] == rules.version


def test_discrepancies_of_an_answer(rules):
    answer = {"110105194912310021": {"income_records": [income(1500)], "vehicles": [{"value_yuan": "30000"}],
                                     "business_registration": [{"name": "小卖部", "active": True}]},
              "110105200912310045": {"income_records": [income(1000)]}}
    found = v.discrepancies({"monthly_income_yuan": "600", "vehicles_value_yuan": "0", "owns_business": False},
                            answer, "human_resources", rules)
    assert [(d.fact, d.reported) for d in found] == [("monthly_income_yuan", Decimal("2500.00")),
                                                     ("vehicles_value_yuan", Decimal("30000")),
                                                     ("owns_business", True)]
    # an answer without income says nothing about income; facts not declared are not compared
    assert v.discrepancies({"monthly_income_yuan": "600"}, {"x": {"vehicles": [{"value_yuan": 1}]}}, "p", rules) == []
    assert v.discrepancies({"monthly_income_yuan": "600"}, {"x": {"income_records": [income(650)]}}, "p", rules) == []


def test_prefill_names_the_department_and_date_of_each_suggested_fact():
    on = date(2026, 3, 4)
    suggested = v.prefill([
        ("tax", on, {"a": {"income_records": [income(3000, "2026-01-01", "2026-03-31")]}}),
        ("natural_resources", on, {"a": {"property": [{"kind": "dwelling"}, {"kind": "dwelling"}, {"kind": "commercial"}]}}),
        ("market_regulation", on, {"a": {"business_registration": []}}),
    ])
    assert suggested["monthly_income_yuan"] == {"value": "1000.00", "source": {"kind": "reported", "department": "tax",
                                                                                "date": "2026-03-04"}}
    assert suggested["extra_housing_units"]["value"] == 1 and suggested["owns_commercial_property"]["value"] is True
    assert suggested["owns_business"] == {"value": False, "source": {"kind": "reported", "department": "market_regulation",
                                                                     "date": "2026-03-04"}}
    assert "vehicles_value_yuan" not in suggested
