"""The observation rules: start, continue and revert at the boundaries of every line, the no-labour-capacity rule,
every exit condition at its boundary, and the support taper."""
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from gradual_exit.domain.observation import (
    OBSERVING_STATES,
    decide_on_income,
    exit_verdict,
    observation_end,
    support_schedule,
    support_share,
)
from gradual_exit.domain.rules import GUARANTEE_KEYS, PROGRAMMES, RuleSet
from gradual_exit.domain.situation import HouseholdFacts
from shared.policy_client import PolicyRules

BOOK = PolicyRules("gradual_exit", build=RuleSet.from_policy)  # the shipped policy bundle
NATIONAL = BOOK.for_division("522701001002", date(2026, 3, 1))  # Guizhou: national defaults (CN-v1)
YUNNAN = BOOK.for_division("530102001001", date(2026, 3, 1))  # 53-v2: dibao standard 600, tapered dibao support
CENT = Decimal("0.01")
INCOME_TESTED = [p for p in PROGRAMMES if NATIONAL.line(p) is not None]
ALL_SECURED = {k: True for k in GUARANTEE_KEYS}


def facts(income, labour=True, **over) -> HouseholdFacts:
    return HouseholdFacts(per_capita_monthly_income_yuan=None if income is None else Decimal(str(income)),
                          has_labour_capacity=labour, **over)


def line_of(programme, rules=NATIONAL) -> Decimal:
    return rules.line(programme).yuan_per_person_month


def test_the_income_tested_programmes():
    assert INCOME_TESTED == ["tekun", "dibao", "near_dibao", "rigid_expense", "monitoring"]


# --- starting an observation: strictly above the line ------------------------------------------------------------------

@pytest.mark.parametrize("programme", INCOME_TESTED)
@pytest.mark.parametrize("offset,action", [(-CENT, "none"), (Decimal(0), "none"), (CENT, "start_observation")])
def test_income_must_rise_strictly_above_the_line_to_start_an_observation(programme, offset, action):
    decision = decide_on_income(programme, "supported", facts(line_of(programme) + offset), NATIONAL)
    assert decision.action == action
    assert decision.rule_version == NATIONAL.version and decision.line.yuan_per_person_month == line_of(programme)
    assert decision.explanation_en and decision.explanation_zh
    assert decision.reasons[0].code == ("income_above_line" if action != "none" else "income_not_above_line")


def test_the_line_in_force_is_the_regional_one():
    assert decide_on_income("dibao", "supported", facts("599.99"), YUNNAN).action == "none"
    assert decide_on_income("dibao", "supported", facts("600.00"), YUNNAN).action == "none"
    assert decide_on_income("dibao", "supported", facts("600.01"), YUNNAN).action == "start_observation"
    assert decide_on_income("dibao", "supported", facts("600.00"), NATIONAL).action == "start_observation"


def test_each_programme_is_compared_with_its_own_line():
    household = facts("700")  # above dibao (542), below near_dibao (813) and monitoring (725)
    actions = {p: decide_on_income(p, "supported", household, NATIONAL).action for p in PROGRAMMES}
    assert actions == {"tekun": "start_observation", "dibao": "start_observation", "near_dibao": "none",
                       "rigid_expense": "none", "monitoring": "none", "temporary": "none", "medical": "none",
                       "education": "none", "housing": "none", "employment": "none"}


# --- during an observation: continue or revert ---------------------------------------------------------------------------

@pytest.mark.parametrize("state", OBSERVING_STATES)
@pytest.mark.parametrize("offset,action", [(-CENT, "revert_observation"), (Decimal(0), "revert_observation"),
                                           (CENT, "continue")])
def test_income_falling_back_to_or_below_the_line_reverts_in_every_observing_state(state, offset, action):
    decision = decide_on_income("dibao", state, facts(line_of("dibao") + offset), NATIONAL)
    assert decision.action == action
    if action == "revert_observation":
        assert [r.code for r in decision.reasons] == ["income_fell_back"]
        assert "support continues" in decision.explanation_en and "继续给予救助" in decision.explanation_zh


# --- the no-labour-capacity rule ----------------------------------------------------------------------------------------------

def test_a_household_without_labour_capacity_does_not_start_an_observation_on_income_alone():
    decision = decide_on_income("dibao", "supported", facts("2000", labour=False), NATIONAL)
    assert decision.action == "none"
    assert [(r.code, r.passed) for r in decision.reasons] == [("income_above_line", True), ("no_labour_capacity", False)]
    assert "income alone" in decision.explanation_en and "不单凭收入" in decision.explanation_zh


def test_a_confirmed_lasting_income_source_lets_it_start():
    decision = decide_on_income("dibao", "supported", facts("2000", labour=False, lasting_income_source=True), NATIONAL)
    assert decision.action == "start_observation"
    assert decision.reasons[-1].code == "lasting_income_source"


def test_a_lasting_income_source_stated_as_false_keeps_it_closed():
    decision = decide_on_income("dibao", "supported", facts("2000", labour=False, lasting_income_source=False), NATIONAL)
    assert decision.action == "none"


@pytest.mark.parametrize("state", OBSERVING_STATES)
def test_losing_labour_capacity_during_an_observation_reverts_it(state):
    decision = decide_on_income("dibao", state, facts("2000", labour=False), NATIONAL)
    assert decision.action == "revert_observation"
    assert decision.reasons[-1].code == "no_labour_capacity"


def test_unknown_labour_capacity_starts_the_observation_but_says_it_must_be_recorded():
    decision = decide_on_income("dibao", "supported", facts("2000", labour=None), NATIONAL)
    assert decision.action == "start_observation"
    assert (decision.reasons[-1].code, decision.reasons[-1].passed) == ("labour_capacity_not_recorded", False)


def test_a_region_may_allow_exits_of_households_without_labour_capacity(bundle):
    rules = bundle(releases=[{"region": "52", "version": 1, "effective_from": "2026-01-01", "overrides": {
        "gradual_exit": {"exit": {"no_labour_capacity_needs_lasting_income_source": False}}}}]
                   ).for_division("522701001002", date(2026, 3, 1))
    assert rules.version == "52-v1"
    decision = decide_on_income("dibao", "supported", facts("2000", labour=False), rules)
    assert decision.action == "start_observation" and decision.reasons[-1].code == "no_labour_capacity_allowed"


# --- nothing to decide ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("programme", ["temporary", "medical", "education", "housing", "employment"])
def test_programmes_without_a_line_never_start_an_observation(programme):
    decision = decide_on_income(programme, "supported", facts("99999"), NATIONAL)
    assert decision.action == "none" and decision.reasons[0].code == "not_income_tested" and decision.line is None


def test_an_exited_programme_and_an_unknown_income_decide_nothing():
    assert decide_on_income("dibao", "exited", facts("1"), NATIONAL).action == "none"
    decision = decide_on_income("dibao", "observation", facts(None), NATIONAL)
    assert decision.action == "none" and decision.reasons[0].code == "income_not_recorded"


# --- the exit verdict --------------------------------------------------------------------------------------------------------

START = date(2026, 3, 2)
ENDS = observation_end(START, "dibao", NATIONAL)
GOOD = facts("900", labour=True, income_stable=True, guarantees=ALL_SECURED, assistance_measures=1)


def verdict(programme="dibao", household=GOOD, today=ENDS, lowest="900", enrolled=date(2025, 9, 2), rules=NATIONAL,
            ends=ENDS):
    return exit_verdict(programme, facts=household, ends_on=ends, lowest_income=Decimal(lowest), enrolled_on=enrolled,
                        today=today, rules=rules)


def codes(v) -> list[tuple[str, bool]]:
    return [(r.code, r.passed) for r in v.reasons]


def test_the_observation_ends_after_six_whole_months():
    assert ENDS == date(2026, 9, 2)
    assert observation_end(date(2026, 8, 31), "dibao", NATIONAL) == date(2027, 2, 28)


def test_a_household_that_meets_every_condition_may_go_to_the_exit_review():
    v = verdict()
    assert v.met and v.rule_version == NATIONAL.version and v.failed == ()
    assert codes(v) == [("observation_period_complete", True), ("income_stably_above_line", True),
                        ("income_stable", True), ("guarantees_secured", True), ("labour_capacity", True)]
    assert v.explanation_en and v.explanation_zh


def test_the_period_is_complete_on_its_end_day_not_the_day_before():
    assert not verdict(today=date(2026, 9, 1)).met
    assert verdict(today=date(2026, 9, 1)).failed[0].code == "observation_period_running"
    assert verdict(today=date(2026, 9, 2)).met


@pytest.mark.parametrize("lowest,met", [("541.99", False), ("542.00", False), ("542.01", True)])
def test_the_lowest_income_of_the_observation_must_stay_above_the_line(lowest, met):
    v = verdict(lowest=lowest)
    assert v.met is met
    if not met:
        assert [r.code for r in v.failed] == ["income_not_above_line"]


@pytest.mark.parametrize("stable,code", [(None, "income_stability_not_confirmed"), (False, "income_unstable")])
def test_the_income_must_be_confirmed_stable(stable, code):
    v = verdict(household=replace(GOOD, income_stable=stable))
    assert not v.met and [r.code for r in v.failed] == [code]


def test_a_region_may_waive_the_stability_confirmation(bundle):
    rules = bundle(releases=[{"region": "52", "version": 1, "effective_from": "2026-01-01", "overrides": {
        "gradual_exit": {"exit": {"require_income_stable": False}}}}]).for_division("522701001002", date(2026, 3, 1))
    v = verdict(household=replace(GOOD, income_stable=None), rules=rules)
    assert v.met and "income_stable" not in [r.code for r in v.reasons]


@pytest.mark.parametrize("key", GUARANTEE_KEYS)
def test_every_guarantee_must_be_secured(key):
    v = verdict(household=replace(GOOD, guarantees={**ALL_SECURED, key: False}))
    assert not v.met and [r.code for r in v.failed] == ["guarantees_not_secured"]
    assert "not secured" in v.failed[0].en and "未保障" in v.failed[0].zh


def test_a_guarantee_never_recorded_is_not_secured():
    missing = {k: v for k, v in ALL_SECURED.items() if k != "drinking_water"}
    v = verdict(household=replace(GOOD, guarantees=missing))
    assert not v.met and "not recorded: safe drinking water" in v.failed[0].en and "未记录：饮水安全" in v.failed[0].zh


@pytest.mark.parametrize("labour,lasting,met,code", [
    (True, None, True, "labour_capacity"),
    (False, True, True, "lasting_income_source"),
    (False, None, False, "no_labour_capacity"),
    (False, False, False, "no_labour_capacity"),
    (None, None, False, "labour_capacity_not_recorded"),
])
def test_a_household_without_labour_capacity_is_not_exited_on_income_alone(labour, lasting, met, code):
    v = verdict(household=replace(GOOD, has_labour_capacity=labour, lasting_income_source=lasting))
    assert v.met is met
    assert [r.code for r in v.reasons if r.code.startswith(("labour", "no_labour", "lasting"))] == [code]


@pytest.mark.parametrize("enrolled,met", [
    (date(2026, 3, 3), False),  # 6 months after enrolment is 2026-09-03: one day short
    (date(2026, 3, 2), True),   # exactly 6 months
    (date(2026, 3, 1), True),
])
def test_monitoring_needs_at_least_six_months_of_monitoring(enrolled, met):
    v = verdict("monitoring", household=replace(GOOD, per_capita_monthly_income_yuan=Decimal(900)), enrolled=enrolled,
                lowest="900")
    assert v.met is met
    if not met:
        assert [r.code for r in v.failed] == ["monitored_too_briefly"]


@pytest.mark.parametrize("measures,met", [(0, False), (1, True), (2, True)])
def test_monitoring_needs_at_least_one_assistance_measure(measures, met):
    v = verdict("monitoring", household=replace(GOOD, assistance_measures=measures))
    assert v.met is met
    if not met:
        assert [r.code for r in v.failed] == ["too_few_assistance_measures"]


def test_dibao_has_no_monitoring_or_measure_condition():
    v = verdict(household=replace(GOOD, assistance_measures=0), enrolled=date(2026, 3, 1))
    assert v.met and not {"monitored_long_enough", "assistance_measures_received"} & {r.code for r in v.reasons}


def test_every_failed_condition_is_reported_at_once():
    bad = HouseholdFacts(per_capita_monthly_income_yuan=Decimal(100), has_labour_capacity=False)
    v = verdict("monitoring", household=bad, today=date(2026, 9, 1), lowest="100", enrolled=date(2026, 8, 1))
    assert [r.code for r in v.failed] == ["observation_period_running", "income_not_above_line",
                                          "income_stability_not_confirmed", "guarantees_not_secured",
                                          "no_labour_capacity", "monitored_too_briefly", "too_few_assistance_measures"]


def test_a_programme_without_a_line_has_no_verdict():
    with pytest.raises(ValueError):
        verdict("medical")


# --- support through the observation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("today,share", [
    (date(2026, 3, 2), "1"), (date(2026, 6, 1), "1"),   # months 1-3: full support
    (date(2026, 6, 2), "0.8"), (date(2026, 7, 1), "0.8"),  # month 4
    (date(2026, 7, 2), "0.6"), (date(2026, 8, 2), "0.5"),  # months 5 and 6
    (date(2026, 12, 2), "0.5"),  # beyond the schedule: the last share
])
def test_the_yunnan_taper_month_by_month(today, share):
    assert support_share("dibao", START, today, YUNNAN) == Decimal(share)


def test_without_a_taper_support_continues_in_full():
    assert all(support_share("dibao", START, date(2026, m, 15), NATIONAL) == 1 for m in range(3, 13))


def test_the_support_schedule_covers_the_whole_observation():
    assert support_schedule("dibao", YUNNAN) == [{"month": 1, "share": 1.0}, {"month": 2, "share": 1.0},
                                                 {"month": 3, "share": 1.0}, {"month": 4, "share": 0.8},
                                                 {"month": 5, "share": 0.6}, {"month": 6, "share": 0.5}]
    assert len(support_schedule("monitoring", NATIONAL)) == 6
