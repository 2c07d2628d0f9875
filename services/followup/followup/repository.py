"""Every query followup makes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from followup.models import Checkin, PartnerSignal, Plan, PlanExit, PlanMember, Relapse, ScheduledCheckin


def get_plan(session: Session, plan_id: str, *, for_update: bool = False) -> Plan | None:
    query = select(Plan).where(Plan.id == plan_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def plan_of_household(session: Session, household_id: str, *, for_update: bool = False) -> Plan | None:
    query = select(Plan).where(Plan.household_id == household_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def plans_of_person(session: Session, id_number: str) -> list[Plan]:
    """Plans with this person among the members, the most recently (re)started first."""
    return list(session.execute(select(Plan).join(PlanMember, PlanMember.plan_id == Plan.id)
                                .where(PlanMember.id_number == id_number)
                                .order_by(Plan.cycle_started_at.desc(), Plan.id)).scalars())


def replace_members(session: Session, plan: Plan, members: list[dict]) -> None:
    session.execute(delete(PlanMember).where(PlanMember.plan_id == plan.id))
    seen: set[str] = set()
    for m in members:
        if m["id_number"] in seen:
            continue
        seen.add(m["id_number"])
        session.add(PlanMember(plan_id=plan.id, id_number=m["id_number"], name=m.get("name"),
                               relationship=m.get("relationship")))


def list_plans(session: Session, *, area: str = "", household_id: str | None = None,
               division_prefix: str | None = None, status: str | None = None, overdue: bool | None = None,
               limit: int = 50, offset: int = 0) -> tuple[list[Plan], int]:
    query = select(Plan).where(Plan.division_code.startswith(area))
    if household_id:
        query = query.where(Plan.household_id == household_id)
    if division_prefix:
        query = query.where(Plan.division_code.startswith(division_prefix))
    if status:
        query = query.where(Plan.status == status)
    if overdue is not None:
        reported = select(ScheduledCheckin.plan_id).where(ScheduledCheckin.status == "pending",
                                                          ScheduledCheckin.overdue_reported_at.is_not(None))
        query = query.where(Plan.id.in_(reported) if overdue else Plan.id.not_in(reported))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Plan.cycle_started_at.desc(), Plan.id).limit(limit).offset(offset)).scalars()
    return list(rows), total


def get_exit(session: Session, exit_id: str) -> PlanExit | None:
    return session.get(PlanExit, exit_id)


def exits_of(session: Session, plan_id: str) -> list[PlanExit]:
    return list(session.execute(select(PlanExit).where(PlanExit.plan_id == plan_id)
                                .order_by(PlanExit.received_at, PlanExit.exited_at, PlanExit.exit_id)).scalars())


def schedule_of(session: Session, plan_id: str) -> list[ScheduledCheckin]:
    return list(session.execute(select(ScheduledCheckin).where(ScheduledCheckin.plan_id == plan_id)
                                .order_by(ScheduledCheckin.seq)).scalars())


def pending_of(session: Session, plan_id: str) -> list[ScheduledCheckin]:
    return list(session.execute(select(ScheduledCheckin).where(ScheduledCheckin.plan_id == plan_id,
                                                               ScheduledCheckin.status == "pending")
                                .order_by(ScheduledCheckin.seq)).scalars())


def last_seq(session: Session, plan_id: str) -> int:
    return session.execute(select(func.coalesce(func.max(ScheduledCheckin.seq), 0))
                           .where(ScheduledCheckin.plan_id == plan_id)).scalar_one()


def checkins_of(session: Session, plan_id: str) -> list[Checkin]:
    return list(session.execute(select(Checkin).where(Checkin.plan_id == plan_id)
                                .order_by(Checkin.visited_on, Checkin.recorded_at)).scalars())


def signals_of(session: Session, plan_id: str) -> list[PartnerSignal]:
    return list(session.execute(select(PartnerSignal).where(PartnerSignal.plan_id == plan_id)
                                .order_by(PartnerSignal.received_at)).scalars())


def signal_by_source(session: Session, department: str, external_id: str) -> PartnerSignal | None:
    return session.execute(select(PartnerSignal).where(PartnerSignal.source_department == department,
                                                       PartnerSignal.external_id == external_id)).scalar_one_or_none()


def relapses_of(session: Session, plan_id: str) -> list[Relapse]:
    return list(session.execute(select(Relapse).where(Relapse.plan_id == plan_id)
                                .order_by(Relapse.detected_at)).scalars())


def get_relapse(session: Session, relapse_id: str, *, for_update: bool = False) -> Relapse | None:
    query = select(Relapse).where(Relapse.id == relapse_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def overdue_unreported(session: Session, today: date) -> list[tuple[ScheduledCheckin, Plan]]:
    """Pending check-ins of active plans past their last on-time day, not yet reported; locked, skipping rows a
    concurrent timer holds, so two timers never report the same one."""
    rows = session.execute(select(ScheduledCheckin, Plan).join(Plan, Plan.id == ScheduledCheckin.plan_id)
                           .where(ScheduledCheckin.status == "pending", ScheduledCheckin.overdue_after < today,
                                  ScheduledCheckin.overdue_reported_at.is_(None), Plan.status == "active")
                           .order_by(ScheduledCheckin.overdue_after, ScheduledCheckin.seq)
                           .with_for_update(of=ScheduledCheckin, skip_locked=True)).all()
    return [(row[0], row[1]) for row in rows]


def count_overdue_open(session: Session, today: date) -> int:
    return session.execute(select(func.count()).select_from(ScheduledCheckin).join(Plan, Plan.id == ScheduledCheckin.plan_id)
                           .where(ScheduledCheckin.status == "pending", ScheduledCheckin.overdue_after < today,
                                  Plan.status == "active")).scalar_one()


def plans_past_end(session: Session, today: date) -> list[Plan]:
    return list(session.execute(select(Plan).where(Plan.status == "active", Plan.ends_on <= today)
                                .order_by(Plan.ends_on, Plan.id).with_for_update(skip_locked=True)).scalars())
