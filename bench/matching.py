"""Benchmark: priority matching of 100,000 synthetic needs against 1,000 providers of limited capacity.

Run from the repository root with the repository and services/assistance on PYTHONPATH:
    python -m bench.matching [--needs 100000] [--providers 1000] [--seed 7]
Scores every need's priority (assistance.domain.priority, the explained urgency score), matches them with
assistance.domain.matching.match (sort once, offers indexed by service type and area prefix), then runs the
straightforward reference (every offer of the type checked for every need, highest priority first) on the same
input and compares the two results field by field. Ends with one line:
needs_matched_per_s=<n> needs=<n> providers=<n> offers=<n> places=<n> matched=<n> waitlisted=<n>
scoring_s=<s> matching_s=<s> total_s=<s> reference_s=<s> reference_agrees=<true|false>
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from decimal import Decimal

from assistance.domain.catalogue import PROGRAMMES, SERVICE_TYPES
from assistance.domain.matching import Constraints, NeedToMatch, Offer, match, match_reference
from assistance.domain.needs import Household
from assistance.domain.priority import priority
from assistance.domain.rules import policy_rules
from shared.synthetic import DIVISIONS

TYPE_WEIGHTS = {"in_kind": 20, "daily_care": 8, "labour_help": 6, "psychological_support": 5, "skills_training": 15,
                "job_referral": 12, "medical_assistance": 16, "care_services": 8, "housing_repair": 4,
                "education_grant": 6}
DIMENSIONS = ("income", "rigid_expenditure", "disability", "dependants", "labour_capacity", "housing_safety")


def villages() -> list[str]:
    """2,400 village codes: 20 townships of 15 villages in each of the 8 real counties of shared.synthetic."""
    return [county[:6] + f"{town:03d}{village:03d}" for county in DIVISIONS for town in range(1, 21)
            for village in range(1, 16)]


def synthetic_offers(rng: random.Random, providers: int, places: list[str]) -> list[Offer]:
    """Providers at county, township and village level, each offering one or two service types with a few constraints."""
    counties = sorted({v[:6] for v in places})
    townships = sorted({v[:9] for v in places})
    offers = []
    for index in range(providers):
        level = rng.random()
        if level < 0.15:
            areas = (rng.choice(counties),)
        elif level < 0.65:
            areas = tuple(sorted(set(rng.sample(townships, rng.randint(1, 3)))))
        else:
            areas = tuple(sorted(set(rng.sample(places, rng.randint(1, 5)))))
        kinds = rng.sample(SERVICE_TYPES, 1 if rng.random() < 0.5 else 2)
        for kind in kinds:
            constraints = None
            draw = rng.random()
            if draw < 0.05:
                constraints = Constraints(programmes_any=frozenset(rng.sample(PROGRAMMES, 3)))
            elif draw < 0.10:
                constraints = Constraints(max_members=rng.randint(2, 4))
            elif draw < 0.15:
                constraints = Constraints(min_scores=((rng.choice(DIMENSIONS), rng.choice((40, 60, 80))),))
            capacity = rng.randint(5, 60)
            offers.append(Offer(f"prov-{index:04d}", kind, areas, capacity, capacity, "2026-03",
                                Decimal(rng.randrange(50, 2000, 10)), rng.choice((0, 250, 300, 350, 400, 450, 500)),
                                constraints, f"Provider {index}"))
    return offers


def synthetic_households(rng: random.Random, count: int, places: list[str]) -> list[Household]:
    households = []
    for _ in range(count):
        programmes = tuple(sorted(set(rng.sample(PROGRAMMES, rng.randint(1, 3)))))
        scores = {d: rng.randrange(0, 101, 5) for d in DIMENSIONS if rng.random() < 0.8}
        income = Decimal(rng.randrange(0, 90000)) / 100 if rng.random() < 0.7 else None
        households.append(Household(rng.choice(places), programmes, rng.randint(1, 6),
                                    {"monitoring": "sudden"} if rng.random() < 0.05 else {}, scores, income,
                                    rng.random() < 0.05))
    return households


def synthetic_needs(rng: random.Random, count: int, households: list[Household], provider_ids: list[str]):
    kinds, weights = list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values())
    rows = []
    for index in range(count):
        rows.append((f"need-{index:06d}", rng.choices(kinds, weights)[0], rng.randrange(len(households)),
                     rng.randint(0, 200),
                     frozenset({rng.choice(provider_ids)}) if rng.random() < 0.01 else frozenset()))
    return rows


def score_needs(rows, households: list[Household], policy) -> list[NeedToMatch]:
    """The service's path: each need's explained priority under the policy version in force in its household's area."""
    on = date(2026, 3, 15)
    rules_of: dict[str, object] = {}
    needs = []
    for need_id, kind, household_index, waited, excluded in rows:
        household = households[household_index]
        county = household.division_code[:6]
        rules = rules_of.get(county) or rules_of.setdefault(county, policy.for_division(county, on))
        urgency = priority(household, waiting_days=waited, rules=rules)
        needs.append(NeedToMatch(need_id, kind, household.division_code, urgency.points, -waited,
                                 frozenset(household.programmes), household.member_count, household.scores, excluded))
    return needs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--providers", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    places = villages()
    offers = synthetic_offers(rng, args.providers, places)
    households = synthetic_households(rng, max(1, args.needs // 3), places)
    rows = synthetic_needs(rng, args.needs, households, sorted({o.provider_id for o in offers}))
    policy = policy_rules()  # no replica: the policy versions shipped with the platform (shared/policy_bundle)

    started = time.perf_counter()
    needs = score_needs(rows, households, policy)
    scored = time.perf_counter()
    result = match(needs, offers)
    finished = time.perf_counter()
    reference = match_reference(needs, offers)
    reference_s = time.perf_counter() - finished

    agrees = (result.assignments == reference.assignments and result.waitlist == reference.waitlist
              and result.remaining == reference.remaining)
    if not agrees:
        for ours, theirs in zip(result.assignments + result.waitlist, reference.assignments + reference.waitlist):
            if ours != theirs:
                print(f"first difference: fast={ours!r} reference={theirs!r}", file=sys.stderr)
                break
    total = finished - started
    codes: dict[str, int] = {}
    for entry in result.waitlist:
        codes[entry.reason.code] = codes.get(entry.reason.code, 0) + 1
    print("waitlist reasons: " + ", ".join(f"{k}={v}" for k, v in sorted(codes.items())), file=sys.stderr)
    print(f"needs_matched_per_s={args.needs / total:.0f} needs={args.needs} providers={args.providers} "
          f"offers={len(offers)} places={sum(o.remaining for o in offers)} matched={len(result.assignments)} "
          f"waitlisted={len(result.waitlist)} scoring_s={scored - started:.2f} matching_s={finished - scored:.2f} "
          f"total_s={total:.2f} reference_s={reference_s:.2f} reference_agrees={'true' if agrees else 'false'}")
    return 0 if agrees else 1


if __name__ == "__main__":
    sys.exit(main())
