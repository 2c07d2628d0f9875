"""Assistance rule sets built from policy documents: the shipped versions, selection by region and local date, and
the completeness check refusing a document whose assistance section is broken (naming the version)."""
import json
import shutil
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from assistance.domain.rules import (
    NoRuleSet,
    RuleDataError,
    RuleSet,
    check_complete,
    local_date,
    policy_rules,
)
from shared.policy_client import BUNDLE, PolicyEntry, baseline_entries, project

YUNNAN = "530102001001"
GUIZHOU = "520326101203"


@pytest.fixture(scope="module")
def shipped():
    return policy_rules()


def bundle_copy(tmp_path: Path, change_national=None, release: dict | None = None) -> Path:
    """A copy of the shipped bundle, its national assistance section changed and/or one release added."""
    folder = tmp_path / "bundle"
    shutil.copytree(BUNDLE, folder)
    if change_national is not None:
        path = folder / "national.json"
        body = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        change_national(body["document"]["assistance"])
        path.write_text(json.dumps(body, default=str_or_float, ensure_ascii=False), encoding="utf-8")
    if release is not None:
        (folder / "releases" / f"{release['region']}-v{release['version']}.json").write_text(
            json.dumps(release), encoding="utf-8")
    return folder


def str_or_float(value):
    return float(value) if isinstance(value, Decimal) else str(value)


def test_the_national_version_holds_the_national_figures(shipped):
    rules = shipped.for_division(GUIZHOU, date(2026, 6, 1))
    assert (rules.version, rules.region, rules.sources) == ("CN-v1", "", ("CN-v1",))
    assert rules.decimal("cash", "dibao", "standard_yuan_per_person_month") == Decimal("542"), "the shared standard"
    assert rules.decimal("cash", "temporary", "max_yuan_per_household") == Decimal("5000")
    assert rules.decimal("cash", "tekun", "basic_living_factor_of_dibao_standard") == Decimal("1.3")
    assert rules.names("needs", "long_term", "programmes") == ("dibao", "tekun")
    assert set(rules.names("needs", "temporary", "needs")) >= {"skills_training", "job_referral", "in_kind"}
    assert set(rules.names("needs", "long_term", "needs")) >= {"care_services", "medical_assistance", "in_kind"}
    assert sum(rules.value("priority", "weights").values()) == 1


def test_yunnan_2026_gets_its_standard_and_temporary_cap_and_inherits_the_rest(shipped):
    national = shipped.for_division(GUIZHOU, date(2026, 6, 1))
    rules = shipped.for_division(YUNNAN, date(2026, 1, 1))
    assert (rules.version, rules.region, rules.sources) == ("53-v2", "53", ("53-v2",))
    assert (rules.effective_from, rules.effective_to) == (date(2026, 1, 1), None)
    assert rules.decimal("cash", "dibao", "standard_yuan_per_person_month") == Decimal("600")
    assert rules.decimal("cash", "temporary", "max_yuan_per_household") == Decimal("6000")
    assert rules.decimal("cash", "dibao", "minimum_yuan_per_person_month") == Decimal("0"), "inherited"
    assert rules.value("priority", "weights") == national.value("priority", "weights")
    # Yunnan 2025 (53-v1) changed standards that assistance does not read: the national dibao standard applies
    assert shipped.for_division(YUNNAN, date(2025, 6, 1)).version == "53-v1"
    assert shipped.for_division(YUNNAN, date(2025, 6, 1)).decimal(
        "cash", "dibao", "standard_yuan_per_person_month") == Decimal("542")
    assert shipped.by_version("53-v2") is rules, "built once per version"


def test_selection_uses_the_local_date_and_refuses_dates_before_any_version(shipped):
    # 16:00 UTC on 31 December is already 1 January in China
    assert shipped.for_division(YUNNAN, datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)).version == "53-v2"
    assert shipped.for_division(YUNNAN, datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc)).version == "53-v1"
    assert local_date(date(2026, 1, 1)) == date(2026, 1, 1)
    assert local_date(datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)) == date(2026, 1, 1)
    with pytest.raises(NoRuleSet):
        shipped.for_division(YUNNAN, date(2021, 12, 31))
    with pytest.raises(ValueError):
        shipped.for_division("53A", date(2026, 1, 1))


def test_the_factory_cites_the_policy_version_and_checks_completeness():
    entry = next(e for e in baseline_entries() if e.rule_version == "53-v2")
    rules = RuleSet.from_policy(entry, project(entry.document, "assistance"))
    assert (rules.version, rules.sources, rules.effective_from) == ("53-v2", ("53-v2",), date(2026, 1, 1))
    section = json.loads(json.dumps(entry.document["assistance"]))
    del section["quality"]
    broken = PolicyEntry("53-v9", "53", 9, date(2030, 1, 1), None, {**entry.document, "assistance": section})
    with pytest.raises(RuleDataError, match=r"^53-v9: missing parameters quality.unrated_rating"):
        RuleSet.from_policy(broken, project(broken.document, "assistance"))


@pytest.mark.parametrize("change,message", [
    (lambda p: p["priority"]["weights"].update(income_gap=Decimal("0.31")), "add up to 1"),
    (lambda p: p["priority"]["weights"].pop("waiting_time"), "exactly"),
    (lambda p: p["priority"]["weights"].update(income_gap=Decimal("-0.1"), waiting_time=Decimal("0.5")), "at least 0"),
    (lambda p: p["priority"].update(waiting_days_for_full_score=0), "above 0"),
    (lambda p: p["needs"]["long_term"]["needs"].append("massage"), "needs.long_term.needs"),
    (lambda p: p["needs"]["by_programme"].update(pension=[]), "needs.by_programme"),
    (lambda p: p["needs"]["by_score"].append({"dimension": "disability", "at_least": 101, "need": "daily_care"}),
     "at_least"),
    (lambda p: p["needs"]["by_score"].append({"dimension": "disability", "need": "daily_care"}), "exactly"),
    (lambda p: p["cash"]["tekun"]["care_yuan_per_person_month"].pop("fully_dependent"), "care_yuan_per_person_month"),
    (lambda p: p["cash"]["tekun"].update(default_care_level="bedridden"), "default_care_level"),
    (lambda p: p["cash"]["dibao"].pop("minimum_yuan_per_person_month"), "missing parameters"),
    (lambda p: p["priority"].update(sudden_programmes=["lottery"]), "sudden_programmes"),
    (lambda p: p["cash"].pop("tekun"), "missing parameters"),
])
def test_a_broken_national_document_is_refused_naming_the_version_and_the_problem(tmp_path, change, message):
    rules = policy_rules(bundle=bundle_copy(tmp_path, change_national=change))
    with pytest.raises(RuleDataError, match=f"^CN-v1: .*{message}"):
        rules.for_division(GUIZHOU, date(2026, 6, 1))


def test_a_release_whose_merged_weights_do_not_add_up_is_refused_and_the_others_still_serve(tmp_path):
    release = {"region": "5301", "version": 1, "effective_from": "2027-01-01", "effective_to": None,
               "title": "test", "overrides": {"assistance": {"priority": {"weights": {"income_gap": 0.5}}}}}
    rules = policy_rules(bundle=bundle_copy(tmp_path, release=release))
    with pytest.raises(RuleDataError, match=r"^5301-v1: priority.weights must add up to 1, they add up to 1.2"):
        rules.for_division(YUNNAN, date(2027, 1, 1))
    assert rules.for_division(YUNNAN, date(2026, 12, 31)).version == "53-v2"
    assert rules.for_division(GUIZHOU, date(2027, 1, 1)).version == "CN-v1"


def test_the_completeness_check_names_the_place_it_is_given():
    rules = policy_rules().for_division(GUIZHOU, date(2026, 6, 1))
    check_complete(rules)  # the shipped version is complete
    params = json.loads(json.dumps(rules.params, default=str_or_float))
    params["needs"]["employment_services"] = ["lottery"]
    with pytest.raises(RuleDataError, match="^draft: needs.employment_services must be a list of"):
        check_complete(RuleSet("CN-v1", "", rules.effective_from, None, params), "draft")
