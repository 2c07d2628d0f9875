"""Assistance rule data: the bundled sets, regional deep-merge, selection by region and date, and broken files refused."""
import copy
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from assistance.domain.rules import (
    RULES_DIRECTORY,
    NoRuleSet,
    RuleDataError,
    load_rule_sets,
    local_date,
    merge_params,
    select_rule_set,
)

YUNNAN = "530102001001"
GUIZHOU = "520326101203"


@pytest.fixture(scope="module")
def bundled():
    return load_rule_sets()


def national() -> dict:
    return json.loads((RULES_DIRECTORY / "national-2022.json").read_text(encoding="utf-8"), parse_float=Decimal)


def write(folder: Path, name: str, body: dict) -> None:
    (folder / name).write_text(json.dumps(body, default=float), encoding="utf-8")


def national_with(folder: Path, change) -> None:
    body = national()
    change(body["params"])
    write(folder, "national.json", body)


def test_the_national_default_holds_the_published_figures(bundled):
    rules = select_rule_set(bundled, GUIZHOU, date(2026, 6, 1))
    assert rules.version == "CN-A-2022.1"
    assert rules.decimal("cash", "dibao", "standard_yuan_per_person_month") == Decimal("542")
    assert rules.decimal("cash", "tekun", "basic_living_factor_of_dibao_standard") == Decimal("1.3")
    assert rules.names("needs", "long_term", "programmes") == ("dibao", "tekun")
    assert set(rules.names("needs", "temporary", "needs")) >= {"skills_training", "job_referral", "in_kind"}
    assert set(rules.names("needs", "long_term", "needs")) >= {"care_services", "medical_assistance", "in_kind"}
    assert sum(rules.value("priority", "weights").values()) == 1


def test_a_region_overrides_only_what_it_names_from_its_first_day(bundled):
    before = select_rule_set(bundled, YUNNAN, date(2025, 12, 31))
    first = select_rule_set(bundled, YUNNAN, date(2026, 1, 1))
    assert before.version == "CN-A-2022.1"
    assert first.version == "CN-A-2022.1+53-A-2026.1" and first.sources == ("CN-A-2022.1", "53-A-2026.1")
    assert first.decimal("cash", "dibao", "standard_yuan_per_person_month") == Decimal("600")
    assert first.decimal("cash", "dibao", "minimum_yuan_per_person_month") == Decimal("0"), "inherited"
    assert first.decimal("cash", "temporary", "max_yuan_per_household") == Decimal("6000")
    assert first.value("priority", "weights") == before.value("priority", "weights")


def test_selection_uses_the_local_date_and_refuses_dates_before_any_rules(bundled):
    # 16:00 UTC on 31 December is already 1 January in China
    assert select_rule_set(bundled, YUNNAN, datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)).region == "53"
    assert select_rule_set(bundled, YUNNAN, datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc)).region == ""
    assert local_date(date(2026, 1, 1)) == date(2026, 1, 1)
    with pytest.raises(NoRuleSet):
        select_rule_set(bundled, YUNNAN, date(2021, 12, 31))
    with pytest.raises(ValueError):
        select_rule_set(bundled, "53A", date(2026, 1, 1))


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
])
def test_a_broken_national_file_is_refused_naming_the_problem(tmp_path, change, message):
    national_with(tmp_path, change)
    with pytest.raises(RuleDataError, match=message):
        load_rule_sets(tmp_path)


def test_a_regional_override_must_name_existing_parameters_of_the_same_kind(tmp_path):
    write(tmp_path, "national.json", national())
    write(tmp_path, "r.json", {"version": "53-X", "region": "53", "effective_from": "2026-01-01",
                               "params": {"cash": {"dibao": {"standard_yuan_pm": 600}}}})
    with pytest.raises(RuleDataError, match="no such parameter"):
        load_rule_sets(tmp_path)
    write(tmp_path, "r.json", {"version": "53-X", "region": "53", "effective_from": "2026-01-01",
                               "params": {"cash": {"dibao": {"standard_yuan_per_person_month": "600"}}}})
    with pytest.raises(RuleDataError, match="number"):
        load_rule_sets(tmp_path)


def test_a_regional_override_that_breaks_the_merged_set_is_refused(tmp_path):
    write(tmp_path, "national.json", national())
    write(tmp_path, "r.json", {"version": "53-X", "region": "53", "effective_from": "2026-01-01",
                               "params": {"priority": {"weights": {"income_gap": 0.5}}}})
    with pytest.raises(RuleDataError, match="add up to 1"):
        load_rule_sets(tmp_path)


def test_overlapping_or_duplicate_files_are_refused(tmp_path):
    write(tmp_path, "a.json", national())
    second = copy.deepcopy(national())
    second["effective_from"] = "2024-01-01"
    second["version"] = "CN-A-2024.1"
    write(tmp_path, "b.json", second)
    with pytest.raises(RuleDataError, match="both effective"):
        load_rule_sets(tmp_path)
    second["version"] = "CN-A-2022.1"
    write(tmp_path, "b.json", second)
    with pytest.raises(RuleDataError, match="also used"):
        load_rule_sets(tmp_path)


def test_an_empty_or_unreadable_folder_is_refused(tmp_path):
    with pytest.raises(RuleDataError, match="no rule files"):
        load_rule_sets(tmp_path)
    (tmp_path / "x.json").write_text("{", encoding="utf-8")
    with pytest.raises(RuleDataError, match="not readable"):
        load_rule_sets(tmp_path)


def test_merge_replaces_lists_whole_and_merges_objects_key_by_key():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 2}
    assert merge_params(base, {"a": {"c": [3]}}) == {"a": {"b": 1, "c": [3]}, "d": 2}
    assert base["a"]["c"] == [1, 2], "the parent is not changed"
