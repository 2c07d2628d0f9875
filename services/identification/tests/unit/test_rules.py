"""Rule data: the bundled defaults, regional deep-merge, selection by region prefix and date, and broken rule files."""
import dataclasses
import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from identification.domain.assessment import HouseholdFacts, Member
from identification.domain.eligibility import decide
from identification.domain.rules import (
    REQUIRED_PARAMS,
    RULES_DIRECTORY,
    NoRuleSet,
    RuleDataError,
    RuleSet,
    check_complete,
    load_rule_sets,
    merge_params,
    rule_set_by_version,
    select_rule_set,
)

YUNNAN_VILLAGE = "530102001001"
BEIJING_COUNTY = "110105"


@pytest.fixture(scope="module")
def bundled() -> list[RuleSet]:
    return load_rule_sets()


def national_file() -> dict:
    return json.loads((RULES_DIRECTORY / "national-2022.json").read_text(encoding="utf-8"), parse_float=Decimal)


def write(folder: Path, name: str, version: str, region: str, start: str, end: str | None, params: dict) -> None:
    body = {"version": version, "region": region, "effective_from": start, "effective_to": end, "params": params}
    (folder / name).write_text(json.dumps(body, default=float), encoding="utf-8")


# --- the bundled data ------------------------------------------------------------------------------------------

def test_the_national_default_holds_the_published_figures_as_parameters(bundled):
    national = select_rule_set(bundled, BEIJING_COUNTY, date(2026, 6, 1))
    assert national.version == "CN-2022.2" and national.region == ""
    assert national.decimal("dibao", "standard_yuan_per_person_month") == Decimal("542")
    assert national.decimal("near_dibao", "income_factor_of_dibao_standard") == Decimal("1.5")
    assert national.decimal("monitoring", "line_yuan_per_person_year") == Decimal("8700")
    assert [national.integer(p, "residence_months") for p in ("temporary", "dibao", "tekun")] == [3, 6, 12]
    assert national.integer("dibao", "notice_days") == 7
    assert national.integer("monitoring", "notice_days") == 5
    assert national.value("monitoring", "deadline") == {"calendar_days": 15}
    assert national.value("dibao", "deadline") == {"working_days": 30, "extended_working_days": 45}
    assert national.decimal("rigid_expense", "expense_share_of_income_threshold") == Decimal("0.5")
    # CN-2022.2: the emergency waiver belongs to temporary assistance; temporary bridges tekun and dibao; monitoring
    # has the negative list.
    assert national.names("emergency", "waives_residence_for") == ("temporary",)
    assert national.value("temporary", "bridging") == {"enabled": True, "programmes": ["tekun", "dibao"]}
    assert national.value("monitoring", "assets") == {
        "vehicle_value_limit_yuan": 50000, "commercial_property_allowed": False, "business_ownership_allowed": False,
        "public_payroll_member_allowed": False, "extra_housing_units_limit": 0}


def test_every_bundled_set_is_complete_and_uses_exact_decimals(bundled):
    assert len(bundled) == 3
    for rule_set in bundled:
        check_complete(rule_set)
        for path in REQUIRED_PARAMS:
            rule_set.value(*path)
        assert isinstance(rule_set.value("near_dibao", "income_factor_of_dibao_standard"), Decimal)


def test_the_yunnan_2026_file_overrides_only_what_it_names(bundled):
    national = rule_set_by_version(bundled, "CN-2022.2")
    yunnan = select_rule_set(bundled, YUNNAN_VILLAGE, date(2026, 6, 1))
    assert yunnan.version == "CN-2022.2+53-2026.1"
    assert yunnan.sources == ("CN-2022.2", "53-2026.1")
    assert yunnan.decimal("dibao", "standard_yuan_per_person_month") == 600
    assert yunnan.decimal("dibao", "assets", "vehicle_value_limit_yuan") == 40000
    assert yunnan.decimal("monitoring", "line_yuan_per_person_year") == 9000
    assert yunnan.integer("temporary", "residence_months") == 1
    # A sibling of an overridden key, and whole untouched programmes, come from the national default.
    assert yunnan.value("dibao", "assets", "savings_limit_months_of_standard_per_person") == \
        national.value("dibao", "assets", "savings_limit_months_of_standard_per_person")
    assert yunnan.value("near_dibao") == national.value("near_dibao")
    assert yunnan.value("tekun") == national.value("tekun")
    # Merging never changes the parent.
    assert national.decimal("dibao", "standard_yuan_per_person_month") == 542


# --- selection -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,on,version", [
    (YUNNAN_VILLAGE, date(2026, 1, 1), "CN-2022.2+53-2026.1"),
    ("530102", date(2030, 1, 1), "CN-2022.2+53-2026.1"),
    ("53", date(2026, 6, 1), "CN-2022.2+53-2026.1"),
    (YUNNAN_VILLAGE, date(2025, 12, 31), "CN-2022.2+53-2025.1"),
    (YUNNAN_VILLAGE, date(2025, 1, 1), "CN-2022.2+53-2025.1"),
    (YUNNAN_VILLAGE, date(2024, 12, 31), "CN-2022.2"),
    (BEIJING_COUNTY, date(2026, 6, 1), "CN-2022.2"),
    ("510100", date(2026, 6, 1), "CN-2022.2"),  # "5" is not the prefix "53"
    ("", date(2026, 6, 1), "CN-2022.2"),
])
def test_the_longest_matching_region_effective_on_the_date_is_selected(bundled, code, on, version):
    assert select_rule_set(bundled, code, on).version == version


def test_a_date_before_any_rule_set_names_the_division_date_and_what_exists(bundled):
    with pytest.raises(NoRuleSet) as exc:
        select_rule_set(bundled, YUNNAN_VILLAGE, date(2021, 12, 31))
    message = str(exc.value)
    assert YUNNAN_VILLAGE in message and "2021-12-31" in message and "CN-2022.2" in message


def test_a_utc_moment_selects_by_the_china_date(bundled):
    # 17:00 UTC on 31 December is already 1 January in China.
    assert select_rule_set(bundled, YUNNAN_VILLAGE, datetime(2025, 12, 31, 17, tzinfo=timezone.utc)).version == \
        "CN-2022.2+53-2026.1"
    assert select_rule_set(bundled, YUNNAN_VILLAGE, datetime(2025, 12, 31, 15, tzinfo=timezone.utc)).version == \
        "CN-2022.2+53-2025.1"


@pytest.mark.parametrize("code", ["53a", "53-01", None])
def test_a_division_code_that_is_not_digits_is_refused(bundled, code):
    with pytest.raises(ValueError):
        select_rule_set(bundled, code, date(2026, 1, 1))


def test_an_unknown_version_is_reported(bundled):
    with pytest.raises(NoRuleSet, match="53-1999"):
        rule_set_by_version(bundled, "53-1999")


def test_last_years_decision_is_explained_today_with_last_years_rules(bundled):
    # Per-capita income ¥8,820 a year: under Yunnan's 2025 line (¥8,700) it was not a monitoring case; under the
    # 2026 line (¥9,000) it is. Re-explaining the 2025 decision in 2026 must give the 2025 answer.
    facts = HouseholdFacts(YUNNAN_VILLAGE, (Member(45, "full", employed=True),), Decimal("735"), residence_months=60)
    decided_on = date(2025, 6, 1)
    then = decide(facts, select_rule_set(bundled, YUNNAN_VILLAGE, decided_on))
    assert "monitoring" not in then.eligible and then.rule_version == "CN-2022.2+53-2025.1"
    assert "¥8,700.00" in next(r for r in then.result("monitoring").reasons if r.code == "marginal").en

    today = date(2026, 6, 1)
    assert "monitoring" in decide(facts, select_rule_set(bundled, YUNNAN_VILLAGE, today)).eligible

    by_date = decide(facts, select_rule_set(bundled, YUNNAN_VILLAGE, decided_on))
    by_version = decide(facts, rule_set_by_version(bundled, then.rule_version))
    assert by_date == then and by_version == then
    assert by_version.explanation_en == then.explanation_en and by_version.explanation_zh == then.explanation_zh


# --- merging and broken rule files -----------------------------------------------------------------------------

def test_merge_params_deep_merges_objects_and_replaces_lists_whole():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": True}
    merged = merge_params(base, {"a": {"c": [3]}})
    assert merged == {"a": {"b": 1, "c": [3]}, "d": True}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": True}


@pytest.mark.parametrize("override,fragment", [
    ({"dibao": {"standrad_yuan_per_person_month": 600}}, "dibao.standrad_yuan_per_person_month"),
    ({"dibao": {"standard_yuan_per_person_month": "600"}}, "a number, the override a string"),
    ({"dibao": 600}, "the parent has an object here"),
    ({"dibao": {"assets": {"business_ownership_allowed": 1}}}, "a boolean, the override a number"),
])
def test_an_override_of_a_missing_or_different_kind_of_parameter_fails_loudly(tmp_path, override, fragment):
    write(tmp_path, "n.json", "N", "", "2022-01-01", None, national_file()["params"])
    write(tmp_path, "r.json", "R", "53", "2026-01-01", None, override)
    with pytest.raises(RuleDataError) as exc:
        load_rule_sets(tmp_path)
    assert fragment in str(exc.value) and "r.json" in str(exc.value)


def test_a_national_set_missing_a_parameter_names_it(tmp_path):
    params = national_file()["params"]
    del params["monitoring"]["line_yuan_per_person_year"]
    write(tmp_path, "n.json", "N", "", "2022-01-01", None, params)
    with pytest.raises(RuleDataError, match="monitoring.line_yuan_per_person_year"):
        load_rule_sets(tmp_path)


def test_a_programme_may_only_depend_on_programmes_evaluated_before_it(tmp_path):
    params = national_file()["params"]
    params["dibao"]["excluded_if_eligible_for"] = ["near_dibao"]
    write(tmp_path, "n.json", "N", "", "2022-01-01", None, params)
    with pytest.raises(RuleDataError, match="dibao.excluded_if_eligible_for names 'near_dibao'"):
        load_rule_sets(tmp_path)


@pytest.mark.parametrize("change,fragment", [
    (lambda p: p["emergency"].update(waives_residence_for=["pension"]),
     "emergency.waives_residence_for names 'pension'"),
    (lambda p: p["emergency"].update(waives_residence_for="temporary"),
     "emergency.waives_residence_for must be a list"),
    (lambda p: p["temporary"]["bridging"].update(programmes=["medical"]),
     "temporary.bridging.programmes names 'medical', which is not a programme evaluated before temporary"),
    (lambda p: p["temporary"]["bridging"].update(enabled="yes"), "temporary.bridging.enabled must be true or false"),
    (lambda p: p["temporary"]["bridging"].pop("enabled"), "temporary.bridging.enabled"),
    (lambda p: p.pop("emergency"), "emergency.waives_residence_for"),
    (lambda p: p["monitoring"]["assets"].update(vehicle_limit_yuan=1), "monitoring.assets has vehicle_limit_yuan"),
    (lambda p: p["monitoring"]["assets"].pop("public_payroll_member_allowed"),
     "monitoring.assets.public_payroll_member_allowed"),
    (lambda p: p["monitoring"]["assets"].pop("commercial_property_allowed"),
     "monitoring.assets.commercial_property_allowed"),
])
def test_the_emergency_scope_bridging_and_negative_list_are_checked_when_loaded(tmp_path, change, fragment):
    params = national_file()["params"]
    change(params)
    write(tmp_path, "n.json", "N", "", "2022-01-01", None, params)
    with pytest.raises(RuleDataError, match=re.escape(fragment)):
        load_rule_sets(tmp_path)


def test_a_region_may_widen_the_emergency_scope_turn_bridging_off_and_set_its_own_negative_list(tmp_path):
    write(tmp_path, "n.json", "N", "", "2022-01-01", None, national_file()["params"])
    write(tmp_path, "r.json", "R", "53", "2026-01-01", None, {
        "emergency": {"waives_residence_for": ["temporary", "medical"]},
        "temporary": {"bridging": {"enabled": False}},
        "monitoring": {"assets": {"vehicle_value_limit_yuan": 150000, "business_ownership_allowed": True}}})
    regional = select_rule_set(load_rule_sets(tmp_path), "530102", date(2026, 3, 1))
    assert regional.names("emergency", "waives_residence_for") == ("temporary", "medical")
    assert regional.value("temporary", "bridging") == {"enabled": False, "programmes": ["tekun", "dibao"]}
    assert regional.decimal("monitoring", "assets", "vehicle_value_limit_yuan") == 150000
    assert regional.flag("monitoring", "assets", "business_ownership_allowed")
    assert not regional.flag("monitoring", "assets", "commercial_property_allowed")


def test_overlapping_sets_for_one_region_are_refused(tmp_path):
    params = national_file()["params"]
    write(tmp_path, "a.json", "N1", "", "2022-01-01", "2025-12-31", params)
    write(tmp_path, "b.json", "N2", "", "2025-12-31", None, params)
    with pytest.raises(RuleDataError, match="both effective"):
        load_rule_sets(tmp_path)


def test_a_regional_set_without_a_parent_in_force_is_refused(tmp_path):
    write(tmp_path, "n.json", "N", "", "2024-01-01", None, national_file()["params"])
    write(tmp_path, "r.json", "R", "53", "2023-01-01", None, {"dibao": {"standard_yuan_per_person_month": 600}})
    with pytest.raises(RuleDataError, match="no parent rule set .* 2023-01-01"):
        load_rule_sets(tmp_path)


@pytest.mark.parametrize("body,fragment", [
    ('{"version": "N", "region": "", "effective_from": "2022-01-01"}', "missing 'params'"),
    ('{"version": "N", "region": "", "effective_from": "2022-13-01", "params": {}}', "ISO date"),
    ('{"version": "N", "region": "", "effective_from": "2022-01-01", "effective_to": "2021-01-01", "params": {}}',
     "before effective_from"),
    ('{"version": "A+B", "region": "", "effective_from": "2022-01-01", "params": {}}', "without '+'"),
    ('{"version": "N", "region": "Yunnan", "effective_from": "2022-01-01", "params": {}}', "division-code prefix"),
    ('{"version": "N", "region": "", "effective_from": "2022-01-01", "params": []}', "params must be an object"),
    ('[1, 2]', "top level must be an object"),
    ('{"version": ', "not readable JSON"),
])
def test_malformed_rule_files_are_refused_with_the_file_name(tmp_path, body, fragment):
    (tmp_path / "bad.json").write_text(body, encoding="utf-8")
    with pytest.raises(RuleDataError) as exc:
        load_rule_sets(tmp_path)
    assert fragment in str(exc.value) and "bad.json" in str(exc.value)


def test_duplicate_versions_and_an_empty_folder_are_refused(tmp_path):
    with pytest.raises(RuleDataError, match="no rule files"):
        load_rule_sets(tmp_path)
    params = national_file()["params"]
    write(tmp_path, "a.json", "N", "", "2022-01-01", "2022-12-31", params)
    write(tmp_path, "b.json", "N", "", "2023-01-01", None, params)
    with pytest.raises(RuleDataError, match="version N is also used by"):
        load_rule_sets(tmp_path)


def test_a_regional_file_is_split_when_the_national_default_changes_during_its_period(tmp_path):
    first = national_file()["params"]
    second = national_file()["params"]
    second["dibao"]["standard_yuan_per_person_month"] = 580
    write(tmp_path, "n1.json", "N1", "", "2022-01-01", "2025-12-31", first)
    write(tmp_path, "n2.json", "N2", "", "2026-01-01", None, second)
    write(tmp_path, "r.json", "R", "53", "2025-01-01", None, {"monitoring": {"line_yuan_per_person_year": 9100}})
    sets = load_rule_sets(tmp_path)
    yunnan = [s for s in sets if s.region == "53"]
    assert [(s.version, s.effective_from, s.effective_to) for s in yunnan] == [
        ("N1+R", date(2025, 1, 1), date(2025, 12, 31)), ("N2+R", date(2026, 1, 1), None)]
    assert [s.decimal("dibao", "standard_yuan_per_person_month") for s in yunnan] == [542, 580]
    assert all(s.decimal("monitoring", "line_yuan_per_person_year") == 9100 for s in yunnan)
    assert select_rule_set(sets, "530102", date(2025, 12, 31)).version == "N1+R"
    assert select_rule_set(sets, "530102", date(2026, 1, 1)).version == "N2+R"


def test_a_county_file_merges_onto_its_province_which_merges_onto_the_national_default(tmp_path):
    write(tmp_path, "n.json", "N", "", "2022-01-01", None, national_file()["params"])
    write(tmp_path, "p.json", "P", "53", "2026-01-01", None, {"dibao": {"standard_yuan_per_person_month": 600}})
    write(tmp_path, "c.json", "C", "530102", "2026-01-01", None, {"monitoring": {"notice_days": 7}})
    sets = load_rule_sets(tmp_path)
    county = select_rule_set(sets, "530102001001", date(2026, 3, 1))
    assert county.version == "N+P+C" and county.sources == ("N", "P", "C")
    assert county.decimal("dibao", "standard_yuan_per_person_month") == 600
    assert county.integer("monitoring", "notice_days") == 7
    neighbour = select_rule_set(sets, "530103001001", date(2026, 3, 1))
    assert neighbour.version == "N+P" and neighbour.integer("monitoring", "notice_days") == 5
    # Before the province and county files start, the county falls back to the national default.
    assert select_rule_set(sets, "530102001001", date(2025, 12, 31)).version == "N"


def test_two_hand_built_sets_for_the_same_region_and_date_are_ambiguous(bundled):
    national = rule_set_by_version(bundled, "CN-2022.2")
    twin = dataclasses.replace(national, version="twin")
    with pytest.raises(RuleDataError, match="CN-2022.2, twin"):
        select_rule_set([national, twin], BEIJING_COUNTY, date(2026, 1, 1))


def test_a_missing_parameter_path_is_named(bundled):
    national = rule_set_by_version(bundled, "CN-2022.2")
    with pytest.raises(KeyError, match="dibao.nothing"):
        national.value("dibao", "nothing", "deeper")
    with pytest.raises(KeyError, match="whole number"):
        national.integer("near_dibao", "income_factor_of_dibao_standard")


def test_rule_sets_are_hashable_values(bundled):
    assert len(set(bundled)) == len(bundled)
    assert rule_set_by_version(bundled, "CN-2022.2").covers(date(2022, 1, 1))
    assert not rule_set_by_version(bundled, "CN-2022.2+53-2025.1").covers(date(2026, 1, 1))
