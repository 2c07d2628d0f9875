"""Screening rules at, just below and just above each published threshold; selection by region and date."""
import json
from datetime import date
from decimal import Decimal

import pytest

from discovery.domain.screening import (
    NoRulesInForce,
    RuleDataError,
    Screener,
    load_screening_rules,
    rule_set_from_dict,
    screen,
    select_rules,
)
from discovery.domain.signals import SignalRecord

HUNAN = "431228102201"  # national rules only
YUNNAN = "530102001001"  # national rules with Yunnan's overrides
ON = date(2025, 6, 1)
RULE_SETS = load_screening_rules()
NATIONAL = select_rules(RULE_SETS, HUNAN, ON)
YUNNAN_RULES = select_rules(RULE_SETS, YUNNAN, ON)


def record(kind: str, status: str = "none", division: str = HUNAN, on: date = ON, **amounts) -> SignalRecord:
    return SignalRecord("partner", "X-1", kind, "11010519491231002X", division, on, status,
                        {name: Decimal(value) for name, value in amounts.items()})


def hit(rec: SignalRecord, rules=NATIONAL) -> tuple[str, str] | None:
    clue = screen(rec, rules)
    return None if clue is None else (clue.rule_id, clue.severity)


# --- medical: 50% / 100% of last year's provincial rural income (national default 20,133) ---------------------------

@pytest.mark.parametrize("status", ["formerly_poor", "monitored"])
@pytest.mark.parametrize("amount, expected", [
    ("10066.49", None), ("10066.50", None), ("10066.51", ("medical.cumulative.vulnerable", "high"))])
def test_cumulative_medical_cost_of_vulnerable_household_against_half_the_rural_income(status, amount, expected):
    assert hit(record("medical_expense", status, cumulative_year_yuan=amount)) == expected


@pytest.mark.parametrize("status", ["none", "enrolled"])
@pytest.mark.parametrize("amount, expected", [
    ("10066.51", None), ("20132.99", None), ("20133.00", None), ("20133.01", ("medical.cumulative.others", "medium"))])
def test_cumulative_medical_cost_of_other_households_against_the_whole_rural_income(status, amount, expected):
    assert hit(record("medical_expense", status, cumulative_year_yuan=amount)) == expected


@pytest.mark.parametrize("status, amount, expected", [
    ("monitored", "5999.99", None), ("monitored", "6000", None),
    ("monitored", "6000.01", ("medical.per_stay.vulnerable", "high")),
    ("formerly_poor", "6000.01", ("medical.per_stay.vulnerable", "high")),
    ("none", "6000.01", None), ("none", "9999.99", None), ("none", "10000", None),
    ("none", "10000.01", ("medical.per_stay.others", "medium")),
    ("enrolled", "10000.01", ("medical.per_stay.others", "medium")),
])
def test_out_of_pocket_cost_of_one_stay(status, amount, expected):
    assert hit(record("medical_expense", status, per_stay_yuan=amount)) == expected


def test_clue_carries_the_numbers_compared_and_a_bilingual_explanation():
    clue = screen(record("medical_expense", "monitored", cumulative_year_yuan="10066.51"), NATIONAL)
    assert clue.rule_version == "cn-2025.1"
    assert (clue.kind, clue.id_number, clue.division_code, clue.occurred_on) == (
        "medical_expense", "11010519491231002X", HUNAN, ON)
    assert (clue.source_department, clue.external_id) == ("partner", "X-1")
    assert clue.evidence == {
        "comparison": ">", "household_status": "monitored", "rule_set": "cn-2025.1", "field": "cumulative_year_yuan",
        "value": "10066.51", "threshold": "10066.5", "parameter": "rural_income_last_year_yuan",
        "parameter_value": "20133", "times": "0.5"}
    assert clue.explanation_zh == ("脱贫户或监测户本年度医疗自付费用 ¥10066.51，超过上年度全省农村居民人均可支配收入（¥20133）"
                                   "的 50%（¥10066.5）。")
    assert "¥10066.51" in clue.explanation_en and "50%" in clue.explanation_en


def test_the_most_severe_rule_wins_and_the_others_are_named():
    clue = screen(record("medical_expense", "monitored", per_stay_yuan="7000", cumulative_year_yuan="5000"), NATIONAL)
    assert (clue.rule_id, clue.severity) == ("medical.per_stay.vulnerable", "high")
    clue = screen(record("medical_expense", "none", per_stay_yuan="10001", cumulative_year_yuan="30000"), NATIONAL)
    # Both medium: the first in rule order is kept.
    assert clue.rule_id == "medical.cumulative.others"
    assert clue.evidence["also_matched"] == ["medical.per_stay.others"]


# --- other kinds --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("grade, expected", [("1", ("disability.severe", "high")), ("2", ("disability.severe", "high")),
                                             ("3", None), ("4", None)])
def test_disability_of_grade_1_or_2_is_a_clue(grade, expected):
    assert hit(record("severe_disability", grade=grade)) == expected


@pytest.mark.parametrize("kind, expected", [
    ("earner_death", ("earner.death", "high")), ("earner_labour_loss", ("earner.labour_loss", "high")),
    ("unemployment", ("employment.unemployment", "medium")), ("migrant_return", ("employment.migrant_return", "low")),
])
def test_signals_that_are_clues_by_themselves(kind, expected):
    assert hit(record(kind)) == expected
    assert hit(record(kind, "monitored")) == expected


@pytest.mark.parametrize("kind", ["crop_failure", "disaster_loss"])
@pytest.mark.parametrize("share, expected", [
    ("0.2999", None), ("0.3", None), ("0.3001", ("loss.share", "medium")), ("0.5", ("loss.share", "medium")),
    ("0.5001", ("loss.share.severe", "high")), ("1", ("loss.share.severe", "high"))])
def test_loss_as_a_share_of_income(kind, share, expected):
    assert hit(record(kind, loss_share=share)) == expected


@pytest.mark.parametrize("kind", ["crop_failure", "disaster_loss"])
@pytest.mark.parametrize("amount, expected", [("20132.99", None), ("20133", None), ("20133.01", ("loss.amount", "medium"))])
def test_loss_as_an_amount_against_the_rural_income(kind, amount, expected):
    assert hit(record(kind, loss_yuan=amount)) == expected


@pytest.mark.parametrize("amount, expected", [("9999.99", None), ("10000", None),
                                              ("10000.01", ("education.cost", "medium"))])
def test_education_cost(amount, expected):
    assert hit(record("education_cost", annual_cost_yuan=amount)) == expected


@pytest.mark.parametrize("current, expected", [
    ("700.01", None), ("700", None), ("699.99", ("income.drop", "medium")), ("500", ("income.drop", "medium")),
    ("499.99", ("income.drop.severe", "high")), ("0", ("income.drop.severe", "high")), ("1500", None)])
def test_income_drop_from_1000_a_month(current, expected):
    assert hit(record("income_drop", previous_monthly_yuan="1000", current_monthly_yuan=current)) == expected


def test_income_drop_evidence_names_both_incomes_and_the_drop():
    clue = screen(record("income_drop", previous_monthly_yuan="3000", current_monthly_yuan="1000"), NATIONAL)
    assert clue.evidence["previous"] == "3000" and clue.evidence["current"] == "1000"
    assert clue.evidence["value"] == "0.6667" and clue.evidence["threshold"] == "0.5"
    assert "66.67%" in clue.explanation_zh and "50%" in clue.explanation_zh


# --- regions and dates ------------------------------------------------------------------------------------------

def test_yunnan_lowers_the_income_base_and_overrides_one_rule_by_id():
    assert YUNNAN_RULES.version == "cn-2025.1+53-2025.1"
    assert YUNNAN_RULES.parameters["rural_income_last_year_yuan"] == Decimal("16361")
    assert [rule.id for rule in YUNNAN_RULES.rules] == [rule.id for rule in NATIONAL.rules]  # same order, same ids
    at_yunnan_threshold = "8180.51"  # 16361 / 2 = 8180.5
    assert hit(record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan="8180.50"), YUNNAN_RULES) is None
    assert hit(record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan=at_yunnan_threshold),
               YUNNAN_RULES) == ("medical.cumulative.vulnerable", "high")
    assert hit(record("medical_expense", "monitored", cumulative_year_yuan=at_yunnan_threshold)) is None
    assert hit(record("migrant_return", division=YUNNAN), YUNNAN_RULES) == ("employment.migrant_return", "medium")
    assert hit(record("migrant_return")) == ("employment.migrant_return", "low")
    clue = screen(record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan="9000"), YUNNAN_RULES)
    assert clue.rule_version == "cn-2025.1+53-2025.1" and clue.evidence["parameter_value"] == "16361"


def _set(version, region, start, end=None, parameters=None, rules=(), disabled=()):
    return {"version": version, "region": region, "effective_from": start, "effective_to": end,
            "parameters": parameters or {}, "rules": list(rules), "disabled": list(disabled)}


def _present(rule_id, kind, severity="low"):
    return {"id": rule_id, "kinds": [kind], "test": "present", "severity": severity,
            "explanation_en": f"{rule_id}", "explanation_zh": f"{rule_id}"}


STAY = {"id": "stay", "kinds": ["medical_expense"], "test": "above", "field": "per_stay_yuan",
        "threshold": {"parameter": "stay_yuan"}, "severity": "medium", "explanation_en": "¥{value} > ¥{threshold}",
        "explanation_zh": "¥{value} > ¥{threshold}"}


@pytest.fixture
def dated_rules(tmp_path):
    files = {
        "cn-2024.json": _set("cn-2024", "", "2024-01-01", "2024-12-31", {"stay_yuan": "5000"},
                             [STAY, _present("death", "earner_death", "high")]),
        "cn-2025.json": _set("cn-2025", "", "2025-01-01", None, {"stay_yuan": "6000"},
                             [STAY, _present("death", "earner_death", "high")]),
        "53.json": _set("53-2025a", "53", "2025-01-01", "2025-06-30", {"stay_yuan": "4000"},
                        [_present("return", "migrant_return", "medium")], disabled=["death"]),
        "5301.json": _set("5301-2025", "5301", "2025-03-01", None,
                          rules=[{**STAY, "threshold": "3000", "severity": "high"}]),
    }
    for name, data in files.items():
        (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    return load_screening_rules(tmp_path)


@pytest.mark.parametrize("division, on, version, stay", [
    (HUNAN, date(2024, 12, 31), "cn-2024", "5000"),
    (HUNAN, date(2025, 1, 1), "cn-2025", "6000"),
    (YUNNAN, date(2024, 12, 31), "cn-2024", "5000"),  # Yunnan's set starts in 2025
    (YUNNAN, date(2025, 1, 1), "cn-2025+53-2025a", "4000"),
    ("532301001001", date(2025, 3, 1), "cn-2025+53-2025a", "4000"),  # 5323 is Yunnan but not 5301
    (YUNNAN, date(2025, 2, 28), "cn-2025+53-2025a", "4000"),
    (YUNNAN, date(2025, 3, 1), "cn-2025+53-2025a+5301-2025", "3000"),  # the longest prefix has the last word
    (YUNNAN, date(2025, 6, 30), "cn-2025+53-2025a+5301-2025", "3000"),  # effective_to is inclusive
    (YUNNAN, date(2025, 7, 1), "cn-2025+5301-2025", "3000"),
])
def test_selection_by_region_prefix_and_date(dated_rules, division, on, version, stay):
    selected = select_rules(dated_rules, division, on)
    assert selected.version == version
    assert screen(record("medical_expense", division=division, on=on, per_stay_yuan=stay), selected) is None
    clue = screen(record("medical_expense", division=division, on=on, per_stay_yuan=Decimal(stay) + Decimal("0.01")),
                  selected)
    assert clue.rule_id == "stay" and clue.evidence["threshold"] == stay


def test_regional_sets_disable_and_add_rules(dated_rules):
    in_yunnan = select_rules(dated_rules, YUNNAN, date(2025, 2, 1))
    national = select_rules(dated_rules, HUNAN, date(2025, 2, 1))
    assert [rule.id for rule in in_yunnan.rules] == ["stay", "return"]
    assert screen(record("earner_death", division=YUNNAN, on=date(2025, 2, 1)), in_yunnan) is None
    assert screen(record("earner_death", on=date(2025, 2, 1)), national).rule_id == "death"
    assert screen(record("migrant_return", division=YUNNAN, on=date(2025, 2, 1)), in_yunnan).severity == "medium"
    assert screen(record("migrant_return", on=date(2025, 2, 1)), national) is None


def test_no_national_set_in_force_is_an_error(dated_rules):
    with pytest.raises(NoRulesInForce):
        select_rules(dated_rules, HUNAN, date(2023, 12, 31))


def test_screener_caches_one_merged_set_per_region_combination(dated_rules):
    screener = Screener(dated_rules)
    first = screener.rules_for(YUNNAN, date(2025, 3, 1))
    assert screener.rules_for("530102001002", date(2025, 3, 1)) is first
    assert screener.rules_for(YUNNAN, date(2025, 4, 1)) is first  # another date, same sets in force
    assert screener.rules_for("532301001001", date(2025, 3, 1)) is not first
    assert screener.screen(record("medical_expense", division=YUNNAN, on=date(2025, 3, 1), per_stay_yuan="3000.01")
                           ).evidence["rule_set"] == "cn-2025+53-2025a+5301-2025"
    with pytest.raises(NoRulesInForce):
        screener.screen(record("earner_death", on=date(2023, 1, 1)))


def test_default_screener_gives_the_same_clue_as_screen_with_the_selected_set():
    screener = Screener.from_directory()
    rec = record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan="9000")
    assert screener.screen(rec) == screen(rec, YUNNAN_RULES)


# --- rule data errors surface at load time ----------------------------------------------------------------------

def _load(tmp_path, *sets):
    for i, data in enumerate(sets):
        (tmp_path / f"{i}.json").write_text(json.dumps(data), encoding="utf-8")
    return load_screening_rules(tmp_path)


def test_overlapping_sets_of_one_region_are_refused(tmp_path):
    with pytest.raises(RuleDataError, match="overlap"):
        _load(tmp_path, _set("a", "", "2024-01-01", None, rules=[_present("d", "earner_death")]),
              _set("b", "", "2025-01-01", None, rules=[_present("d", "earner_death")]))


def test_a_parameter_nobody_defines_is_refused(tmp_path):
    with pytest.raises(RuleDataError, match="stay_yuan"):
        _load(tmp_path, _set("a", "", "2024-01-01", None, rules=[STAY]))
    with pytest.raises(RuleDataError, match="stay_yuan"):
        _load(tmp_path, _set("a", "", "2024-01-01", None), _set("b", "53", "2024-01-01", None, rules=[STAY]))


@pytest.mark.parametrize("change, message", [
    ({"kinds": ["lottery_win"]}, "kinds"),
    ({"test": "between"}, "test"),
    ({"severity": "urgent"}, "severity"),
    ({"field": "loss_yuan"}, "not an amount"),
    ({"statuses": ["poor"]}, "statuses"),
    ({"threshold": 0.5}, "write numbers as text"),
    ({"threshold": "-1"}, "not negative"),
    ({"explanation_zh": "¥{amount}"}, "placeholder"),
    ({"colour": "red"}, "unknown keys"),
])
def test_bad_rule_entries_are_refused_with_the_reason(change, message):
    data = _set("a", "", "2024-01-01", None, {"stay_yuan": "1"}, [{**STAY, **change}])
    with pytest.raises(RuleDataError, match=message):
        rule_set_from_dict(data, "test.json")


def test_shipped_rule_data_covers_every_signal_kind():
    from discovery.domain.signals import SIGNAL_KINDS
    assert set(NATIONAL.by_kind) == set(SIGNAL_KINDS)
    assert set(YUNNAN_RULES.by_kind) == set(SIGNAL_KINDS)


def test_a_county_code_is_not_taken_for_a_township_region(tmp_path):
    rule_sets = _load(tmp_path, _set("cn", "", "2024-01-01", None, rules=[_present("d", "earner_death")]),
                      _set("county", "530102", "2024-01-01", None, disabled=["d"]),
                      _set("town", "530102001", "2024-01-01", None, rules=[_present("t", "earner_death", "high")]))
    screener = Screener(rule_sets)
    assert screener.rules_for("530102", ON).version == "cn+county"
    assert screener.rules_for("530102001001", ON).version == "cn+county+town"
    assert screener.rules_for("530102002001", ON).version == "cn+county"
    assert screener.rules_for("431228", ON).version == "cn"
    assert screener.rules_for("530102", ON).rules == select_rules(rule_sets, "530102", ON).rules
