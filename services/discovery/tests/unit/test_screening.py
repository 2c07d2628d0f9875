"""Screening rules at, just below and just above each published threshold; rule sets built from policy documents
and chosen by region and date."""
import json
import shutil
from datetime import date
from decimal import Decimal

import pytest

from discovery.domain.screening import (
    NoRulesInForce,
    RuleDataError,
    Screener,
    rule_set_from_dict,
    rule_set_from_policy,
    screen,
)
from discovery.domain.signals import SIGNAL_KINDS, SignalRecord
from shared.policy_client import BUNDLE, PolicyRules

HUNAN = "431228102201"  # the national policy only
YUNNAN = "530102001001"  # Yunnan's versions (the national document with Yunnan's overrides)
ON = date(2025, 6, 1)
INCOME = "standards.reference_income_yuan_per_person_year"
SHIPPED = PolicyRules("screening", build=rule_set_from_policy)  # the bundle shipped with the platform, no replica
NATIONAL = SHIPPED.for_division(HUNAN, ON)
YUNNAN_RULES = SHIPPED.for_division(YUNNAN, ON)


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
    assert clue.rule_version == "CN-v1"
    assert (clue.kind, clue.id_number, clue.division_code, clue.occurred_on) == (
        "medical_expense", "11010519491231002X", HUNAN, ON)
    assert (clue.source_department, clue.external_id) == ("partner", "X-1")
    assert clue.evidence == {
        "comparison": ">", "household_status": "monitored", "rule_set": "CN-v1", "field": "cumulative_year_yuan",
        "value": "10066.51", "threshold": "10066.5", "parameter": INCOME,
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


# --- regions and dates: the shipped policy ---------------------------------------------------------------------

def test_yunnan_2025_lowers_the_income_base_and_keeps_the_national_rules():
    assert YUNNAN_RULES.version == "53-v1"
    assert (YUNNAN_RULES.region, YUNNAN_RULES.effective_from, YUNNAN_RULES.effective_to) == (
        "53", date(2025, 1, 1), date(2025, 12, 31))
    assert YUNNAN_RULES.parameters[INCOME] == Decimal("16361")
    assert YUNNAN_RULES.rules == NATIONAL.rules  # the document's rules, replaced whole only if a release lists them
    at_yunnan_threshold = "8180.51"  # 16361 / 2 = 8180.5
    assert hit(record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan="8180.50"), YUNNAN_RULES) is None
    assert hit(record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan=at_yunnan_threshold),
               YUNNAN_RULES) == ("medical.cumulative.vulnerable", "high")
    assert hit(record("medical_expense", "monitored", cumulative_year_yuan=at_yunnan_threshold)) is None
    assert hit(record("migrant_return", division=YUNNAN), YUNNAN_RULES) == ("employment.migrant_return", "low")
    clue = screen(record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan="9000"), YUNNAN_RULES)
    assert clue.rule_version == "53-v1" and clue.evidence["parameter_value"] == "16361"


def test_yunnan_2026_uses_the_new_reference_income():
    rules = SHIPPED.for_division(YUNNAN, date(2026, 1, 1))
    assert (rules.version, rules.effective_from, rules.effective_to) == ("53-v2", date(2026, 1, 1), None)
    on = date(2026, 3, 1)
    assert hit(record("medical_expense", "monitored", YUNNAN, on, cumulative_year_yuan="8500"), rules) is None
    clue = screen(record("medical_expense", "monitored", YUNNAN, on, cumulative_year_yuan="8500.01"), rules)
    assert clue.rule_version == "53-v2"
    assert (clue.evidence["threshold"], clue.evidence["parameter_value"]) == ("8500.0", "17000")
    assert "¥17000" in clue.explanation_zh and "¥8500" in clue.explanation_en


@pytest.mark.parametrize("division, on, version", [
    (HUNAN, date(2022, 1, 1), "CN-v1"),  # the national document starts in 2022
    (HUNAN, date(2026, 6, 1), "CN-v1"),
    (YUNNAN, date(2024, 12, 31), "CN-v1"),  # Yunnan's first version starts in 2025
    (YUNNAN, date(2025, 1, 1), "53-v1"),
    (YUNNAN, date(2025, 12, 31), "53-v1"),  # effective_to is inclusive
    (YUNNAN, date(2026, 1, 1), "53-v2"),
    ("532301001001", date(2026, 1, 1), "53-v2"),
])
def test_the_screener_uses_the_version_in_force_for_the_division_on_the_day(division, on, version):
    screener = Screener(SHIPPED)
    assert screener.rules_for(division, on).version == version
    assert screener.screen(record("earner_death", division=division, on=on)).rule_version == version


def test_no_policy_in_force_is_an_error():
    with pytest.raises(NoRulesInForce):
        Screener(SHIPPED).screen(record("earner_death", on=date(2021, 12, 31)))


def test_every_shipped_version_covers_every_signal_kind():
    versions = SHIPPED.all()
    assert {rules.version for rules in versions} == {"CN-v1", "53-v1", "53-v2"}
    for rules in versions:
        assert set(rules.by_kind) == set(SIGNAL_KINDS)


def test_the_screener_reuses_the_compiled_set_of_a_version():
    screener = Screener(SHIPPED)
    first = screener.rules_for(YUNNAN, date(2026, 3, 1))
    assert screener.rules_for("530102001002", date(2026, 3, 1)) is first
    assert screener.rules_for("532301001001", date(2026, 4, 1)) is first  # another prefix and date, same version
    assert first is SHIPPED.by_version("53-v2") and first.by_kind is SHIPPED.by_version("53-v2").by_kind
    rec = record("medical_expense", "monitored", YUNNAN, cumulative_year_yuan="9000")
    assert screener.screen(rec) == screen(rec, YUNNAN_RULES)


# --- rule sets built from policy documents (bundle copies) ---------------------------------------------------------

STAY = {"id": "stay", "kinds": ["medical_expense"], "test": "above", "field": "per_stay_yuan",
        "threshold": {"parameter": "stay_yuan"}, "severity": "medium", "explanation_en": "¥{value} > ¥{threshold}",
        "explanation_zh": "¥{value} > ¥{threshold}"}


def _present(rule_id, kind, severity="low"):
    return {"id": rule_id, "kinds": [kind], "test": "present", "severity": severity,
            "explanation_en": f"{rule_id}", "explanation_zh": f"{rule_id}"}


def bundle(tmp_path, screening=None, releases=()):
    """A copy of the shipped bundle; `screening` replaces the national document's section, each release is
    (file name, region, version, effective_from, effective_to, overrides)."""
    folder = tmp_path / "bundle"
    shutil.copytree(BUNDLE, folder)
    if screening is not None:
        national = json.loads((folder / "national.json").read_text(encoding="utf-8"))
        national["document"]["screening"] = screening
        (folder / "national.json").write_text(json.dumps(national, ensure_ascii=False), encoding="utf-8")
    for name, region, version, start, end, overrides in releases:
        (folder / "releases" / name).write_text(json.dumps(
            {"region": region, "version": version, "effective_from": start, "effective_to": end,
             "title": name, "legal_basis": {"document_number": "TEST", "url": None}, "overrides": overrides}),
            encoding="utf-8")
    return PolicyRules("screening", build=rule_set_from_policy, bundle=folder)


def test_a_rule_citing_a_parameter_the_document_does_not_define_is_refused(tmp_path):
    rules = bundle(tmp_path, {"parameters": {}, "rules": [STAY]})
    with pytest.raises(RuleDataError, match=r"CN-v1.*stay_yuan"):
        rules.for_division(HUNAN, ON)


def test_a_regional_version_whose_rules_cite_an_undefined_parameter_is_refused_for_that_version(tmp_path):
    rules = bundle(tmp_path, {"parameters": {"stay_yuan": "6000"}, "rules": [STAY]},
                   [("5301-v1.json", "5301", 1, "2025-03-01", None,
                     {"screening": {"rules": [{**STAY, "threshold": {"parameter": "county_stay_yuan"}}]}})])
    assert rules.for_division(HUNAN, ON).version == "CN-v1"
    with pytest.raises(RuleDataError, match=r"5301-v1.*county_stay_yuan"):
        rules.for_division(YUNNAN, ON)


def test_the_yunnan_income_threshold_is_16361_in_2025_and_17000_from_2026(tmp_path):
    rules = bundle(tmp_path)
    for on, base, threshold in [(date(2025, 6, 1), "16361", "8180.5"), (date(2026, 6, 1), "17000", "8500.0")]:
        clue = Screener(rules).screen(record("medical_expense", "monitored", YUNNAN, on, cumulative_year_yuan="9000"))
        assert (clue.rule_id, clue.evidence["parameter"]) == ("medical.cumulative.vulnerable", INCOME)
        assert (clue.evidence["parameter_value"], clue.evidence["threshold"]) == (base, threshold)
    national = Screener(rules).screen(record("medical_expense", "monitored", HUNAN, date(2026, 6, 1),
                                             cumulative_year_yuan="9000"))
    assert national is None  # 9000 is below half of the national 20133


def test_a_release_replaces_the_rule_list_whole_and_the_longest_region_wins(tmp_path):
    rules = bundle(tmp_path, {"parameters": {"stay_yuan": "6000"}, "rules": [STAY, _present("death", "earner_death")]},
                   [("5301-v1.json", "5301", 1, "2025-03-01", None,
                     {"screening": {"parameters": {"stay_yuan": "3000"}, "rules": [STAY]}})])
    screener = Screener(rules)
    county = screener.rules_for(YUNNAN, date(2025, 3, 1))
    assert (county.version, county.region, county.effective_from) == ("5301-v1", "5301", date(2025, 3, 1))
    assert [rule.id for rule in county.rules] == ["stay"]  # no merge by rule id: the release's list is the list
    assert county.parameters[INCOME] == Decimal("16361")  # merged onto Yunnan's version in force on its first day
    assert screener.rules_for(YUNNAN, date(2025, 2, 28)).version == "53-v1"
    assert screener.rules_for("532301001001", date(2025, 3, 1)).version == "53-v1"  # 5323 is Yunnan but not 5301
    assert screener.screen(record("earner_death", division=YUNNAN, on=date(2025, 3, 1))) is None
    assert screener.screen(record("earner_death", division="532301001001", on=date(2025, 3, 1))).rule_id == "death"
    clue = screener.screen(record("medical_expense", division=YUNNAN, on=date(2025, 3, 1), per_stay_yuan="3000.01"))
    assert (clue.rule_id, clue.rule_version, clue.evidence["threshold"]) == ("stay", "5301-v1", "3000")


def test_an_unknown_key_in_the_screening_section_is_refused(tmp_path):
    rules = bundle(tmp_path, {"parameters": {"stay_yuan": "6000"}, "rules": [STAY], "disabled": ["stay"]})
    with pytest.raises(RuleDataError, match=r"CN-v1.*disabled"):
        rules.for_division(HUNAN, ON)


def _set(rules, parameters=None):
    return {"version": "t-1", "region": "", "effective_from": "2024-01-01", "effective_to": None,
            "parameters": parameters or {}, "rules": list(rules)}


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
    with pytest.raises(RuleDataError, match=message):
        rule_set_from_dict(_set([{**STAY, **change}], {"stay_yuan": "1"}), "test")


def test_repeated_rule_ids_are_refused():
    with pytest.raises(RuleDataError, match="repeat"):
        rule_set_from_dict(_set([STAY, STAY], {"stay_yuan": "1"}), "test")
