"""The sampling rules as pure functions: allocation over strata, the seeded draw, who may re-check, and the
accuracy estimate with its confidence interval. Nothing here does I/O."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Iterable

RULE_VERSION = "SAMPLING-2026.1"
KINDS = ("enrolled", "refused", "exited")
STRATIFY = ("none", "township", "village")
# the outcomes a re-check may record for each kind of file; "confirmed" means the original decision was right
OUTCOMES = {"enrolled": ("confirmed", "should_not_have_been_enrolled"),
            "refused": ("confirmed", "should_have_been_enrolled"),
            "exited": ("confirmed", "should_not_have_exited")}
ALL_OUTCOMES = ("confirmed", "should_not_have_been_enrolled", "should_have_been_enrolled", "should_not_have_exited")
MEASURES = {"identification": ("enrolled", "refused"), "exit": ("exited",)}
Z_95 = 1.959963984540054  # the 97.5 % quantile of the standard normal


@dataclass(frozen=True)
class PopulationFile:
    file_id: str  # stable id: "<kind>:<case or exit id>"
    kind: str
    division_code: str


def stratum_of(f: PopulationFile, stratify_by: str) -> str:
    """The stratum a file falls in: always its kind (enrolled, refused and exits are different populations), and
    its township (9 digits) or village (12) when stratified by one."""
    if stratify_by == "township":
        return f"{f.kind}/{f.division_code[:9]}"
    if stratify_by == "village":
        return f"{f.kind}/{f.division_code}"
    return f.kind


def allocate(stratum_sizes: dict[str, int], size: int) -> dict[str, int]:
    """Proportional allocation with at least one file per non-empty stratum and never more than a stratum holds.
    Quotas size*N_h/N are floored (raised to 1), then the files left go by largest remainder (ties: stratum name).
    A sample as large as the population takes every file; when there are more strata than `size`, each stratum
    still gets one (the sample is then larger than asked, which the draw reports)."""
    sizes = {h: n for h, n in stratum_sizes.items() if n > 0}
    total = sum(sizes.values())
    if size >= total:
        return dict(sizes)
    quotas = {h: size * n / total for h, n in sizes.items()}
    alloc = {h: min(sizes[h], max(1, math.floor(q))) for h, q in quotas.items()}
    left = size - sum(alloc.values())
    order = sorted(sizes, key=lambda h: (-(quotas[h] - math.floor(quotas[h])), h))
    while left > 0:
        progressed = False
        for h in order:
            if left > 0 and alloc[h] < sizes[h]:
                alloc[h] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return alloc


def _rank(seed: int, file_id: str) -> str:
    return hashlib.sha256(f"{seed}:{file_id}".encode()).hexdigest()


@dataclass(frozen=True)
class Draw:
    stratum_sizes: dict[str, int]
    allocation: dict[str, int]
    chosen: list[tuple[PopulationFile, str]]  # (file, stratum), in a stable order
    rule_version: str = RULE_VERSION


def draw(population: Iterable[PopulationFile], *, seed: int, size: int, stratify_by: str = "none") -> Draw:
    """The seeded draw: within each stratum, the files whose sha256(seed:file_id) ranks lowest. It depends only on
    the set of files, the seed and the parameters (not on the order the population arrives in, nor on Python's
    random module), so re-drawing with the recorded seed gives the same files."""
    files = sorted(set(population), key=lambda f: f.file_id)
    strata: dict[str, list[PopulationFile]] = {}
    for f in files:
        strata.setdefault(stratum_of(f, stratify_by), []).append(f)
    sizes = {h: len(fs) for h, fs in strata.items()}
    alloc = allocate(sizes, size)
    chosen: list[tuple[PopulationFile, str]] = []
    for h in sorted(strata):
        ranked = sorted(strata[h], key=lambda f: (_rank(seed, f.file_id), f.file_id))
        chosen.extend((f, h) for f in sorted(ranked[:alloc.get(h, 0)], key=lambda f: f.file_id))
    return Draw(stratum_sizes=sizes, allocation=alloc, chosen=chosen)


def may_recheck(subject: str, case_handlers: Iterable[str]) -> bool:
    """A file is re-checked by someone other than whoever handled it (assessed, reviewed or recorded it)."""
    return subject not in set(case_handlers)


# -- accuracy --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stratum:
    population: int  # N_h
    checked: int  # n_h
    confirmed: int  # c_h


@dataclass(frozen=True)
class Accuracy:
    n: int
    confirmed: int
    estimate: float | None
    lower: float | None
    upper: float | None
    method: str
    rule_version: str = RULE_VERSION


def wilson(confirmed: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a proportion confirmed/n (n may be an effective, non-integer size)."""
    p = confirmed / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy(strata: list[Stratum], z: float = Z_95) -> Accuracy:
    """The share of files whose decision the re-check confirmed.

    One stratum (a simple random sample): p = c/n with the Wilson score interval.
    Several strata: the stratum-weighted estimate p = sum W_h p_h with W_h = N_h/N, its variance
    sum W_h^2 (1 - n_h/N_h) p_h (1 - p_h) / n_h (with the finite-population correction), and the Wilson interval
    computed with the effective sample size n_eff = p(1-p)/var (Kish), or n when the variance is zero.
    Strata with no file checked yet are left out (their weight is not counted)."""
    used = [s for s in strata if s.checked > 0]
    n = sum(s.checked for s in used)
    c = sum(s.confirmed for s in used)
    if n == 0:
        return Accuracy(0, 0, None, None, None, "none")
    if len(used) == 1:
        lo, hi = wilson(c, n, z)
        return Accuracy(n, c, c / n, lo, hi, "wilson")
    total = sum(s.population for s in used)
    p = sum(s.population / total * s.confirmed / s.checked for s in used)
    var = sum((s.population / total) ** 2 * (1 - s.checked / s.population)
              * (s.confirmed / s.checked) * (1 - s.confirmed / s.checked) / s.checked for s in used)
    n_eff = p * (1 - p) / var if var > 0 else float(n)
    lo, hi = wilson(p * n_eff, n_eff, z)
    return Accuracy(n, c, p, lo, hi, "stratified-wilson-effective-n")
