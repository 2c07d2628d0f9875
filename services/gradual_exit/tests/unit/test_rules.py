"""Rule data: the bundled files, every line kind, regional merging, and every way a rule file can be wrong."""
import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gradual_exit.domain.rules import (
    GUARANTEE_KEYS,
    PROGRAMMES,
    RULES_DIRECTORY,
    NoRuleSet,
    RuleDataError,
    load_rule_book,
)

NATIONAL = json.loads((RULES_DIRECTORY / "national-2022.json").read_text(encoding="utf-8"))
YUNNAN = "530102001001"
GUIZHOU = "522701001002"


def write(tmp_path: Path, *files: dict) -> Path:
    for i, f in enumerate(files):
        (tmp_path / f"rules-{i}.json").write_text(json.dumps(f, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def national(**params_changes) -> dict:
    data = copy.deepcopy(NATIONAL)
    for path, value in params_changes.items():
        node = data["params"]
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        if value is _DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return data


_DELETE = object()


def regional(region="53", version="R-1", start="2026-01-01", end=None, **params) -> dict:
    return {"version": version, "region": region, "effective_from": start, "effective_to": end, "params": params}


# --- the bundled files --------------------------------------------------------------------------------------------

def test_the_bundled_rules_load_and_pick_the_set_by_region_and_date():
    book = load_rule_book()
    assert book.for_division(GUIZHOU, date(2026, 3, 1)).version == "GE-CN-2022.1"
    assert book.for_division(YUNNAN, date(2025, 12, 31)).version == "GE-CN-2022.1"
    assert book.for_division(YUNNAN, date(2026, 1, 1)).version == "GE-CN-2022.1+GE-53-2026.1"
    with pytest.raises(NoRuleSet):
        book.for_division(YUNNAN, date(2021, 12, 31))


@pytest.mark.parametrize("programme,expected", [
    ("tekun", "542.00"), ("dibao", "542.00"), ("near_dibao", "813.00"), ("rigid_expense", "1677.75"),
    ("monitoring", "725.00"), ("temporary", None), ("medical", None), ("education", None), ("housing", None),
    ("employment", None)])
def test_the_national_default_lines(programme, expected):
    line = load_rule_book().for_division(GUIZHOU, date(2026, 3, 1)).line(programme)
    assert (None if line is None else str(line.yuan_per_person_month)) == expected
    if line is not None:
        assert line.basis_en and line.basis_zh


@pytest.mark.parametrize("programme,expected", [
    ("dibao", "600.00"), ("near_dibao", "900.00"), ("tekun", "600.00"), ("monitoring", "750.00"),
    ("rigid_expense", "1416.67")])
def test_the_yunnan_2026_override_moves_every_line_derived_from_it(programme, expected):
    rules = load_rule_book().for_division(YUNNAN, date(2026, 3, 1))
    assert str(rules.line(programme).yuan_per_person_month) == expected


def test_the_national_defaults_of_observation_reviews_and_notices():
    rules = load_rule_book().for_division(GUIZHOU, date(2026, 3, 1))
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


def test_the_yunnan_taper_is_rule_data():
    rules = load_rule_book().for_division(YUNNAN, date(2026, 3, 1))
    assert rules.support_shares("dibao") == tuple(Decimal(x) for x in ("1", "1", "1", "0.8", "0.6", "0.5"))
    assert set(rules.support_shares("near_dibao")) == {Decimal(1)}


# --- line kinds -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line,expected", [
    ({"factor_of_dibao_standard": 2}, "1084.00"),
    ({"yuan_per_person_month": 700}, "700.00"),
    ({"yuan_per_person_year": 10000}, "833.33"),
    ({"share_of_reference_income": 0.5}, "838.88"),
])
def test_every_line_kind(tmp_path, line, expected):
    book = load_rule_book(write(tmp_path, national(programmes__dibao__line=line)))
    assert str(book.for_division(GUIZHOU, date(2026, 1, 1)).line("dibao").yuan_per_person_month) == expected


# --- regional merging ------------------------------------------------------------------------------------------------

def test_a_county_file_merges_onto_its_province_and_the_national_set(tmp_path):
    book = load_rule_book(write(
        tmp_path, NATIONAL,
        regional("53", "P-1", reference={"dibao_standard_yuan_per_person_month": 600}),
        regional("530102", "C-1", programmes={"dibao": {"observation_months": 3}})))
    rules = book.for_division(YUNNAN, date(2026, 6, 1))
    assert rules.version == "GE-CN-2022.1+P-1+C-1" and rules.sources == ("GE-CN-2022.1", "P-1", "C-1")
    assert rules.line("dibao").yuan_per_person_month == Decimal("600.00") and rules.observation_months("dibao") == 3
    other = book.for_division("530321100201", date(2026, 6, 1))
    assert other.version == "GE-CN-2022.1+P-1" and other.observation_months("dibao") == 6


def test_a_regional_file_in_force_only_for_its_dates(tmp_path):
    book = load_rule_book(write(tmp_path, NATIONAL, regional("53", "P-1", "2026-01-01", "2026-06-30",
                                                             reference={"dibao_standard_yuan_per_person_month": 600})))
    assert book.for_division(YUNNAN, date(2026, 6, 30)).version == "GE-CN-2022.1+P-1"
    assert book.for_division(YUNNAN, date(2026, 7, 1)).version == "GE-CN-2022.1"
    assert book.for_division(YUNNAN, date(2025, 12, 31)).version == "GE-CN-2022.1"


def test_a_region_may_switch_a_line_off_and_on(tmp_path):
    book = load_rule_book(write(
        tmp_path, NATIONAL,
        regional("53", "P-1", programmes={"rigid_expense": {"line": None},
                                          "temporary": {"line": {"yuan_per_person_month": 300},
                                                        "observation_months": 3, "support_share_by_month": [1]}})))
    rules = book.for_division(YUNNAN, date(2026, 1, 1))
    assert rules.line("rigid_expense") is None
    assert rules.line("temporary").yuan_per_person_month == Decimal("300.00")


def test_a_line_override_replaces_the_whole_line(tmp_path):
    book = load_rule_book(write(tmp_path, NATIONAL,
                                regional("53", "P-1", programmes={"dibao": {"line": {"yuan_per_person_month": 650}}})))
    assert book.for_division(YUNNAN, date(2026, 1, 1)).line("dibao").yuan_per_person_month == Decimal("650.00")


def test_a_division_code_must_be_digits():
    with pytest.raises(ValueError):
        load_rule_book().for_division("53a", date(2026, 1, 1))


# --- broken rule files ---------------------------------------------------------------------------------------------------

BROKEN_NATIONAL = [
    ("missing", national(programmes__dibao__notice_days=_DELETE), "programmes.dibao.notice_days"),
    ("bad line kind", national(programmes__dibao__line={"yuan_per_person_week": 100}), "line"),
    ("two line kinds", national(programmes__dibao__line={"yuan_per_person_month": 1, "yuan_per_person_year": 2}), "line"),
    ("zero line", national(programmes__dibao__line={"yuan_per_person_month": 0}), "positive"),
    ("share above 1", national(programmes__dibao__support_share_by_month=[1, 1.2]), "support_share_by_month"),
    ("negative share", national(programmes__dibao__support_share_by_month=[-0.1]), "support_share_by_month"),
    ("no shares", national(programmes__dibao__support_share_by_month=[]), "support_share_by_month"),
    ("no observation", national(programmes__dibao__observation_months=0), "observation_months"),
    ("review basis", national(programmes__dibao__review_months={"stable": 12}), "review_months"),
    ("review zero", national(programmes__dibao__review_months={"stable": 0, "unstable_with_labour": 6}), "stable"),
    ("notice days", national(programmes__dibao__notice_days=-1), "notice_days"),
    ("monitored", national(programmes__monitoring__exit_conditions__min_monitored_months=-1), "min_monitored_months"),
    ("guarantee", national(exit__required_guarantees=["food", "wifi"]), "required_guarantees"),
    ("labour none", national(exit__working_labour_capacities=["full", "none"]), "working_labour_capacities"),
    ("labour empty", national(exit__working_labour_capacities=[]), "working_labour_capacities"),
    ("flag", national(exit__require_income_stable="yes"), "require_income_stable"),
    ("standard", national(reference__dibao_standard_yuan_per_person_month=0), "dibao_standard"),
    ("unknown programme", national(programmes__lottery=NATIONAL["params"]["programmes"]["dibao"]), "lottery"),
]


@pytest.mark.parametrize("name,data,message", BROKEN_NATIONAL, ids=[b[0] for b in BROKEN_NATIONAL])
def test_a_broken_national_file_is_refused_naming_the_parameter(tmp_path, name, data, message):
    with pytest.raises(RuleDataError) as exc:
        load_rule_book(write(tmp_path, data))
    assert message in str(exc.value) and "rules-0.json" in str(exc.value)


BROKEN_FILES = [
    ("misspelt override", [NATIONAL, regional(programmes={"dibao": {"observation_month": 3}})], "observation_month"),
    ("kind mismatch", [NATIONAL, regional(programmes={"dibao": {"observation_months": "six"}})], "number"),
    ("override breaks a value", [NATIONAL, regional(programmes={"dibao": {"notice_days": -2}})], "notice_days"),
    ("overlap", [NATIONAL, regional(version="A"), regional(version="B", start="2026-06-01")], "both effective"),
    ("duplicate version", [NATIONAL, regional(version="GE-CN-2022.1")], "also used"),
    ("plus in version", [NATIONAL, regional(version="A+B")], "without '+'"),
    ("bad region", [NATIONAL, regional(region="5x")], "region"),
    ("bad date", [NATIONAL, regional(start="2026-13-01")], "effective_from"),
    ("ends before it starts", [NATIONAL, regional(start="2026-06-01", end="2026-05-31")], "before"),
    ("no national", [regional()], "no national"),
    ("no national in force", [national(), regional(start="2020-01-01", end="2021-12-31")], "no national rule set"),
]


@pytest.mark.parametrize("name,files,message", BROKEN_FILES, ids=[b[0] for b in BROKEN_FILES])
def test_a_broken_rule_file_is_refused(tmp_path, name, files, message):
    with pytest.raises(RuleDataError) as exc:
        load_rule_book(write(tmp_path, *files))
    assert message in str(exc.value)


def test_unreadable_and_missing_files_are_refused(tmp_path):
    with pytest.raises(RuleDataError, match="no rule files"):
        load_rule_book(tmp_path)
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RuleDataError, match="not readable"):
        load_rule_book(tmp_path)
    (tmp_path / "x.json").write_text(json.dumps({"version": "x"}), encoding="utf-8")
    with pytest.raises(RuleDataError, match="missing 'region'"):
        load_rule_book(tmp_path)


def test_every_programme_has_a_block_in_the_national_file():
    assert set(NATIONAL["params"]["programmes"]) == set(PROGRAMMES)
