"""One household, one record: finding a group's existing household and choosing deterministically among several."""
import itertools
from datetime import date

import pytest

from discovery.domain.households import candidate_households, find_household, match_household, resolve_conflict

KNOWN = {"A": "hh-2", "B": "hh-2", "C": "hh-1", "D": "hh-3"}


def test_no_member_known_means_no_household():
    assert match_household({"X", "Y"}, KNOWN) is None
    assert match_household(set(), KNOWN) is None
    assert find_household({"X"}, KNOWN) is None


def test_any_known_member_brings_the_group_to_that_household():
    assert match_household({"X", "C"}, KNOWN) == "hh-1"
    resolution = find_household({"A", "B", "X"}, KNOWN)
    assert (resolution.household_id, resolution.others, resolution.conflict) == ("hh-2", (), False)
    assert resolution.decided_by == "only_candidate"


def test_candidates_list_the_members_found_on_each_record():
    assert candidate_households(["A", "B", "C", "X"], KNOWN) == {"hh-2": frozenset({"A", "B"}), "hh-1": frozenset({"C"})}


def test_members_on_two_records_go_to_the_one_holding_most_of_them_and_the_conflict_is_reported():
    resolution = find_household({"A", "B", "C"}, KNOWN)
    assert (resolution.household_id, resolution.others, resolution.decided_by) == ("hh-2", ("hh-1",), "most_members")
    assert resolution.conflict
    assert resolution.members_by_household == {"hh-2": frozenset({"A", "B"}), "hh-1": frozenset({"C"})}
    assert "hh-2" in resolution.explanation_en and "保留 hh-2" in resolution.explanation_zh


def test_a_tie_on_members_goes_to_the_record_opened_first_and_undated_records_come_last():
    candidates = {"hh-1": {"C"}, "hh-3": {"D"}, "hh-9": {"E"}}
    opened = {"hh-3": date(2023, 5, 1), "hh-1": date(2024, 1, 1)}
    resolution = resolve_conflict(candidates, opened)
    assert (resolution.household_id, resolution.others, resolution.decided_by) == ("hh-3", ("hh-1", "hh-9"), "opened_first")


def test_a_full_tie_goes_to_the_lowest_id():
    resolution = resolve_conflict({"hh-b": {"C"}, "hh-a": {"D"}})
    assert (resolution.household_id, resolution.decided_by) == ("hh-a", "lowest_id")


def test_the_choice_does_not_depend_on_input_order():
    items = [("hh-3", {"D"}), ("hh-1", {"C"}), ("hh-2", {"A", "B"}), ("hh-4", {"E"})]
    chosen = {resolve_conflict(dict(order)).household_id for order in itertools.permutations(items)}
    assert chosen == {"hh-2"}


def test_nothing_to_resolve_is_an_error():
    with pytest.raises(ValueError):
        resolve_conflict({})
