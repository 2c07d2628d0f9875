"""Matching needs to providers within capacity, highest priority first, with the reason for every match and every wait.

A pure function over plain data: ``match(needs, offers)``. An *offer* is one provider's one service type: the areas
it covers (division-code prefixes), the places it has left in the current period, its constraints, rating and unit
cost. The rules, applied by ``match`` and, the slow obvious way, by ``match_reference`` (tests and the benchmark
check that the two agree):

1. Needs are taken in order of priority points, highest first; on equal priority the need waiting longest
   (``since``) first, then by need id, so the order is total and the result reproducible.
2. A need can go to an offer of its service type that covers its division code, has a place left, does not exclude
   the need (a provider that declined it before) and whose constraints the household meets.
3. Among those, the most local offer wins (the longest covering area prefix: a village service before a township,
   county or province one), then the best rated (``quality``), then the cheapest (``unit_cost_yuan``), then the
   provider id. The need takes one place.
4. A need that gets nothing waits, with the reason: no provider of that type covers its area, every covering provider
   is full, the providers with places left do not accept the household (the first one's constraint is named), or
   they declined the need before. Its position counts the needs waiting before it for the same service type in the
   same county.

``match`` sorts once and indexes offers by (service type, area prefix), so a need looks at the few offers that cover
it instead of every offer: O(n log n + n × prefix lengths) for n needs when constraints are rare.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType

from assistance.domain.catalogue import PROGRAMME_NAMES, level_name, need_name
from assistance.domain.wording import score, yuan, yuan_zh

_EMPTY: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Constraints:
    """What a provider requires of a household. Empty or None fields impose nothing."""

    programmes_any: frozenset[str] = frozenset()   # the household must be in one of these programmes
    max_members: int | None = None                  # households of at most this many members
    min_scores: tuple[tuple[str, int], ...] = ()    # (dimension, minimum hardship score)

    def refusal(self, need: NeedToMatch) -> tuple[str, dict] | None:
        """The first constraint the need's household does not meet, as (code, facts), or None."""
        if self.programmes_any and not (self.programmes_any & need.programmes):
            return "programme_not_served", {"programmes": sorted(self.programmes_any)}
        if self.max_members is not None and need.member_count > self.max_members:
            return "household_too_large", {"max_members": self.max_members, "members": need.member_count}
        for dimension, minimum in self.min_scores:
            value = need.scores.get(dimension, 0)
            if value < minimum:
                return "score_below_minimum", {"dimension": dimension, "minimum": minimum, "value": value}
        return None

    def as_dict(self) -> dict:
        return {"programmes_any": sorted(self.programmes_any), "max_members": self.max_members,
                "min_scores": dict(self.min_scores)}


@dataclass(frozen=True, slots=True)
class NeedToMatch:
    need_id: str
    service_type: str
    division_code: str
    priority: int                      # priority points (score × 100); higher goes first
    since: float | int | str = 0       # when it began waiting; earlier goes first on equal priority
    programmes: frozenset[str] = frozenset()
    member_count: int = 1
    scores: Mapping[str, int] = field(default_factory=lambda: _EMPTY, hash=False)
    excluded_providers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Offer:
    provider_id: str
    service_type: str
    areas: tuple[str, ...]
    remaining: int                     # places left in the current period
    capacity: int = 0                  # places per period (for the explanation)
    period: str = ""
    unit_cost_yuan: Decimal = Decimal(0)
    quality: int = 0                   # higher is better (e.g. mean rating × 100)
    constraints: Constraints | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a need was matched or waits: a code and the facts behind it; ``en``/``zh`` render them."""

    code: str
    facts: dict = field(hash=False)

    @property
    def en(self) -> str:
        return _render(self, "en")

    @property
    def zh(self) -> str:
        return _render(self, "zh")

    def as_dict(self) -> dict:
        return {"code": self.code, "en": self.en, "zh": self.zh, "facts": self.facts}


@dataclass(frozen=True, slots=True)
class Assignment:
    need_id: str
    provider_id: str
    service_type: str
    area: str                          # the provider's area that covers the need
    priority: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class WaitEntry:
    need_id: str
    service_type: str
    priority: int
    position: int                      # 1 = next in line for this service type in this county
    reason: Reason                     # why it waits; stable while the situation is (no position in it)

    def explained(self) -> Reason:
        """The reason with the need's place in the queue and its priority, as told at this moment."""
        return Reason(self.reason.code, {**self.reason.facts, "position": self.position,
                                         "priority": score(Decimal(self.priority) / 100)})


@dataclass(frozen=True)
class MatchResult:
    assignments: list[Assignment]
    waitlist: list[WaitEntry]
    remaining: dict[tuple[str, str], int]   # (provider_id, service_type) -> places left afterwards

    def assigned_to(self) -> dict[str, str]:
        return {a.need_id: a.provider_id for a in self.assignments}


def need_order(need: NeedToMatch) -> tuple:
    return (-need.priority, need.since, need.need_id)


class _Slot:
    """An offer while matching runs: the offer plus the places it still has (shared by all its area buckets)."""

    __slots__ = ("offer", "remaining", "provider_id", "constraints")

    def __init__(self, offer: Offer):
        self.offer, self.remaining = offer, offer.remaining
        self.provider_id, self.constraints = offer.provider_id, offer.constraints


def match(needs: Iterable[NeedToMatch], offers: Iterable[Offer]) -> MatchResult:
    """Assigns needs to offers, highest priority first within capacity; see the module docstring for the rules."""
    needs, offers = list(needs), list(offers)
    _check(needs, offers)
    slots = [_Slot(o) for o in offers]
    buckets: dict[tuple[str, str], list[_Slot]] = {}
    for slot in slots:
        for area in set(slot.offer.areas):
            buckets.setdefault((slot.offer.service_type, area), []).append(slot)
    for bucket in buckets.values():
        bucket.sort(key=lambda s: (-s.offer.quality, s.offer.unit_cost_yuan, s.provider_id))
    lengths = sorted({len(area) for o in offers for area in o.areas}, reverse=True)
    assignments: list[Assignment] = []
    waitlist: list[WaitEntry] = []
    queue: dict[tuple[str, str], int] = {}
    for need in sorted(needs, key=need_order):
        code, kind = need.division_code, need.service_type
        covered = declined = False
        refused: tuple[_Slot, str, dict] | None = None
        chosen: _Slot | None = None
        area = ""
        for length in lengths:
            if length > len(code):
                continue
            bucket = buckets.get((kind, code[:length]))
            if bucket is None:
                continue
            covered = True
            full = False
            for slot in bucket:
                if slot.remaining <= 0:
                    full = True
                    continue
                if slot.provider_id in need.excluded_providers:
                    declined = True
                    continue
                if slot.constraints is not None:
                    refusal = slot.constraints.refusal(need)
                    if refusal is not None:
                        if refused is None:
                            refused = (slot, *refusal)
                        continue
                chosen, area = slot, code[:length]
                break
            if full:  # drop offers that ran out, so later needs do not step over them again
                bucket[:] = [s for s in bucket if s.remaining > 0]
            if chosen is not None:
                break
        if chosen is not None:
            chosen.remaining -= 1
            assignments.append(Assignment(need.need_id, chosen.provider_id, kind, area, need.priority,
                                          _matched(need, chosen.offer, area, chosen.remaining)))
        else:
            waitlist.append(_wait(need, queue, covered, refused and (refused[0].offer, refused[1], refused[2]),
                                  declined))
    return MatchResult(assignments, waitlist, {(s.provider_id, s.offer.service_type): s.remaining for s in slots})


def match_reference(needs: Iterable[NeedToMatch], offers: Iterable[Offer]) -> MatchResult:
    """The same rules written the obvious way (every offer of the type checked for every need): slow, for checking."""
    needs, offers = list(needs), list(offers)
    _check(needs, offers)
    remaining = {(o.provider_id, o.service_type): o.remaining for o in offers}
    by_type: dict[str, list[Offer]] = {}
    for offer in offers:
        by_type.setdefault(offer.service_type, []).append(offer)
    assignments: list[Assignment] = []
    waitlist: list[WaitEntry] = []
    queue: dict[tuple[str, str], int] = {}
    for need in sorted(needs, key=need_order):
        candidates = []
        covered = declined = False
        for offer in by_type.get(need.service_type, ()):
            covering = [a for a in offer.areas if need.division_code.startswith(a)]
            if not covering:
                continue
            covered = True
            if remaining[(offer.provider_id, offer.service_type)] > 0:
                candidates.append((max(covering, key=len), offer))
        candidates.sort(key=lambda c: (-len(c[0]), -c[1].quality, c[1].unit_cost_yuan, c[1].provider_id))
        chosen = None
        refused = None
        for area, offer in candidates:
            if offer.provider_id in need.excluded_providers:
                declined = True
                continue
            refusal = offer.constraints.refusal(need) if offer.constraints is not None else None
            if refusal is not None:
                refused = refused or (offer, *refusal)
                continue
            chosen = (area, offer)
            break
        if chosen is not None:
            area, offer = chosen
            key = (offer.provider_id, offer.service_type)
            remaining[key] -= 1
            assignments.append(Assignment(need.need_id, offer.provider_id, offer.service_type, area, need.priority,
                                          _matched(need, offer, area, remaining[key])))
        else:
            waitlist.append(_wait(need, queue, covered, refused, declined))
    return MatchResult(assignments, waitlist, remaining)


def _check(needs: list[NeedToMatch], offers: list[Offer]) -> None:
    if len({n.need_id for n in needs}) != len(needs):
        raise ValueError("need ids must be unique")
    if len({(o.provider_id, o.service_type) for o in offers}) != len(offers):
        raise ValueError("a provider may offer each service type once")
    for o in offers:
        if o.remaining < 0:
            raise ValueError(f"offer {o.provider_id}/{o.service_type} has negative places left ({o.remaining})")
        if any(not isinstance(a, str) or (a and not a.isdigit()) for a in o.areas):
            raise ValueError(f"offer {o.provider_id}/{o.service_type}: areas must be division-code prefixes")


def _matched(need: NeedToMatch, offer: Offer, area: str, left: int) -> Reason:
    return Reason("matched_by_priority", {
        "priority": score(Decimal(need.priority) / 100), "service_type": need.service_type, "provider_id": offer.provider_id,
        "provider_name": offer.name or offer.provider_id, "area": area, "remaining": left,
        "capacity": offer.capacity, "period": offer.period, "quality": offer.quality,
        "unit_cost_yuan": str(offer.unit_cost_yuan)})


def _wait(need: NeedToMatch, queue: dict, covered: bool, refused: tuple | None, declined: bool) -> WaitEntry:
    county = need.division_code[:6]
    key = (need.service_type, county)
    position = queue[key] = queue.get(key, 0) + 1
    facts = {"service_type": need.service_type, "division_code": need.division_code, "county": county}
    if not covered:
        code = "no_provider_in_area"
    elif refused is not None:
        offer, refusal_code, refusal_facts = refused
        code = "constraints_not_met"
        facts.update(provider_id=offer.provider_id, provider_name=offer.name or offer.provider_id,
                     constraint=refusal_code, **refusal_facts)
    elif declined:
        code = "declined_by_providers_with_places"
    else:
        code = "capacity_exhausted"
    return WaitEntry(need.need_id, need.service_type, need.priority, position, Reason(code, facts))


# --- explanations ------------------------------------------------------------------------------------------------

def _render(reason: Reason, language: str) -> str:
    f = reason.facts
    type_en, type_zh = need_name(f["service_type"])
    if reason.code == "matched_by_priority":
        level_en, level_zh = level_name(f["area"])
        cost = Decimal(f["unit_cost_yuan"])
        if language == "en":
            return (f"Matched to {f['provider_name']} for {type_en}: with priority {f['priority']} this need came "
                    f"first among those still waiting that this provider can serve. It is the most local provider with "
                    f"a place ({level_en}, area {f['area'] or 'nationwide'}), then the best rated "
                    f"({score(Decimal(f['quality']) / 100)}), then the cheapest ({yuan(cost)} a service); "
                    f"{f['remaining']} of {f['capacity']} places are left for {f['period'] or 'this period'}.")
        return (f"匹配至{f['provider_name']}提供{type_zh}：本需求优先级{f['priority']}分，在该服务方可服务的待匹配需求中排序最前。"
                f"该服务方是有空余名额的服务方中最就近的（{level_zh}，区划{f['area'] or '全国'}），其次评分最高"
                f"（{score(Decimal(f['quality']) / 100)}），再次单价最低（每次{yuan_zh(cost)}）；{f['period'] or '本期'}名额剩余"
                f"{f['remaining']}/{f['capacity']}。")
    if "position" in f:
        place_en = f" (position {f['position']} for {type_en} in county {f['county']}, priority {f['priority']})"
        place_zh = f"（在{f['county']}县{type_zh}排队第{f['position']}位，优先级{f['priority']}分）"
    else:
        place_en = place_zh = ""
    if reason.code == "no_provider_in_area":
        if language == "en":
            return f"Waiting: no provider of {type_en} covers {f['division_code']} yet{place_en}."
        return f"等待中：目前没有服务方在{f['division_code']}提供{type_zh}{place_zh}。"
    if reason.code == "capacity_exhausted":
        if language == "en":
            return (f"Waiting: every provider of {type_en} covering {f['division_code']} is full for the current "
                    f"period; needs of higher priority were served first{place_en}.")
        return f"等待中：覆盖{f['division_code']}的{type_zh}服务方本期名额已满，优先级更高的需求已先匹配{place_zh}。"
    if reason.code == "declined_by_providers_with_places":
        if language == "en":
            return f"Waiting: the providers of {type_en} with places left declined this need before{place_en}."
        return f"等待中：尚有名额的{type_zh}服务方此前已拒绝该需求{place_zh}。"
    constraint_en, constraint_zh = _constraint_text(f)
    if language == "en":
        return f"Waiting: {f['provider_name']}, which has places for {type_en}, {constraint_en}{place_en}."
    return f"等待中：尚有{type_zh}名额的{f['provider_name']}{constraint_zh}{place_zh}。"


def _constraint_text(f: dict) -> tuple[str, str]:
    if f["constraint"] == "programme_not_served":
        names = [PROGRAMME_NAMES.get(p, (p, p)) for p in f["programmes"]]
        return (f"serves only households in {', '.join(n[0] for n in names)}",
                f"只服务{'、'.join(n[1] for n in names)}家庭")
    if f["constraint"] == "household_too_large":
        return (f"serves households of at most {f['max_members']} members, and this one has {f['members']}",
                f"只服务{f['max_members']}人以下家庭，该户{f['members']}人")
    return (f"needs a {f['dimension']} hardship score of at least {f['minimum']}, and this household has {f['value']}",
            f"要求“{f['dimension']}”困难得分至少{f['minimum']}分，该户为{f['value']}分")
