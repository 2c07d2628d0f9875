"""The division picker: province -> prefecture -> county -> township -> village, one select per level, from
shared.divisions. Pure functions: which divisions the person has chosen so far (from the selects posted, or from
a village code alone), and the selects to show. The last select, the villages, is the form field `division_code`
(the 12-digit code the application needs); the others are `division-<depth>`."""
from __future__ import annotations

from dataclasses import dataclass

from shared.divisions import LEVELS, Division, Registry

ROOT = "86"  # the children of 86 are the provinces (as in the published dataset)
VILLAGE_FIELD = "division_code"


@dataclass
class Level:
    depth: int
    level: str  # province, prefecture, county, township, village: the level of its options
    options: list[Division]
    selected: str

    @property
    def name(self) -> str:
        return VILLAGE_FIELD if self.level == "village" else f"division-{self.depth}"


def chosen(values: dict[str, str], registry: Registry) -> list[Division]:
    """The chain chosen, province first, as far as it holds together: a select left on a division that is no
    longer under the one above it (the person changed a higher level) ends the chain there. Without any select
    posted, a village code alone (the self-check's answer) gives its whole chain."""
    posted = {values.get(f"division-{d}", "").strip() for d in range(len(LEVELS) - 1)} - {""}
    village = values.get(VILLAGE_FIELD, "").strip()
    if not posted:
        return registry.path(village)
    posted.add(village)
    chain: list[Division] = []
    parent = None
    while True:
        nxt = next((d for d in registry.children(parent) if d.code in posted), None)
        if nxt is None:
            return chain
        chain.append(nxt)
        parent = nxt.code


def levels(chain: list[Division], registry: Registry) -> list[Level]:
    """The selects to show: one per division chosen, and one more for the children of the last, if it has any."""
    out: list[Level] = []
    parent = None
    for depth in range(len(LEVELS)):
        options = registry.children(parent)
        if not options:
            break
        selected = chain[depth].code if depth < len(chain) else ""
        out.append(Level(depth, options[0].level, options, selected))
        if not selected:
            break
        parent = selected
    return out


def village_code(chain: list[Division]) -> str:
    """The 12-digit code when the chain ends on a village, else ""."""
    return chain[-1].code if chain and chain[-1].level == "village" else ""


def children_chain(code: str, registry: Registry) -> list[Division] | None:
    """For the fragment route: the chain down to `code` (86: none chosen yet); None for an unknown code."""
    if code == ROOT:
        return []
    chain = registry.path(code)
    return chain or None
