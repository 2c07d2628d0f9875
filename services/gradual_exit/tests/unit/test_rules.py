"""Rule sets from policy documents: the shipped versions, every line kind (the monitoring line at its boundaries), the
factory, and the completeness check that refuses a document gradual_exit cannot work with, naming the version."""
import copy
from datetime import date
from decimal import Decimal

import pytest

from gradual_exit.domain.observation import decide_on_income, exit_verdict
from gradual_exit.domain.rules import (
    GUARANTEE_KEYS,
    LINE_KINDS,
    PROGRAMMES,
    REQUIRED_PARAMS,
    NoRuleSet,
    RuleDataError,
    RuleSet,
    check_complete,
)
from gradual_exit.domain.situation import HouseholdFacts
from shared.policy_client import PolicyEntry, PolicyRules, baseline_entries, project, shipped_national

RULES = PolicyRules("gradual_exit", build=RuleSet.from_policy)  # the shipped bundle, no replica
NATIONAL_DOCUMENT = shipped_national()["document"]
YUNNAN = "530102001001"
GUIZHOU = "522701001002"
CENT = Decimal("0.01")


def entry(document=NATIONAL_DOCUMENT, rule_version="CN-v9", region="", start=date(2022, 1, 1), end=None):
    return PolicyEntry(rule_version, region, int(rule_version.split("-v")[1]), start, end, document)


def params(document=NATIONAL_DOCUMENT) -> dict:
    return project(document, "gradual_exit")


# --- the shipped versions ------------------------------------------------------------------------------------------

def test_the_shipped_policy_picks_the_version_by_region_and_date():
    assert RULES.for_division(GUIZHOU, date(2026, 3, 1)).version == "CN-v1"
    assert RULES.for_division(YUNNAN, date(2024, 12, 31)).version == "CN-v1"
    assert RULES.for_division(YUNNAN, date(2025, 1, 1)).version == "53-v1"
    assert RULES.for_division(YUNNAN, date(2025, 12, 31)).version == "53-v1"
    assert RULES.for_division(YUNNAN, date(2026, 1, 1)).version == "53-v2"
    with pytest.raises(NoRuleSet):
        RULES.for_division(YUNNAN, date(2021, 12, 31))


def test_every_shipped_version_is_complete():
    assert [r.version for r in RULES.all()] == ["CN-v1", "53-v1", "53-v2"]


@pytest.mark.parametrize("programme,expected", [
    ("tekun", "542.00"), ("dibao", "542.00"), ("near_dibao", "813.00"), ("rigid_expense", "1677.75"),
    ("monitoring", "725.00"), ("temporary", None), ("medical", None), ("education", None), ("housing", None),
    ("employment", None)])
def test_the_national_default_lines(programme, expected):
    line = RULES.for_division(GUIZHOU, date(2026, 3, 1)).line(programme)
    assert (None if line is None else str(line.yuan_per_person_month)) == expected
    if line is not None:
        assert line.basis_en and line.basis_zh


@pytest.mark.parametrize("programme,expected", [
    ("dibao", "600.00"), ("near_dibao", "900.00"), ("tekun", "600.00"), ("monitoring", "750.00"),
    ("rigid_expense", "1416.67")])
def test_the_yunnan_2026_version_moves_every_line_derived_from_a_standard(programme, expected):
    rules = RULES.for_division(YUNNAN, date(2026, 3, 1))
    assert str(rules.line(programme).yuan_per_person_month) == expected


@pytest.mark.parametrize("programme,expected", [
    ("dibao", "542.00"), ("monitoring", "725.00"), ("rigid_expense", "1363.42")])  # 16361 / 12
def test_the_yunnan_2025_version_uses_its_reference_income(programme, expected):
    rules = RULES.for_division(YUNNAN, date(2025, 6, 1))
    assert str(rules.line(programme).yuan_per_person_month) == expected


def test_the_monitoring_line_is_the_standard_not_a_copy():
    assert NATIONAL_DOCUMENT["gradual_exit"]["programmes"]["monitoring"]["line"] == {"factor_of_monitoring_line": 1}
    assert "monitoring_line_yuan_per_person_year" not in NATIONAL_DOCUMENT["gradual_exit"].get("reference", {})
    yunnan = RULES.for_division(YUNNAN, date(2026, 3, 1)).line("monitoring")
    assert yunnan.basis_en == "1 × the relapse-prevention monitoring line ¥9000 a person a year ÷ 12"
    assert yunnan.basis_zh == "防止返贫监测线每人每年9000元×1÷12"


def test_the_national_defaults_of_observation_reviews_and_notices():
    rules = RULES.for_division(GUIZHOU, date(2026, 3, 1))
    assert rules.observation_months("dibao") == 6
    assert set(rules.support_shares("dibao")) == {Decimal(1)}, "no taper by default: support continues"
    assert rules.review_months("dibao", "stable") == 12 and rules.review_months("dibao", "unstable_with_labour") == 6
    assert rules.review_months("medical", "stable") is None
    assert rules.notice_days("dibao") == 7 and rules.notice_days("monitoring") == 5
    assert rules.min_monitored_months("monitoring") == 6 and rules.min_assistance_measures("monitoring") == 1
    assert rules.min_monitored_months("dibao") == 0 and rules.min_assistance_measures("dibao") == 0
    assert rules.required_guarantees() == GUARANTEE_KEYS
    assert rules.require_income_stable() is True and rules.no_labour_needs_lasting_income() is True
    assert rules.working_labour_capacities() == ("full", "partial")
    with pytest.raises(ValueError):
        rules.review_months("dibao", "sometimes")
    with pytest.raises(ValueError):
        rules.programme("lottery")


def test_the_yunnan_taper_is_policy_data():
    rules = RULES.for_division(YUNNAN, date(2026, 3, 1))
    assert rules.support_shares("dibao") == tuple(Decimal(x) for x in ("1", "1", "1", "0.8", "0.6", "0.5"))
    assert set(rules.support_shares("near_dibao")) == {Decimal(1)}


def test_a_division_code_must_be_digits():
    with pytest.raises(ValueError):
        RULES.for_division("53a", date(2026, 1, 1))


# --- the factory -------------------------------------------------------------------------------------------------------

def test_the_factory_takes_version_region_and_period_from_the_entry():
    yunnan = next(e for e in baseline_entries() if e.rule_version == "53-v1")
    rules = RuleSet.from_policy(yunnan, params(yunnan.document))
    assert (rules.version, rules.region, rules.effective_from, rules.effective_to) == \
        ("53-v1", "53", date(2025, 1, 1), date(2025, 12, 31))
    assert rules.value("reference", "monitoring_line_yuan_per_person_year") == 8700
    assert rules.value("reference", "rural_disposable_income_yuan_per_person_year") == 16361


def test_a_past_version_is_found_by_the_version_it_cites():
    assert RULES.by_version("53-v2").line("dibao").yuan_per_person_month == Decimal("600.00")
    assert RULES.by_version("CN-v1").line("dibao").yuan_per_person_month == Decimal("542.00")
    with pytest.raises(NoRuleSet):
        RULES.by_version("GE-CN-2022.1")


def test_numbers_stay_exact():
    rules = RuleSet.from_policy(entry(), params())
    assert isinstance(rules.programme("near_dibao")["line"]["factor_of_dibao_standard"], Decimal)
    assert rules.line("near_dibao").yuan_per_person_month == Decimal("813.00")


# --- line kinds, on documents -----------------------------------------------------------------------------------------

LINES = [
    ({"factor_of_dibao_standard": 2}, "1084.00"),
    ({"factor_of_monitoring_line": 2}, "1450.00"),
    ({"factor_of_monitoring_line": 0.5}, "362.50"),
    ({"yuan_per_person_month": 700}, "700.00"),
    ({"yuan_per_person_year": 10000}, "833.33"),
    ({"share_of_reference_income": 0.5}, "838.88"),
]


@pytest.mark.parametrize("line,expected", LINES)
def test_every_line_kind(bundle, line, expected):
    rules = bundle({"gradual_exit.programmes.dibao.line": line}).for_division(GUIZHOU, date(2026, 1, 1))
    assert str(rules.line("dibao").yuan_per_person_month) == expected
    assert rules.line("dibao").basis_en and rules.line("dibao").basis_zh


def test_every_line_kind_is_tested():
    assert {next(iter(line)) for line, _ in LINES} == set(LINE_KINDS)


def test_a_release_of_the_monitoring_standard_alone_moves_the_monitoring_line(bundle):
    rules = bundle(releases=[{"region": "52", "version": 1, "effective_from": "2026-07-01",
                              "overrides": {"standards": {"monitoring_line_yuan_per_person_year": 9600}}}])
    assert rules.for_division(GUIZHOU, date(2026, 6, 30)).line("monitoring").yuan_per_person_month == Decimal("725.00")
    after = rules.for_division(GUIZHOU, date(2026, 7, 1))
    assert after.version == "52-v1" and after.line("monitoring").yuan_per_person_month == Decimal("800.00")
    assert after.line("monitoring").basis_zh == "防止返贫监测线每人每年9600元×1÷12"
    assert after.line("dibao").yuan_per_person_month == Decimal("542.00")


# --- the monitoring line at its boundaries ------------------------------------------------------------------------------

def facts(income) -> HouseholdFacts:
    return HouseholdFacts(per_capita_monthly_income_yuan=Decimal(income), has_labour_capacity=True, income_stable=True,
                          guarantees={k: True for k in GUARANTEE_KEYS}, assistance_measures=1)


# (monitoring standard a year, factor) -> the line a month, rounded half up to the fen
MONITORING_LINES = [
    (8700, 1, "725.00"),     # the national default
    (9000, 1, "750.00"),     # Yunnan 2026
    (8701, 1, "725.08"),     # 725.0833…: rounded down
    (8703, 1, "725.25"),     # exactly 725.25
    (8706, 1, "725.50"),
    (8707, 1, "725.58"),     # 725.5833…
    (8702, 1.5, "1087.75"),  # 13053 / 12 = 1087.75
    (8710, 1, "725.83"),     # 725.8333…
    (8711, 1, "725.92"),     # 725.9166…: rounded up
    (8718, 1, "726.50"),
]


@pytest.mark.parametrize("standard,factor,expected", MONITORING_LINES)
def test_the_monitoring_line_is_the_standard_times_the_factor_over_twelve(bundle, standard, factor, expected):
    rules = bundle({"standards.monitoring_line_yuan_per_person_year": standard,
                    "gradual_exit.programmes.monitoring.line": {"factor_of_monitoring_line": factor}}
                   ).for_division(GUIZHOU, date(2026, 3, 1))
    line = rules.line("monitoring")
    assert str(line.yuan_per_person_month) == expected
    assert line.basis_en == f"{factor} × the relapse-prevention monitoring line ¥{standard} a person a year ÷ 12"
    assert line.basis_zh == f"防止返贫监测线每人每年{standard}元×{factor}÷12"


@pytest.mark.parametrize("standard,factor,expected", MONITORING_LINES)
@pytest.mark.parametrize("offset,starts,continues", [(-CENT, False, False), (Decimal(0), False, False),
                                                     (CENT, True, True)])
def test_income_at_the_monitoring_line_neither_starts_nor_keeps_an_observation(bundle, standard, factor, expected,
                                                                                offset, starts, continues):
    rules = bundle({"standards.monitoring_line_yuan_per_person_year": standard,
                    "gradual_exit.programmes.monitoring.line": {"factor_of_monitoring_line": factor}}
                   ).for_division(GUIZHOU, date(2026, 3, 1))
    income = Decimal(expected) + offset
    start = decide_on_income("monitoring", "supported", facts(income), rules)
    assert start.action == ("start_observation" if starts else "none")
    assert start.line.yuan_per_person_month == Decimal(expected) and start.rule_version == "CN-v1"
    during = decide_on_income("monitoring", "observation", facts(income), rules)
    assert during.action == ("continue" if continues else "revert_observation")
    verdict = exit_verdict("monitoring", facts=facts(income), ends_on=date(2026, 9, 2), lowest_income=income,
                           enrolled_on=date(2025, 9, 2), today=date(2026, 9, 2), rules=rules)
    assert verdict.met is continues
    if not continues:
        assert [r.code for r in verdict.failed] == ["income_not_above_line"]


# --- the completeness check ---------------------------------------------------------------------------------------------

def edited(**changes) -> dict:
    """The national document with values replaced at ``section__key__key`` paths (DELETE removes the key)."""
    document = copy.deepcopy(NATIONAL_DOCUMENT)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = document
        for key in parents:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return document


DELETE = object()
GE = "gradual_exit__programmes__"
BROKEN = [
    ("missing", {GE + "dibao__notice_days": DELETE}, "programmes.dibao.notice_days"),
    ("missing exit flag", {"gradual_exit__exit__require_income_stable": DELETE}, "exit.require_income_stable"),
    ("bad line kind", {GE + "dibao__line": {"yuan_per_person_week": 100}}, "line"),
    ("two line kinds", {GE + "dibao__line": {"yuan_per_person_month": 1, "factor_of_monitoring_line": 2}}, "line"),
    ("zero line", {GE + "dibao__line": {"yuan_per_person_month": 0}}, "positive"),
    ("negative monitoring factor", {GE + "monitoring__line": {"factor_of_monitoring_line": -1}}, "positive"),
    ("text monitoring factor", {GE + "monitoring__line": {"factor_of_monitoring_line": "1"}}, "positive"),
    ("share above 1", {GE + "dibao__support_share_by_month": [1, 1.2]}, "support_share_by_month"),
    ("negative share", {GE + "dibao__support_share_by_month": [-0.1]}, "support_share_by_month"),
    ("no shares", {GE + "dibao__support_share_by_month": []}, "support_share_by_month"),
    ("no observation", {GE + "dibao__observation_months": 0}, "observation_months"),
    ("review basis", {GE + "dibao__review_months": {"stable": 12}}, "review_months"),
    ("review zero", {GE + "dibao__review_months": {"stable": 0, "unstable_with_labour": 6}}, "stable"),
    ("notice days", {GE + "dibao__notice_days": -1}, "notice_days"),
    ("monitored", {GE + "monitoring__exit_conditions__min_monitored_months": -1}, "min_monitored_months"),
    ("guarantee", {"gradual_exit__exit__required_guarantees": ["food", "wifi"]}, "required_guarantees"),
    ("labour none", {"gradual_exit__exit__working_labour_capacities": ["full", "none"]}, "working_labour_capacities"),
    ("labour empty", {"gradual_exit__exit__working_labour_capacities": []}, "working_labour_capacities"),
    ("flag", {"gradual_exit__exit__require_income_stable": "yes"}, "require_income_stable"),
    ("dibao standard", {"standards__dibao_standard_yuan_per_person_month": 0}, "dibao_standard"),
    ("monitoring standard", {"standards__monitoring_line_yuan_per_person_year": 0}, "monitoring_line"),
    ("reference income", {"standards__reference_income_yuan_per_person_year": -1}, "rural_disposable_income"),
    ("unknown programme", {GE + "lottery": NATIONAL_DOCUMENT["gradual_exit"]["programmes"]["dibao"]}, "lottery"),
]


@pytest.mark.parametrize("name,changes,message", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_document_is_refused_naming_the_version_and_the_parameter(name, changes, message):
    with pytest.raises(RuleDataError) as exc:
        RuleSet.from_policy(entry(rule_version="53-v7", region="53"), params(edited(**changes)))
    assert message in str(exc.value) and str(exc.value).startswith("53-v7: ")


@pytest.mark.parametrize("path", REQUIRED_PARAMS, ids=[".".join(p) for p in REQUIRED_PARAMS])
def test_every_required_parameter_is_checked(path):
    broken = params()
    node = broken
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(RuleDataError, match=f"CN-v9: missing parameters {'.'.join(path)}"):
        check_complete(RuleSet("CN-v9", "", broken))


def test_the_monitoring_standard_is_required():
    assert ("reference", "monitoring_line_yuan_per_person_year") in REQUIRED_PARAMS


def test_a_broken_national_document_in_the_bundle_is_refused_when_its_rules_are_read(bundle):
    rules = bundle({"gradual_exit.programmes.monitoring.line": {"factor_of_monitoring_line": 0}})
    with pytest.raises(RuleDataError, match="CN-v1: programmes.monitoring.line must be a positive number"):
        rules.for_division(GUIZHOU, date(2026, 3, 1))


def test_a_broken_release_is_refused_naming_its_version_while_the_others_still_apply(bundle):
    rules = bundle(releases=[{"region": "52", "version": 1, "effective_from": "2026-01-01", "overrides": {
        "gradual_exit": {"programmes": {"dibao": {"observation_months": 0}}}}}])
    with pytest.raises(RuleDataError, match="52-v1: programmes.dibao.observation_months"):
        rules.for_division(GUIZHOU, date(2026, 3, 1))
    assert rules.for_division(YUNNAN, date(2026, 3, 1)).version == "53-v2"


def test_a_release_may_switch_a_line_off_and_a_programme_may_get_a_monitoring_line(bundle):
    rules = bundle(
        lambda d: d["gradual_exit"]["programmes"]["temporary"].update(
            line={"factor_of_monitoring_line": 1}, observation_months=3, support_share_by_month=[1]),
        releases=[{"region": "52", "version": 1, "effective_from": "2026-01-01",
                   "overrides": {"gradual_exit": {"programmes": {"rigid_expense": {"line": None}}}}}])
    rules = rules.for_division(GUIZHOU, date(2026, 3, 1))
    assert rules.version == "52-v1" and rules.line("rigid_expense") is None
    assert rules.line("temporary").yuan_per_person_month == Decimal("725.00")


def test_every_programme_has_a_block_in_the_national_document():
    assert set(NATIONAL_DOCUMENT["gradual_exit"]["programmes"]) == set(PROGRAMMES)
