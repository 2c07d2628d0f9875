"""Follow-up rule sets from policy documents: the shipped versions, programme overrides, and the completeness check
that refuses a version whose followup section (or a programme's merged set) is incomplete or wrong."""
from datetime import date

import pytest

from followup.domain.rules import NoRuleSet, RuleDataError, RuleSet
from followup.policy import policy_rules, select

SHIPPED = policy_rules()


def test_every_shipped_version_is_complete_and_cites_its_policy_version():
    assert [(r.version, r.region, r.effective_from, r.effective_to) for r in SHIPPED.all()] == [
        ("CN-v1", "", date(2022, 1, 1), None),
        ("53-v1", "53", date(2025, 1, 1), date(2025, 12, 31)),
        ("53-v2", "53", date(2026, 1, 1), None)]


def test_the_national_default_applies_where_no_region_overrides_it():
    rules = select(SHIPPED, "110105001001", date(2026, 3, 1))
    assert rules.version == "CN-v1"
    assert rules.integer("schedule", "interval_months") == 3 and rules.integer("schedule", "duration_months") == 36
    assert rules.decimal("income", "monitoring_line_yuan_per_person_year") == 8700
    assert rules.decimal("medical", "reference_income_yuan_per_person_year") == 20133


def test_yunnans_standards_replace_the_national_ones_and_nothing_else():
    rules = select(SHIPPED, "530102001001", date(2026, 1, 1))
    assert rules.version == "53-v2"
    assert rules.decimal("income", "monitoring_line_yuan_per_person_year") == 9000
    assert rules.decimal("medical", "reference_income_yuan_per_person_year") == 17000
    national = select(SHIPPED, "", date(2026, 1, 1))
    assert {k: v for k, v in rules.params.items() if k not in ("income", "medical")} == \
        {k: v for k, v in national.params.items() if k not in ("income", "medical")}
    assert rules.decimal("income", "drop_share_threshold") == national.decimal("income", "drop_share_threshold")
    in_2025 = select(SHIPPED, "530102001001", date(2025, 12, 31))
    assert in_2025.version == "53-v1"
    assert in_2025.decimal("income", "monitoring_line_yuan_per_person_year") == 8700
    assert in_2025.decimal("medical", "reference_income_yuan_per_person_year") == 16361


def test_a_programme_may_have_its_own_cadence():
    temporary = select(SHIPPED, "530102", date(2026, 3, 1), "temporary")
    assert temporary.integer("schedule", "duration_months") == 12
    assert temporary.programme == "temporary" and temporary.version == "53-v2"
    assert temporary.decimal("income", "monitoring_line_yuan_per_person_year") == 9000, "the rest stays the region's"
    assert select(SHIPPED, "530102", date(2026, 3, 1), "dibao").integer("schedule", "duration_months") == 36
    assert select(SHIPPED, "530102", date(2026, 3, 1), None).programme is None


def test_the_national_document_is_in_force_from_2022_and_nothing_before():
    assert select(SHIPPED, "530102001001", date(2022, 1, 1)).version == "CN-v1"
    assert select(SHIPPED, "530102001001", date(2024, 12, 31)).version == "CN-v1"
    with pytest.raises(NoRuleSet):
        select(SHIPPED, "530102001001", date(2021, 12, 31))


def test_a_division_code_is_digits():
    with pytest.raises(ValueError):
        select(SHIPPED, "53-01", date(2026, 1, 1))


def test_a_county_release_merges_onto_the_province_version_in_force(bundle, release):
    rules = bundle(None, release("530102", 1, "2026-06-01", {"followup": {
        "schedule": {"grace_days": 30}, "signals": {"migrant_return": "income_drop"}}}))
    county = select(rules, "530102001001", date(2026, 7, 1))
    assert county.version == "530102-v1"
    assert county.decimal("income", "monitoring_line_yuan_per_person_year") == 9000, "Yunnan's line stays"
    assert county.integer("schedule", "grace_days") == 30 and county.integer("schedule", "interval_months") == 3
    assert county.value("signals", "migrant_return") == "income_drop", "null may be replaced by a risk kind"
    assert select(rules, "530103001001", date(2026, 7, 1)).version == "53-v2"
    assert select(rules, "530102001001", date(2026, 5, 31)).version == "53-v2"


def test_a_regional_programme_override_is_merged_and_checked(bundle, release):
    rules = bundle(None, release("53", 3, "2027-01-01", {"followup": {
        "programmes": {"dibao": {"schedule": {"interval_months": 6}}}}}))
    dibao = select(rules, "530102", date(2027, 3, 1), "dibao")
    assert dibao.version == "53-v3" and dibao.integer("schedule", "interval_months") == 6
    assert select(rules, "530102", date(2027, 3, 1), "temporary").integer("schedule", "duration_months") == 12
    assert select(rules, "530102", date(2027, 3, 1)).integer("schedule", "interval_months") == 3, "only for dibao"


@pytest.mark.parametrize("followup,message", [
    ({"programmes": {"dibaoo": {}}}, "programmes.dibaoo is not a programme"),
    ({"programmes": {"dibao": {"schedule": {"interval": 6}}}}, "programmes.dibao.schedule.interval: no such parameter"),
    ({"programmes": {"dibao": {"schedule": {"interval_months": "six"}}}}, "the rule set has a number"),
    ({"programmes": {"dibao": {"income": 5}}}, "the rule set has an object"),
    ({"programmes": {"dibao": {"programmes": {}}}}, "may not nest programmes"),
    ({"programmes": {"dibao": 6}}, "programmes.dibao must be an object"),
    ({"programmes": {"temporary": {"schedule": {"duration_months": 1}}}},
     r"53-v3 \(temporary\): schedule needs interval_months >= 1 and duration_months >= interval_months"),
    ({"programmes": {"dibao": {"signals": {"earner_death": "bad_luck"}}}}, r"53-v3 \(dibao\): signals.earner_death"),
    ({"schedule": {"interval_months": 0}}, "interval_months >= 1"),
    ({"schedule": {"grace_days": -1}}, "schedule.grace_days must be a whole number"),
    ({"schedule": {"early_days": 200}}, "early_days"),
    ({"income": {"drop_share_threshold": 1.5}}, "share above 0 and at most 1"),
    ({"medical": {"per_stay_yuan_threshold": 0}}, "must be above 0"),
    ({"labour": {"severe_disability_grade_at_most": 5}}, "disability grade"),
    ({"labour": {"members_lost_at_least": 0}}, "at least 1"),
    ({"signals": {"earner_death": "bad_luck"}}, "must be a risk kind"),
    ({"signals": {"lottery_win": None}}, "unknown kinds"),
    ({"risk_kind_precedence": ["income_drop"]}, "must order exactly"),
])
def test_a_wrong_version_is_refused_naming_it_and_the_others_stay_usable(bundle, release, followup, message):
    rules = bundle(None, release("53", 3, "2027-01-01", {"followup": followup}))
    with pytest.raises(RuleDataError, match=message) as refused:
        select(rules, "530102", date(2027, 1, 1))
    assert str(refused.value).startswith("53-v3")
    assert select(rules, "530102", date(2026, 12, 31)).version == "53-v2"


def test_a_standard_the_followup_rules_read_is_checked_too(bundle, release):
    rules = bundle(None, release("53", 3, "2027-01-01", {"standards": {"monitoring_line_yuan_per_person_year": 0}}))
    with pytest.raises(RuleDataError, match="53-v3: income.monitoring_line_yuan_per_person_year must be above 0"):
        select(rules, "530102", date(2027, 1, 1))


def test_a_national_document_missing_a_parameter_is_refused(bundle, national):
    incomplete = national()
    del incomplete["document"]["followup"]["medical"]["per_stay_yuan_threshold"]
    del incomplete["document"]["followup"]["programmes"]
    rules = bundle(incomplete, shipped_releases=False)
    with pytest.raises(RuleDataError, match="CN-v1: missing parameters medical.per_stay_yuan_threshold, programmes"):
        select(rules, "110105", date(2026, 1, 1))


def test_the_factory_builds_the_version_from_the_entry(bundle, national):
    rules = bundle(national(schedule={"grace_days": 20}), shipped_releases=False)
    built = rules.by_version("CN-v1")
    assert isinstance(built, RuleSet) and built.version == "CN-v1" and built.region == ""
    assert built.effective_from == date(2022, 1, 1) and built.effective_to is None
    assert built.integer("schedule", "grace_days") == 20
    assert rules.by_version("CN-v1") is built, "built once per version"
    with pytest.raises(NoRuleSet):
        rules.by_version("53-v2")
