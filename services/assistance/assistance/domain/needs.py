"""The needs of an enrolled household, derived from its programmes, categories and assessment scores, each with its grounds.

Every need is one service type (catalogue.NEED_TYPES) and carries every ground it was derived from, so a need that
two rules give is one need with two grounds, and a need whose last ground disappears (a programme exited) can be
recognised as no longer derived. Rules, in this order (``needs.*`` in the rule set):

1. long-term recipients (a programme in ``needs.long_term.programmes``: dibao, tekun) get ``needs.long_term.needs``:
   care and medical services on top of cash and in-kind (report 7.6);
2. temporary recipients (``needs.temporary.programmes``) get ``needs.temporary.needs``: employment services
   (training and referral) alongside material aid (report 7.6);
3. every programme adds ``needs.by_programme.<programme>`` (medical → medical assistance, housing → housing repair…);
4. a programme's category adds ``needs.by_category.<programme>.<category>`` (sudden hardship → psychological support);
5. an assessment score at or above a threshold adds a need (``needs.by_score``: unsafe housing → housing repair,
   severe disability → daily care, little labour capacity → labour help, chronic illness → medical assistance).

Finally, when the labour-capacity hardship score is at or above
``needs.no_employment_services_from_labour_capacity_score`` nobody in the household can take up work, so the
employment services (``needs.employment_services``) are left out, with the reason. A household in no programme has
no needs: it has left assistance.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from assistance.domain.catalogue import PROGRAMME_NAMES, SERVICE_TYPES, need_name
from assistance.domain.rules import RuleSet


@dataclass(frozen=True)
class Household:
    """What assistance knows of a household, as plain data (from the enrolment, completed by the needs assessment)."""

    division_code: str
    programmes: tuple[str, ...]
    member_count: int
    categories: Mapping[str, str] = field(default_factory=dict, hash=False)
    scores: Mapping[str, int] = field(default_factory=dict, hash=False)
    per_capita_monthly_income_yuan: Decimal | None = None
    sudden_hardship: bool = False
    care_level: str | None = None

    def score(self, dimension: str) -> int:
        return int(self.scores.get(dimension, 0))


@dataclass(frozen=True)
class Ground:
    """One reason a need exists; ``programmes`` names the programmes it rests on (empty: the household's scores)."""

    code: str
    en: str
    zh: str
    programmes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"code": self.code, "en": self.en, "zh": self.zh, "programmes": list(self.programmes)}


@dataclass(frozen=True)
class DerivedNeed:
    need_type: str
    grounds: tuple[Ground, ...]


@dataclass(frozen=True)
class SkippedNeed:
    need_type: str
    code: str
    en: str
    zh: str


@dataclass(frozen=True)
class NeedsResult:
    needs: tuple[DerivedNeed, ...]
    skipped: tuple[SkippedNeed, ...]
    rule_version: str

    def types(self) -> tuple[str, ...]:
        return tuple(n.need_type for n in self.needs)


def derive_needs(household: Household, rules: RuleSet) -> NeedsResult:
    """The household's needs under ``rules``, in catalogue order, each with every ground that gives it."""
    programmes = tuple(household.programmes)
    if not programmes:
        return NeedsResult((), (), rules.version)
    grounds: dict[str, list[Ground]] = {}

    def add(need_type: str, ground: Ground) -> None:
        grounds.setdefault(need_type, []).append(ground)

    long_term = [p for p in rules.names("needs", "long_term", "programmes") if p in programmes]
    if long_term:
        names_en, names_zh = _names(long_term)
        for need_type in rules.names("needs", "long_term", "needs"):
            en, zh = need_name(need_type)
            add(need_type, Ground("long_term_recipient",
                                  f"Long-term recipients ({names_en}) get care and medical services on top of cash and "
                                  f"in-kind aid: {en}.",
                                  f"长期兜底对象（{names_zh}）在资金和实物给付之上提供照护和医疗救助服务：{zh}。",
                                  tuple(long_term)))
    temporary = [p for p in rules.names("needs", "temporary", "programmes") if p in programmes]
    if temporary:
        names_en, names_zh = _names(temporary)
        for need_type in rules.names("needs", "temporary", "needs"):
            en, zh = need_name(need_type)
            add(need_type, Ground("temporary_recipient",
                                  f"Temporary recipients ({names_en}) also get employment services (training and "
                                  f"referral) alongside material aid: {en}.",
                                  f"临时兜底对象（{names_zh}）在物质救助基础上增加技能培训及机会转介等就业救助服务：{zh}。",
                                  tuple(temporary)))
    by_programme = rules.value("needs", "by_programme")
    for programme in programmes:
        p_en, p_zh = PROGRAMME_NAMES[programme]
        for need_type in by_programme.get(programme, ()):
            en, zh = need_name(need_type)
            add(need_type, Ground(f"programme_{programme}", f"The household is enrolled in {p_en}, which gives {en}.",
                                  f"该户纳入{p_zh}，相应提供{zh}。", (programme,)))
    by_category = rules.value("needs", "by_category")
    for programme, category in household.categories.items():
        if programme not in programmes:
            continue
        for need_type in by_category.get(programme, {}).get(category, ()):
            en, zh = need_name(need_type)
            p_en, p_zh = PROGRAMME_NAMES[programme]
            add(need_type, Ground(f"category_{category}",
                                  f"The household is in category '{category}' of {p_en}, which gives {en}.",
                                  f"该户属于{p_zh}的“{category}”类别，相应提供{zh}。", (programme,)))
    for trigger in rules.value("needs", "by_score"):
        dimension, threshold, need_type = trigger["dimension"], trigger["at_least"], trigger["need"]
        value = household.score(dimension)
        if value >= threshold:
            en, zh = need_name(need_type)
            add(need_type, Ground(f"score_{dimension}",
                                  f"The {dimension} hardship score is {value}, at least {threshold}, which gives {en}.",
                                  f"“{dimension}”维度困难得分{value}，达到{threshold}分，相应提供{zh}。"))
    skipped: list[SkippedNeed] = []
    limit = rules.integer("needs", "no_employment_services_from_labour_capacity_score")
    labour = household.score("labour_capacity")
    if labour >= limit:
        for need_type in rules.names("needs", "employment_services"):
            if grounds.pop(need_type, None) is not None:
                en, zh = need_name(need_type)
                skipped.append(SkippedNeed(
                    need_type, "no_labour_capacity",
                    f"{en[0].upper()}{en[1:]} is left out: the labour-capacity hardship score is {labour}, at least "
                    f"{limit}, so no member can take up work.",
                    f"不提供{zh}：劳动能力困难得分{labour}，达到{limit}分，家庭成员无法就业。"))
    needs = tuple(DerivedNeed(t, tuple(grounds[t])) for t in SERVICE_TYPES if t in grounds)
    return NeedsResult(needs, tuple(skipped), rules.version)


def _names(programmes: list[str]) -> tuple[str, str]:
    return (", ".join(PROGRAMME_NAMES[p][0] for p in programmes), "、".join(PROGRAMME_NAMES[p][1] for p in programmes))
