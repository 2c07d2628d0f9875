"""Multi-dimensional assessment of a household's real situation: one explained hardship score per dimension.

Every score runs from 0 (no hardship on that dimension) to 100 (the most), and every explanation is a full sentence
in English and Chinese with the household's numbers and the threshold it was compared with. The thresholds come from
the rule set; the rule set's version is recorded in the result.

Dimensions and how each is scored:
- ``income``: per-capita monthly income against the dibao standard; 100 at zero income, falling linearly to 0 at
  ``assessment.income_zero_score_factor_of_dibao_standard`` × standard (the near-dibao line by default).
- ``assets``: 0 if any dibao asset limit (vehicle value, business, extra housing) is exceeded; otherwise 100 minus
  the per-capita savings as a percentage of the per-capita savings limit.
- ``rigid_expenditure``: medical + education + care spending as a percentage of household income, capped at 100.
- ``labour_capacity``: 100 minus the household's labour units (working-age members: full 1, partial
  ``assessment.partial_labour_weight``, none 0) as a percentage of its size.
- ``disability``: the score of the most severe disability grade (``assessment.disability_grade_scores``).
- ``health``: members with a chronic illness as a percentage of the household.
- ``dependants``: children (under ``definitions.minor_age_below``) and elderly (from
  ``definitions.elderly_age_from``) as a percentage of the household.
- ``housing_safety``: 100 if the dwelling is unsafe (assessed, or the safe-housing guarantee is missing), else 0.
- ``guarantees``: the missing items of "two no-worries, three guarantees" plus drinking water, as a percentage.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from identification.domain.rules import RuleSet

LabourCapacity = Literal["full", "partial", "none"]
LABOUR_CAPACITIES = ("full", "partial", "none")
DISABILITY_GRADES = (1, 2, 3, 4)
MONTHS_PER_YEAR = 12
DIMENSIONS = ("income", "assets", "rigid_expenditure", "labour_capacity", "disability", "health", "dependants",
              "housing_safety", "guarantees")

# (field, English, Chinese) of the "two no-worries, three guarantees" plus drinking water (两不愁三保障及饮水安全).
GUARANTEE_ITEMS = (
    ("food", "food", "吃"),
    ("clothing", "clothing", "穿"),
    ("compulsory_education", "compulsory education", "义务教育"),
    ("basic_medical", "basic medical care", "基本医疗"),
    ("safe_housing", "safe housing", "住房安全"),
    ("drinking_water", "safe drinking water", "饮水安全"),
)

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Member:
    """One household member as assessed on the home visit."""

    age: int
    labour_capacity: LabourCapacity
    disability_grade: int | None = None  # 1 is the most severe, 4 the least
    chronic_illness: bool = False
    in_compulsory_education: bool = False
    in_higher_education: bool = False
    employed: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.age, bool) or not isinstance(self.age, int) or not 0 <= self.age <= 150:
            raise ValueError(f"age must be a whole number from 0 to 150, got {self.age!r}")
        if self.labour_capacity not in LABOUR_CAPACITIES:
            raise ValueError(f"labour_capacity must be one of {LABOUR_CAPACITIES}, got {self.labour_capacity!r}")
        if self.disability_grade is not None and self.disability_grade not in DISABILITY_GRADES:
            raise ValueError(f"disability_grade must be None or one of {DISABILITY_GRADES}, got {self.disability_grade!r}")


@dataclass(frozen=True)
class Guarantees:
    """Whether each of "two no-worries, three guarantees" and safe drinking water is secured."""

    food: bool = True
    clothing: bool = True
    compulsory_education: bool = True
    basic_medical: bool = True
    safe_housing: bool = True
    drinking_water: bool = True

    def missing(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(item for item in GUARANTEE_ITEMS if not getattr(self, item[0]))


@dataclass(frozen=True)
class HouseholdFacts:
    """What the field assessment established about one household. Money in yuan; income is the whole household's."""

    division_code: str
    members: tuple[Member, ...]
    monthly_income_yuan: Decimal
    savings_yuan: Decimal = Decimal(0)
    vehicles_value_yuan: Decimal = Decimal(0)
    owns_business: bool = False
    extra_housing_units: int = 0
    medical_expense_yuan_year: Decimal = Decimal(0)
    education_expense_yuan_year: Decimal = Decimal(0)
    care_expense_yuan_year: Decimal = Decimal(0)
    housing_safe: bool = True
    guarantees: Guarantees = field(default_factory=Guarantees)
    residence_months: int = 0
    formerly_poor: bool = False
    income_unstable: bool = False
    sudden_hardship: bool = False
    has_legal_supporter_able_to_support: bool = False
    owns_commercial_property: bool = False      # shops, offices or other property used for business (商业用房)
    has_public_payroll_member: bool = False     # a member paid from public funds (财政供养人员)

    def __post_init__(self) -> None:
        if not isinstance(self.division_code, str) or not self.division_code.isdigit():
            raise ValueError(f"division_code must be digits, got {self.division_code!r}")
        members = tuple(self.members)
        if not members:
            raise ValueError("a household has at least one member")
        object.__setattr__(self, "members", members)
        for name in ("monthly_income_yuan", "savings_yuan", "vehicles_value_yuan", "medical_expense_yuan_year",
                     "education_expense_yuan_year", "care_expense_yuan_year"):
            amount = _money(getattr(self, name), name)
            object.__setattr__(self, name, amount)
        for name in ("extra_housing_units", "residence_months"):
            number = getattr(self, name)
            if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                raise ValueError(f"{name} must be a whole number of at least 0, got {number!r}")

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class DimensionScore:
    """One dimension of hardship: 0..100 (higher = more hardship), why, and the numbers it used."""

    dimension: str
    score: int
    explanation_en: str
    explanation_zh: str
    facts: dict = field(hash=False)


@dataclass(frozen=True)
class Assessment:
    """The household's scores on every dimension, under one rule set."""

    dimensions: tuple[DimensionScore, ...]
    rule_version: str

    @property
    def scores(self) -> dict[str, int]:
        return {d.dimension: d.score for d in self.dimensions}

    def dimension(self, name: str) -> DimensionScore:
        for score in self.dimensions:
            if score.dimension == name:
                return score
        raise KeyError(f"no dimension {name!r}; dimensions are {', '.join(DIMENSIONS)}")


# --- income arithmetic shared by assessment and eligibility --------------------------------------------------------

def per_capita_monthly_income(facts: HouseholdFacts) -> Decimal:
    return facts.monthly_income_yuan / facts.size


def per_capita_annual_income(facts: HouseholdFacts) -> Decimal:
    return facts.monthly_income_yuan * MONTHS_PER_YEAR / facts.size


def annual_income(facts: HouseholdFacts) -> Decimal:
    return facts.monthly_income_yuan * MONTHS_PER_YEAR


def rigid_expenditure_year(facts: HouseholdFacts) -> Decimal:
    return facts.medical_expense_yuan_year + facts.education_expense_yuan_year + facts.care_expense_yuan_year


def rigid_share(facts: HouseholdFacts) -> Decimal | None:
    """Rigid expenditure over household income; None when there is no income (the share is undefined)."""
    income = annual_income(facts)
    return None if income == 0 else rigid_expenditure_year(facts) / income


def remaining_per_capita_monthly_income(facts: HouseholdFacts) -> Decimal:
    """Per-capita monthly income left after rigid expenditure (negative when spending exceeds income)."""
    return (annual_income(facts) - rigid_expenditure_year(facts)) / MONTHS_PER_YEAR / facts.size


def remaining_per_capita_annual_income(facts: HouseholdFacts) -> Decimal:
    return (annual_income(facts) - rigid_expenditure_year(facts)) / facts.size


def savings_per_capita(facts: HouseholdFacts) -> Decimal:
    return facts.savings_yuan / facts.size


def dibao_standard(rules: RuleSet) -> Decimal:
    return rules.decimal("dibao", "standard_yuan_per_person_month")


def is_minor(member: Member, rules: RuleSet) -> bool:
    return member.age < rules.integer("definitions", "minor_age_below")


def is_elderly(member: Member, rules: RuleSet) -> bool:
    return member.age >= rules.integer("definitions", "elderly_age_from")


def is_working_age(member: Member, rules: RuleSet) -> bool:
    return not is_minor(member, rules) and not is_elderly(member, rules)


# --- formatting shared by every explanation -----------------------------------------------------------------------

def yuan(amount: Decimal) -> str:
    """¥1,234.50 (English text)."""
    value = Decimal(amount).quantize(_CENT, ROUND_HALF_UP)
    return f"-¥{-value:,.2f}" if value < 0 else f"¥{value:,.2f}"


def yuan_zh(amount: Decimal) -> str:
    """1234.50元 (Chinese text)."""
    return f"{Decimal(amount).quantize(_CENT, ROUND_HALF_UP):.2f}元"


def percent(share: Decimal) -> str:
    """0.5 -> 50.0%."""
    return f"{(Decimal(share) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def whole(value: Decimal) -> int:
    return int(Decimal(value).quantize(Decimal(1), ROUND_HALF_UP))


def clamp_score(value: Decimal) -> int:
    return max(0, min(100, whole(value)))


# --- the assessment ---------------------------------------------------------------------------------------------

def assess(facts: HouseholdFacts, rules: RuleSet) -> Assessment:
    """Scores the household on every dimension in DIMENSIONS, with the rule set's version."""
    scorers = (_income, _assets, _rigid_expenditure, _labour_capacity, _disability, _health, _dependants,
               _housing_safety, _guarantees)
    return Assessment(tuple(scorer(facts, rules) for scorer in scorers), rules.version)


def _income(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    per_capita, standard = per_capita_monthly_income(facts), dibao_standard(rules)
    factor = rules.decimal("assessment", "income_zero_score_factor_of_dibao_standard")
    zero_line = standard * factor
    score = clamp_score(100 * (1 - per_capita / zero_line))
    return DimensionScore(
        "income", score,
        f"Per-capita income is {yuan(per_capita)} a month ({yuan(facts.monthly_income_yuan)} for {facts.size} "
        f"members), {percent(per_capita / standard)} of the local dibao standard of {yuan(standard)}; the score "
        f"falls from 100 at no income to 0 at {yuan(zero_line)} ({factor} × the standard).",
        f"家庭月收入{yuan_zh(facts.monthly_income_yuan)}，共{facts.size}人，月人均收入{yuan_zh(per_capita)}，"
        f"为当地低保标准{yuan_zh(standard)}的{percent(per_capita / standard)}；收入为零时得100分，"
        f"达到{yuan_zh(zero_line)}（低保标准的{factor}倍）时得0分。",
        {"per_capita_monthly_income_yuan": per_capita, "dibao_standard_yuan": standard,
         "zero_score_line_yuan": zero_line})


def _assets(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    standard = dibao_standard(rules)
    months = rules.decimal("dibao", "assets", "savings_limit_months_of_standard_per_person")
    savings_limit = standard * months
    vehicle_limit = rules.decimal("dibao", "assets", "vehicle_value_limit_yuan")
    housing_limit = rules.integer("dibao", "assets", "extra_housing_units_limit")
    business_allowed = rules.flag("dibao", "assets", "business_ownership_allowed")
    per_capita = savings_per_capita(facts)
    over_en, over_zh = [], []
    if facts.vehicles_value_yuan > vehicle_limit:
        over_en.append(f"vehicles worth {yuan(facts.vehicles_value_yuan)} exceed the limit of {yuan(vehicle_limit)}")
        over_zh.append(f"车辆价值{yuan_zh(facts.vehicles_value_yuan)}超过限额{yuan_zh(vehicle_limit)}")
    if facts.owns_business and not business_allowed:
        over_en.append("the household owns a business")
        over_zh.append("家庭拥有经营实体")
    if facts.extra_housing_units > housing_limit:
        over_en.append(f"{facts.extra_housing_units} extra housing unit(s) exceed the limit of {housing_limit}")
        over_zh.append(f"另有住房{facts.extra_housing_units}套，超过限额{housing_limit}套")
    score = 0 if over_en else clamp_score(100 * (1 - per_capita / savings_limit))
    savings_en = (f"Savings are {yuan(per_capita)} per person against a limit of {yuan(savings_limit)} "
                  f"({months} months of the dibao standard)")
    savings_zh = f"人均存款{yuan_zh(per_capita)}，限额为{yuan_zh(savings_limit)}（{months}个月低保标准）"
    if over_en:
        en = f"{savings_en}, but {'; '.join(over_en)}, so assets show no hardship."
        zh = f"{savings_zh}，但{'；'.join(over_zh)}，财产维度不计困难分。"
    else:
        en = (f"{savings_en}; vehicles worth {yuan(facts.vehicles_value_yuan)} are within the limit of "
              f"{yuan(vehicle_limit)}, with no business and {facts.extra_housing_units} extra housing unit(s).")
        zh = (f"{savings_zh}；车辆价值{yuan_zh(facts.vehicles_value_yuan)}，未超过限额{yuan_zh(vehicle_limit)}，"
              f"无经营实体，另有住房{facts.extra_housing_units}套。")
    return DimensionScore("assets", score, en, zh, {
        "savings_per_capita_yuan": per_capita, "savings_limit_per_capita_yuan": savings_limit,
        "vehicles_value_yuan": facts.vehicles_value_yuan, "vehicle_value_limit_yuan": vehicle_limit,
        "owns_business": facts.owns_business, "extra_housing_units": facts.extra_housing_units,
        "limits_exceeded": len(over_en)})


def _rigid_expenditure(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    rigid, income = rigid_expenditure_year(facts), annual_income(facts)
    share = rigid_share(facts)
    threshold = rules.decimal("rigid_expense", "expense_share_of_income_threshold")
    parts_en = (f"medical {yuan(facts.medical_expense_yuan_year)}, education {yuan(facts.education_expense_yuan_year)}, "
                f"care {yuan(facts.care_expense_yuan_year)}")
    parts_zh = (f"医疗{yuan_zh(facts.medical_expense_yuan_year)}、教育{yuan_zh(facts.education_expense_yuan_year)}、"
                f"照护{yuan_zh(facts.care_expense_yuan_year)}")
    if share is None:
        score = 100 if rigid > 0 else 0
        en = (f"Rigid expenditure is {yuan(rigid)} a year ({parts_en}) with no household income, against a "
              f"rigid-expenditure threshold of {percent(threshold)} of income.")
        zh = f"家庭年刚性支出{yuan_zh(rigid)}（{parts_zh}），家庭无收入；刚性支出困难认定比例为超过收入的{percent(threshold)}。"
    else:
        score = clamp_score(100 * share)
        en = (f"Rigid expenditure is {yuan(rigid)} a year ({parts_en}), {percent(share)} of the household income of "
              f"{yuan(income)} a year, against a rigid-expenditure threshold of {percent(threshold)}.")
        zh = (f"家庭年刚性支出{yuan_zh(rigid)}（{parts_zh}），占家庭年收入{yuan_zh(income)}的{percent(share)}；"
              f"刚性支出困难认定比例为超过{percent(threshold)}。")
    return DimensionScore("rigid_expenditure", score, en, zh, {
        "rigid_expenditure_yuan_year": rigid, "annual_income_yuan": income, "share": share, "threshold": threshold})


def _labour_capacity(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    weights = {"full": Decimal(1), "partial": rules.decimal("assessment", "partial_labour_weight"), "none": Decimal(0)}
    working_age = [m for m in facts.members if is_working_age(m, rules)]
    units = sum((weights[m.labour_capacity] for m in working_age), Decimal(0))
    full = sum(m.labour_capacity == "full" for m in working_age)
    partial = sum(m.labour_capacity == "partial" for m in working_age)
    score = clamp_score(100 * (1 - units / facts.size))
    low, high = rules.integer("definitions", "minor_age_below"), rules.integer("definitions", "elderly_age_from")
    return DimensionScore(
        "labour_capacity", score,
        f"{len(working_age)} of {facts.size} members are of working age ({low} to {high - 1}); {full} with full and "
        f"{partial} with partial labour capacity make {units} labour units for {facts.size} people "
        f"(partial capacity counts {weights['partial']}).",
        f"家庭{facts.size}人中劳动年龄（{low}至{high - 1}岁）成员{len(working_age)}人，其中完全劳动能力{full}人、"
        f"部分劳动能力{partial}人，折合劳动力{units}个（部分劳动能力按{weights['partial']}计）。",
        {"members": facts.size, "working_age": len(working_age), "full": full, "partial": partial,
         "labour_units": units})


def _disability(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    grade_scores = {int(k): int(v) for k, v in rules.value("assessment", "disability_grade_scores").items()}
    grades = sorted(m.disability_grade for m in facts.members if m.disability_grade is not None)
    if not grades:
        return DimensionScore("disability", 0, f"None of the {facts.size} members has a registered disability.",
                              f"家庭{facts.size}名成员均无登记残疾。", {"disabled_members": 0, "most_severe_grade": None})
    worst = grades[0]
    score = grade_scores[worst]
    return DimensionScore(
        "disability", score,
        f"{len(grades)} of {facts.size} members have a registered disability; the most severe is grade {worst} "
        f"(grade 1 is the most severe), which scores {score}.",
        f"家庭{facts.size}名成员中{len(grades)}人有登记残疾，最重为{worst}级（1级最重），得{score}分。",
        {"disabled_members": len(grades), "most_severe_grade": worst})


def _health(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    ill = sum(m.chronic_illness for m in facts.members)
    score = clamp_score(Decimal(100) * ill / facts.size)
    return DimensionScore(
        "health", score,
        f"{ill} of {facts.size} members have a chronic illness; medical spending is {yuan(facts.medical_expense_yuan_year)} "
        f"a year.",
        f"家庭{facts.size}名成员中{ill}人患慢性病，年医疗支出{yuan_zh(facts.medical_expense_yuan_year)}。",
        {"chronically_ill_members": ill, "medical_expense_yuan_year": facts.medical_expense_yuan_year})


def _dependants(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    children = sum(is_minor(m, rules) for m in facts.members)
    elderly = sum(is_elderly(m, rules) for m in facts.members)
    low, high = rules.integer("definitions", "minor_age_below"), rules.integer("definitions", "elderly_age_from")
    score = clamp_score(Decimal(100) * (children + elderly) / facts.size)
    return DimensionScore(
        "dependants", score,
        f"{children} child(ren) under {low} and {elderly} elderly member(s) aged {high} or older make "
        f"{children + elderly} dependants in a household of {facts.size}.",
        f"家庭{facts.size}人中有未满{low}周岁的儿童{children}人、{high}周岁以上老人{elderly}人，共{children + elderly}名被抚养人。",
        {"children": children, "elderly": elderly, "members": facts.size})


def _housing_safety(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    unsafe = not facts.housing_safe or not facts.guarantees.safe_housing
    if unsafe:
        en = "The dwelling was found unsafe, so the safe-housing guarantee is not met: 100 of 100."
        zh = "经核查住房不安全，住房安全保障未落实，得100分（满分100分）。"
    else:
        en = "The dwelling was found safe, which scores 0 (an unsafe dwelling scores 100)."
        zh = "经核查住房安全，得0分（住房不安全得100分）。"
    return DimensionScore("housing_safety", 100 if unsafe else 0, en, zh, {
        "housing_safe": facts.housing_safe, "safe_housing_guarantee": facts.guarantees.safe_housing})


def _guarantees(facts: HouseholdFacts, rules: RuleSet) -> DimensionScore:
    missing = facts.guarantees.missing()
    total = len(GUARANTEE_ITEMS)
    score = clamp_score(Decimal(100) * len(missing) / total)
    if missing:
        en = (f"{len(missing)} of the {total} basic guarantees are not secured: "
              f"{', '.join(item[1] for item in missing)}.")
        zh = f"“两不愁三保障”及饮水安全{total}项中有{len(missing)}项未保障：{'、'.join(item[2] for item in missing)}。"
    else:
        en = (f"All {total} basic guarantees (food, clothing, compulsory education, basic medical care, safe housing, "
              f"drinking water) are secured.")
        zh = f"“两不愁三保障”及饮水安全{total}项均已保障。"
    return DimensionScore("guarantees", score, en, zh, {"missing": tuple(item[0] for item in missing), "total": total})


def _money(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float, str)):
        raise ValueError(f"{name} must be an amount in yuan, got {value!r}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"{name} must be an amount in yuan, got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a finite amount of at least 0, got {value!r}")
    return amount
