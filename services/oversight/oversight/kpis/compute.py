"""The KPIs as pure functions over facts (plain data): no database, no clock; `as_of` is passed in.

Periods are China dates, both ends included; a fact counts in the period of the event the KPI is about (a decision
by its decision date, a need by its assessment date, ...). Percentiles are nearest-rank: the p-th percentile of n
sorted values is the value at rank ceil(p/100 * n) (1-based), so it is always an observed value; the median is the
50th percentile by that rule (for an even n the lower of the two middle values). Rule version: KPI-2026.1.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Iterable

from shared.clock import CHINA_TZ

RULE_VERSION = "KPI-2026.1"
PETITION_CATEGORIES = ("wrongly_enrolled", "wrongly_missed", "staff_conduct", "service_provider", "decision")
SATISFIED_RATING = 4  # a household rating of 4 or 5 (of 5) counts as satisfied
RELAPSE_WINDOWS = {12: 365, 24: 730}  # months -> days after the exit


@dataclass(frozen=True)
class Fact:
    kind: str
    entity_id: str
    division_code: str | None
    attrs: dict = field(default_factory=dict)
    household_id: str | None = None


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def contains(self, moment: str | datetime | None) -> bool:
        return moment is not None and self.start <= china_date(moment) <= self.end


@dataclass(frozen=True)
class Kpi:
    key: str
    value: float | int | None
    n: int

    def as_dict(self) -> dict:
        label_en, label_zh, unit = LABELS[self.key]
        return {"key": self.key, "label_en": label_en, "label_zh": label_zh, "value": self.value, "unit": unit,
                "n": self.n}


LABELS: dict[str, tuple[str, str, str]] = {
    "time_to_decision_median_days": ("Time to decision, median", "审批用时（中位数）", "days"),
    "time_to_decision_p90_days": ("Time to decision, 90th percentile", "审批用时（第90百分位）", "days"),
    "decided_within_deadline_share": ("Decided within the statutory deadline", "在法定时限内办结的比例", "share"),
    "overdue_cases_now": ("Cases overdue now", "当前超期案件数", "count"),
    "active_discovery_share": ("Cases from active discovery (screening, visits)", "主动发现（预警、走访）案件占比",
                               "share"),
    "clue_conversion_rate": ("Risk clues that became a referral", "风险线索转化率", "share"),
    "objections_lodged": ("Objections lodged", "异议数", "count"),
    "objections_upheld_share": ("Objections upheld", "异议成立比例", "share"),
    "reversals_on_review_share": ("Decisions reversed on review", "审核改变下级意见的比例", "share"),
    "service_wait_median_days": ("Waiting time for a service, median", "服务等待时间（中位数）", "days"),
    "needs_served_share": ("Needs served", "需求已获服务的比例", "share"),
    "provider_delivery_rate": ("Provider delivery rate", "服务方履约率", "share"),
    "provider_rating_mean": ("Provider rating, mean (1–5)", "服务评价平均分（1–5）", "rating"),
    "household_satisfaction_share": ("Assisted households satisfied (rating 4–5)", "救助对象满意率（4–5分）",
                                     "share"),
    "observations_started": ("Observation periods started", "开始渐退观察期数", "count"),
    "observations_reverted": ("Observation periods reverted", "撤销观察期数", "count"),
    "observations_ended_in_exit": ("Observation periods ended in exit", "观察期届满退出数", "count"),
    "relapse_rate_12m": ("Relapse within 12 months of exit", "退出后12个月内返贫率", "share"),
    "relapse_rate_24m": ("Relapse within 24 months of exit", "退出后24个月内返贫率", "share"),
    "petitions_filed": ("Petitions filed", "信访事项数", "count"),
    **{f"petitions_filed_{c}": (f"Petitions filed: {en}", f"信访事项：{zh}", "count") for c, en, zh in (
        ("wrongly_enrolled", "wrongly enrolled", "错保"), ("wrongly_missed", "wrongly missed", "漏保"),
        ("staff_conduct", "staff conduct", "工作人员作风"), ("service_provider", "service provider", "服务机构"),
        ("decision", "a decision", "决定"))},
    "petitions_on_time_share": ("Petition steps (acceptance, reply) on time", "信访事项按期受理、答复的比例",
                                "share"),
    "petitions_overdue_now": ("Petitions overdue now", "当前超期信访事项数", "count"),
}
KEYS = tuple(LABELS)


# -- small pieces -------------------------------------------------------------------------------------------------
def parse(moment: str | datetime) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.fromisoformat(moment.replace("Z", "+00:00"))


def china_date(moment: str | datetime) -> date:
    return parse(moment).astimezone(CHINA_TZ).date()


def days_between(start: str | datetime, end: str | datetime) -> float:
    return (parse(end) - parse(start)).total_seconds() / 86400


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile (None for no values): the value at 1-based rank ceil(p/100 * n) of the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def share(hits: int, n: int) -> float | None:
    return None if n == 0 else hits / n


def mean(values: list[float]) -> float | None:
    return None if not values else sum(values) / len(values)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# -- the KPIs -----------------------------------------------------------------------------------------------------
def time_to_decision(cases: list[Fact], period: Period) -> list[Kpi]:
    decided = [c.attrs for c in cases if c.attrs.get("opened_at") and period.contains(c.attrs.get("decided_at"))]
    days = [days_between(a["opened_at"], a["decided_at"]) for a in decided]
    with_deadline = [a for a in decided if a.get("deadline")]
    on_time = sum(1 for a in with_deadline if china_date(a["decided_at"]) <= date.fromisoformat(a["deadline"]))
    return [Kpi("time_to_decision_median_days", _r(percentile(days, 50)), len(days)),
            Kpi("time_to_decision_p90_days", _r(percentile(days, 90)), len(days)),
            Kpi("decided_within_deadline_share", _r(share(on_time, len(with_deadline))), len(with_deadline))]


def overdue_cases_now(cases: list[Fact]) -> Kpi:
    """Open cases that identification reported past their deadline (now: whatever the period)."""
    n = sum(1 for c in cases if c.attrs.get("overdue_at") and not c.attrs.get("decided_at")
            and not c.attrs.get("withdrawn_at"))
    return Kpi("overdue_cases_now", n, n)


def active_discovery_share(cases: list[Fact], period: Period) -> Kpi:
    """Cases opened in the period from a referral (screening of partner signals, home visits) vs an application."""
    opened = [c.attrs for c in cases if period.contains(c.attrs.get("opened_at")) and c.attrs.get("source_type")]
    return Kpi("active_discovery_share", _r(share(sum(1 for a in opened if a["source_type"] == "referral"),
                                                  len(opened))), len(opened))


def clue_conversion_rate(clues: list[Fact], period: Period) -> Kpi:
    """Clues raised in the period that became a referral to identification (by now)."""
    raised = [c.attrs for c in clues if period.contains(c.attrs.get("raised_at"))]
    return Kpi("clue_conversion_rate", _r(share(sum(1 for a in raised if a.get("referred_at")), len(raised))),
               len(raised))


def objections(objs: list[Fact], period: Period) -> list[Kpi]:
    lodged = sum(1 for o in objs if period.contains(o.attrs.get("lodged_at")))
    resolved = [o.attrs for o in objs if period.contains(o.attrs.get("resolved_at"))]
    return [Kpi("objections_lodged", lodged, lodged),
            Kpi("objections_upheld_share", _r(share(sum(1 for a in resolved if a.get("upheld")), len(resolved))),
                len(resolved))]


def _approves(outcome: str | None) -> bool | None:
    if outcome is None:
        return None
    return outcome in ("approve", "identified") or outcome.startswith("recommend_approval")


def reversals_on_review(cases: list[Fact], period: Period) -> Kpi:
    """Of the review steps of cases decided in the period (village democratic review -> township review, township
    review -> county decision), the share where the upper level came to the opposite view."""
    steps = reversed_ = 0
    for c in cases:
        a = c.attrs
        if not period.contains(a.get("decided_at")):
            continue
        chain = [_approves(a.get("review_outcome")), _approves(a.get("township_outcome")), _approves(a.get("decision"))]
        for lower, upper in zip(chain, chain[1:]):
            if lower is not None and upper is not None:
                steps += 1
                reversed_ += lower != upper
    return Kpi("reversals_on_review_share", _r(share(reversed_, steps)), steps)


def services(needs: list[Fact], referrals: list[Fact], period: Period) -> list[Kpi]:
    matched = [n.attrs for n in needs if n.attrs.get("assessed_at") and period.contains(n.attrs.get("matched_at"))]
    waits = [max(0.0, days_between(a["assessed_at"], a["matched_at"])) for a in matched]
    assessed = [n.attrs for n in needs if period.contains(n.attrs.get("assessed_at"))]
    closed = [r.attrs for r in referrals if period.contains(r.attrs.get("matched_at"))
              and (r.attrs.get("delivered_at") or r.attrs.get("cancelled_at"))]
    return [Kpi("service_wait_median_days", _r(percentile(waits, 50)), len(waits)),
            Kpi("needs_served_share", _r(share(sum(1 for a in assessed if a.get("delivered_at")), len(assessed))),
                len(assessed)),
            Kpi("provider_delivery_rate", _r(share(sum(1 for a in closed if a.get("delivered_at")), len(closed))),
                len(closed))]


def feedback(items: list[Fact], period: Period) -> list[Kpi]:
    rated = [f.attrs for f in items if period.contains(f.attrs.get("recorded_at")) and f.attrs.get("rating")]
    by_households = [a for a in rated if a.get("source") == "household"]
    return [Kpi("provider_rating_mean", _r(mean([a["rating"] for a in rated])), len(rated)),
            Kpi("household_satisfaction_share",
                _r(share(sum(1 for a in by_households if a["rating"] >= SATISFIED_RATING), len(by_households))),
                len(by_households))]


def observations(obs: list[Fact], exits: list[Fact], period: Period) -> list[Kpi]:
    started = sum(1 for o in obs if period.contains(o.attrs.get("started_at")))
    reverted = sum(1 for o in obs if period.contains(o.attrs.get("reverted_at")))
    exited = {(e.household_id, e.attrs.get("programme")): e.attrs["exited_at"] for e in exits
              if e.attrs.get("exited_at")}
    ended = 0
    for o in obs:
        at = exited.get((o.household_id, o.attrs.get("programme")))
        if o.attrs.get("completed_at") and at and period.contains(at) and not o.attrs.get("reverted_at"):
            ended += 1
    return [Kpi("observations_started", started, started), Kpi("observations_reverted", reverted, reverted),
            Kpi("observations_ended_in_exit", ended, ended)]


def relapse_rates(exits: list[Fact], relapses: list[Fact], period: Period, as_of: datetime) -> list[Kpi]:
    """Exits in the period whose whole window has passed by `as_of`; relapsed if follow-up detected a relapse of the
    household after the exit and within the window (365 or 730 days)."""
    detected: dict[str | None, list[datetime]] = {}
    for r in relapses:
        if r.attrs.get("detected_at"):
            detected.setdefault(r.household_id, []).append(parse(r.attrs["detected_at"]))
    out = []
    for months, days in RELAPSE_WINDOWS.items():
        window = timedelta(days=days)
        eligible = [e for e in exits if period.contains(e.attrs.get("exited_at"))
                    and parse(e.attrs["exited_at"]) + window <= as_of]
        hit = sum(1 for e in eligible if any(parse(e.attrs["exited_at"]) < t <= parse(e.attrs["exited_at"]) + window
                                             for t in detected.get(e.household_id, [])))
        out.append(Kpi(f"relapse_rate_{months}m", _r(share(hit, len(eligible))), len(eligible)))
    return out


def petitions(items: list[Fact], period: Period) -> list[Kpi]:
    filed = [p.attrs for p in items if period.contains(p.attrs.get("filed_at"))]
    out = [Kpi("petitions_filed", len(filed), len(filed))]
    for category in PETITION_CATEGORIES:
        k = sum(1 for a in filed if a.get("category") == category)
        out.append(Kpi(f"petitions_filed_{category}", k, k))
    steps = [p.attrs.get("decided_on_time") for p in items if period.contains(p.attrs.get("decided_at"))]
    steps += [p.attrs.get("replied_on_time") for p in items if period.contains(p.attrs.get("replied_at"))]
    steps = [s for s in steps if s is not None]
    out.append(Kpi("petitions_on_time_share", _r(share(sum(1 for s in steps if s), len(steps))), len(steps)))
    overdue = sum(1 for p in items if (p.attrs.get("acceptance_overdue_at") and not p.attrs.get("decided_at"))
                  or (p.attrs.get("reply_overdue_at") and not p.attrs.get("replied_at")))
    out.append(Kpi("petitions_overdue_now", overdue, overdue))
    return out


def all_kpis(facts: list[Fact], period: Period, as_of: datetime) -> list[Kpi]:
    """Every KPI of one area, in the order of KEYS."""
    by: dict[str, list[Fact]] = {}
    for f in facts:
        by.setdefault(f.kind, []).append(f)
    g = lambda kind: by.get(kind, [])  # noqa: E731
    items = [*time_to_decision(g("case"), period), overdue_cases_now(g("case")),
             active_discovery_share(g("case"), period), clue_conversion_rate(g("clue"), period),
             *objections(g("objection"), period), reversals_on_review(g("case"), period),
             *services(g("need"), g("referral"), period), *feedback(g("feedback"), period),
             *observations(g("observation"), g("exit"), period),
             *relapse_rates(g("exit"), g("relapse"), period, as_of), *petitions(g("petition"), period)]
    order = {k: i for i, k in enumerate(KEYS)}
    return sorted(items, key=lambda k: order[k.key])
