"""Follow-up rule data: the bundled files, regional and programme overrides, and every way a rule file can be wrong."""
from datetime import date

import pytest

from followup.domain.rules import NoRuleSet, RuleDataError, load_rule_book

BUNDLED = load_rule_book()


def test_the_national_default_applies_where_no_region_overrides_it():
    rules = BUNDLED.select("110105001001", date(2026, 3, 1))
    assert rules.version == "CN-FU-2025.1"
    assert rules.integer("schedule", "interval_months") == 3 and rules.integer("schedule", "duration_months") == 36
    assert rules.decimal("income", "monitoring_line_yuan_per_person_year") == 8700


def test_yunnan_overrides_only_what_it_names_from_2026():
    rules = BUNDLED.select("530102001001", date(2026, 1, 1))
    assert rules.version == "CN-FU-2025.1+53-FU-2026.1"
    assert rules.decimal("income", "monitoring_line_yuan_per_person_year") == 9000
    assert rules.decimal("income", "drop_share_threshold") == BUNDLED.select("", date(2026, 1, 1)).decimal(
        "income", "drop_share_threshold")
    assert BUNDLED.select("530102001001", date(2025, 12, 31)).version == "CN-FU-2025.1"


def test_a_programme_may_have_its_own_cadence():
    assert BUNDLED.select("530102", date(2026, 3, 1), "temporary").integer("schedule", "duration_months") == 12
    assert BUNDLED.select("530102", date(2026, 3, 1), "dibao").integer("schedule", "duration_months") == 36
    temporary = BUNDLED.select("530102", date(2026, 3, 1), "temporary")
    assert temporary.programme == "temporary" and temporary.version == "CN-FU-2025.1+53-FU-2026.1"


def test_no_rule_set_before_the_first_national_file():
    with pytest.raises(NoRuleSet):
        BUNDLED.select("530102001001", date(2024, 12, 31))


def test_a_division_code_is_digits():
    with pytest.raises(ValueError):
        BUNDLED.select("53-01", date(2026, 1, 1))


def test_a_county_file_merges_onto_the_province_and_the_nation(book, national):
    rules = book(("n.json", national()),
                 ("p.json", {"version": "53-x", "region": "53", "effective_from": "2025-01-01",
                             "params": {"income": {"monitoring_line_yuan_per_person_year": 9000}}}),
                 ("c.json", {"version": "530102-x", "region": "530102", "effective_from": "2025-06-01",
                             "params": {"schedule": {"grace_days": 30}, "signals": {"migrant_return": "income_drop"}}}))
    county = rules.select("530102001001", date(2025, 7, 1))
    assert county.version == "CN-FU-2025.1+53-x+530102-x"
    assert county.decimal("income", "monitoring_line_yuan_per_person_year") == 9000
    assert county.integer("schedule", "grace_days") == 30
    assert county.value("signals", "migrant_return") == "income_drop", "null may be replaced by a risk kind"
    assert rules.select("530103001001", date(2025, 7, 1)).version == "CN-FU-2025.1+53-x"
    assert rules.select("530102001001", date(2025, 5, 31)).version == "CN-FU-2025.1+53-x"


def test_a_regional_programme_override_is_merged_and_checked(book, national):
    rules = book(("n.json", national()),
                 ("p.json", {"version": "53-x", "region": "53", "effective_from": "2025-01-01",
                             "params": {"programmes": {"dibao": {"schedule": {"interval_months": 6}}}}}))
    dibao = rules.select("530102", date(2025, 3, 1), "dibao")
    assert dibao.integer("schedule", "interval_months") == 6
    assert rules.select("530102", date(2025, 3, 1), "temporary").integer("schedule", "duration_months") == 12


@pytest.mark.parametrize("regional_params,message", [
    ({"income": {"monitoring_lin": 9000}}, "no such parameter"),
    ({"income": {"monitoring_line_yuan_per_person_year": "high"}}, "the parent has a number"),
    ({"income": 5}, "the parent has an object"),
    ({"programmes": {"dibaoo": {}}}, "not a programme"),
    ({"programmes": {"dibao": {"schedule": {"interval": 6}}}}, "no such parameter"),
    ({"schedule": {"interval_months": 0}}, "interval_months >= 1"),
    ({"schedule": {"early_days": 200}}, "early_days"),
    ({"income": {"drop_share_threshold": 1.5}}, "share above 0 and at most 1"),
    ({"medical": {"per_stay_yuan_threshold": 0}}, "must be above 0"),
    ({"labour": {"severe_disability_grade_at_most": 5}}, "disability grade"),
    ({"labour": {"members_lost_at_least": 0}}, "at least 1"),
    ({"signals": {"earner_death": "bad_luck"}}, "must be a risk kind"),
    ({"risk_kind_precedence": ["income_drop"]}, "must order exactly"),
])
def test_a_wrong_regional_file_fails_loudly_naming_it(book, national, regional_params, message):
    with pytest.raises(RuleDataError, match=message):
        book(("n.json", national()),
             ("p.json", {"version": "53-x", "region": "53", "effective_from": "2025-01-01", "params": regional_params}))


def test_a_national_file_missing_a_parameter_is_refused(book, national):
    incomplete = national()
    del incomplete["params"]["medical"]["per_stay_yuan_threshold"]
    with pytest.raises(RuleDataError, match="missing parameters medical.per_stay_yuan_threshold"):
        book(("n.json", incomplete))


def test_overlapping_files_of_one_region_are_refused(book, national):
    later = national()
    later["version"], later["effective_from"] = "CN-2", "2026-01-01"
    with pytest.raises(RuleDataError, match="overlaps"):
        book(("a.json", national()), ("b.json", later))


def test_versions_are_unique(book, national):
    first = national()
    first["effective_to"] = "2025-12-31"
    second = national()
    second["effective_from"] = "2026-01-01"
    with pytest.raises(RuleDataError, match="also used"):
        book(("a.json", first), ("b.json", second))


def test_a_regional_file_needs_a_national_file_in_force(book, national):
    first = national()
    first["effective_to"] = "2025-12-31"
    with pytest.raises(RuleDataError, match="no national"):
        book(("n.json", first),
             ("p.json", {"version": "53-x", "region": "53", "effective_from": "2026-01-01", "params": {}}))


def test_a_national_file_ending_hands_over_to_the_next(book, national):
    first = national()
    first["effective_to"] = "2025-12-31"
    second = national(income={"monitoring_line_yuan_per_person_year": 9100})
    second["version"], second["effective_from"] = "CN-2026", "2026-01-01"
    rules = book(("a.json", first), ("b.json", second))
    assert rules.select("530102", date(2025, 12, 31)).version == "CN-FU-2025.1"
    assert rules.select("530102", date(2026, 1, 1)).decimal("income", "monitoring_line_yuan_per_person_year") == 9100


@pytest.mark.parametrize("broken,message", [
    ("not json", "not readable JSON"),
    ('{"version": "x+y", "region": "", "effective_from": "2025-01-01", "params": {}}', "without '\\+'"),
    ('{"version": "x", "region": "5a", "effective_from": "2025-01-01", "params": {}}', "region must be"),
    ('{"version": "x", "region": "", "effective_from": "2025-13-01", "params": {}}', "effective_from must be a date"),
    ('{"version": "x", "region": "", "params": {}}', "missing 'effective_from'"),
])
def test_a_malformed_file_is_refused_naming_it(tmp_path, broken, message):
    (tmp_path / "bad.json").write_text(broken, encoding="utf-8")
    with pytest.raises(RuleDataError, match=message):
        load_rule_book(tmp_path)


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(RuleDataError, match="no rule files"):
        load_rule_book(tmp_path)
