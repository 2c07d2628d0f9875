"""The sampling rules: allocation boundaries, the seeded draw's reproducibility, the handler rule, and the accuracy
estimate with its Wilson interval checked against values computed by hand from the formula."""
import math

import pytest

from oversight.sampling import domain
from oversight.sampling.domain import PopulationFile, Stratum, accuracy, allocate, draw, may_recheck, wilson


def files(n: int, kind: str = "enrolled", town: str = "530102001") -> list[PopulationFile]:
    return [PopulationFile(f"{kind}:{town}-{i:03d}", kind, f"{town}{i % 3 + 1:03d}") for i in range(n)]


def test_allocation_is_proportional_with_largest_remainder():
    assert allocate({"a": 60, "b": 30, "c": 10}, 10) == {"a": 6, "b": 3, "c": 1}
    # quotas 3.5 / 3.5 / 3.0 -> 3,3,3 and the one left goes to the larger remainder, ties by name
    assert allocate({"a": 35, "b": 35, "c": 30}, 10) == {"a": 4, "b": 3, "c": 3}


def test_allocation_gives_every_stratum_at_least_one():
    assert allocate({"big": 990, "small": 10}, 10) == {"big": 9, "small": 1}
    # more strata than the size: each stratum still gets one
    assert allocate({"a": 5, "b": 5, "c": 5}, 2) == {"a": 1, "b": 1, "c": 1}


def test_allocation_never_exceeds_a_stratum_and_a_large_sample_takes_all():
    assert allocate({"a": 2, "b": 100}, 50) == {"a": 1, "b": 49}
    assert allocate({"a": 1, "b": 1, "c": 2}, 3) == {"a": 1, "b": 1, "c": 1}
    assert allocate({"a": 3, "b": 4}, 7) == {"a": 3, "b": 4}
    assert allocate({"a": 3, "b": 4}, 100) == {"a": 3, "b": 4}
    assert allocate({"a": 0, "b": 4}, 2) == {"b": 2}


def test_draw_is_reproducible_from_the_seed_and_independent_of_order():
    pop = files(40) + files(20, town="530102002")
    first = draw(pop, seed=42, size=10, stratify_by="township")
    again = draw(list(reversed(pop)), seed=42, size=10, stratify_by="township")
    assert [f.file_id for f, _ in first.chosen] == [f.file_id for f, _ in again.chosen]
    assert len(first.chosen) == 10
    assert first.allocation == {"enrolled/530102001": 7, "enrolled/530102002": 3}
    other = draw(pop, seed=43, size=10, stratify_by="township")
    assert {f.file_id for f, _ in other.chosen} != {f.file_id for f, _ in first.chosen}


def test_sample_larger_than_population_takes_every_file():
    pop = files(5)
    result = draw(pop, seed=1, size=50)
    assert sorted(f.file_id for f, _ in result.chosen) == sorted(f.file_id for f in pop)


def test_empty_population_draws_nothing():
    assert draw([], seed=1, size=5).chosen == []


def test_kinds_are_always_separate_strata():
    result = draw(files(10) + files(10, kind="refused"), seed=7, size=4)
    assert result.allocation == {"enrolled": 2, "refused": 2}


def test_recheck_by_other_than_handler():
    assert may_recheck("township-2", ["village-1", "township-1"])
    assert not may_recheck("township-1", ["village-1", "township-1"])


def test_wilson_47_of_50_by_hand():
    z = 1.959963984540054
    n, c = 50, 47
    p = c / n
    centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z / (1 + z ** 2 / n) * math.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    a = accuracy([Stratum(population=400, checked=50, confirmed=47)])
    assert (a.n, a.confirmed, a.estimate, a.method) == (50, 47, 0.94, "wilson")
    assert a.lower == pytest.approx(centre - half) and a.upper == pytest.approx(centre + half)
    assert a.lower == pytest.approx(0.8378, abs=1e-4) and a.upper == pytest.approx(0.9794, abs=1e-4)
    assert a.rule_version == domain.RULE_VERSION


def test_wilson_all_confirmed_stays_below_one_at_the_lower_end():
    lo, hi = wilson(10, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(0.7225, abs=1e-4)


def test_stratified_estimate_weighted_by_population():
    # stratum A: N=300, 10 checked, 9 confirmed; stratum B: N=100, 10 checked, 5 confirmed
    a = accuracy([Stratum(300, 10, 9), Stratum(100, 10, 5)])
    p = 0.75 * 0.9 + 0.25 * 0.5
    var = 0.75 ** 2 * (1 - 10 / 300) * 0.9 * 0.1 / 10 + 0.25 ** 2 * (1 - 10 / 100) * 0.5 * 0.5 / 10
    n_eff = p * (1 - p) / var
    lo, hi = wilson(p * n_eff, n_eff)
    assert a.estimate == pytest.approx(0.8) and a.method == "stratified-wilson-effective-n"
    assert (a.n, a.confirmed) == (20, 14)
    assert (a.lower, a.upper) == (pytest.approx(lo), pytest.approx(hi))


def test_stratified_without_variance_uses_n_and_unchecked_strata_are_left_out():
    a = accuracy([Stratum(30, 3, 3), Stratum(10, 2, 2), Stratum(50, 0, 0)])
    assert a.estimate == 1.0 and (a.lower, a.upper) == wilson(5, 5)
    assert accuracy([Stratum(10, 0, 0)]).estimate is None
