"""Where a household, an application and a risk clue stand, what may happen next, and how that is told (English / 中文)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

from shared.clock import china_time

# --- the household ------------------------------------------------------------------------------------------------
# in_discovery: discovery holds an open record, nothing handed over yet; referred: an application or referral went
# to identification; in_identification / in_notice: identification has a case (on public notice); enrolled /
# rejected: identification decided; withdrawn: the case was withdrawn without a decision; cleared: discovery closed
# the record without a case (clues dismissed, visit found no need); follow_up: in follow-up after exit; merged: the
# record was joined to another household's.
HOUSEHOLD_STATUSES = ("in_discovery", "referred", "in_identification", "in_notice", "enrolled", "rejected",
                      "withdrawn", "cleared", "follow_up", "merged")
# A household in one of these already has a file: new applications, visits and clues join it, nothing is referred.
LINKED_STATUSES = frozenset({"enrolled", "follow_up"})
# Households never handed to identification: their records may be merged into another household's.
MERGEABLE_STATUSES = frozenset({"in_discovery", "cleared"})
# Households whose last case (or record) ended without assistance: a new report starts a new record.
RESTARTING_STATUSES = frozenset({"rejected", "withdrawn", "cleared"})
_HOUSEHOLD_RANK = {"in_discovery": 0, "cleared": 0, "rejected": 0, "withdrawn": 0, "referred": 1,
                   "in_identification": 2, "in_notice": 3, "enrolled": 4, "follow_up": 5, "merged": 9}


def household_moves_forward(current: str, new: str) -> bool:
    """True when discovery's own action (an application, a referral) moves the household to `new`.

    A household that was rejected, withdrawn or cleared starts again (a new record); one in identification stays there.
    """
    return _HOUSEHOLD_RANK[new] > _HOUSEHOLD_RANK[current]


# --- identification's case, step by step --------------------------------------------------------------------------
# Each step of identification's statutory workflow that discovery hears of, in workflow order. A case can loop (an
# upheld objection or the township sends it back to assessment), so within one case the step that happened last
# (by the time identification gives it) is where the case stands; a decision or a withdrawal ends the case.
CASE_STEPS = ("in_identification", "assessing", "assessed", "reviewed", "in_notice", "notice_closed",
              "township_reviewed", "enrolled", "rejected", "withdrawn")
FINAL_CASE_STEPS = frozenset({"enrolled", "rejected", "withdrawn"})
_STEP_RANK = {step: i for i, step in enumerate(CASE_STEPS)}
# Where the household stands while its case is at a step.
HOUSEHOLD_STATUS_OF_STEP: Mapping[str, str] = {
    **{step: "in_identification" for step in CASE_STEPS}, "in_notice": "in_notice",
    "enrolled": "enrolled", "rejected": "rejected", "withdrawn": "withdrawn"}


def case_step_applies(current_step: str | None, current_case: str | None, current_at: datetime | None,
                      new_step: str, case_id: str, at: datetime) -> bool:
    """Whether a step of case `case_id` that happened at `at` becomes where a household (or application) stands.

    identification's topics are read independently, so steps may arrive out of order: within one case the latest step
    wins (ties in workflow order), and nothing moves a case on after its decision or withdrawal. A step of a different
    case applies (a new case after a rejection or withdrawal) unless it happened before where things stand: a late
    step of an earlier case.
    """
    if new_step not in _STEP_RANK:
        raise ValueError(f"unknown case step {new_step!r}")
    if current_case != case_id or current_step not in _STEP_RANK:
        return current_case is None or current_at is None or at >= current_at
    if current_step in FINAL_CASE_STEPS:
        return False
    if new_step in FINAL_CASE_STEPS or current_at is None:
        return True
    return (at, _STEP_RANK[new_step]) > (current_at, _STEP_RANK[current_step])


# --- applications -------------------------------------------------------------------------------------------------
APPLICATION_STATUSES = ("submitted", *CASE_STEPS, "linked")
_TIMELINE_RANK = {"submitted": -1, "linked": -1, **_STEP_RANK}


def timeline_order(at: datetime, status: str) -> tuple[datetime, int]:
    """Steps in the order they happened; steps given the same moment (a withdrawal and the closing of its notice) in
    workflow order."""
    return at, _TIMELINE_RANK.get(status, len(_TIMELINE_RANK))

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
    """What is known about a step of the case, to explain it."""

    file_number: str | None = None
    programmes: Sequence[str] = ()
    notice_ends_at: datetime | None = None
    reasons: Sequence[Mapping[str, str]] = ()
    appeal: Mapping[str, str] | None = None
    linked_to: str | None = None  # the household status an application was linked to
    at: datetime | None = None  # when the step happened (shown as a China date)
    outcome: str | None = None  # democratic review, township review, objection: identification's outcome code
    cause: str | None = None  # why the case is assessed (again): objection_upheld | returned_by_township
    reason: str | None = None  # a withdrawal's reason; a notice's closing reason (period_ended | case_withdrawn)


def _programmes(programmes: Iterable[str]) -> tuple[str, str]:
    labels = [PROGRAMME_LABELS.get(p, (p, p)) for p in programmes]
    return ", ".join(en for en, _ in labels) or "monitoring", "、".join(zh for _, zh in labels) or "监测"


def _day(moment: datetime | None) -> str | None:
    """The China date of a moment, as people read it."""
    return china_time(moment).strftime("%Y-%m-%d") if moment is not None else None


def _on(facts: StatusFacts) -> tuple[str, str]:
    day = _day(facts.at)
    return (f" on {day}", f"{day}") if day else ("", "")


def explain_application(status: str, facts: StatusFacts = StatusFacts()) -> tuple[str, str]:
    """Where an application stands and why, for the citizen who made it: (English, Chinese). Dates are China dates."""
    on_en, on_zh = _on(facts)
    if status == "submitted":
        return ("Your application has been received and passed to the civil-affairs office, which will open a case "
                "for your household.", "您的申请已受理，已转交民政部门，将为您家立案审核。")
    if status == "in_identification":
        return (f"A case was opened for your household{on_en}: staff will check its circumstances (home visit, income "
                "and assets) and decide.", f"{on_zh}已为您家立案，工作人员将入户核查家庭经济状况后作出认定。")
    if status == "assessing":
        if facts.cause == "objection_upheld":
            return (f"An objection raised during the public notice was upheld{on_en}: staff will check your "
                    "household's circumstances again.",
                    f"{on_zh}公示期间提出的异议经核实成立，工作人员将重新核查您家的经济状况。")
        if facts.cause == "returned_by_township":
            return (f"The township returned the case for another check{on_en}: staff will check your household's "
                    "circumstances again.", f"{on_zh}乡镇退回重新核查，工作人员将再次核查您家的经济状况。")
        return (f"Staff started checking your household's circumstances{on_en} (home visit, income and assets).",
                f"{on_zh}工作人员已开始入户核查您家的经济状况（入户调查、收入和财产核对）。")
    if status == "assessed":
        return (f"The check of your household's circumstances was completed{on_en}; the village will hold a "
                "democratic review.", f"{on_zh}家庭经济状况核查已完成，村（居）将组织民主评议。")
    if status == "reviewed":
        if facts.outcome == "reject":
            return (f"The democratic review was held{on_en} and did not propose approval; the township will review "
                    "the case.", f"{on_zh}已召开民主评议，评议未建议通过，将由乡镇审核。")
        return (f"The democratic review was held{on_en} and proposed approval; the proposed decision will be put on "
                "public notice.", f"{on_zh}已召开民主评议，评议建议通过，拟认定结果将进行公示。")
    if status == "in_notice":
        until = _day(facts.notice_ends_at)
        en, zh = _programmes(facts.programmes)
        return (f"The proposed decision ({en}) is on public notice{f' until {until}' if until else ''}; anyone may "
                "object during the notice.",
                f"拟认定结果（{zh}）正在公示{f'，至 {until} 止' if until else ''}，公示期间可提出异议。")
    if status == "notice_closed":
        if facts.reason == "case_withdrawn":
            return (f"The public notice was taken down{on_en} because the case was withdrawn.",
                    f"{on_zh}因申请撤回，公示已撤下。")
        return (f"The public notice ended{on_en}; the township will review the case.",
                f"{on_zh}公示期满，将由乡镇审核。")
    if status == "township_reviewed":
        if facts.outcome == "recommend_rejection":
            return (f"The township reviewed the case{on_en} and recommends not approving it; the county will decide.",
                    f"{on_zh}乡镇已审核，建议不予批准，将由县级民政部门审批。")
        return (f"The township reviewed the case{on_en} and recommends approval; the county will decide.",
                f"{on_zh}乡镇已审核，建议批准，将由县级民政部门审批。")
    if status == "enrolled":
        en, zh = _programmes(facts.programmes)
        number = f" under file number {facts.file_number}" if facts.file_number else ""
        number_zh = f"（档案号 {facts.file_number}）" if facts.file_number else ""
        return (f"The county approved{on_en}: your household has been enrolled{number}: {en}.",
                f"{on_zh}县级民政部门已批准，您家已纳入救助{number_zh}：{zh}。")
    if status == "rejected":
        reasons_en = "; ".join(r["en"] for r in facts.reasons) or "it does not meet the conditions"
        reasons_zh = "；".join(r["zh"] for r in facts.reasons) or "不符合条件"
        appeal_en = f" {facts.appeal['en']}" if facts.appeal else ""
        appeal_zh = facts.appeal["zh"] if facts.appeal else ""
        return (f"Your household was not approved{on_en}: {reasons_en}.{appeal_en}",
                f"{on_zh}您家未通过认定：{reasons_zh}。{appeal_zh}")
    if status == "withdrawn":
        why_en = f" ({facts.reason})" if facts.reason else ""
        why_zh = f"（{facts.reason}）" if facts.reason else ""
        return (f"The application was withdrawn{on_en}{why_en}: the case is closed without a decision and any public "
                "notice has been taken down. You may apply again at any time.",
                f"{on_zh}申请已撤回{why_zh}，案件未作认定即终止，公示（如有）已撤下。您可随时重新申请。")
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
        "withdrawn": ("The case was withdrawn without a decision.", "认定申请已撤回，未作认定。"),
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
# Clues still standing (not referred or dismissed): pending, or on an enrolled household's file.
STANDING_CLUE_STATUSES = PENDING_CLUE_STATUSES | {"linked"}
STEP_LABELS = {"verification": ("verification visit", "核实走访"), "referral": ("referral", "转入认定"),
               "dismissal": ("dismissal", "排除")}


CLUE_STATUS_LABELS: Mapping[str, tuple[str, str]] = {
    "raised": ("raised", "待核实"), "verified": ("verified", "核实属实"), "unconfirmed": ("not confirmed", "核实未证实"),
    "referred": ("referred", "已转入认定"), "dismissed": ("dismissed", "已排除"), "linked": ("on the household's file", "已并入家庭档案"),
}
ROLE_LABELS: Mapping[str, tuple[str, str]] = {
    "village": ("village staff", "村（居）工作人员"), "township": ("township staff", "乡镇（街道）工作人员"),
    "county": ("county staff", "县级民政工作人员"), "partner": ("partner department", "协作部门"),
    "admin": ("administrator", "系统管理员"), "citizen": ("citizen", "群众"), "system": ("the system", "系统"),
}


def clue_step_allowed(status: str, step: str) -> bool:
    return step in CLUE_NEXT_STEPS[status]


# The verification visit is still to be made: the village's task, with its due date (the last day it may be made).
AWAITING_VISIT = frozenset({"raised"})


def clue_overdue(status: str, due_on: date | None, today: date) -> bool:
    """A clue whose verification visit has not been made by its due date (China's date): overdue from the day after."""
    return status in AWAITING_VISIT and due_on is not None and today > due_on


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


CHANNEL_ORDER = ("online", "assisted", "visit", "partner_signal", "reassessment", "followup")
# The referral channel of a clue: a partner's signal, or identification's re-assessment under a new policy version.
CLUE_CHANNELS: Mapping[str, str] = {"reassessment": "reassessment"}


def referral_content(clues: Sequence[ClueFacts], visits: Sequence[VisitFacts],
                     application_channels: Iterable[str]) -> ReferralContent:
    """Why a household is referred, from everything on its record: each clue's rule and each visit finding.

    A clue counts as the channel partner_signal, a re-assessment's clue (kind reassessment) as reassessment.

    Visits are in the order they were made; the latest visit's observations are what identification receives.
    """
    channels = set(application_channels)
    reasons: list[dict[str, str]] = []
    seen: set[str] = set()
    for clue in clues:
        channels.add(CLUE_CHANNELS.get(clue.kind, "partner_signal"))
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
