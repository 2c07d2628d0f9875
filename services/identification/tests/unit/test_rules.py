"""Rule sets from policy documents: the shipped versions, selection by region prefix and date, the factory, and the
completeness check on documents (a broken version fails where it applies, naming itself and the parameter)."""
import copy
import json
import re
import shutil
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from identification.domain.assessment import HouseholdFacts, Member
from identification.domain.eligibility import decide
from identification.domain.rules import (
    REQUIRED_PARAMS,
    SECTION,
    NoRuleSet,
    RuleDataError,
    RuleSet,
    check_complete,
    policy_rules,
)
from shared.policy_client import BUNDLE, PolicyEntry, merge, project, shipped_national

YUNNAN_VILLAGE = "530102001001"
BEIJING_COUNTY = "110105"


@pytest.fixture(scope="module")
def shipped():
    return policy_rules()


def national_document() -> dict:
    return copy.deepcopy(shipped_national()["document"])


def build(document: dict, rule_version: str = "CN-v1", region: str = "", start: date = date(2022, 1, 1),
          end: date | None = None) -> RuleSet:
    version = int(rule_version.rsplit("-v", 1)[1])
    entry = PolicyEntry(rule_version, region, version, start, end, document)
    return RuleSet.from_policy(entry, project(document, SECTION))


def bundle_copy(tmp_path: Path) -> Path:
    """A fresh copy of the shipped bundle (a new path per test: the client caches per bundle path)."""
    return Path(shutil.copytree(BUNDLE, tmp_path / "bundle"))


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


# --- the shipped versions ----------------------------------------------------------------------------------------

def test_the_national_version_holds_the_published_figures_as_parameters(shipped):
    national = shipped.for_division(BEIJING_COUNTY, date(2026, 6, 1))
    assert national.version == "CN-v1" and national.region == "" and national.sources == ("CN-v1",)
    assert national.decimal("dibao", "standard_yuan_per_person_month") == Decimal("542")
    assert national.decimal("near_dibao", "income_factor_of_dibao_standard") == Decimal("1.5")
    assert national.decimal("monitoring", "line_yuan_per_person_year") == Decimal("8700")
    assert national.decimal("reference", "rural_disposable_income_yuan_per_person_year") == Decimal("20133")
    assert [national.integer(p, "residence_months") for p in ("temporary", "dibao", "tekun")] == [3, 6, 12]
    assert national.integer("dibao", "notice_days") == 7
    assert national.integer("monitoring", "notice_days") == 5
    assert national.value("monitoring", "deadline") == {"calendar_days": 15}
    assert national.value("dibao", "deadline") == {"working_days": 30, "extended_working_days": 45}
    assert national.decimal("rigid_expense", "expense_share_of_income_threshold") == Decimal("0.5")
    # The emergency waiver belongs to temporary assistance; temporary bridges tekun and dibao; monitoring has the
    # negative list.
    assert national.names("emergency", "waives_residence_for") == ("temporary",)
    assert national.value("temporary", "bridging") == {"enabled": True, "programmes": ["tekun", "dibao"]}
    assert national.value("monitoring", "assets") == {
        "vehicle_value_limit_yuan": 50000, "commercial_property_allowed": False, "business_ownership_allowed": False,
        "public_payroll_member_allowed": False, "extra_housing_units_limit": 0}


def test_every_shipped_version_is_complete_and_uses_exact_decimals(shipped):
    versions = shipped.all()
    assert [s.version for s in versions] == ["CN-v1", "53-v1", "53-v2"]
    for rule_set in versions:
        check_complete(rule_set)
        for path in REQUIRED_PARAMS:
            rule_set.value(*path)
        assert isinstance(rule_set.value("near_dibao", "income_factor_of_dibao_standard"), Decimal)
        assert isinstance(rule_set.value("dibao", "standard_yuan_per_person_month"), int)


def test_a_yunnan_division_gets_53_v2_in_2026_and_the_national_version_outside_53(shipped):
    yunnan = shipped.for_division(YUNNAN_VILLAGE, date(2026, 3, 1))
    assert (yunnan.version, yunnan.region, yunnan.sources) == ("53-v2", "53", ("53-v2",))
    assert yunnan.decimal("dibao", "standard_yuan_per_person_month") == 600
    outside = shipped.for_division("520102001001", date(2026, 3, 1))   # Guizhou: "52" is not "53"
    assert outside.version == "CN-v1" and outside.decimal("dibao", "standard_yuan_per_person_month") == 542


def test_yunnan_2026_changes_only_what_its_release_names(shipped):
    national = shipped.by_version("CN-v1")
    yunnan = shipped.by_version("53-v2")
    assert (yunnan.effective_from, yunnan.effective_to) == (date(2026, 1, 1), None)
    assert yunnan.decimal("dibao", "assets", "vehicle_value_limit_yuan") == 40000
    assert yunnan.decimal("monitoring", "line_yuan_per_person_year") == 9000
    assert yunnan.decimal("reference", "rural_disposable_income_yuan_per_person_year") == 17000
    assert yunnan.integer("temporary", "residence_months") == 1
    # A sibling of an overridden key, and whole untouched programmes, come from the national version.
    assert yunnan.value("dibao", "assets", "savings_limit_months_of_standard_per_person") == \
        national.value("dibao", "assets", "savings_limit_months_of_standard_per_person")
    assert yunnan.value("near_dibao") == national.value("near_dibao")
    assert yunnan.value("tekun") == national.value("tekun")
    assert national.decimal("dibao", "standard_yuan_per_person_month") == 542


def test_yunnan_2025_has_the_provinces_monitoring_line_and_reference_income(shipped):
    yunnan = shipped.by_version("53-v1")
    assert (yunnan.effective_from, yunnan.effective_to) == (date(2025, 1, 1), date(2025, 12, 31))
    assert yunnan.decimal("monitoring", "line_yuan_per_person_year") == 8700
    assert yunnan.decimal("reference", "rural_disposable_income_yuan_per_person_year") == 16361
    assert yunnan.decimal("dibao", "standard_yuan_per_person_month") == 542


# --- selection -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,on,version", [
    (YUNNAN_VILLAGE, date(2026, 1, 1), "53-v2"),
    ("530102", date(2030, 1, 1), "53-v2"),
    ("53", date(2026, 6, 1), "53-v2"),
    (YUNNAN_VILLAGE, date(2025, 12, 31), "53-v1"),
    (YUNNAN_VILLAGE, date(2025, 1, 1), "53-v1"),
    (YUNNAN_VILLAGE, date(2024, 12, 31), "CN-v1"),
    (BEIJING_COUNTY, date(2026, 6, 1), "CN-v1"),
    ("510100", date(2026, 6, 1), "CN-v1"),  # "5" is not the prefix "53"
    ("", date(2026, 6, 1), "CN-v1"),
])
def test_the_longest_matching_region_effective_on_the_date_is_selected(shipped, code, on, version):
    assert shipped.for_division(code, on).version == version


def test_a_date_before_any_version_names_the_division_and_date(shipped):
    with pytest.raises(NoRuleSet) as exc:
        shipped.for_division(YUNNAN_VILLAGE, date(2021, 12, 31))
    message = str(exc.value)
    assert YUNNAN_VILLAGE in message and "2021-12-31" in message


def test_a_utc_moment_selects_by_the_china_date(shipped):
    # 17:00 UTC on 31 December is already 1 January in China.
    assert shipped.for_division(YUNNAN_VILLAGE, datetime(2025, 12, 31, 17, tzinfo=timezone.utc)).version == "53-v2"
    assert shipped.for_division(YUNNAN_VILLAGE, datetime(2025, 12, 31, 15, tzinfo=timezone.utc)).version == "53-v1"


@pytest.mark.parametrize("code", ["53a", "53-01", None])
def test_a_division_code_that_is_not_digits_is_refused(shipped, code):
    with pytest.raises(ValueError):
        shipped.for_division(code, date(2026, 1, 1))


def test_an_unknown_version_is_reported(shipped):
    with pytest.raises(NoRuleSet, match="53-v9"):
        shipped.by_version("53-v9")


def test_last_years_decision_is_explained_today_with_last_years_rules(shipped):
    # Per-capita income ¥8,820 a year: under Yunnan's 2025 line (¥8,700) it was not a monitoring case; under the
    # 2026 line (¥9,000) it is. Re-explaining the 2025 decision in 2026 must give the 2025 answer.
    facts = HouseholdFacts(YUNNAN_VILLAGE, (Member(45, "full", employed=True),), Decimal("735"), residence_months=60)
    decided_on = date(2025, 6, 1)
    then = decide(facts, shipped.for_division(YUNNAN_VILLAGE, decided_on))
    assert "monitoring" not in then.eligible and then.rule_version == "53-v1"
    assert "¥8,700.00" in next(r for r in then.result("monitoring").reasons if r.code == "marginal").en

    today = date(2026, 6, 1)
    assert "monitoring" in decide(facts, shipped.for_division(YUNNAN_VILLAGE, today)).eligible

    by_date = decide(facts, shipped.for_division(YUNNAN_VILLAGE, decided_on))
    by_version = decide(facts, shipped.by_version(then.rule_version))
    assert by_date == then and by_version == then
    assert by_version.explanation_en == then.explanation_en and by_version.explanation_zh == then.explanation_zh


def test_a_version_is_built_once_and_is_a_hashable_value(shipped):
    assert shipped.by_version("53-v2") is shipped.for_division(YUNNAN_VILLAGE, date(2026, 3, 1))
    assert len(set(shipped.all())) == 3
    assert shipped.by_version("CN-v1").covers(date(2022, 1, 1))
    assert not shipped.by_version("53-v1").covers(date(2026, 1, 1))


def test_a_missing_parameter_path_is_named(shipped):
    national = shipped.by_version("CN-v1")
    with pytest.raises(KeyError, match="dibao.nothing"):
        national.value("dibao", "nothing", "deeper")
    with pytest.raises(KeyError, match="whole number"):
        national.integer("near_dibao", "income_factor_of_dibao_standard")


# --- the factory and the completeness check on documents ---------------------------------------------------------

def test_the_factory_takes_version_region_and_dates_from_the_entry_and_the_standards_from_the_document():
    document = merge(national_document(), {"standards": {"dibao_standard_yuan_per_person_month": 700},
                                           "identification": {"dibao": {"notice_days": 5}}})
    rule_set = build(document, "5301-v1", "5301", date(2027, 1, 1), date(2027, 12, 31))
    assert (rule_set.version, rule_set.region, rule_set.sources) == ("5301-v1", "5301", ("5301-v1",))
    assert (rule_set.effective_from, rule_set.effective_to) == (date(2027, 1, 1), date(2027, 12, 31))
    assert rule_set.decimal("dibao", "standard_yuan_per_person_month") == 700
    assert rule_set.integer("dibao", "notice_days") == 5
    assert rule_set.decimal("monitoring", "line_yuan_per_person_year") == 8700


def test_a_bundle_whose_national_document_lacks_a_parameter_is_refused_naming_it(tmp_path):
    bundle = bundle_copy(tmp_path)
    edit_json(bundle / "national.json",
              lambda d: d["document"]["identification"]["monitoring"].pop("unstable_income_factor_of_line"))
    rules = policy_rules(bundle=bundle)
    with pytest.raises(RuleDataError, match=re.escape("CN-v1: missing parameters "
                                                      "monitoring.unstable_income_factor_of_line")):
        rules.for_division(BEIJING_COUNTY, date(2026, 3, 1))


def test_a_broken_regional_release_fails_only_where_it_applies_naming_its_version(tmp_path):
    bundle = bundle_copy(tmp_path)
    (bundle / "releases" / "5301-v1.json").write_text(json.dumps({
        "region": "5301", "version": 1, "effective_from": "2027-01-01", "effective_to": None, "title": "t",
        "overrides": {"identification": {"dibao": {"excluded_if_eligible_for": ["near_dibao"]}}}}), encoding="utf-8")
    rules = policy_rules(bundle=bundle)
    with pytest.raises(RuleDataError, match=re.escape("5301-v1: dibao.excluded_if_eligible_for names 'near_dibao'")):
        rules.for_division(YUNNAN_VILLAGE, date(2027, 1, 1))
    assert rules.for_division(YUNNAN_VILLAGE, date(2026, 12, 31)).version == "53-v2"
    assert rules.for_division("530202001001", date(2027, 1, 1)).version == "53-v2"


@pytest.mark.parametrize("path", [("definitions", "minor_age_below"), ("dibao", "excluded_if_eligible_for"),
                                  ("tekun", "assets", "vehicle_value_limit_yuan"), ("appeal", "litigation_months")])
def test_a_document_missing_a_required_parameter_names_it(path):
    document = national_document()
    node = document[SECTION]
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    with pytest.raises(RuleDataError, match=re.escape(f"CN-v1: missing parameters {'.'.join(path)}")):
        build(document)


def test_a_programme_may_only_depend_on_programmes_evaluated_before_it():
    document = national_document()
    document[SECTION]["dibao"]["excluded_if_eligible_for"] = ["near_dibao"]
    with pytest.raises(RuleDataError, match="dibao.excluded_if_eligible_for names 'near_dibao'"):
        build(document)


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
    (lambda p: p["monitoring"].update(category_precedence=["sudden", "unstable"]), "monitoring.category_precedence"),
    (lambda p: p["workflow"].update(default_deadline={"days": 30}), "workflow.default_deadline must give"),
])
def test_the_emergency_scope_bridging_and_negative_list_are_checked_when_built(change, fragment):
    document = national_document()
    change(document[SECTION])
    with pytest.raises(RuleDataError, match=re.escape(fragment)):
        build(document)


def test_a_region_may_widen_the_emergency_scope_turn_bridging_off_and_set_its_own_negative_list():
    document = merge(national_document(), {SECTION: {
        "emergency": {"waives_residence_for": ["temporary", "medical"]},
        "temporary": {"bridging": {"enabled": False}},
        "monitoring": {"assets": {"vehicle_value_limit_yuan": 150000, "business_ownership_allowed": True}}}})
    regional = build(document, "53-v3", "53", date(2027, 1, 1))
    assert regional.names("emergency", "waives_residence_for") == ("temporary", "medical")
    assert regional.value("temporary", "bridging") == {"enabled": False, "programmes": ["tekun", "dibao"]}
    assert regional.decimal("monitoring", "assets", "vehicle_value_limit_yuan") == 150000
    assert regional.flag("monitoring", "assets", "business_ownership_allowed")
    assert not regional.flag("monitoring", "assets", "commercial_property_allowed")
