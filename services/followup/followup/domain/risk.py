"""Relapse-risk rules: does what a check-in observed, or what a partner reported, put the household at risk again?

Pure functions over plain data and a RuleSet. Every check that applies is returned, at risk or not, each with a
bilingual explanation; the assessment carries the rule version. Thresholds and their boundaries:

- income.below_line: per-capita income strictly below the monitoring line is a risk; exactly at the line is not.
- income.drop: a fall of per-capita income from the level at exit by strictly more than the threshold share.
- medical.out_of_pocket_year: out-of-pocket costs this year strictly above share x reference income.
- medical.per_stay: one stay's out-of-pocket cost strictly above the per-stay threshold.
- disaster.loss_share / disaster.loss_amount: a loss strictly above the share of annual household income, or
  strictly above the amount.
- labour.members_lost: at least the threshold number of members lost labour capacity (1 by default).
- labour.earner_died, other.staff_reported: a risk whenever reported.
- partner kinds without amounts: a risk of the kind the rules name for them (signals.*), or none (null).
- labour.severe_disability: a new disability grade at most the threshold (grade 1 is the most severe).
- other.education_cost: annual education costs strictly above the threshold.

Money compares exactly (Decimal, no rounding): per-capita income is compared as household income against
line x members, so ¥2,175 for three people is exactly at a ¥8,700 line.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from followup.domain.rules import RISK_KINDS, RuleSet
from followup.domain.signals import SIGNAL_KINDS

CENT = Decimal("0.01")
TWELVE = Decimal(12)


@dataclass(frozen=True)
class Check:
    """One rule applied: whether it found a risk, of which kind, why (en + zh), and the numbers it used."""

    code: str
    risk_kind: str
    at_risk: bool
    en: str
    zh: str
    evidence: Mapping[str, object] = field(default_factory=dict)

    def reason(self) -> dict:
        return {"code": self.code, "en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class RiskAssessment:
    rule_version: str
    checks: tuple[Check, ...]
    precedence: tuple[str, ...] = RISK_KINDS

    @property
    def reasons(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.at_risk)

    @property
    def at_risk(self) -> bool:
        return bool(self.reasons)

    @property
    def risk_kinds(self) -> tuple[str, ...]:
        found = {c.risk_kind for c in self.reasons}
        return tuple(k for k in self.precedence if k in found)

    @property
    def risk_kind(self) -> str | None:
        """The kind the relapse event names: the first found in the rules' precedence."""
        kinds = self.risk_kinds
        return kinds[0] if kinds else None

    @property
    def explanation_en(self) -> str:
        if self.at_risk:
            return f"Relapse risk ({', '.join(self.risk_kinds)}; rules {self.rule_version}): " + \
                " ".join(c.en for c in self.reasons)
        details = " ".join(c.en for c in self.checks) or "Nothing reported that the rules judge."
        return f"No relapse risk (rules {self.rule_version}): {details}"

    @property
    def explanation_zh(self) -> str:
        if self.at_risk:
            return f"存在返贫风险（规则 {self.rule_version}）：" + "".join(c.zh for c in self.reasons)
        details = "".join(c.zh for c in self.checks) or "未报告规则所评判的情况。"
        return f"未发现返贫风险（规则 {self.rule_version}）：{details}"

    def as_dict(self) -> dict:
        return {"rule_version": self.rule_version, "at_risk": self.at_risk, "risk_kind": self.risk_kind,
                "risk_kinds": list(self.risk_kinds),
                "checks": [{"code": c.code, "risk_kind": c.risk_kind, "at_risk": c.at_risk, "en": c.en, "zh": c.zh,
                            "evidence": dict(c.evidence)} for c in self.checks],
                "explanation_en": self.explanation_en, "explanation_zh": self.explanation_zh}


@dataclass(frozen=True)
class CheckinObservation:
    """What staff observed at a check-in. Money in yuan; income for the whole household, per month."""

    household_monthly_income_yuan: Decimal
    member_count: int
    medical_out_of_pocket_yuan_year: Decimal | None = None
    medical_per_stay_yuan: Decimal | None = None
    disaster_loss_yuan: Decimal | None = None
    disaster_loss_share: Decimal | None = None
    labour_loss_members: int = 0
    earner_died: bool = False
    other_risk: str | None = None

    def __post_init__(self):
        if self.member_count < 1:
            raise ValueError("member_count must be at least 1")
        if self.household_monthly_income_yuan < 0:
            raise ValueError("income must not be negative")
        if self.labour_loss_members < 0 or self.labour_loss_members > self.member_count:
            raise ValueError("labour_loss_members must be between 0 and member_count")
        if self.disaster_loss_share is not None and not Decimal(0) <= self.disaster_loss_share <= 1:
            raise ValueError("disaster_loss_share must be between 0 and 1")

    @property
    def per_capita_monthly_income_yuan(self) -> Decimal:
        return (self.household_monthly_income_yuan / self.member_count).quantize(CENT, ROUND_HALF_UP)


# -- formatting ---------------------------------------------------------------------------------------------------

def yuan(amount: Decimal) -> str:
    """¥8,700 or ¥724.99: whole yuan without decimals."""
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"¥{int(amount):,}"
    return f"¥{amount.quantize(CENT, ROUND_HALF_UP):,}"


def yuan_zh(amount: Decimal) -> str:
    amount = Decimal(amount)
    if amount == amount.to_integral_value():
        return f"{int(amount)} 元"
    return f"{amount.quantize(CENT, ROUND_HALF_UP)} 元"


def pct(share: Decimal) -> str:
    """30%, 12.5%, 30.01%: enough digits that a share just above a threshold does not read as equal to it."""
    value = (Decimal(share) * 100).quantize(Decimal("0.0001"), ROUND_HALF_UP).normalize()
    return f"{value:f}%"


def _num(value: Decimal) -> float | int:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


# -- the single checks --------------------------------------------------------------------------------------------

def check_below_line(household_income: Decimal, members: int, rules: RuleSet) -> Check:
    line = rules.decimal("income", "monitoring_line_yuan_per_person_year")
    per_capita = (household_income / members).quantize(CENT, ROUND_HALF_UP)
    below = household_income * TWELVE < line * members
    evidence = {"per_capita_monthly_income_yuan": _num(per_capita), "member_count": members,
                "monitoring_line_yuan_per_person_year": _num(line)}
    yearly = (household_income * TWELVE / members).quantize(CENT, ROUND_HALF_UP)
    if below:
        return Check("income.below_line", "income_drop", True,
                     f"Per-capita income of {yuan(per_capita)} a month ({yuan(yearly)} a year) is below the "
                     f"monitoring line of {yuan(line)} a person a year.",
                     f"人均月收入 {yuan_zh(per_capita)}（年 {yuan_zh(yearly)}），低于每人每年 {yuan_zh(line)}的监测线。",
                     evidence)
    return Check("income.below_line", "income_drop", False,
                 f"Per-capita income of {yuan(per_capita)} a month ({yuan(yearly)} a year) is at or above the "
                 f"monitoring line of {yuan(line)} a person a year.",
                 f"人均月收入 {yuan_zh(per_capita)}（年 {yuan_zh(yearly)}），不低于每人每年 {yuan_zh(line)}的监测线。",
                 evidence)


def check_drop(before: Decimal, after_total: Decimal, after_divisor: int, rules: RuleSet, *,
               code: str = "income.drop", subject_en: str = "Per-capita income",
               subject_zh: str = "人均月收入", since_en: str = "at exit", since_zh: str = "退出时") -> Check:
    """A fall from ``before`` to ``after_total / after_divisor`` by strictly more than the threshold share."""
    threshold = rules.decimal("income", "drop_share_threshold")
    after = (after_total / after_divisor).quantize(CENT, ROUND_HALF_UP)
    fallen = before * after_divisor - after_total  # exact: no rounding of the per-capita figure
    share = max(Decimal(0), fallen / (before * after_divisor))
    at_risk = fallen > threshold * before * after_divisor
    evidence = {"before_monthly_yuan": _num(before), "after_monthly_yuan": _num(after),
                "drop_share": float(share.quantize(Decimal("0.0001"))), "drop_share_threshold": _num(threshold)}
    if at_risk:
        return Check(code, "income_drop", True,
                     f"{subject_en} fell by {pct(share)}, from {yuan(before)} a month {since_en} to {yuan(after)}; "
                     f"a fall of more than {pct(threshold)} is a risk.",
                     f"{subject_zh}从{since_zh}的 {yuan_zh(before)}降至 {yuan_zh(after)}，降幅 {pct(share)}，"
                     f"超过 {pct(threshold)}。", evidence)
    change = "fell by " + pct(share) if share > 0 else "did not fall"
    change_zh = "降幅 " + pct(share) if share > 0 else "未下降"
    return Check(code, "income_drop", False,
                 f"{subject_en} {change} ({yuan(before)} a month {since_en}, {yuan(after)} now); only a fall of more "
                 f"than {pct(threshold)} is a risk.",
                 f"{subject_zh}{change_zh}（{since_zh} {yuan_zh(before)}，现为 {yuan_zh(after)}），未超过 {pct(threshold)}。",
                 evidence)


def check_medical_year(out_of_pocket: Decimal, rules: RuleSet) -> Check:
    base = rules.decimal("medical", "reference_income_yuan_per_person_year")
    share = rules.decimal("medical", "out_of_pocket_share_of_reference_income")
    threshold = (base * share).quantize(CENT, ROUND_HALF_UP)
    evidence = {"out_of_pocket_yuan_year": _num(out_of_pocket), "threshold_yuan": _num(threshold),
                "reference_income_yuan_per_person_year": _num(base), "share": _num(share)}
    if out_of_pocket > base * share:
        return Check("medical.out_of_pocket_year", "medical_expense", True,
                     f"Out-of-pocket medical costs this year of {yuan(out_of_pocket)} are above {pct(share)} of the "
                     f"reference rural per-capita income ({yuan(threshold)} of {yuan(base)}).",
                     f"本年度医疗自付费用 {yuan_zh(out_of_pocket)}，超过农村居民人均可支配收入（{yuan_zh(base)}）的 "
                     f"{pct(share)}（{yuan_zh(threshold)}）。", evidence)
    return Check("medical.out_of_pocket_year", "medical_expense", False,
                 f"Out-of-pocket medical costs this year of {yuan(out_of_pocket)} are not above {yuan(threshold)}.",
                 f"本年度医疗自付费用 {yuan_zh(out_of_pocket)}，未超过 {yuan_zh(threshold)}。", evidence)


def check_medical_stay(per_stay: Decimal, rules: RuleSet) -> Check:
    threshold = rules.decimal("medical", "per_stay_yuan_threshold")
    evidence = {"per_stay_yuan": _num(per_stay), "threshold_yuan": _num(threshold)}
    if per_stay > threshold:
        return Check("medical.per_stay", "medical_expense", True,
                     f"One hospital stay cost {yuan(per_stay)} out of pocket, above {yuan(threshold)}.",
                     f"单次住院自付 {yuan_zh(per_stay)}，超过 {yuan_zh(threshold)}。", evidence)
    return Check("medical.per_stay", "medical_expense", False,
                 f"One hospital stay cost {yuan(per_stay)} out of pocket, not above {yuan(threshold)}.",
                 f"单次住院自付 {yuan_zh(per_stay)}，未超过 {yuan_zh(threshold)}。", evidence)


def check_loss_share(share: Decimal, rules: RuleSet, *, what_en: str = "disaster", what_zh: str = "灾害",
                     computed_from: Mapping[str, object] | None = None) -> Check:
    threshold = rules.decimal("disaster", "loss_share_threshold")
    evidence = {"loss_share": float(Decimal(share).quantize(Decimal("0.0001"))), "threshold_share": _num(threshold),
                **(computed_from or {})}
    if share > threshold:
        return Check("disaster.loss_share", "disaster", True,
                     f"The {what_en} loss is {pct(share)} of the household's annual income, above {pct(threshold)}.",
                     f"{what_zh}损失占家庭年收入的 {pct(share)}，超过 {pct(threshold)}。", evidence)
    return Check("disaster.loss_share", "disaster", False,
                 f"The {what_en} loss is {pct(share)} of the household's annual income, not above {pct(threshold)}.",
                 f"{what_zh}损失占家庭年收入的 {pct(share)}，未超过 {pct(threshold)}。", evidence)


def check_loss_amount(loss: Decimal, rules: RuleSet, *, what_en: str = "disaster", what_zh: str = "灾害") -> Check:
    threshold = rules.decimal("disaster", "loss_yuan_threshold")
    evidence = {"loss_yuan": _num(loss), "threshold_yuan": _num(threshold)}
    if loss > threshold:
        return Check("disaster.loss_amount", "disaster", True,
                     f"The {what_en} loss of {yuan(loss)} is above {yuan(threshold)}.",
                     f"{what_zh}损失 {yuan_zh(loss)}，超过 {yuan_zh(threshold)}。", evidence)
    return Check("disaster.loss_amount", "disaster", False,
                 f"The {what_en} loss of {yuan(loss)} is not above {yuan(threshold)}.",
                 f"{what_zh}损失 {yuan_zh(loss)}，未超过 {yuan_zh(threshold)}。", evidence)


def _loss_checks(loss_yuan: Decimal | None, loss_share: Decimal | None, annual_income: Decimal | None,
                 rules: RuleSet, **what) -> list[Check]:
    checks: list[Check] = []
    if loss_share is not None:
        checks.append(check_loss_share(loss_share, rules, **what))
    elif loss_yuan is not None and annual_income is not None and annual_income > 0:
        checks.append(check_loss_share(loss_yuan / annual_income, rules, **what,
                                       computed_from={"loss_yuan": _num(loss_yuan),
                                                      "annual_household_income_yuan": _num(annual_income)}))
    if loss_yuan is not None:
        checks.append(check_loss_amount(loss_yuan, rules, **what))
    return checks


def check_members_lost(members_lost: int, rules: RuleSet) -> Check:
    at_least = rules.integer("labour", "members_lost_at_least")
    evidence = {"labour_loss_members": members_lost, "members_lost_at_least": at_least}
    if members_lost >= at_least:
        return Check("labour.members_lost", "labour_loss", True,
                     f"{members_lost} household member(s) lost labour capacity (a risk from {at_least}).",
                     f"{members_lost} 名家庭成员丧失劳动能力（{at_least} 名及以上即为风险）。", evidence)
    return Check("labour.members_lost", "labour_loss", False,
                 f"{members_lost} household member(s) lost labour capacity (a risk from {at_least}).",
                 f"{members_lost} 名家庭成员丧失劳动能力（{at_least} 名及以上才为风险）。", evidence)


def check_disability(grade: int, rules: RuleSet) -> Check:
    at_most = rules.integer("labour", "severe_disability_grade_at_most")
    evidence = {"grade": grade, "severe_grade_at_most": at_most}
    if grade <= at_most:
        return Check("labour.severe_disability", "labour_loss", True,
                     f"A member was newly registered with a grade {grade} disability (grades 1 to {at_most} count "
                     f"as loss of labour capacity).",
                     f"家庭成员新增 {grade} 级残疾（1 至 {at_most} 级视为丧失劳动能力）。", evidence)
    return Check("labour.severe_disability", "labour_loss", False,
                 f"A member was newly registered with a grade {grade} disability (only grades 1 to {at_most} count "
                 f"as loss of labour capacity).",
                 f"家庭成员新增 {grade} 级残疾（仅 1 至 {at_most} 级视为丧失劳动能力）。", evidence)


def check_education(annual_cost: Decimal, rules: RuleSet) -> Check:
    threshold = rules.decimal("other", "education_cost_yuan_threshold")
    evidence = {"annual_cost_yuan": _num(annual_cost), "threshold_yuan": _num(threshold)}
    if annual_cost > threshold:
        return Check("other.education_cost", "other", True,
                     f"Education costs of {yuan(annual_cost)} a year are above {yuan(threshold)}.",
                     f"年教育支出 {yuan_zh(annual_cost)}，超过 {yuan_zh(threshold)}。", evidence)
    return Check("other.education_cost", "other", False,
                 f"Education costs of {yuan(annual_cost)} a year are not above {yuan(threshold)}.",
                 f"年教育支出 {yuan_zh(annual_cost)}，未超过 {yuan_zh(threshold)}。", evidence)


PRESENCE_TEXT = {
    "earner_death": ("The household's main earner has died.", "家庭主要劳动力死亡。"),
    "earner_labour_loss": ("The household's main earner has lost labour capacity.", "家庭主要劳动力丧失劳动能力。"),
    "unemployment": ("A household member has lost work or cannot go out to work.", "家庭成员失业或无法外出务工。"),
    "migrant_return": ("A migrant worker of the household has returned home.", "家庭外出务工人员返乡。"),
}


def check_presence(kind: str, rules: RuleSet) -> Check:
    en, zh = PRESENCE_TEXT[kind]
    risk_kind = rules.value("signals", kind)
    if risk_kind is None:
        return Check(f"signal.{kind}", "other", False, f"{en} The rules do not count this alone as a relapse risk.",
                     f"{zh}根据规则，此情况本身不构成返贫风险。", {"kind": kind})
    return Check(f"signal.{kind}", risk_kind, True, en, zh, {"kind": kind})


# -- assessments --------------------------------------------------------------------------------------------------

def assess_checkin(observed: CheckinObservation, baseline_per_capita_monthly_yuan: Decimal | None,
                   rules: RuleSet) -> RiskAssessment:
    """Every check that what staff observed allows, against the rules in force for the household on the visit day.

    ``baseline_per_capita_monthly_yuan`` is the per-capita income at exit (None when gradual exit did not send one:
    the drop check is then not made, the monitoring line still is)."""
    income, members = observed.household_monthly_income_yuan, observed.member_count
    checks = [check_below_line(income, members, rules)]
    if baseline_per_capita_monthly_yuan is not None and baseline_per_capita_monthly_yuan > 0:
        checks.append(check_drop(Decimal(baseline_per_capita_monthly_yuan), income, members, rules))
    if observed.medical_out_of_pocket_yuan_year is not None:
        checks.append(check_medical_year(observed.medical_out_of_pocket_yuan_year, rules))
    if observed.medical_per_stay_yuan is not None:
        checks.append(check_medical_stay(observed.medical_per_stay_yuan, rules))
    checks += _loss_checks(observed.disaster_loss_yuan, observed.disaster_loss_share, income * TWELVE, rules)
    checks.append(check_members_lost(observed.labour_loss_members, rules))
    if observed.earner_died:
        checks.append(Check("labour.earner_died", "labour_loss", True, PRESENCE_TEXT["earner_death"][0],
                            PRESENCE_TEXT["earner_death"][1], {}))
    if observed.other_risk:
        checks.append(Check("other.staff_reported", "other", True,
                            f"Staff reported another risk: {observed.other_risk}",
                            f"工作人员报告其他风险：{observed.other_risk}", {}))
    return RiskAssessment(rules.version, tuple(checks), tuple(rules.value("risk_kind_precedence")))


def assess_signal(kind: str, amounts: Mapping[str, Decimal], rules: RuleSet,
                  annual_household_income_yuan: Decimal | None = None) -> RiskAssessment:
    """A partner's signal (amounts already checked by signals.check_amounts) against the rules in force.

    ``annual_household_income_yuan`` (from the latest check-in, when known) turns a loss in yuan into a share."""
    if kind not in SIGNAL_KINDS:
        raise ValueError(f"unknown signal kind {kind!r}")
    checks: list[Check] = []
    if kind == "medical_expense":
        if "cumulative_year_yuan" in amounts:
            checks.append(check_medical_year(amounts["cumulative_year_yuan"], rules))
        if "per_stay_yuan" in amounts:
            checks.append(check_medical_stay(amounts["per_stay_yuan"], rules))
    elif kind == "severe_disability":
        checks.append(check_disability(int(amounts["grade"]), rules))
    elif kind in ("crop_failure", "disaster_loss"):
        what = {"what_en": "crop", "what_zh": "农作物减产"} if kind == "crop_failure" else {}
        checks += _loss_checks(amounts.get("loss_yuan"), amounts.get("loss_share"), annual_household_income_yuan,
                               rules, **what)
    elif kind == "income_drop":
        checks.append(check_drop(amounts["previous_monthly_yuan"], amounts["current_monthly_yuan"], 1, rules,
                                 code="income.reported_drop", subject_en="Reported monthly income",
                                 subject_zh="部门报告的月收入", since_en="before", since_zh="此前"))
    elif kind == "education_cost":
        checks.append(check_education(amounts["annual_cost_yuan"], rules))
    else:
        checks.append(check_presence(kind, rules))
    return RiskAssessment(rules.version, tuple(checks), tuple(rules.value("risk_kind_precedence")))
