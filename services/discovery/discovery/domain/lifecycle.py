"""Where a household, an application and a risk clue stand, what may happen next, and how that is told (English / 中文)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping, Sequence

# --- the household ------------------------------------------------------------------------------------------------
# in_discovery: discovery holds an open record, nothing handed over yet; referred: an application or referral went
# to identification; in_identification / in_notice: identification has a case (on public notice); enrolled /
# rejected: identification decided; cleared: discovery closed the record without a case (clues dismissed, visit found
# no need); follow_up: reserved for the follow-up stage; merged: the record was joined to another household's.
HOUSEHOLD_STATUSES = ("in_discovery", "referred", "in_identification", "in_notice", "enrolled", "rejected", "cleared",
                      "follow_up", "merged")
# A household in one of these already has a file: new applications, visits and clues join it, nothing is referred.
LINKED_STATUSES = frozenset({"enrolled", "follow_up"})
# Households never handed to identification: their records may be merged into another household's.
MERGEABLE_STATUSES = frozenset({"in_discovery", "cleared"})
_HOUSEHOLD_RANK = {"in_discovery": 0, "cleared": 0, "rejected": 0, "referred": 1, "in_identification": 2,
                   "in_notice": 3, "enrolled": 4, "follow_up": 5, "merged": 9}


def household_moves_forward(current: str, new: str) -> bool:
    """True when discovery's own action (an application, a referral) moves the household to `new`.

    A household that was rejected or cleared starts again (a new record); one in identification stays there.
    """
    return _HOUSEHOLD_RANK[new] > _HOUSEHOLD_RANK[current]


# Identification's decisions about one case, in order; a later one never gives way to an earlier one arriving late.
_CASE_STEP = {"in_identification": 1, "in_notice": 2, "enrolled": 3, "rejected": 3}


def case_step_applies(current_status: str, current_case: str | None, new_status: str, case_id: str) -> bool:
    """Whether an identification event about `case_id` moves a household (or application) to `new_status`.

    Events of one case may arrive out of order across topics (the notice before the opening): within one case only
    forward steps apply. An event of a different case applies (a new case after a rejection).
    """
    if current_case != case_id:
        return True
    return _CASE_STEP.get(new_status, 0) > _CASE_STEP.get(current_status, 0)


# --- applications -------------------------------------------------------------------------------------------------
APPLICATION_STATUSES = ("submitted", "in_identification", "in_notice", "enrolled", "rejected", "linked")

PROGRAMME_LABELS: Mapping[str, tuple[str, str]] = {
    "dibao": ("minimum living guarantee", "最低生活保障"),
    "tekun": ("support for people in extreme poverty", "特困人员救助供养"),
    "near_dibao": ("near-dibao household", "低保边缘家庭"),
    "rigid_expense": ("rigid-expense hardship", "刚性支出困难"),
    "monitoring": ("relapse-prevention monitoring", "防止返贫监测"),
    "temporary": ("temporary assistance", "临时救助"),
    "medical": ("medical assistance", "医疗救助"),
    "education": ("education assistance", "教育救助"),
    "housing": ("housing assistance", "住房救助"),
    "employment": ("employment assistance", "就业救助"),
}


@dataclass(frozen=True)
class StatusFacts:
    """What is known about a decision, to explain a status."""

    file_number: str | None = None
    programmes: Sequence[str] = ()
    notice_ends_at: datetime | None = None
    reasons: Sequence[Mapping[str, str]] = ()
    appeal: Mapping[str, str] | None = None
    linked_to: str | None = None  # the household status an application was linked to


def _programmes(programmes: Iterable[str]) -> tuple[str, str]:
    labels = [PROGRAMME_LABELS.get(p, (p, p)) for p in programmes]
    return ", ".join(en for en, _ in labels) or "monitoring", "、".join(zh for _, zh in labels) or "监测"


def explain_application(status: str, facts: StatusFacts = StatusFacts()) -> tuple[str, str]:
    """Where an application stands and why, for the citizen who made it: (English, Chinese)."""
    if status == "submitted":
        return ("Your application has been received and passed to the civil-affairs office, which will open a case "
                "for your household.", "您的申请已受理，已转交民政部门，将为您家立案审核。")
    if status == "in_identification":
        return ("A case is open for your household: staff will check its circumstances (home visit, income and "
                "assets) and decide.", "已为您家立案，工作人员将入户核查家庭经济状况后作出认定。")
    if status == "in_notice":
        until = f" until {facts.notice_ends_at:%Y-%m-%d}" if facts.notice_ends_at else ""
        until_zh = f"，至 {facts.notice_ends_at:%Y-%m-%d} 止" if facts.notice_ends_at else ""
        en, zh = _programmes(facts.programmes)
        return (f"The proposed decision ({en}) is on public notice{until}; anyone may object during the notice.",
                f"拟认定结果（{zh}）正在公示{until_zh}，公示期间可提出异议。")
    if status == "enrolled":
        en, zh = _programmes(facts.programmes)
        number = f" under file number {facts.file_number}" if facts.file_number else ""
        number_zh = f"（档案号 {facts.file_number}）" if facts.file_number else ""
        return (f"Your household has been enrolled{number}: {en}.", f"您家已纳入救助{number_zh}：{zh}。")
    if status == "rejected":
        reasons_en = "; ".join(r["en"] for r in facts.reasons) or "it does not meet the conditions"
        reasons_zh = "；".join(r["zh"] for r in facts.reasons) or "不符合条件"
        appeal_en = f" {facts.appeal['en']}" if facts.appeal else ""
        appeal_zh = facts.appeal["zh"] if facts.appeal else ""
        return (f"Your household was not approved: {reasons_en}.{appeal_en}",
                f"您家未通过认定：{reasons_zh}。{appeal_zh}")
    if status == "linked":
        number = f" (file number {facts.file_number})" if facts.file_number else ""
        number_zh = f"（档案号 {facts.file_number}）" if facts.file_number else ""
        if facts.linked_to == "follow_up":
            return (f"Your household is already followed up after leaving assistance{number}; your application has been "
                    "added to its file and staff will contact you. No new case is opened.",
                    f"您家已在帮扶后的跟踪回访中{number_zh}，本次申请已并入家庭档案，工作人员将与您联系，不重复立案。")
        return (f"Your household is already enrolled{number}; your application has been added to its file. "
                "No new case is opened.", f"您家已纳入救助{number_zh}，本次申请已并入家庭档案，不重复立案。")
    raise ValueError(f"unknown application status {status!r}")


def explain_household(status: str) -> tuple[str, str]:
    """A household's lifecycle status in words, for staff."""
    return {
        "in_discovery": ("Open discovery record; nothing handed to identification yet.", "发现阶段，尚未转入认定。"),
        "referred": ("Handed to identification; waiting for the case.", "已转入认定，等待立案。"),
        "in_identification": ("Identification case open.", "认定审核中。"),
        "in_notice": ("Proposed decision on public notice.", "认定结果公示中。"),
        "enrolled": ("Enrolled: household file created.", "已建档纳入救助。"),
        "rejected": ("Not approved by identification.", "未通过认定。"),
        "cleared": ("Discovery record closed without a case.", "发现记录已关闭，未转入认定。"),
        "follow_up": ("In follow-up after exit.", "退出后跟踪回访中。"),
        "merged": ("Merged into another household record.", "已并入其他家庭档案。"),
    }[status]


# --- risk clues ---------------------------------------------------------------------------------------------------
CLUE_STATUSES = ("raised", "verified", "unconfirmed", "referred", "dismissed", "linked")
CLUE_NEXT_STEPS: Mapping[str, tuple[str, ...]] = {
    "raised": ("verification", "dismissal"),
    "unconfirmed": ("verification", "dismissal"),  # the visit did not confirm it: visit again, or dismiss with a reason
    "verified": ("referral", "dismissal"),
    "referred": (),
    "dismissed": (),
    "linked": (),  # the household is enrolled: the clue is on its file
}
# Clues merged into a referral made about the same household (the case's assessment covers them).
CLUES_JOINING_A_REFERRAL = frozenset({"raised", "verified"})
# Clues that keep a record open.
PENDING_CLUE_STATUSES = frozenset({"raised", "verified", "unconfirmed"})
STEP_LABELS = {"verification": ("verification visit", "核实走访"), "referral": ("referral", "转入认定"),
               "dismissal": ("dismissal", "排除")}


def clue_step_allowed(status: str, step: str) -> bool:
    return step in CLUE_NEXT_STEPS[status]


# Signal kinds that are sudden events calling for the fast procedure (report 5.5: accident, death of the earner, disaster).
SUDDEN_KINDS = frozenset({"earner_death", "earner_labour_loss", "disaster_loss", "severe_disability"})


# --- home visits --------------------------------------------------------------------------------------------------
VISIT_INDICATORS: Mapping[str, tuple[str, str]] = {
    "illness": ("serious or chronic illness in the household", "家庭成员患重病或慢性病"),
    "disability": ("disability in the household", "家庭成员残疾"),
    "labour_capacity_lost": ("the main earner can no longer work", "主要劳动力丧失劳动能力"),
    "housing_unsafe": ("the house is unsafe", "住房不安全"),
    "income_loss": ("income has fallen sharply", "家庭收入大幅下降"),
    "unemployment": ("members cannot find work or go out to work", "家庭成员失业或无法外出务工"),
    "medical_costs": ("high medical costs", "医疗支出大"),
    "education_burden": ("heavy education costs", "教育支出负担重"),
    "disaster": ("hit by a disaster", "遭受自然灾害"),
    "elderly_alone": ("elderly people without support", "老人无人赡养"),
    "child_in_difficulty": ("children in difficulty or left behind", "困境或留守儿童"),
    "debt": ("heavy debts", "负债沉重"),
}
SUDDEN_INDICATORS = frozenset({"labour_capacity_lost", "disaster"})


@dataclass(frozen=True)
class ClueFacts:
    id: str
    rule_id: str
    kind: str
    severity: str
    explanation_en: str
    explanation_zh: str


@dataclass(frozen=True)
class VisitFacts:
    id: str
    indicators: Sequence[str]
    observations: Mapping[str, object]
    recommendation: str | None
    sudden_hardship: bool


@dataclass(frozen=True)
class ReferralContent:
    channels: list[str]
    reasons: list[dict[str, str]]
    observed: dict[str, object] | None
    sudden_hardship: bool


CHANNEL_ORDER = ("online", "assisted", "visit", "partner_signal", "followup")


def referral_content(clues: Sequence[ClueFacts], visits: Sequence[VisitFacts],
                     application_channels: Iterable[str]) -> ReferralContent:
    """Why a household is referred, from everything on its record: each clue's rule and each visit finding.

    Visits are in the order they were made; the latest visit's observations are what identification receives.
    """
    channels = set(application_channels)
    reasons: list[dict[str, str]] = []
    seen: set[str] = set()
    for clue in clues:
        channels.add("partner_signal")
        if clue.rule_id not in seen:
            seen.add(clue.rule_id)
            reasons.append({"code": clue.rule_id, "en": clue.explanation_en, "zh": clue.explanation_zh})
    observed: dict[str, object] | None = None
    for visit in visits:
        channels.add("visit")
        for indicator in visit.indicators:
            code = f"visit.{indicator}"
            if code not in seen:
                seen.add(code)
                en, zh = VISIT_INDICATORS[indicator]
                reasons.append({"code": code, "en": f"Home visit: {en}.", "zh": f"入户走访：{zh}。"})
        if visit.observations:
            observed = dict(visit.observations)
    if visits and not any(code.startswith("visit.") for code in seen):
        reasons.append({"code": "visit.recommended", "en": "Home visit: staff recommend identification.",
                        "zh": "入户走访：工作人员建议转入认定。"})
    sudden = (any(c.kind in SUDDEN_KINDS for c in clues)
              or any(v.sudden_hardship or SUDDEN_INDICATORS & set(v.indicators) for v in visits))
    return ReferralContent([c for c in CHANNEL_ORDER if c in channels], reasons, observed, bool(sudden))
