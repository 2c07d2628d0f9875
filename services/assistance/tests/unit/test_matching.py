"""Matching within capacity, highest priority first: ordering, locality, preferences, constraints, reasons, and
agreement of the fast implementation with the straightforward reference on random inputs."""
import random
from decimal import Decimal

import pytest

from assistance.domain.catalogue import SERVICE_TYPES
from assistance.domain.matching import Constraints, NeedToMatch, Offer, match, match_reference

VILLAGE = "530102001001"
T = "skills_training"


def need(need_id, priority, division=VILLAGE, kind=T, since=0, **kw):
    return NeedToMatch(need_id, kind, division, priority, since, **kw)


def offer(provider_id, places, areas=("530102",), kind=T, quality=300, cost="100", constraints=None):
    return Offer(provider_id, kind, tuple(areas), places, places, "2026-03", Decimal(cost), quality, constraints,
                 provider_id.upper())


def both(needs, offers):
    fast, slow = match(needs, offers), match_reference(needs, offers)
    assert fast == slow, "the fast matcher and the reference disagree"
    return fast


def test_the_highest_priorities_get_the_places_whatever_the_input_order():
    needs = [need("a", 1000), need("b", 9000), need("c", 5000), need("d", 7000)]
    result = both(needs, [offer("p", 2)])
    assert result.assigned_to() == {"b": "p", "d": "p"}
    assert [(w.need_id, w.position, w.reason.code) for w in result.waitlist] == [
        ("c", 1, "capacity_exhausted"), ("a", 2, "capacity_exhausted")]
    assert result.remaining == {("p", T): 0}
    assert [a.need_id for a in result.assignments] == ["b", "d"]


def test_equal_priority_goes_to_the_one_waiting_longest_then_by_id():
    needs = [need("z", 5000, since=20), need("y", 5000, since=10), need("x", 5000, since=20)]
    assert list(both(needs, [offer("p", 2)]).assigned_to()) == ["y", "x"]


def test_the_most_local_provider_with_a_place_is_chosen_first():
    offers = [offer("county", 5, ("530102",)), offer("township", 1, ("530102001",)),
              offer("village", 1, (VILLAGE,)), offer("province", 5, ("53",))]
    result = both([need("a", 900), need("b", 800), need("c", 700)], offers)
    assert result.assigned_to() == {"a": "village", "b": "township", "c": "county"}
    assert result.assignments[0].area == VILLAGE and "village" in result.assignments[0].reason.en
    assert "村级" in result.assignments[0].reason.zh


def test_among_equally_local_providers_the_best_rated_then_the_cheapest_then_the_id():
    offers = [offer("b-cheap", 1, cost="50", quality=300), offer("a-cheap", 1, cost="50", quality=300),
              offer("dear-good", 1, cost="500", quality=450)]
    result = both([need("n1", 900), need("n2", 800), need("n3", 700)], offers)
    assert result.assigned_to() == {"n1": "dear-good", "n2": "a-cheap", "n3": "b-cheap"}


def test_an_offer_with_several_areas_counts_at_its_most_local_one():
    offers = [offer("wide", 1, ("53", "530102001")), offer("county", 1, ("530102",))]
    result = both([need("a", 900)], offers)
    assert result.assigned_to() == {"a": "wide"} and result.assignments[0].area == "530102001"


def test_needs_outside_every_area_wait_for_a_provider():
    result = both([need("a", 900, division="520326101203"), need("b", 800, kind="housing_repair")],
                  [offer("p", 5)])
    assert [(w.need_id, w.reason.code) for w in result.waitlist] == [("a", "no_provider_in_area"),
                                                                     ("b", "no_provider_in_area")]
    assert "no provider" in result.waitlist[0].reason.en and "目前没有服务方" in result.waitlist[0].reason.zh


def test_a_nationwide_provider_covers_six_and_nine_digit_codes_too():
    result = both([need("a", 900, division="530102"), need("b", 800, division="530102001")], [offer("all", 2, ("",))])
    assert result.assigned_to() == {"a": "all", "b": "all"} and result.assignments[0].area == ""


@pytest.mark.parametrize("constraints,fits", [
    (Constraints(programmes_any=frozenset({"tekun"})), False),
    (Constraints(programmes_any=frozenset({"tekun", "dibao"})), True),
    (Constraints(max_members=3), True),      # 3 members: at the limit
    (Constraints(max_members=2), False),     # just below
    (Constraints(min_scores=(("disability", 60),)), True),   # at the minimum
    (Constraints(min_scores=(("disability", 61),)), False),  # just above the household's score
    (Constraints(min_scores=(("health", 1),)), False),       # a score the household does not have counts as 0
])
def test_constraints_are_checked_at_their_limits(constraints, fits):
    n = need("a", 900, programmes=frozenset({"dibao"}), member_count=3, scores={"disability": 60})
    result = both([n], [offer("p", 1, constraints=constraints)])
    assert bool(result.assignments) is fits
    if not fits:
        reason = result.waitlist[0].reason
        assert reason.code == "constraints_not_met" and reason.facts["provider_id"] == "p"
        assert reason.en and reason.zh


def test_a_refusing_provider_does_not_block_the_next_one_and_its_place_stays_for_others():
    picky = offer("picky", 1, ("530102001",), constraints=Constraints(max_members=1))
    needs = [need("big", 900, member_count=4), need("small", 100, member_count=1)]
    result = both(needs, [picky, offer("county", 1)])
    assert result.assigned_to() == {"big": "county", "small": "picky"}


def test_a_provider_that_declined_a_need_never_gets_it_again():
    n = need("a", 900, excluded_providers=frozenset({"p"}))
    result = both([n], [offer("p", 3)])
    assert result.waitlist[0].reason.code == "declined_by_providers_with_places"
    assert both([n, need("b", 100)], [offer("p", 3), offer("q", 1, ("530102001",))]).assigned_to() == {
        "a": "q", "b": "p"}


def test_queue_positions_count_per_service_type_and_county():
    needs = [need("a", 900), need("b", 800, division="530102002001"), need("c", 700, division="530103001001"),
             need("d", 600, kind="in_kind"), need("e", 500)]
    positions = {w.need_id: w.position for w in both(needs, []).waitlist}
    assert positions == {"a": 1, "b": 2, "c": 1, "d": 1, "e": 3}


def test_every_reason_is_explained_in_both_languages_with_its_numbers():
    result = both([need("a", 7250), need("b", 100)], [offer("p", 1)])
    matched, waiting = result.assignments[0].reason, result.waitlist[0].explained()
    assert "priority 72.5" in matched.en and "72.5分" in matched.zh and "0 of 1 places" in matched.en
    assert matched.as_dict()["facts"]["period"] == "2026-03"
    assert "position 1" in waiting.en and "第1位" in waiting.zh and "full" in waiting.en and "priority 1" in waiting.en
    stable = result.waitlist[0].reason  # what is stored: no position, which moves with every arrival
    assert "position" not in stable.facts and "full" in stable.en and "第" not in stable.zh


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unique"):
        match([need("a", 1), need("a", 2)], [])
    with pytest.raises(ValueError, match="once"):
        match([], [offer("p", 1), offer("p", 2)])
    with pytest.raises(ValueError, match="negative"):
        match([], [offer("p", -1)])
    with pytest.raises(ValueError, match="prefixes"):
        match([], [offer("p", 1, ("53A",))])


def test_the_input_is_not_changed():
    offers = [offer("p", 1)]
    match([need("a", 1)], offers)
    assert offers[0].remaining == 1


def random_case(seed: int):
    rng = random.Random(seed)
    villages = [f"5301{c:02d}{t:03d}{v:03d}" for c in (2, 3) for t in (1, 2, 3) for v in (1, 2, 3)]
    kinds = SERVICE_TYPES[:4]
    offers = []
    for i in range(rng.randint(0, 25)):
        village = rng.choice(villages)
        areas = tuple({rng.choice([village, village[:9], village[:6], village[:2], ""]) for _ in range(rng.randint(1, 2))})
        constraints = rng.choice([None, None, Constraints(max_members=rng.randint(1, 4)),
                                  Constraints(programmes_any=frozenset({"dibao"})),
                                  Constraints(min_scores=(("disability", rng.choice([0, 50, 100])),))])
        for kind in rng.sample(kinds, rng.randint(1, 2)):
            offers.append(Offer(f"p{i:02d}", kind, areas, rng.randint(0, 4), 4, "2026-03",
                                Decimal(rng.choice([50, 100])), rng.choice([300, 400]), constraints))
    providers = sorted({o.provider_id for o in offers}) or ["none"]
    needs = [NeedToMatch(f"n{j:03d}", rng.choice(kinds), rng.choice(villages), rng.randint(0, 30) * 100,
                         rng.randint(0, 5), frozenset(rng.sample(["dibao", "tekun"], rng.randint(0, 2))),
                         rng.randint(1, 5), {"disability": rng.choice([0, 50, 100])},
                         frozenset(rng.sample(providers, 1)) if rng.random() < 0.2 else frozenset())
             for j in range(rng.randint(0, 120))]
    return needs, offers


@pytest.mark.parametrize("seed", range(40))
def test_the_fast_matcher_agrees_with_the_reference_on_random_input(seed):
    needs, offers = random_case(seed)
    result = both(needs, offers)
    assert len(result.assignments) + len(result.waitlist) == len(needs)
    for a in result.assignments:  # nobody waiting outranks a need matched to an offer it could have used
        assert a.reason.facts["remaining"] >= 0
