"""What is known about a household's situation, and how an update (re-check, partner signal, entry) changes it.

Facts arrive piecemeal: a partner knows an income, a caseworker a member's labour capacity or whether drinking water
is secured. An update replaces only what it states; anything not stated stays as last known, and anything never
stated is *unknown* (None), which the exit rules treat as not established, never as satisfied.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Mapping, Sequence

from gradual_exit.domain.rules import GUARANTEE_KEYS, LABOUR_CAPACITIES

# identification scores the labour-capacity dimension 100 when the household has no labour units at all.
NO_LABOUR_SCORE = 100


@dataclass(frozen=True)
class Member:
    labour_capacity: str
    name: str | None = None
    id_number: str | None = None
    relationship: str | None = None

    def __post_init__(self):
        if self.labour_capacity not in LABOUR_CAPACITIES:
            raise ValueError(f"labour_capacity must be one of {LABOUR_CAPACITIES}, got {self.labour_capacity!r}")


@dataclass(frozen=True)
class HouseholdFacts:
    """The household's situation as last known. ``None`` everywhere means "not recorded"."""

    per_capita_monthly_income_yuan: Decimal | None = None
    income_stable: bool | None = None
    members: tuple[Member, ...] = ()
    # From the members' labour capacities when they are recorded, else inferred at enrolment (see enrolment_facts).
    has_labour_capacity: bool | None = None
    lasting_income_source: bool | None = None
    guarantees: Mapping[str, bool] = field(default_factory=dict)
    assistance_measures: int = 0


@dataclass(frozen=True)
class SituationUpdate:
    """One re-check, partner signal or caseworker entry: only the fields it states (None = not stated)."""

    per_capita_monthly_income_yuan: Decimal | None = None
    income_stable: bool | None = None
    members: tuple[Member, ...] | None = None
    guarantees: Mapping[str, bool] | None = None
    assistance_measures_received: int | None = None
    lasting_income_source: bool | None = None

    def __post_init__(self):
        if self.per_capita_monthly_income_yuan is not None and self.per_capita_monthly_income_yuan < 0:
            raise ValueError("per_capita_monthly_income_yuan must not be negative")
        if self.members is not None and not self.members:
            raise ValueError("members, when given, lists at least one member")
        unknown = set(self.guarantees or {}) - set(GUARANTEE_KEYS)
        if unknown:
            raise ValueError(f"unknown guarantee(s) {', '.join(sorted(unknown))}; guarantees are {', '.join(GUARANTEE_KEYS)}")
        if self.assistance_measures_received is not None and self.assistance_measures_received < 0:
            raise ValueError("assistance_measures_received must not be negative")

    def states_anything(self) -> bool:
        return bool(self.guarantees) or any(v is not None for v in (
            self.per_capita_monthly_income_yuan, self.income_stable, self.members, self.assistance_measures_received,
            self.lasting_income_source))


def has_labour_capacity(members: Sequence[Member], working_capacities: Sequence[str]) -> bool | None:
    """True when at least one member's capacity counts as able to work; None when no member is recorded."""
    if not members:
        return None
    return any(m.labour_capacity in working_capacities for m in members)


def apply_update(facts: HouseholdFacts, update: SituationUpdate, working_capacities: Sequence[str]) -> HouseholdFacts:
    """The facts after ``update``: stated fields replace, guarantees merge item by item, measures only grow."""
    changes: dict = {}
    if update.per_capita_monthly_income_yuan is not None:
        changes["per_capita_monthly_income_yuan"] = Decimal(update.per_capita_monthly_income_yuan)
    if update.income_stable is not None:
        changes["income_stable"] = update.income_stable
    if update.members is not None:
        changes["members"] = tuple(update.members)
        changes["has_labour_capacity"] = has_labour_capacity(update.members, working_capacities)
    if update.guarantees:
        changes["guarantees"] = {**facts.guarantees, **update.guarantees}
    if update.assistance_measures_received is not None:
        # The count since enrolment as the caseworker states it; a lower figure is a correction, so it replaces.
        changes["assistance_measures"] = update.assistance_measures_received
    if update.lasting_income_source is not None:
        changes["lasting_income_source"] = update.lasting_income_source
    return replace(facts, **changes)


def enrolment_facts(*, programmes: Sequence[str], categories: Mapping[str, str], scores: Mapping[str, int] | None,
                    per_capita_monthly_income_yuan: Decimal | None) -> HouseholdFacts:
    """What identification's enrolment tells about the household before any re-check.

    Labour capacity: a tekun household has none by definition; otherwise identification's labour-capacity score
    (100 = no labour units) says whether anyone can work; without a score it is unknown. Income stability: a
    relapse-prevention household in the "unstable" category (脱贫不稳定户) has an unstable income; otherwise unknown.
    """
    labour: bool | None = None
    score = (scores or {}).get("labour_capacity")
    if "tekun" in programmes:
        labour = False
    elif score is not None:
        labour = score < NO_LABOUR_SCORE
    stable = False if categories.get("monitoring") == "unstable" else None
    income = None if per_capita_monthly_income_yuan is None else Decimal(str(per_capita_monthly_income_yuan))
    return HouseholdFacts(per_capita_monthly_income_yuan=income, income_stable=stable, has_labour_capacity=labour)
