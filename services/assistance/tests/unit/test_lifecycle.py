"""Referral states, capacity periods, quality summaries and feedback codes."""
import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from assistance.domain.periods import period_key
from assistance.domain.quality import Rating, code_matches, feedback_code, summarise
from assistance.domain.referrals import IllegalTransition, allowed_actions, transition
from assistance.domain.rules import policy_rules

POLICY = policy_rules()  # the versions shipped with the platform

RULES = POLICY.for_division("530102", date(2026, 3, 1))


@pytest.mark.parametrize("state,action,after", [
    ("referred", "accept", "accepted"), ("referred", "decline", "declined"), ("referred", "cancel", "cancelled"),
    ("accepted", "deliver", "delivered"), ("accepted", "decline", "declined"), ("accepted", "cancel", "cancelled"),
])
def test_a_referral_moves_through_its_states(state, action, after):
    assert transition(state, action) == after


@pytest.mark.parametrize("state,action", [("referred", "deliver"), ("delivered", "cancel"), ("declined", "accept"),
                                          ("cancelled", "deliver"), ("accepted", "accept")])
def test_an_illegal_step_names_the_allowed_ones(state, action):
    with pytest.raises(IllegalTransition) as exc:
        transition(state, action)
    assert exc.value.allowed == allowed_actions(state) and exc.value.zh
    assert not re.search(r"[A-Za-z]", exc.value.zh), "the Chinese message names states and actions in Chinese"


def test_unknown_states_and_actions_are_errors():
    with pytest.raises(ValueError):
        transition("lost", "accept")
    with pytest.raises(ValueError):
        transition("referred", "eat")
    assert allowed_actions("delivered") == ()


@pytest.mark.parametrize("moment,month,quarter,year", [
    (datetime(2026, 3, 31, 15, 59, tzinfo=timezone.utc), "2026-03", "2026-Q1", "2026"),
    (datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc), "2026-04", "2026-Q2", "2026"),   # midnight in China
    (datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc), "2027-01", "2027-Q1", "2027"),
    (date(2026, 10, 1), "2026-10", "2026-Q4", "2026"),
])
def test_periods_follow_the_china_calendar(moment, month, quarter, year):
    assert (period_key("month", moment), period_key("quarter", moment), period_key("year", moment)) == (
        month, quarter, year)
    with pytest.raises(ValueError):
        period_key("week", moment)


def test_quality_keeps_households_and_caseworkers_apart_and_counts_complaints():
    ratings = [Rating("household", 2, True, True), Rating("household", 5), Rating("caseworker", 4, True, False)]
    summary = summarise(ratings, RULES)
    assert (summary.ratings, summary.mean_rating) == (3, Decimal("3.67"))
    assert (summary.household_mean, summary.caseworker_mean) == (Decimal("3.50"), Decimal("4.00"))
    assert (summary.complaints, summary.open_complaints, summary.matching_quality) == (2, 1, 367)


def test_an_unrated_provider_ranks_as_the_configured_neutral_rating():
    assert summarise([], RULES).matching_quality == 300 and summarise([], RULES).mean_rating is None
    assert summarise([Rating("household", 5)], RULES).matching_quality == 500, "one rating is enough by default"


def test_ratings_outside_1_to_5_are_refused():
    with pytest.raises(ValueError):
        summarise([Rating("household", 6)], RULES)
    with pytest.raises(ValueError):
        summarise([Rating("neighbour", 3)], RULES)


def test_a_feedback_code_belongs_to_one_referral_and_one_key():
    code = feedback_code("k", "r-1")
    assert len(code) == 8 and code == feedback_code("k", "r-1")
    assert code != feedback_code("k", "r-2") and code != feedback_code("other", "r-1")
    assert code_matches("k", "r-1", f" {code[:4].lower()}-{code[4:]} ")
    assert not code_matches("k", "r-2", code)
    assert not set(code) & set("01IO")


@pytest.mark.parametrize("given", ["优惠码优惠码优惠", "ABCDÉFGH", "ＡＢＣＤＥＦＧＨ", ""])
def test_a_code_with_characters_we_never_print_simply_does_not_match(given):
    assert code_matches("k", "r-1", given) is False
