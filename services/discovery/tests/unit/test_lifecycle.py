"""Where households, applications and clues stand, what may come next, and what a referral says (no I/O)."""
from datetime import date, datetime, timedelta, timezone

import pytest

from discovery.domain.lifecycle import (
    APPLICATION_STATUSES,
    CASE_STEPS,
    FINAL_CASE_STEPS,
    HOUSEHOLD_STATUS_OF_STEP,
    CLUE_NEXT_STEPS,
    HOUSEHOLD_STATUSES,
    ClueFacts,
    StatusFacts,
    VisitFacts,
    case_step_applies,
    clue_overdue,
    clue_step_allowed,
    explain_application,
    explain_household,
    household_moves_forward,
    referral_content,
)


def test_discovery_moves_a_household_forward_but_never_out_of_identification():
    assert household_moves_forward("in_discovery", "referred")
    assert household_moves_forward("rejected", "referred")  # a new application after a rejection
    assert household_moves_forward("cleared", "referred")
    assert not household_moves_forward("in_identification", "referred")
    assert not household_moves_forward("in_notice", "referred")
    assert not household_moves_forward("referred", "referred")


T0 = datetime(2026, 6, 1, 2, tzinfo=timezone.utc)


def test_within_one_case_the_latest_step_applies_and_a_new_case_always_does():
    assert case_step_applies("referred", None, None, "in_identification", "c1", T0)
    assert case_step_applies("in_identification", "c1", T0, "in_notice", "c1", T0 + timedelta(days=1))
    assert not case_step_applies("in_notice", "c1", T0 + timedelta(days=1), "in_identification", "c1", T0)  # late
    assert case_step_applies("rejected", "c1", T0, "in_identification", "c2", T0 + timedelta(days=1))
    assert case_step_applies("submitted", None, T0, "in_identification", "c1", T0 - timedelta(hours=1))


def test_a_late_step_of_an_earlier_case_does_not_take_the_household_back():
    assert not case_step_applies("in_identification", "c2", T0, "rejected", "c1", T0 - timedelta(days=1))


def test_at_the_same_moment_the_later_step_of_the_workflow_wins():
    assert case_step_applies("assessing", "c1", T0, "assessed", "c1", T0)
    assert not case_step_applies("assessed", "c1", T0, "assessing", "c1", T0)
    assert not case_step_applies("assessed", "c1", T0, "assessed", "c1", T0)  # the same step again changes nothing


def test_a_case_that_loops_back_to_assessment_follows_it():
    # an upheld objection, or the township returning the case, sends it back to assessment after the notice
    assert case_step_applies("in_notice", "c1", T0, "assessing", "c1", T0 + timedelta(days=3))
    assert case_step_applies("township_reviewed", "c1", T0, "assessing", "c1", T0 + timedelta(seconds=1))


@pytest.mark.parametrize("final", sorted(FINAL_CASE_STEPS))
@pytest.mark.parametrize("step", CASE_STEPS)
def test_nothing_moves_a_case_after_its_decision_or_withdrawal(final, step):
    assert not case_step_applies(final, "c1", T0, step, "c1", T0 + timedelta(days=30))
    assert case_step_applies(final, "c1", T0, step, "c2", T0 + timedelta(days=30))  # a new case starts over


@pytest.mark.parametrize("final", sorted(FINAL_CASE_STEPS))
def test_a_decision_or_withdrawal_applies_even_when_it_is_dated_before_a_step_already_seen(final):
    assert case_step_applies("township_reviewed", "c1", T0 + timedelta(days=1), final, "c1", T0)


def test_an_unknown_step_is_refused():
    with pytest.raises(ValueError):
        case_step_applies("assessing", "c1", T0, "lost", "c1", T0)


def test_each_case_step_puts_the_household_where_staff_expect_it():
    assert HOUSEHOLD_STATUS_OF_STEP["in_notice"] == "in_notice"
    assert HOUSEHOLD_STATUS_OF_STEP["notice_closed"] == "in_identification"  # a withdrawn case is no longer in notice
    for final in FINAL_CASE_STEPS:
        assert HOUSEHOLD_STATUS_OF_STEP[final] == final
    assert set(HOUSEHOLD_STATUS_OF_STEP) == set(CASE_STEPS) and set(HOUSEHOLD_STATUS_OF_STEP.values()) <= set(HOUSEHOLD_STATUSES)


def test_a_withdrawn_or_rejected_household_starts_again_with_a_new_report():
    assert household_moves_forward("withdrawn", "referred")
    assert household_moves_forward("rejected", "referred")


@pytest.mark.parametrize("status", [s for s in CLUE_NEXT_STEPS])
def test_each_clue_status_allows_exactly_its_next_steps(status):
    for step in ("verification", "referral", "dismissal"):
        assert clue_step_allowed(status, step) == (step in CLUE_NEXT_STEPS[status])


def test_a_clue_is_referred_only_once_verified():
    assert not clue_step_allowed("raised", "referral") and not clue_step_allowed("unconfirmed", "referral")
    assert clue_step_allowed("verified", "referral")
    assert not any(clue_step_allowed(s, step) for s in ("referred", "dismissed", "linked")
                   for step in ("verification", "referral", "dismissal"))


@pytest.mark.parametrize("status", APPLICATION_STATUSES)
def test_every_application_status_is_explained_in_both_languages(status):
    en, zh = explain_application(status)
    assert en and zh and en != zh


def test_explanations_carry_the_decision():
    facts = StatusFacts(file_number="F-1", programmes=["dibao", "medical"],
                        notice_ends_at=datetime(2026, 7, 1, tzinfo=timezone.utc),
                        reasons=[{"code": "x", "en": "Income above the line", "zh": "收入高于标准"}],
                        appeal={"en": "Appeal within 60 days.", "zh": "可在 60 日内申请复议。"})
    assert "F-1" in explain_application("enrolled", facts)[0] and "医疗救助" in explain_application("enrolled", facts)[1]
    assert "2026-07-01" in explain_application("in_notice", facts)[0]
    en, zh = explain_application("rejected", facts)
    assert "Income above the line" in en and "60 days" in en and "收入高于标准" in zh
    assert "follow" in explain_application("linked", StatusFacts(linked_to="follow_up"))[0]
    with pytest.raises(ValueError):
        explain_application("lost")


@pytest.mark.parametrize("status", HOUSEHOLD_STATUSES)
def test_every_household_status_is_explained(status):
    assert all(explain_household(status))


def test_a_referral_names_every_channel_and_reason_once_and_keeps_the_latest_observations():
    clues = [ClueFacts("c1", "medical.per_stay.others", "medical_expense", "medium", "Hospital ¥12000", "住院 ¥12000"),
             ClueFacts("c2", "medical.per_stay.others", "medical_expense", "medium", "Hospital ¥13000", "住院 ¥13000")]
    visits = [VisitFacts("v1", ["illness"], {"monthly_income_yuan": 900.0}, "monitor", False),
              VisitFacts("v2", ["illness", "debt"], {"monthly_income_yuan": 600.0}, None, False)]
    content = referral_content(clues, visits, ["assisted", "online"])
    assert content.channels == ["online", "assisted", "visit", "partner_signal"]
    assert [r["code"] for r in content.reasons] == ["medical.per_stay.others", "visit.illness", "visit.debt"]
    assert content.observed == {"monthly_income_yuan": 600.0}
    assert content.sudden_hardship is False


def test_a_referral_from_a_visit_without_indicators_still_says_why_and_sudden_events_are_flagged():
    content = referral_content([], [VisitFacts("v1", [], {}, "refer", False)], [])
    assert content.channels == ["visit"] and [r["code"] for r in content.reasons] == ["visit.recommended"]
    assert content.observed is None
    death = ClueFacts("c", "earner.death", "earner_death", "high", "The earner died", "主要劳动力死亡")
    assert referral_content([death], [], []).sudden_hardship
    assert referral_content([], [VisitFacts("v", ["disaster"], {}, "refer", False)], []).sudden_hardship
    assert referral_content([], [VisitFacts("v", [], {}, "refer", True)], []).sudden_hardship
