"""The policy document's pure rules: override checks, merge, schema and semantic checks at their boundaries, diff,
effective periods."""
from __future__ import annotations

from datetime import date

import pytest

from policy import national
from policy.domain import document as doc

NATIONAL = national.build().document


def rules_of(problems):
    return {(p.path, p.rule) for p in problems}


def merged(overrides):
    assert doc.override_problems(NATIONAL, overrides) == []
    return doc.merge(NATIONAL, overrides)


def test_the_national_defaults_are_a_valid_document():
    assert doc.document_problems(NATIONAL) == []


def test_merge_changes_only_what_the_override_names_and_leaves_the_base_alone():
    result = doc.merge(NATIONAL, {"standards": {"dibao_standard_yuan_per_person_month": 650}})
    assert result["standards"]["dibao_standard_yuan_per_person_month"] == 650
    assert result["standards"]["monitoring_line_yuan_per_person_year"] == NATIONAL["standards"]["monitoring_line_yuan_per_person_year"]
    assert NATIONAL["standards"]["dibao_standard_yuan_per_person_month"] != 650
    assert result["identification"] == NATIONAL["identification"]


def test_an_override_of_a_list_replaces_the_whole_list():
    shares = [1, 1, 0.8, 0.6, 0.5, 0.4]
    result = doc.merge(NATIONAL, {"gradual_exit": {"programmes": {"dibao": {"support_share_by_month": shares}}}})
    assert result["gradual_exit"]["programmes"]["dibao"]["support_share_by_month"] == shares


def test_an_unknown_parameter_is_named_with_its_path():
    problems = doc.override_problems(NATIONAL, {"standards": {"dibao_standard": 600}, "nonsense": {}})
    assert rules_of(problems) == {("standards.dibao_standard", "unknown_parameter"), ("nonsense", "unknown_parameter")}
    assert all(p.message_zh and p.message for p in problems)


def test_a_value_of_another_kind_is_refused():
    problems = doc.override_problems(NATIONAL, {"standards": {"dibao_standard_yuan_per_person_month": "650"},
                                                "identification": {"dibao": {"excluded_if_eligible_for": "tekun"}}})
    assert rules_of(problems) == {("standards.dibao_standard_yuan_per_person_month", "same_kind"),
                                  ("identification.dibao.excluded_if_eligible_for", "same_kind")}


def test_a_new_calendar_year_is_a_new_key_that_an_override_may_add():
    year = {"days_off": [], "makeup_working_days": []}
    assert doc.override_problems(NATIONAL, {"calendar": {"years": {"2031": year}}}) == []
    assert doc.document_problems(doc.merge(NATIONAL, {"calendar": {"years": {"2031": year}}})) == []


@pytest.mark.parametrize("value, ok", [(0, False), (0.01, True), (10_000_000, True), (10_000_000.01, False)])
def test_the_dibao_standard_is_bounded(value, ok):
    document = doc.merge(NATIONAL, {"standards": {"dibao_standard_yuan_per_person_month": value,
                                                  "monitoring_line_yuan_per_person_year": 120_000_000}})
    problems = doc.document_problems(document)
    assert (problems == []) is ok, problems
    if not ok:
        assert problems[0].path == "standards.dibao_standard_yuan_per_person_month"
        assert problems[0].rule in ("schema.exclusiveMinimum", "schema.maximum")


def test_a_missing_standard_is_refused_by_the_schema():
    document = doc.merge(NATIONAL, {})
    del document["standards"]["monitoring_line_yuan_per_person_year"]
    assert rules_of(doc.document_problems(document)) == {("standards", "schema.required")}


def test_a_standard_may_not_reappear_inside_a_service_section_of_standards():
    document = doc.merge(NATIONAL, {})
    document["standards"]["dibao_standard_yuan_per_person_year"] = 7000
    assert rules_of(doc.document_problems(document)) == {("standards", "schema.additionalProperties")}


@pytest.mark.parametrize("line, ok", [(7199, False), (7200, True), (7201, True)])
def test_the_monitoring_line_is_not_below_twelve_months_of_the_dibao_standard(line, ok):
    problems = doc.document_problems(merged({"standards": {"dibao_standard_yuan_per_person_month": 600,
                                                           "monitoring_line_yuan_per_person_year": line}}))
    assert rules_of(problems) == (set() if ok else {("standards.monitoring_line_yuan_per_person_year",
                                                     "monitoring_line_not_below_dibao_standard")})


@pytest.mark.parametrize("factor, ok", [(0.99, False), (1, True), (1.5, True)])
def test_the_near_dibao_factor_is_at_least_one(factor, ok):
    problems = doc.document_problems(merged({"identification": {"near_dibao": {"income_factor_of_dibao_standard": factor}}}))
    assert rules_of(problems) == (set() if ok else {("identification.near_dibao.income_factor_of_dibao_standard",
                                                     "factor_at_least_one")})


@pytest.mark.parametrize("extended, ok", [(29, False), (30, True), (45, True)])
def test_an_extended_deadline_is_not_shorter_than_the_ordinary_one(extended, ok):
    problems = doc.document_problems(merged({"identification": {"dibao": {"deadline": {"extended_working_days": extended}}}}))
    assert rules_of(problems) == (set() if ok else {("identification.dibao.deadline.extended_working_days",
                                                     "extended_deadline_not_shorter")})


@pytest.mark.parametrize("income_gap, ok", [(0.29, False), (0.3, True), (0.31, False)])
def test_the_priority_weights_add_up_to_one(income_gap, ok):
    problems = doc.document_problems(merged({"assistance": {"priority": {"weights": {"income_gap": income_gap}}}}))
    assert rules_of(problems) == (set() if ok else {("assistance.priority.weights", "weights_add_up_to_one")})


@pytest.mark.parametrize("shares, rule", [([1, 1, 0.8, 0.8, 0.5, 0], None), ([1, 0.8, 0.9], "taper_never_rises"),
                                          ([1, 1.01], "share_between_zero_and_one"), ([-0.1], "share_between_zero_and_one")])
def test_the_exit_taper_never_rises_and_stays_between_zero_and_one(shares, rule):
    problems = doc.document_problems(merged({"gradual_exit": {"programmes": {"dibao": {"support_share_by_month": shares}}}}))
    expected = set() if rule is None else {("gradual_exit.programmes.dibao.support_share_by_month", rule)}
    assert rules_of(problems) == expected


@pytest.mark.parametrize("duration, ok", [(2, False), (3, True)])
def test_the_follow_up_lasts_at_least_one_interval(duration, ok):
    problems = doc.document_problems(merged({"followup": {"schedule": {"duration_months": duration}}}))
    assert rules_of(problems) == (set() if ok else {("followup.schedule.duration_months", "duration_at_least_one_interval")})


def test_a_screening_rule_citing_an_undefined_parameter_is_refused():
    rules = NATIONAL["screening"]["rules"] + [{"id": "x", "threshold": {"parameter": "no_such_parameter"}}]
    problems = doc.document_problems(merged({"screening": {"rules": rules}}))
    assert rules_of(problems) == {(f"screening.rules.{len(rules) - 1}", "parameter_defined")}


def test_screening_rules_cite_the_reference_income_from_standards():
    cited = {name for rule in NATIONAL["screening"]["rules"] for name in doc._parameter_references(rule)}
    assert "standards.reference_income_yuan_per_person_year" in cited
    assert "rural_income_last_year_yuan" not in NATIONAL["screening"]["parameters"]


def test_diff_lists_every_changed_parameter_with_before_and_after():
    after = doc.merge(NATIONAL, {"standards": {"dibao_standard_yuan_per_person_month": 650},
                                 "followup": {"schedule": {"grace_days": 20}}})
    assert doc.diff(NATIONAL, after) == [
        {"path": "followup.schedule.grace_days", "before": NATIONAL["followup"]["schedule"]["grace_days"], "after": 20},
        {"path": "standards.dibao_standard_yuan_per_person_month", "before": 542, "after": 650}]
    assert doc.diff(NATIONAL, NATIONAL) == []


def test_a_release_file_needs_its_legal_basis_and_a_known_section():
    problems = doc.release_problems({"region": "53", "version": 2, "effective_from": "2027-01-01", "title": "t",
                                     "overrides": {"standard": {}}})
    assert rules_of(problems) == {("<document>", "schema.required"), ("overrides", "schema.enum")}


# -- periods ---------------------------------------------------------------------------------------------------
TODAY = date(2026, 12, 1)
P = doc.Period


@pytest.mark.parametrize("new, approved, expected", [
    (P(2, date(2027, 1, 1), None), [P(1, date(2026, 1, 1), None)], set()),  # supersedes an open-ended one
    (P(2, date(2026, 1, 1), None), [P(1, date(2026, 1, 1), None)], {("effective_from", "not_retroactive"),
                                                                     ("effective_from", "no_overlap")}),
    (P(2, date(2027, 1, 1), None), [P(1, date(2026, 1, 1), date(2027, 1, 1))], {("effective_from", "no_overlap")}),
    (P(2, date(2027, 1, 2), None), [P(1, date(2026, 1, 1), date(2027, 1, 1))], set()),  # the day after the end
    (P(2, date(2027, 1, 1), date(2027, 6, 30)), [P(1, date(2027, 6, 30), None)], {("effective_from", "no_overlap")}),
    (P(2, date(2027, 1, 1), date(2027, 6, 29)), [P(1, date(2027, 6, 30), None)], set()),
    (P(2, date(2027, 1, 1), date(2026, 12, 31)), [], {("effective_to", "dates_in_order")}),
    (P(2, date(2027, 1, 1), date(2027, 1, 1)), [], set()),  # one day
    (P(2, TODAY, None), [], set()),  # from today is not retroactive
    (P(1, date(2027, 1, 1), None), [P(1, date(2026, 1, 1), None)], {("version", "version_increases")}),
])
def test_periods(new, approved, expected):
    assert rules_of(doc.period_problems(new, approved, TODAY)) == expected


def test_a_regional_version_may_not_give_a_line_a_second_kind():
    from shared.policy_client import baseline_entries, merge
    base = baseline_entries()[0].document
    merged = merge(base, {"gradual_exit": {"programmes": {"dibao": {"line": {"yuan_per_person_month": 650}}}}})
    problems = doc.document_problems(merged)
    assert [(p.path, p.rule) for p in problems] == [("gradual_exit.programmes.dibao.line", "one_line_kind")]
    same_kind = merge(base, {"gradual_exit": {"programmes": {"dibao": {"line": {"factor_of_dibao_standard": 1.1}}}}})
    assert doc.document_problems(same_kind) == []
