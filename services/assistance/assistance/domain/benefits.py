"""Cash benefits as entitlements: the dibao top-up, extreme-poverty (tekun) support and one-off temporary assistance.

Cash is not rationed: a household enrolled in a cash programme gets the amount the rules give, explained with the
numbers used, in English and Chinese, and the rule version. Parameters (``cash.<programme>.*`` in the rule set):

- ``dibao_top_up`` (monthly): (``standard_yuan_per_person_month`` − per-capita monthly income) × members — the
  difference to the standard (差额补助). Income at or above the standard gives nothing. A positive top-up below
  ``minimum_yuan_per_person_month`` per person is raised to that floor. Without a known income the grant waits for
  the caseworker's needs assessment (status ``awaiting_income``): a guess would pay the wrong amount.
- ``tekun_support`` (monthly): members × (basic living standard + care standard), where the basic living standard is
  ``basic_living_factor_of_dibao_standard`` × the dibao standard and the care standard follows the care level
  (``care_yuan_per_person_month``; ``default_care_level`` until a caseworker records it).
- ``temporary_cash`` (one-off): ``months_of_dibao_standard_per_person`` × the dibao standard × members, at most
  ``max_yuan_per_household``.

Amounts are rounded to the cent, half up.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from assistance.domain.catalogue import BENEFIT_KINDS, CARE_LEVELS
from assistance.domain.rules import RuleSet
from assistance.domain.wording import money, yuan, yuan_zh

FREQUENCY = {"dibao_top_up": "monthly", "tekun_support": "monthly", "temporary_cash": "one_off"}


@dataclass(frozen=True)
class CashGrant:
    """The cash one programme gives a household: ``status`` is grant, none (nothing due) or awaiting_income."""

    programme: str
    kind: str
    status: str
    amount_yuan: Decimal
    frequency: str
    rule_version: str
    calculation: dict = field(hash=False)
    explanation_en: str = ""
    explanation_zh: str = ""

    @property
    def payable(self) -> bool:
        return self.status == "grant" and self.amount_yuan > 0


def cash_benefits(programmes: tuple[str, ...] | list[str], *, members: int,
                  per_capita_monthly_income_yuan: Decimal | None, care_level: str | None,
                  rules: RuleSet) -> tuple[CashGrant, ...]:
    """One CashGrant for each cash programme among ``programmes``, in the order of BENEFIT_KINDS."""
    if isinstance(members, bool) or not isinstance(members, int) or members < 1:
        raise ValueError(f"members must be a whole number of at least 1, got {members!r}")
    grants = []
    for kind, (programme, _en, _zh) in BENEFIT_KINDS.items():
        if programme not in programmes:
            continue
        if kind == "dibao_top_up":
            grants.append(dibao_top_up(members, per_capita_monthly_income_yuan, rules))
        elif kind == "tekun_support":
            grants.append(tekun_support(members, care_level, rules))
        else:
            grants.append(temporary_cash(members, rules))
    return tuple(grants)


def dibao_standard(rules: RuleSet) -> Decimal:
    return rules.decimal("cash", "dibao", "standard_yuan_per_person_month")


def dibao_top_up(members: int, per_capita: Decimal | None, rules: RuleSet) -> CashGrant:
    standard = dibao_standard(rules)
    minimum = rules.decimal("cash", "dibao", "minimum_yuan_per_person_month")
    base = {"standard_yuan_per_person_month": str(standard), "members": members,
            "minimum_yuan_per_person_month": str(minimum)}
    if per_capita is None:
        return CashGrant(
            "dibao", "dibao_top_up", "awaiting_income", Decimal("0.00"), "monthly", rules.version,
            {**base, "per_capita_monthly_income_yuan": None},
            f"The dibao top-up is the gap between the standard of {yuan(standard)} a person a month and the "
            f"household's per-capita income, which is not known yet: the caseworker's needs assessment records it, "
            f"then the top-up is granted.",
            f"低保金按低保标准（每人每月{yuan_zh(standard)}）与家庭月人均收入的差额计算；目前尚无收入数据，"
            f"待工作人员需求评估录入后发放。")
    per_capita = money(per_capita)
    gap = standard - per_capita
    calculation = {**base, "per_capita_monthly_income_yuan": str(per_capita), "gap_yuan_per_person": str(money(gap))}
    if gap <= 0:
        return CashGrant(
            "dibao", "dibao_top_up", "none", Decimal("0.00"), "monthly", rules.version, calculation,
            f"Per-capita income of {yuan(per_capita)} a month is not below the dibao standard of {yuan(standard)}, "
            f"so no top-up is due.",
            f"月人均收入{yuan_zh(per_capita)}不低于低保标准{yuan_zh(standard)}，无需发放差额补助。")
    per_person = max(gap, minimum)
    amount = money(per_person * members)
    floor_en = floor_zh = ""
    if gap < minimum:
        floor_en = f" The gap of {yuan(gap)} is below the minimum of {yuan(minimum)} a person, so the minimum is paid."
        floor_zh = f"差额{yuan_zh(gap)}低于每人最低发放额{yuan_zh(minimum)}，按最低额发放。"
    calculation.update(paid_yuan_per_person=str(money(per_person)), amount_yuan=str(amount))
    return CashGrant(
        "dibao", "dibao_top_up", "grant", amount, "monthly", rules.version, calculation,
        f"Dibao top-up {yuan(amount)} a month = ({yuan(standard)} standard − {yuan(per_capita)} per-capita income) "
        f"× {members} member(s), under rule set {rules.version}.{floor_en}",
        f"低保金每月{yuan_zh(amount)} =（低保标准{yuan_zh(standard)} − 月人均收入{yuan_zh(per_capita)}）× {members}人，"
        f"依据规则版本{rules.version}。{floor_zh}")


def tekun_support(members: int, care_level: str | None, rules: RuleSet) -> CashGrant:
    standard = dibao_standard(rules)
    factor = rules.decimal("cash", "tekun", "basic_living_factor_of_dibao_standard")
    basic = money(factor * standard)
    assumed = care_level is None
    level = care_level or rules.value("cash", "tekun", "default_care_level")
    if level not in CARE_LEVELS:
        raise ValueError(f"care_level must be one of {', '.join(CARE_LEVELS)}, got {care_level!r}")
    care = money(rules.decimal("cash", "tekun", "care_yuan_per_person_month", level))
    amount = money((basic + care) * members)
    level_en, level_zh = CARE_LEVELS[level]
    note_en = " (assumed until a caseworker records the care level)" if assumed else ""
    note_zh = "（工作人员记录照护等级前按此计算）" if assumed else ""
    return CashGrant(
        "tekun", "tekun_support", "grant", amount, "monthly", rules.version,
        {"dibao_standard_yuan_per_person_month": str(standard), "basic_living_factor": str(factor),
         "basic_living_yuan_per_person_month": str(basic), "care_level": level, "care_level_assumed": assumed,
         "care_yuan_per_person_month": str(care), "members": members, "amount_yuan": str(amount)},
        f"Extreme-poverty support {yuan(amount)} a month = ({yuan(basic)} basic living standard, {factor} × the dibao "
        f"standard of {yuan(standard)}, + {yuan(care)} care standard for people {level_en}{note_en}) × {members} "
        f"member(s), under rule set {rules.version}.",
        f"特困供养金每月{yuan_zh(amount)} =（基本生活标准{yuan_zh(basic)}，即低保标准{yuan_zh(standard)}的{factor}倍，"
        f"+ 照料护理标准{yuan_zh(care)}，{level_zh}{note_zh}）× {members}人，依据规则版本{rules.version}。")


def temporary_cash(members: int, rules: RuleSet) -> CashGrant:
    standard = dibao_standard(rules)
    months = rules.decimal("cash", "temporary", "months_of_dibao_standard_per_person")
    cap = rules.decimal("cash", "temporary", "max_yuan_per_household")
    computed = money(months * standard * members)
    amount = money(min(computed, cap))
    capped = computed > cap
    cap_en = f", capped at {yuan(cap)} a household (computed {yuan(computed)})" if capped else \
        f" (at most {yuan(cap)} a household)"
    cap_zh = f"，超过每户上限{yuan_zh(cap)}，按上限发放（计算额{yuan_zh(computed)}）" if capped else \
        f"（每户上限{yuan_zh(cap)}）"
    return CashGrant(
        "temporary", "temporary_cash", "grant", amount, "one_off", rules.version,
        {"dibao_standard_yuan_per_person_month": str(standard), "months_per_person": str(months), "members": members,
         "computed_yuan": str(computed), "cap_yuan": str(cap), "capped": capped, "amount_yuan": str(amount)},
        f"Temporary assistance {yuan(amount)} once = {months} month(s) of the dibao standard of {yuan(standard)} × "
        f"{members} member(s){cap_en}, under rule set {rules.version}.",
        f"一次性临时救助金{yuan_zh(amount)} = {months}个月低保标准（{yuan_zh(standard)}）× {members}人{cap_zh}，"
        f"依据规则版本{rules.version}。")

