"""The exit taper (渐退期救助金逐月递减) as pure rules: what share of a monthly cash benefit is paid in each month of a
gradual-exit observation, and the amount.

gradual_exit decides the schedule (``support_schedule``: ``[{month, share}]``, rule data of the region) and sends it
with ``gradual_exit.observation.started``; assistance pays it. Both count months the same way, so that the share
gradual_exit shows on a day is the share assistance pays that day:

- month 1 starts on the day the observation started (China Standard Time); month *n* starts on the same day *n − 1*
  calendar months later, or on that month's last day when it is shorter (31 January → 28/29 February → 31 March);
- the share of month *n* is the share of the schedule entry with the greatest ``month`` not after *n*: the last entry
  carries on after the schedule ends (through the exit review and notice, until the exit or a revert), and months
  before the first entry are paid in full;
- before the observation starts, and once it is reverted, the full amount is paid (share 1).

Amounts are the full monthly amount × the share, rounded to the cent, half up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from assistance.domain.catalogue import PROGRAMME_NAMES
from assistance.domain.rules import local_date
from assistance.domain.wording import money, yuan, yuan_zh
from shared.working_days import add_months

ONE = Decimal(1)


@dataclass(frozen=True)
class ScheduleEntry:
    month: int
    share: Decimal


@dataclass(frozen=True)
class TaperMonth:
    """One month of the taper: its number, first and last day, the share and the amount paid."""

    month: int
    starts_on: date
    ends_on: date
    share: Decimal
    amount_yuan: Decimal

    def as_dict(self) -> dict:
        return {"month": self.month, "starts_on": self.starts_on.isoformat(), "ends_on": self.ends_on.isoformat(),
                "share": float(self.share), "amount_yuan": str(self.amount_yuan)}


def parse_schedule(raw: list[dict]) -> tuple[ScheduleEntry, ...]:
    """The schedule of an observation event, sorted by month; refuses what cannot be paid (a share outside 0-1)."""
    if not raw:
        raise ValueError("support_schedule must have at least one month")
    entries = []
    for item in raw:
        month, share = item["month"], Decimal(str(item["share"]))
        if isinstance(month, bool) or not isinstance(month, int) or month < 1:
            raise ValueError(f"support_schedule month must be a whole number of at least 1, got {month!r}")
        if not share.is_finite() or not ONE >= share >= 0:
            raise ValueError(f"support_schedule share must be from 0 to 1, got {item['share']!r}")
        entries.append(ScheduleEntry(month, share))
    months = [e.month for e in entries]
    if len(set(months)) != len(months):
        raise ValueError("support_schedule lists a month twice")
    return tuple(sorted(entries, key=lambda e: e.month))


def month_starts_on(started_on: date, month: int) -> date:
    if month < 1:
        raise ValueError(f"observation months are counted from 1, got {month}")
    return add_months(started_on, month - 1)


def month_number(started_on: date, on: date) -> int:
    """The observation month that ``on`` falls in (1 = from the start day), or 0 before the observation started."""
    on, started_on = local_date(on), local_date(started_on)
    if on < started_on:
        return 0
    months = (on.year - started_on.year) * 12 + on.month - started_on.month
    while months > 0 and add_months(started_on, months) > on:
        months -= 1
    return months + 1


def share_of_month(schedule: tuple[ScheduleEntry, ...], month: int) -> Decimal:
    """The share paid in ``month`` (0: not started, full)."""
    share = ONE
    for entry in schedule:
        if entry.month > month:
            break
        share = entry.share
    return share


def tapered(full_amount: Decimal, share: Decimal) -> Decimal:
    return money(Decimal(full_amount) * share)


def plan(full_amount: Decimal, started_on: date, schedule: tuple[ScheduleEntry, ...]) -> tuple[TaperMonth, ...]:
    """Every month the schedule names (up to its last entry), with its dates and the amount paid."""
    last = schedule[-1].month
    months = []
    for month in range(1, last + 1):
        starts = month_starts_on(started_on, month)
        ends = date.fromordinal(month_starts_on(started_on, month + 1).toordinal() - 1)
        share = share_of_month(schedule, month)
        months.append(TaperMonth(month, starts, ends, share, tapered(full_amount, share)))
    return tuple(months)


@dataclass(frozen=True)
class Entitlement:
    """What is paid on one day: the observation month (0 = none), the share and the amount, and why."""

    month: int
    share: Decimal
    full_amount_yuan: Decimal
    amount_yuan: Decimal
    en: str
    zh: str


def percent(share: Decimal) -> str:
    value = (Decimal(share) * 100).quantize(Decimal("0.1"))
    return f"{value.normalize():f}%"


def entitlement(programme: str, full_amount: Decimal, started_on: date, schedule: tuple[ScheduleEntry, ...],
                on: date, *, rule_version: str, reverted: bool = False) -> Entitlement:
    """The amount of ``programme``'s monthly benefit on day ``on`` of an observation, explained in English and Chinese.

    ``reverted``: the observation ended without an exit, so the full amount is paid again from then on.
    """
    name_en, name_zh = PROGRAMME_NAMES[programme]
    full = money(full_amount)
    if reverted:
        return Entitlement(0, ONE, full, full,
                           f"The gradual-exit observation of {name_en} was reverted (rule set {rule_version}): the full "
                           f"{yuan(full)} a month is paid again.",
                           f"{name_zh}渐退观察期已撤销（规则版本{rule_version}），恢复按月全额发放{yuan_zh(full)}。")
    month = month_number(started_on, on)
    if month == 0:
        return Entitlement(0, ONE, full, full,
                           f"The gradual-exit observation of {name_en} starts on {started_on.isoformat()} (rule set "
                           f"{rule_version}); until then the full {yuan(full)} a month is paid.",
                           f"{name_zh}渐退观察期自{started_on.isoformat()}开始（规则版本{rule_version}），"
                           f"此前按月全额发放{yuan_zh(full)}。")
    share = share_of_month(schedule, month)
    amount = tapered(full, share)
    starts = month_starts_on(started_on, month)
    after = month > schedule[-1].month
    carry_en = " (the schedule's last share continues until the exit decision)" if after else ""
    carry_zh = "（渐退期已满，按最后一个月的比例发放至退出决定）" if after else ""
    return Entitlement(
        month, share, full, amount,
        f"Gradual exit of {name_en}, month {month} of the observation that started on {started_on.isoformat()} "
        f"(this month from {starts.isoformat()}){carry_en}: {percent(share)} of the full {yuan(full)} a month is "
        f"paid, {yuan(amount)}, under gradual-exit rule set {rule_version}.",
        f"{name_zh}渐退观察期第{month}个月（观察期自{started_on.isoformat()}起，本月自{starts.isoformat()}起）"
        f"{carry_zh}：按每月全额{yuan_zh(full)}的{percent(share)}发放{yuan_zh(amount)}，依据渐退规则版本{rule_version}。")
