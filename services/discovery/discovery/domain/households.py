"""One household, one record (一户一档): which existing household record a group of people belongs to."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Collection, Iterable, Literal, Mapping

Decision = Literal["only_candidate", "most_members", "opened_first", "lowest_id"]


@dataclass(frozen=True)
class HouseholdResolution:
    """The household record chosen for a group of members, and the other records they were found on (a conflict
    for staff to merge or split when `others` is not empty)."""

    household_id: str
    others: tuple[str, ...]
    members_by_household: Mapping[str, frozenset[str]]
    decided_by: Decision

    @property
    def conflict(self) -> bool:
        return bool(self.others)

    @property
    def explanation_en(self) -> str:
        if not self.others:
            return f"All known members are on household {self.household_id}."
        reason = {"most_members": "it holds the most of these members",
                  "opened_first": "it holds as many of these members as any other and was opened first",
                  "lowest_id": "it ties with another on members and opening date and has the lowest id"}[self.decided_by]
        return f"Members are on {len(self.others) + 1} household records; {self.household_id} was kept because {reason}."

    @property
    def explanation_zh(self) -> str:
        if not self.others:
            return f"已知成员均属于家庭档案 {self.household_id}。"
        reason = {"most_members": "该档案包含的成员最多",
                  "opened_first": "成员数相同，该档案建立最早",
                  "lowest_id": "成员数和建档日期均相同，取编号最小者"}[self.decided_by]
        return f"成员分属 {len(self.others) + 1} 个家庭档案，保留 {self.household_id}，因为{reason}。"


def candidate_households(member_ids: Iterable[str], known: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Existing household id -> the given members found on it (`known` maps resident ID number -> household id)."""
    found: dict[str, set[str]] = {}
    for member in member_ids:
        household = known.get(member)
        if household is not None:
            found.setdefault(household, set()).add(member)
    return {household: frozenset(members) for household, members in found.items()}


def resolve_conflict(candidates: Mapping[str, Collection[str]],
                     opened_on: Mapping[str, date] | None = None) -> HouseholdResolution:
    """Picks one record among several, the same way whatever the order of the input: most of the group's members,
    then opened first (records without a known date last), then the lowest id."""
    if not candidates:
        raise ValueError("no candidate household to choose from")
    opened_on = opened_on or {}
    members = {household: frozenset(ids) for household, ids in candidates.items()}

    def order(household: str) -> tuple[int, int, date, str]:
        opened = opened_on.get(household)
        return (-len(members[household]), opened is None, opened or date.max, household)

    ranked = sorted(members, key=order)
    chosen, others = ranked[0], tuple(ranked[1:])
    if not others:
        decided: Decision = "only_candidate"
    else:
        runner_up = order(others[0])
        first = order(chosen)
        decided = ("most_members" if first[0] != runner_up[0]
                   else "opened_first" if first[1:3] != runner_up[1:3] else "lowest_id")
    return HouseholdResolution(chosen, others, members, decided)


def find_household(member_ids: Iterable[str], known: Mapping[str, str],
                   opened_on: Mapping[str, date] | None = None) -> HouseholdResolution | None:
    """The resolution for a group, or None when none of its members is on a household record yet."""
    candidates = candidate_households(member_ids, known)
    return resolve_conflict(candidates, opened_on) if candidates else None


def match_household(member_ids: set[str], known: Mapping[str, str]) -> str | None:
    """The existing household id of the group (see resolve_conflict when members are on several), or None."""
    resolution = find_household(member_ids, known)
    return resolution.household_id if resolution else None
