"""Independent eligibility per assistance programme, with one bilingual reason for every criterion checked.

Every programme has its own criteria; a household can qualify for several at once. A result is eligible when every
required reason passed and, if the programme has alternative reasons (marked ``alternative``), at least one of those
passed. A programme that can be reached in more than one way (temporary assistance) marks the reasons of each way
with a ``route``: then the reasons without a route must pass as above, and so must every reason of at least one
route (its required ones, and one of its alternatives if it has any). Parameters are named ``<programme>.<key>`` in
the rule set (see rules.py); none is written in this code.

Comparisons follow the wording of the policies: income "below" a line is strict (<); an expense share "above" a
threshold is strict (>); assets "not exceeding" a limit allow equality (<=); residence "after N months" means at
least N months (>=).

No household-registration (hukou) condition exists anywhere: each programme asks for ``<programme>.residence_months``
months of residence instead. ``decide(..., emergency=True)`` waives that requirement, and only that one, for the
programmes in ``emergency.waives_residence_for``: by default temporary assistance alone, because urgent-need temporary
assistance (急难型临时救助) is given first where the emergency happens (先行救助), while dibao, tekun and the others keep
their residence requirement in an emergency.

Asset tests (``<programme>.assets``) are one shared set of checks, each applied when the programme's block has its
key: savings per person (``savings_limit_months_of_standard_per_person`` × dibao standard, not exceeded), vehicle
value (``vehicle_value_limit_yuan``, not exceeded), other housing units (``extra_housing_units_limit``, not exceeded),
and three yes/no ones allowed only when the rule says so: a business or registered company
(``business_ownership_allowed``), commercial property (``commercial_property_allowed``) and a member on the public
payroll (``public_payroll_member_allowed``).

Programmes, evaluated in this order (a later one may depend on an earlier one):
- ``tekun`` (extreme-poverty support): every member elderly (from ``definitions.elderly_age_from``), a minor (under
  ``definitions.minor_age_below``) or disabled; every member without labour capacity (elderly, minor, disability grade
  in ``tekun.no_labour_capacity_disability_grades``, or assessed "none"); no income source (per-capita income below
  ``tekun.income_limit_factor_of_dibao_standard`` × dibao standard); assets within ``tekun.assets``; no legal
  supporter able to support them.
- ``dibao`` (minimum living guarantee): per-capita monthly income below ``dibao.standard_yuan_per_person_month``;
  assets within ``dibao.assets``; not eligible for a programme in ``dibao.excluded_if_eligible_for`` (tekun).
- ``near_dibao``: per-capita income below ``near_dibao.income_factor_of_dibao_standard`` × dibao standard; assets
  within ``near_dibao.assets``; not eligible for tekun or dibao.
- ``rigid_expense``: per-capita annual income below ``income_cap_share_of_reference_income`` × the reference rural
  disposable income; assets within its limits; not tekun, dibao or near_dibao; and either alternative: per-capita
  income left after medical, education and care spending below ``remaining_income_factor_of_dibao_standard`` ×
  dibao standard, or that spending above ``expense_share_of_income_threshold`` of household income.
- ``monitoring`` (relapse prevention): not on the provinces' negative list (``monitoring.assets``: vehicle value,
  commercial property, business, a member on the public payroll, other housing); and alternatives giving the
  category: ``unstable`` (formerly poor, and income below ``monitoring.line_yuan_per_person_year`` or unstable and
  below ``unstable_income_factor_of_line`` × line),
  ``marginal`` (the same income test, not formerly poor), ``sudden`` (sudden hardship, and per-capita annual income
  after rigid expenditure below the line). When several match, ``monitoring.category_precedence`` picks one.
- ``temporary``, by either route: ``sudden`` — sudden hardship, and either income left after rigid expenditure below
  ``temporary.remaining_income_factor_of_dibao_standard`` × dibao standard, or food, clothing, safe housing or
  drinking water not secured; or ``bridging`` (when ``temporary.bridging.enabled``) — the household meets every
  criterion of a programme in ``temporary.bridging.programmes`` except its residence requirement and qualifies for
  none of them yet: temporary assistance covers those whom other programmes cannot yet cover (其他社会救助制度暂时无法覆盖).
- ``medical``: a chronically ill member or medical spending; and either eligible for a programme in
  ``medical.covered_programmes``, or out-of-pocket medical spending above ``catastrophic_share_of_reference_income``
  (``formerly_poor_share_of_reference_income`` for formerly poor households) × the reference income.
- ``education``: a member in compulsory or higher education; and either a covered programme, or education spending
  above ``education.expense_share_of_income_threshold`` of household income.
- ``housing``: an unsafe dwelling; no more than ``housing.extra_housing_units_limit`` other housing units; a covered
  programme.
- ``employment``: a working-age member able to work (full or partial) who has no job and is not studying; a covered
  programme (temporary included, so temporary recipients also get training and referral).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace

from identification.domain.assessment import (
    Assessment,
    HouseholdFacts,
    Member,
    annual_income,
    assess,
    dibao_standard,
    is_elderly,
    is_minor,
    is_working_age,
    per_capita_annual_income,
    per_capita_monthly_income,
    percent,
    remaining_per_capita_annual_income,
    remaining_per_capita_monthly_income,
    rigid_expenditure_year,
    rigid_share,
    savings_per_capita,
    yuan,
    yuan_zh,
)
from identification.domain.rules import ASSET_TESTS, PROGRAMMES, RuleSet

PROGRAMME_NAMES: dict[str, tuple[str, str]] = {
    "tekun": ("extreme-poverty support (tekun)", "特困人员救助供养"),
    "dibao": ("minimum living guarantee (dibao)", "最低生活保障"),
    "near_dibao": ("near-poverty household (near dibao)", "低保边缘家庭"),
    "rigid_expense": ("rigid-expenditure hardship household", "刚性支出困难家庭"),
    "monitoring": ("relapse-prevention monitoring", "防止返贫监测"),
    "temporary": ("temporary assistance", "临时救助"),
    "medical": ("medical assistance", "医疗救助"),
    "education": ("education assistance", "教育救助"),
    "housing": ("housing assistance", "住房救助"),
    "employment": ("employment assistance", "就业救助"),
}
# The guarantees whose absence makes a sudden hardship an emergency for temporary assistance.
_BASIC_NEEDS = ("food", "clothing", "safe_housing", "drinking_water")
CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "unstable": ("unstable household formerly lifted out of poverty", "脱贫不稳定户"),
    "marginal": ("marginal household at risk of poverty", "边缘易致贫户"),
    "sudden": ("household in sudden severe hardship", "突发严重困难户"),
}


@dataclass(frozen=True)
class Reason:
    """One criterion checked for one programme, passed or not, explained with the numbers compared."""

    code: str
    passed: bool
    en: str
    zh: str
    waived: bool = False        # passed only because an emergency waived it
    alternative: bool = False   # one of several; the programme (or its route) needs at least one alternative to pass
    route: str | None = None    # one of several ways to the programme; None: needed whichever way


@dataclass(frozen=True)
class ProgrammeResult:
    programme: str
    eligible: bool
    category: str | None
    reasons: tuple[Reason, ...]

    @property
    def failed(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if not r.passed)

    @property
    def unmet(self) -> tuple[Reason, ...]:
        """What keeps the programme from passing, in reason order (empty when it passes): every failed required
        reason, and the alternatives of a group none of which passed; when no route passed, those of every route."""
        if self.eligible:
            return ()
        groups = [tuple(r for r in self.reasons if r.route is None)]
        routes = _routes(self.reasons)
        if routes and not any(_group_passes(group) for group in routes.values()):
            groups += routes.values()
        stopping = {id(r) for group in groups for r in _group_unmet(group)}
        return tuple(r for r in self.reasons if id(r) in stopping)

    @property
    def routes(self) -> tuple[str, ...]:
        """The routes (ways to the programme) whose every reason passed, in the order the reasons list them."""
        return tuple(route for route, reasons in _routes(self.reasons).items() if _group_passes(reasons))


@dataclass(frozen=True)
class Decision:
    """Eligibility for every programme under one rule set, with the assessment it rests on."""

    programmes: tuple[ProgrammeResult, ...]
    eligible: tuple[str, ...]
    categories: dict[str, str] = field(hash=False)
    scores: dict[str, int] = field(hash=False)
    rule_version: str
    explanation_en: str
    explanation_zh: str
    emergency: bool = False
    assessment: Assessment | None = None

    def result(self, programme: str) -> ProgrammeResult:
        for result in self.programmes:
            if result.programme == programme:
                return result
        raise KeyError(f"no programme {programme!r}; programmes are {', '.join(PROGRAMMES)}")


def decide(facts: HouseholdFacts, rules: RuleSet, *, emergency: bool = False) -> Decision:
    """Eligibility for every programme in PROGRAMMES; ``emergency`` waives the residence requirement of the programmes
    in ``emergency.waives_residence_for`` and nothing else."""
    results: dict[str, ProgrammeResult] = {}
    for programme in PROGRAMMES:
        reasons = _CRITERIA[programme](facts, rules, emergency, results)
        category = _monitoring_category(reasons, rules) if programme == "monitoring" else None
        results[programme] = ProgrammeResult(programme, _passes(reasons), category if _passes(reasons) else None,
                                             reasons)
    programmes = tuple(results[p] for p in PROGRAMMES)
    eligible = tuple(r.programme for r in programmes if r.eligible)
    categories = {r.programme: r.category for r in programmes if r.eligible and r.category}
    assessment = assess(facts, rules)
    en, zh = _summary(programmes, categories, rules, emergency)
    return Decision(programmes, eligible, categories, assessment.scores, rules.version, en, zh, emergency, assessment)


def programme_name(programme: str, category: str | None = None) -> tuple[str, str]:
    """English and Chinese name of a programme, with its category if any."""
    en, zh = PROGRAMME_NAMES[programme]
    if category:
        cat_en, cat_zh = CATEGORY_NAMES[category]
        return f"{en}: {cat_en}", f"{zh}（{cat_zh}）"
    return en, zh


# --- the criteria of each programme ----------------------------------------------------------------------------

Criteria = Callable[[HouseholdFacts, RuleSet, bool, dict[str, ProgrammeResult]], tuple[Reason, ...]]


def _tekun(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    grades = set(rules.value("tekun", "no_labour_capacity_disability_grades"))
    elderly_age = rules.integer("definitions", "elderly_age_from")
    minor_age = rules.integer("definitions", "minor_age_below")
    in_group = [m for m in facts.members if is_elderly(m, rules) or is_minor(m, rules)
                or m.disability_grade is not None]
    unable = [m for m in facts.members if _without_labour_capacity(m, rules, grades)]
    factor = rules.decimal("tekun", "income_limit_factor_of_dibao_standard")
    limit = factor * dibao_standard(rules)
    per_capita = per_capita_monthly_income(facts)
    grade_list = ", ".join(str(g) for g in sorted(grades))
    grade_list_zh = "、".join(str(g) for g in sorted(grades))
    supporter = facts.has_legal_supporter_able_to_support
    return (
        _residence("tekun", facts, rules, emergency),
        Reason("elderly_disabled_or_minor", len(in_group) == facts.size,
               f"{len(in_group)} of {facts.size} members are elderly ({elderly_age} or older), minors (under "
               f"{minor_age}) or disabled; extreme-poverty support requires all of them to be.",
               f"家庭{facts.size}名成员中{len(in_group)}人为老年人（{elderly_age}周岁以上）、未成年人（未满{minor_age}周岁）"
               f"或残疾人；特困供养要求全部成员均属此类。"),
        Reason("no_labour_capacity", len(unable) == facts.size,
               f"{len(unable)} of {facts.size} members have no labour capacity (elderly, minor, disability grade "
               f"{grade_list}, or assessed as unable to work); all of them must have none.",
               f"家庭{facts.size}名成员中{len(unable)}人无劳动能力（老年人、未成年人、{grade_list_zh}级残疾或经评估无劳动能力）；"
               f"特困供养要求全部成员无劳动能力。"),
        Reason("no_income_source", per_capita < limit,
               f"Per-capita income is {yuan(per_capita)} a month; having no income source means below {yuan(limit)} "
               f"({factor} × the dibao standard).",
               f"月人均收入{yuan_zh(per_capita)}；无生活来源指低于{yuan_zh(limit)}（低保标准的{factor}倍）。"),
        *_asset_reasons("tekun", facts, rules),
        Reason("no_able_supporter", not supporter,
               "A legal supporter able to support the household exists." if supporter
               else "No legal supporter (a person obliged by law to support them) is able to do so.",
               "有具备赡养、抚养、扶养能力的法定义务人。" if supporter
               else "无法定赡养、抚养、扶养义务人，或其法定义务人无履行义务能力。"),
    )


def _dibao(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    standard, per_capita = dibao_standard(rules), per_capita_monthly_income(facts)
    return (
        _residence("dibao", facts, rules, emergency),
        Reason("income_below_standard", per_capita < standard,
               f"Per-capita income is {yuan(per_capita)} a month ({yuan(facts.monthly_income_yuan)} for "
               f"{facts.size} members); the dibao standard is {yuan(standard)}, and income must be below it.",
               f"家庭月收入{yuan_zh(facts.monthly_income_yuan)}，共{facts.size}人，月人均收入{yuan_zh(per_capita)}；"
               f"低保标准为{yuan_zh(standard)}，须低于该标准。"),
        *_asset_reasons("dibao", facts, rules),
        *_exclusions("dibao", rules, results),
    )


def _near_dibao(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    standard, per_capita = dibao_standard(rules), per_capita_monthly_income(facts)
    factor = rules.decimal("near_dibao", "income_factor_of_dibao_standard")
    line = factor * standard
    return (
        _residence("near_dibao", facts, rules, emergency),
        Reason("income_below_near_dibao_line", per_capita < line,
               f"Per-capita income is {yuan(per_capita)} a month; the near-poverty line is {yuan(line)} "
               f"({factor} × the dibao standard of {yuan(standard)}), and income must be below it.",
               f"月人均收入{yuan_zh(per_capita)}；低保边缘认定线为{yuan_zh(line)}（低保标准{yuan_zh(standard)}的{factor}倍），"
               f"须低于该线。"),
        *_asset_reasons("near_dibao", facts, rules),
        *_exclusions("near_dibao", rules, results),
    )


def _rigid_expense(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    reference = rules.decimal("reference", "rural_disposable_income_yuan_per_person_year")
    cap_share = rules.decimal("rigid_expense", "income_cap_share_of_reference_income")
    cap = cap_share * reference
    per_capita_year = per_capita_annual_income(facts)
    factor = rules.decimal("rigid_expense", "remaining_income_factor_of_dibao_standard")
    line = factor * dibao_standard(rules)
    remaining = remaining_per_capita_monthly_income(facts)
    rigid, income, share = rigid_expenditure_year(facts), annual_income(facts), rigid_share(facts)
    threshold = rules.decimal("rigid_expense", "expense_share_of_income_threshold")
    share_passed = rigid > 0 if share is None else share > threshold
    share_en = "with no household income" if share is None else f"{percent(share)} of household income of {yuan(income)}"
    share_zh = "家庭无收入" if share is None else f"占家庭年收入{yuan_zh(income)}的{percent(share)}"
    return (
        _residence("rigid_expense", facts, rules, emergency),
        Reason("income_below_cap", per_capita_year < cap,
               f"Per-capita income is {yuan(per_capita_year)} a year; it must be below {yuan(cap)} ({cap_share} × "
               f"the reference rural disposable income of {yuan(reference)}).",
               f"年人均收入{yuan_zh(per_capita_year)}；须低于{yuan_zh(cap)}（参照农村居民人均可支配收入{yuan_zh(reference)}"
               f"的{cap_share}倍）。"),
        *_asset_reasons("rigid_expense", facts, rules),
        *_exclusions("rigid_expense", rules, results),
        Reason("remaining_income_below_line", remaining < line,
               f"After rigid expenditure of {yuan(rigid)} a year, per-capita income is {yuan(remaining)} a month; "
               f"the line is {yuan(line)} ({factor} × the dibao standard).",
               f"扣除年刚性支出{yuan_zh(rigid)}后，月人均收入{yuan_zh(remaining)}；认定线为{yuan_zh(line)}（低保标准的{factor}倍）。",
               alternative=True),
        Reason("expense_share_above_threshold", share_passed,
               f"Rigid expenditure of {yuan(rigid)} a year is {share_en}; the threshold is above {percent(threshold)}.",
               f"年刚性支出{yuan_zh(rigid)}，{share_zh}；认定比例为超过{percent(threshold)}。",
               alternative=True),
    )


def _monitoring(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    line = rules.decimal("monitoring", "line_yuan_per_person_year")
    factor = rules.decimal("monitoring", "unstable_income_factor_of_line")
    risk_line = factor * line
    per_capita = per_capita_annual_income(facts)
    below_line = per_capita < line
    unstable_below_risk = facts.income_unstable and per_capita < risk_line
    income_at_risk = below_line or unstable_below_risk
    stability = "unstable" if facts.income_unstable else "stable"
    income_en = (f"per-capita income is {yuan(per_capita)} a year against the monitoring line of {yuan(line)}"
                 f"{'' if below_line else ' (not below it)'}; income is {stability}, "
                 f"and unstable income counts below {yuan(risk_line)} ({factor} × the line)")
    income_zh = (f"年人均收入{yuan_zh(per_capita)}，监测线为{yuan_zh(line)}{'' if below_line else '（未低于监测线）'}；"
                 f"收入{'不稳定' if facts.income_unstable else '稳定'}，收入不稳定的以{yuan_zh(risk_line)}（监测线的{factor}倍）为限")
    remaining = remaining_per_capita_annual_income(facts)
    rigid = rigid_expenditure_year(facts)
    poor_en = "formerly poor" if facts.formerly_poor else "not formerly poor"
    poor_zh = "脱贫户" if facts.formerly_poor else "非脱贫户"
    return (
        _residence("monitoring", facts, rules, emergency),
        *_asset_reasons("monitoring", facts, rules),
        Reason("unstable", facts.formerly_poor and income_at_risk,
               f"Unstable formerly-poor household: the household is {poor_en}; {income_en}.",
               f"脱贫不稳定户：该户为{poor_zh}；{income_zh}。", alternative=True),
        Reason("marginal", not facts.formerly_poor and income_at_risk,
               f"Marginal household at risk: the household is {poor_en}; {income_en}.",
               f"边缘易致贫户：该户为{poor_zh}；{income_zh}。", alternative=True),
        Reason("sudden", facts.sudden_hardship and remaining < line,
               f"Sudden severe hardship: {'a' if facts.sudden_hardship else 'no'} sudden hardship was reported; "
               f"after rigid expenditure of {yuan(rigid)} a year, per-capita income is {yuan(remaining)} a year "
               f"against the monitoring line of {yuan(line)}.",
               f"突发严重困难户：{'发生突发严重困难' if facts.sudden_hardship else '未发生突发严重困难'}；扣除年刚性支出{yuan_zh(rigid)}后，"
               f"年人均收入{yuan_zh(remaining)}，监测线为{yuan_zh(line)}。", alternative=True),
    )


def _temporary(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    factor = rules.decimal("temporary", "remaining_income_factor_of_dibao_standard")
    line = factor * dibao_standard(rules)
    remaining = remaining_per_capita_monthly_income(facts)
    basic = [item for item in facts.guarantees.missing() if item[0] in _BASIC_NEEDS]
    if not facts.housing_safe and not any(item[0] == "safe_housing" for item in basic):
        basic.append(("safe_housing", "safe housing", "住房安全"))
    bridging = (_bridging(facts, rules, results),) if rules.flag("temporary", "bridging", "enabled") else ()
    return (
        _residence("temporary", facts, rules, emergency),
        Reason("sudden_hardship", facts.sudden_hardship,
               "A sudden hardship (accident, illness, disaster or similar) was reported." if facts.sudden_hardship
               else "No sudden hardship (accident, illness, disaster or similar) was reported.",
               "发生意外事故、疾病、灾害等突发困难。" if facts.sudden_hardship else "未发生意外事故、疾病、灾害等突发困难。",
               route="sudden"),
        Reason("remaining_income_below_line", remaining < line,
               f"After rigid expenditure, per-capita income is {yuan(remaining)} a month; the line is {yuan(line)} "
               f"({factor} × the dibao standard).",
               f"扣除刚性支出后月人均收入{yuan_zh(remaining)}；认定线为{yuan_zh(line)}（低保标准的{factor}倍）。",
               alternative=True, route="sudden"),
        Reason("basic_needs_unmet", bool(basic),
               f"Basic needs not secured: {', '.join(item[1] for item in basic)}." if basic
               else "Food, clothing, safe housing and drinking water are all secured.",
               f"基本生活未保障：{'、'.join(item[2] for item in basic)}。" if basic else "吃、穿、住房安全、饮水均已保障。",
               alternative=True, route="sudden"),
        *bridging,
    )


def _bridging(facts: HouseholdFacts, rules: RuleSet, results: dict[str, ProgrammeResult]) -> Reason:
    """Temporary assistance for a household that a programme in ``temporary.bridging.programmes`` cannot cover yet:
    it meets every criterion of that programme but residence, and qualifies for none of them."""
    bridged = rules.names("temporary", "bridging", "programmes")
    if not bridged:
        return Reason("bridging", False, "These rules name no programme for temporary assistance to bridge.",
                      "本规则未规定临时救助可过渡的救助项目。", route="bridging")
    listed_en = ", ".join(PROGRAMME_NAMES[p][0] for p in bridged)
    listed_zh = "、".join(PROGRAMME_NAMES[p][1] for p in bridged)
    covering = [p for p in bridged if results[p].eligible]
    if covering:
        names_en = ", ".join(PROGRAMME_NAMES[p][0] for p in covering)
        names_zh = "、".join(PROGRAMME_NAMES[p][1] for p in covering)
        return Reason("bridging", False,
                      f"No bridging is needed: the household qualifies for {names_en}.",
                      f"该户符合{names_zh}条件，无需临时救助过渡。", route="bridging")
    short = [p for p in bridged if _only_residence_failed(results[p])]
    if not short:
        return Reason("bridging", False,
                      f"Temporary assistance bridges a household that meets every criterion of {listed_en} but the "
                      f"residence requirement; the household does not (see the criteria of each).",
                      f"临时救助可为除居住期限外符合{listed_zh}全部条件的家庭提供过渡救助；该户不属于此情形（见各项目条件）。",
                      route="bridging")
    months = facts.residence_months
    parts_en = "; ".join(f"{PROGRAMME_NAMES[p][0]} requires {rules.integer(p, 'residence_months')}" for p in short)
    parts_zh = "；".join(f"{PROGRAMME_NAMES[p][1]}要求居住满{rules.integer(p, 'residence_months')}个月" for p in short)
    names_en = ", ".join(PROGRAMME_NAMES[p][0] for p in short)
    names_zh = "、".join(PROGRAMME_NAMES[p][1] for p in short)
    return Reason("bridging", True,
                  f"Temporary assistance bridges {names_en}: the household meets every criterion of "
                  f"{'each' if len(short) > 1 else 'it'} except "
                  f"residence (it has lived here {months} month(s); {parts_en}), so no other programme can cover it "
                  f"yet.",
                  f"临时救助为{names_zh}过渡：该户除居住期限外符合其全部条件（现居住{months}个月；{parts_zh}），"
                  f"属于其他社会救助制度暂时无法覆盖的情形。",
                  route="bridging")


def _only_residence_failed(result: ProgrammeResult) -> bool:
    """Whether the programme was refused on its residence requirement and would pass with it met."""
    residence = [r for r in result.reasons if r.code == "residence"]
    if result.eligible or not residence or residence[0].passed:
        return False
    met = tuple(dataclass_replace(r, passed=True) if r.code == "residence" else r for r in result.reasons)
    return _passes(met)


def _medical(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    ill = sum(m.chronic_illness for m in facts.members)
    spent = facts.medical_expense_yuan_year
    reference = rules.decimal("reference", "rural_disposable_income_yuan_per_person_year")
    key = "formerly_poor_share_of_reference_income" if facts.formerly_poor else "catastrophic_share_of_reference_income"
    share = rules.decimal("medical", key)
    threshold = share * reference
    who_en = "a formerly poor household" if facts.formerly_poor else "a household not formerly poor"
    who_zh = "脱贫户" if facts.formerly_poor else "非脱贫户"
    return (
        _residence("medical", facts, rules, emergency),
        Reason("medical_need", ill > 0 or spent > 0,
               f"{ill} member(s) have a chronic illness and medical spending is {yuan(spent)} a year.",
               f"{ill}名成员患慢性病，年医疗支出{yuan_zh(spent)}。"),
        _covered("medical", rules, results, alternative=True),
        Reason("catastrophic_expense", spent > threshold,
               f"Out-of-pocket medical spending of {yuan(spent)} a year must be above {yuan(threshold)} for {who_en} "
               f"({percent(share)} of the reference rural disposable income of {yuan(reference)}).",
               f"年个人自付医疗费用{yuan_zh(spent)}；{who_zh}须超过{yuan_zh(threshold)}"
               f"（农村居民人均可支配收入{yuan_zh(reference)}的{percent(share)}）。", alternative=True),
    )


def _education(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    compulsory = sum(m.in_compulsory_education for m in facts.members)
    higher = sum(m.in_higher_education for m in facts.members)
    spent, income = facts.education_expense_yuan_year, annual_income(facts)
    threshold = rules.decimal("education", "expense_share_of_income_threshold")
    share = None if income == 0 else spent / income
    share_passed = spent > 0 if share is None else share > threshold
    share_en = "with no household income" if share is None else f"{percent(share)} of household income of {yuan(income)}"
    share_zh = "家庭无收入" if share is None else f"占家庭年收入{yuan_zh(income)}的{percent(share)}"
    return (
        _residence("education", facts, rules, emergency),
        Reason("student_in_household", compulsory + higher > 0,
               f"{compulsory} member(s) in compulsory education and {higher} in higher education.",
               f"义务教育阶段{compulsory}人，高等教育阶段{higher}人。"),
        _covered("education", rules, results, alternative=True),
        Reason("education_expense_share_above_threshold", share_passed,
               f"Education spending of {yuan(spent)} a year is {share_en}; the threshold is above {percent(threshold)}.",
               f"年教育支出{yuan_zh(spent)}，{share_zh}；认定比例为超过{percent(threshold)}。", alternative=True),
    )


def _housing(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    unsafe = not facts.housing_safe or not facts.guarantees.safe_housing
    limit = rules.integer("housing", "extra_housing_units_limit")
    return (
        _residence("housing", facts, rules, emergency),
        Reason("dwelling_unsafe", unsafe,
               "The dwelling was found unsafe." if unsafe else "The dwelling was found safe.",
               "经核查住房不安全。" if unsafe else "经核查住房安全。"),
        Reason("no_other_dwelling", facts.extra_housing_units <= limit,
               f"The household has {facts.extra_housing_units} other housing unit(s); at most {limit} allowed.",
               f"家庭另有住房{facts.extra_housing_units}套；最多允许{limit}套。"),
        _covered("housing", rules, results),
    )


def _employment(facts: HouseholdFacts, rules: RuleSet, emergency: bool, results: dict) -> tuple[Reason, ...]:
    jobless = [m for m in facts.members if is_working_age(m, rules) and m.labour_capacity != "none"
               and not m.employed and not m.in_compulsory_education and not m.in_higher_education]
    low, high = rules.integer("definitions", "minor_age_below"), rules.integer("definitions", "elderly_age_from")
    return (
        _residence("employment", facts, rules, emergency),
        Reason("jobless_able_member", bool(jobless),
               f"{len(jobless)} member(s) aged {low} to {high - 1} can work (fully or partly) but have no job and "
               f"are not studying.",
               f"{low}至{high - 1}周岁有劳动能力（全部或部分）且未就业、未在校的成员{len(jobless)}人。"),
        _covered("employment", rules, results),
    )


_CRITERIA: dict[str, Criteria] = {
    "tekun": _tekun, "dibao": _dibao, "near_dibao": _near_dibao, "rigid_expense": _rigid_expense,
    "monitoring": _monitoring, "temporary": _temporary, "medical": _medical, "education": _education,
    "housing": _housing, "employment": _employment,
}


# --- criteria shared by several programmes ------------------------------------------------------------------------

def _residence(programme: str, facts: HouseholdFacts, rules: RuleSet, emergency: bool) -> Reason:
    required = rules.integer(programme, "residence_months")
    months = facts.residence_months
    name_en, name_zh = PROGRAMME_NAMES[programme]
    if emergency and programme in rules.names("emergency", "waives_residence_for"):
        return Reason("residence", True,
                      f"Residence of {months} month(s) is not checked in an emergency: {name_en} is given first where "
                      f"the emergency happens (it normally requires {required}); household registration is never "
                      f"required.",
                      f"急难情形下不审查居住期限：{name_zh}在急难发生地先行救助（通常要求居住满{required}个月，现居住{months}个月）；"
                      f"不以户籍为条件。",
                      waived=True)
    passed = months >= required
    en = (f"The household has lived here {months} month(s); {name_en} requires at least {required} "
          f"(household registration is not required).")
    zh = f"家庭在本地居住{months}个月；{name_zh}要求居住满{required}个月（不以户籍为条件）。"
    if emergency:
        scope = rules.names("emergency", "waives_residence_for")
        if scope:
            en += (f" An emergency does not waive this requirement: it waives only that of "
                   f"{', '.join(PROGRAMME_NAMES[p][0] for p in scope)}, given first where the emergency happens.")
            zh += (f"急难情形不免除该项目的居住期限要求，仅免除{'、'.join(PROGRAMME_NAMES[p][1] for p in scope)}"
                   f"的居住期限（在急难发生地先行救助）。")
        else:
            en += " An emergency does not waive this requirement: these rules waive none."
            zh += "急难情形不免除该项目的居住期限要求（本规则不免除任何项目的居住期限）。"
    return Reason("residence", passed, en, zh)


def _asset_reasons(programme: str, facts: HouseholdFacts, rules: RuleSet) -> tuple[Reason, ...]:
    """The asset tests whose keys the programme's ``assets`` block has, in ASSET_TESTS order."""
    block = rules.value(programme, "assets")
    return tuple(_ASSET_CHECKS[key](programme, facts, rules) for key in ASSET_TESTS if key in block)


def _savings(programme: str, facts: HouseholdFacts, rules: RuleSet) -> Reason:
    months = rules.decimal(programme, "assets", "savings_limit_months_of_standard_per_person")
    savings_limit = months * dibao_standard(rules)
    per_capita = savings_per_capita(facts)
    return Reason("savings_within_limit", per_capita <= savings_limit,
                  f"Savings are {yuan(per_capita)} per person ({yuan(facts.savings_yuan)} in all); the limit is "
                  f"{yuan(savings_limit)} per person ({months} months of the dibao standard).",
                  f"家庭存款{yuan_zh(facts.savings_yuan)}，人均{yuan_zh(per_capita)}；人均限额为{yuan_zh(savings_limit)}"
                  f"（{months}个月低保标准）。")


def _vehicles(programme: str, facts: HouseholdFacts, rules: RuleSet) -> Reason:
    vehicle_limit = rules.decimal(programme, "assets", "vehicle_value_limit_yuan")
    return Reason("vehicles_within_limit", facts.vehicles_value_yuan <= vehicle_limit,
                  f"Vehicles are worth {yuan(facts.vehicles_value_yuan)}; the limit is {yuan(vehicle_limit)}.",
                  f"车辆价值{yuan_zh(facts.vehicles_value_yuan)}；限额为{yuan_zh(vehicle_limit)}。")


def _extra_housing(programme: str, facts: HouseholdFacts, rules: RuleSet) -> Reason:
    housing_limit = rules.integer(programme, "assets", "extra_housing_units_limit")
    return Reason("extra_housing_within_limit", facts.extra_housing_units <= housing_limit,
                  f"The household has {facts.extra_housing_units} housing unit(s) besides its home; at most "
                  f"{housing_limit} allowed.",
                  f"家庭除自住房外另有住房{facts.extra_housing_units}套；最多允许{housing_limit}套。")


def _yes_no_asset(code: str, key: str, fact: str, has_en: str, none_en: str, has_zh: str, none_zh: str):
    """An asset that either disqualifies or, where the rule allows it (``key`` true), does not."""
    def check(programme: str, facts: HouseholdFacts, rules: RuleSet) -> Reason:
        allowed, has = rules.flag(programme, "assets", key), getattr(facts, fact)
        if not has:
            return Reason(code, True, f"{none_en}.", f"{none_zh}。")
        return Reason(code, allowed, f"{has_en}, which is {'allowed' if allowed else 'not allowed'}.",
                      f"{has_zh}，规则{'允许' if allowed else '不允许'}。")
    return check


_ASSET_CHECKS: dict[str, Callable[[str, HouseholdFacts, RuleSet], Reason]] = {
    "savings_limit_months_of_standard_per_person": _savings,
    "vehicle_value_limit_yuan": _vehicles,
    "business_ownership_allowed": _yes_no_asset(
        "no_business", "business_ownership_allowed", "owns_business",
        "The household owns a business", "The household owns no business", "家庭拥有经营实体", "家庭无经营实体"),
    "extra_housing_units_limit": _extra_housing,
    "commercial_property_allowed": _yes_no_asset(
        "no_commercial_property", "commercial_property_allowed", "owns_commercial_property",
        "The household owns commercial property (shops, offices or other business premises)",
        "The household owns no commercial property", "家庭拥有商铺、写字楼等商业用房", "家庭无商业用房"),
    "public_payroll_member_allowed": _yes_no_asset(
        "no_public_payroll_member", "public_payroll_member_allowed", "has_public_payroll_member",
        "A member is on the public payroll (paid from public funds)", "No member is on the public payroll",
        "家庭成员中有财政供养人员", "家庭成员中无财政供养人员"),
}


def _exclusions(programme: str, rules: RuleSet, results: dict[str, ProgrammeResult]) -> tuple[Reason, ...]:
    reasons = []
    for other in rules.names(programme, "excluded_if_eligible_for"):
        other_en, other_zh = PROGRAMME_NAMES[other]
        name_en, name_zh = PROGRAMME_NAMES[programme]
        qualifies = results[other].eligible
        reasons.append(Reason(
            f"not_{other}", not qualifies,
            f"The household {'qualifies' if qualifies else 'does not qualify'} for {other_en}, which takes the place "
            f"of {name_en}.",
            f"该户{'符合' if qualifies else '不符合'}{other_zh}条件；符合{other_zh}条件的不再认定为{name_zh}。"))
    return tuple(reasons)


def _covered(programme: str, rules: RuleSet, results: dict[str, ProgrammeResult], *, alternative: bool = False) -> Reason:
    covered = rules.names(programme, "covered_programmes")
    matched = [p for p in covered if results[p].eligible]
    listed_en = ", ".join(PROGRAMME_NAMES[p][0] for p in covered)
    listed_zh = "、".join(PROGRAMME_NAMES[p][1] for p in covered)
    if matched:
        en = (f"The household qualifies for {', '.join(PROGRAMME_NAMES[p][0] for p in matched)}; any of these counts: "
              f"{listed_en}.")
        zh = f"该户符合{'、'.join(PROGRAMME_NAMES[p][1] for p in matched)}条件（以下任一类别均可：{listed_zh}）。"
    else:
        en = f"The household qualifies for none of: {listed_en}."
        zh = f"该户不符合以下任一类别：{listed_zh}。"
    return Reason("low_income_household", bool(matched), en, zh, alternative=alternative)


def _without_labour_capacity(member: Member, rules: RuleSet, grades: set) -> bool:
    # The tekun rules deem the elderly, minors and the severely disabled unable to work, whatever the visit recorded.
    return (is_elderly(member, rules) or is_minor(member, rules) or member.disability_grade in grades
            or member.labour_capacity == "none")


def _passes(reasons: tuple[Reason, ...]) -> bool:
    common = tuple(r for r in reasons if r.route is None)
    routes = _routes(reasons)
    return _group_passes(common) and (not routes or any(_group_passes(group) for group in routes.values()))


def _group_passes(reasons: tuple[Reason, ...]) -> bool:
    alternatives = [r for r in reasons if r.alternative]
    required = [r for r in reasons if not r.alternative]
    return all(r.passed for r in required) and (not alternatives or any(r.passed for r in alternatives))


def _group_unmet(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    alternatives = [r for r in reasons if r.alternative]
    unmet = [r for r in reasons if not r.alternative and not r.passed]
    if alternatives and not any(r.passed for r in alternatives):
        unmet += alternatives
    return tuple(unmet)


def _routes(reasons: tuple[Reason, ...]) -> dict[str, tuple[Reason, ...]]:
    routes: dict[str, tuple[Reason, ...]] = {}
    for r in reasons:
        if r.route is not None:
            routes[r.route] = routes.get(r.route, ()) + (r,)
    return routes


def _monitoring_category(reasons: tuple[Reason, ...], rules: RuleSet) -> str | None:
    matched = {r.code for r in reasons if r.alternative and r.passed}
    for category in rules.names("monitoring", "category_precedence"):
        if category in matched:
            return category
    return None


def _summary(programmes: tuple[ProgrammeResult, ...], categories: dict[str, str], rules: RuleSet,
             emergency: bool) -> tuple[str, str]:
    version = rules.version
    yes = [programme_name(r.programme, categories.get(r.programme)) for r in programmes if r.eligible]
    no = [PROGRAMME_NAMES[r.programme] for r in programmes if not r.eligible]
    if yes:
        en = (f"Under rule set {version}, the household qualifies for {len(yes)} programme(s): "
              f"{'; '.join(n[0] for n in yes)}.")
        zh = f"依据规则版本{version}，该户符合{len(yes)}项救助条件：{'；'.join(n[1] for n in yes)}。"
    else:
        en = f"Under rule set {version}, the household qualifies for no programme."
        zh = f"依据规则版本{version}，该户不符合任何救助条件。"
    if no:
        en += f" It does not qualify for: {'; '.join(n[0] for n in no)}; each programme lists the criteria not met."
        zh += f"不符合：{'；'.join(n[1] for n in no)}，各项目列明了未满足的条件。"
    temporary = next(r for r in programmes if r.programme == "temporary")
    if temporary.eligible and "bridging" in temporary.routes:
        bridging = next(r for r in temporary.reasons if r.code == "bridging")
        en += f" {bridging.en}"
        zh += bridging.zh
    if emergency:
        scope = rules.names("emergency", "waives_residence_for")
        if scope:
            en += (f" Because of an emergency, the residence requirement of "
                   f"{', '.join(PROGRAMME_NAMES[p][0] for p in scope)} was waived")
            zh += f"因急难情形，{'、'.join(PROGRAMME_NAMES[p][1] for p in scope)}未审查居住期限"
            if set(scope) != set(PROGRAMMES):
                en += "; the other programmes keep theirs"
                zh += "；其他项目仍按居住期限要求认定"
            en += "."
            zh += "。"
        else:
            en += " An emergency was reported, but these rules waive no residence requirement for it."
            zh += "已报告急难情形，但本规则不因此免除任何项目的居住期限要求。"
    return en, zh
