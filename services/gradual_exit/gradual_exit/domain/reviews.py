"""Periodic reviews (定期核查) as pure rules: how often a household is reviewed and when its next review is due.

dibao households are reviewed every 12 months when stable and every 6 months when their income is unstable and
members can work (``programmes.<p>.review_months``). A household in several programmes is reviewed at the shortest
interval among them; a programme without ``review_months`` (one-off or linked assistance) sets none. A review is due
on its due day and overdue from the day after.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

from gradual_exit.domain.calendar import add_months, local_date
from gradual_exit.domain.rules import PROGRAMME_NAMES, PROGRAMMES, RuleSet


@dataclass(frozen=True)
class ReviewSchedule:
    """When the next periodic review is due, why that often, and under which rules."""

    due_on: date
    interval_months: int
    basis: str  # "stable" or "unstable_with_labour"
    programme: str  # the programme whose interval applies
    rule_version: str
    explanation_en: str
    explanation_zh: str


def review_basis(income_stable: bool | None, has_labour_capacity: bool | None) -> str:
    """Unstable income with members able to work calls for the shorter interval; anything else is "stable".

    Unknown stability or labour capacity is not treated as unstable: the shorter interval needs both facts recorded.
    """
    return "unstable_with_labour" if income_stable is False and has_labour_capacity is True else "stable"


def next_review(last_reviewed_on: date, programmes: Sequence[str], basis: str, rules: RuleSet) -> ReviewSchedule | None:
    """The next review after ``last_reviewed_on`` (or the enrolment day) for the household's open programmes.

    None when none of the programmes is reviewed periodically.
    """
    intervals = [(months, p) for p in PROGRAMMES if p in programmes
                 if (months := rules.review_months(p, basis)) is not None]
    if not intervals:
        return None
    months, programme = min(intervals)
    due = add_months(local_date(last_reviewed_on), months)
    why_en = ("income is unstable and members can work" if basis == "unstable_with_labour"
              else "the household is stable")
    why_zh = "收入不稳定且有劳动能力" if basis == "unstable_with_labour" else "家庭情况稳定"
    return ReviewSchedule(
        due, months, basis, programme, rules.version,
        f"Reviewed every {months} months because {why_en} ({programme}, rule set {rules.version}); the next review "
        f"is due on {due.isoformat()}.",
        f"因{why_zh}，每{months}个月核查一次（{PROGRAMME_NAMES[programme][1]}，规则{rules.version}）；"
        f"下次核查应于{due.isoformat()}前完成。")


def is_overdue(due_on: date, today: date) -> bool:
    """Overdue from the day after the due day (the due day itself is still on time)."""
    return local_date(today) > due_on


def overdue_explanation(due_on: date, interval_months: int | None, basis: str | None) -> tuple[str, str]:
    """Why a review is reported overdue, in English and Chinese."""
    why_en = ("income is unstable and members can work" if basis == "unstable_with_labour"
              else "the household is stable")
    why_zh = "收入不稳定且有劳动能力" if basis == "unstable_with_labour" else "家庭情况稳定"
    return (f"The periodic review due on {due_on.isoformat()} has not been recorded (reviewed every {interval_months} "
            f"months because {why_en}).",
            f"应于{due_on.isoformat()}完成的定期核查尚未记录（因{why_zh}，每{interval_months}个月核查一次）。")
