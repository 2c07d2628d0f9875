"""Every query discovery makes."""
from __future__ import annotations

from datetime import date, datetime
from typing import Iterable, Sequence

from sqlalchemy import Select, and_, func, not_, select, update
from sqlalchemy.orm import Session, selectinload

from discovery.domain.lifecycle import AWAITING_VISIT
from discovery.models import (
    Application,
    Clue,
    DiscoveryRecord,
    Household,
    HouseholdMember,
    Referral,
    Signal,
    Visit,
)


def _insert(session: Session, table):
    """INSERT that can skip rows whose key already exists (PostgreSQL and SQLite both say ON CONFLICT DO NOTHING)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _page(session: Session, query: Select, order, limit: int, offset: int) -> tuple[list, int]:
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def _in_area(column, area: str | None, division_prefix: str | None):
    """Conditions for rows in an officer's area, optionally narrowed by a division-code prefix of their own."""
    conditions = []
    for prefix in (area, division_prefix):
        if prefix:
            conditions.append(column.startswith(prefix, autoescape=True))
    return conditions


# --- households ---------------------------------------------------------------------------------------------------
def get_household(session: Session, household_id: str, lock: bool = False) -> Household | None:
    query = select(Household).where(Household.id == household_id)
    if lock:  # serialises every change to one household's record (no-op on SQLite, which has one writer anyway)
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def households_of_people(session: Session, id_numbers: Iterable[str]) -> dict[str, str]:
    """Resident ID number -> household id, for the people already known."""
    rows = session.execute(select(HouseholdMember.id_number, HouseholdMember.household_id)
                           .where(HouseholdMember.id_number.in_(list(id_numbers)))).all()
    return {r.id_number: r.household_id for r in rows}


def opened_on(session: Session, household_ids: Iterable[str]) -> dict[str, date]:
    rows = session.execute(select(Household.id, Household.opened_at).where(Household.id.in_(list(household_ids)))).all()
    return {r.id: r.opened_at.date() for r in rows}


def add_members(session: Session, household_id: str, members: Sequence[dict], now: datetime) -> set[str]:
    """Adds the people not yet on any household; returns the ID numbers actually added (a concurrent request may
    have recognised some of them first)."""
    if not members:
        return set()
    rows = [{"id_number": m["id_number"], "household_id": household_id, "name": m.get("name"),
             "relationship": m.get("relationship"), "added_at": now} for m in members]
    stmt = _insert(session, HouseholdMember.__table__).values(rows).on_conflict_do_nothing(
        index_elements=["id_number"]).returning(HouseholdMember.__table__.c.id_number)
    return set(session.execute(stmt).scalars())


def fill_member_details(session: Session, household_id: str, members: Sequence[dict]) -> None:
    """Names and relationships learnt later (e.g. at a visit) for people recorded by ID number only."""
    for m in members:
        if m.get("name") or m.get("relationship"):
            session.execute(update(HouseholdMember).where(
                HouseholdMember.id_number == m["id_number"], HouseholdMember.household_id == household_id,
                HouseholdMember.name.is_(None)).values(name=m.get("name"), relationship=m.get("relationship")))


def members_of(session: Session, household_id: str) -> list[HouseholdMember]:
    return list(session.execute(select(HouseholdMember).where(HouseholdMember.household_id == household_id)
                                .order_by(HouseholdMember.added_at, HouseholdMember.id_number)).scalars())


def move_household(session: Session, from_id: str, to_id: str) -> None:
    """Everything of one household record onto another (two records of the same family become one)."""
    for model in (HouseholdMember, Visit, Clue, Referral, Application, DiscoveryRecord):
        session.execute(update(model).where(model.household_id == from_id).values(household_id=to_id))


def move_record_items(session: Session, from_record_id: str, to_record_id: str) -> None:
    for model in (Visit, Clue, Application, Referral):
        session.execute(update(model).where(model.record_id == from_record_id).values(record_id=to_record_id))


# --- records ------------------------------------------------------------------------------------------------------
def open_record(session: Session, household_id: str) -> DiscoveryRecord | None:
    """The household's record that is not closed (there is at most one)."""
    return session.execute(select(DiscoveryRecord).where(DiscoveryRecord.household_id == household_id,
                                                         DiscoveryRecord.status != "closed")).scalar_one_or_none()


def records_of(session: Session, household_id: str) -> list[DiscoveryRecord]:
    return list(session.execute(select(DiscoveryRecord).where(DiscoveryRecord.household_id == household_id)
                                .order_by(DiscoveryRecord.opened_at)).scalars())


def get_record(session: Session, record_id: str) -> DiscoveryRecord | None:
    return session.get(DiscoveryRecord, record_id)


# --- applications -------------------------------------------------------------------------------------------------
def get_application(session: Session, application_id: str) -> Application | None:
    return session.execute(select(Application).options(selectinload(Application.members),
                                                       selectinload(Application.timeline))
                           .where(Application.id == application_id)).scalar_one_or_none()


def list_applications(session: Session, area: str | None, division_prefix: str | None, status: str | None,
                      limit: int, offset: int) -> tuple[list[Application], int]:
    query = select(Application).options(selectinload(Application.members), selectinload(Application.timeline)).where(
        *_in_area(Application.division_code, area, division_prefix))
    if status:
        query = query.where(Application.status == status)
    return _page(session, query, (Application.submitted_at.desc(), Application.id), limit, offset)


def applications_of_household(session: Session, household_id: str) -> list[Application]:
    return list(session.execute(select(Application).options(selectinload(Application.members),
                                                            selectinload(Application.timeline))
                                .where(Application.household_id == household_id)
                                .order_by(Application.submitted_at)).scalars())


def applications_of_record(session: Session, record_id: str) -> list[Application]:
    return list(session.execute(select(Application).where(Application.record_id == record_id)
                                .order_by(Application.submitted_at)).scalars())


def applications_of_case(session: Session, household_id: str, case_id: str, record_id: str | None) -> list[Application]:
    """The applications an identification decision about `case_id` concerns: those joined to the case, and those of
    the household's open record that are still waiting for their case (its event may come after the decision)."""
    waiting = (Application.case_id.is_(None) & (Application.status == "submitted")
               & (Application.record_id == record_id)) if record_id else None
    condition = Application.case_id == case_id if waiting is None else (Application.case_id == case_id) | waiting
    return list(session.execute(select(Application).where(Application.household_id == household_id, condition)
                                .order_by(Application.submitted_at)).scalars())


# --- visits -------------------------------------------------------------------------------------------------------
def get_visit(session: Session, visit_id: str) -> Visit | None:
    return session.get(Visit, visit_id)


def visits_of_household(session: Session, household_id: str) -> list[Visit]:
    return list(session.execute(select(Visit).where(Visit.household_id == household_id)
                                .order_by(Visit.recorded_at)).scalars())


def unreferred_visits(session: Session, record_id: str) -> list[Visit]:
    return list(session.execute(select(Visit).where(Visit.record_id == record_id, Visit.referral_id.is_(None))
                                .order_by(Visit.visited_on, Visit.recorded_at, Visit.id)).scalars())


# --- signals and clues --------------------------------------------------------------------------------------------
def take_signal(session: Session, values: dict) -> int | None:
    """Records a partner record once; None when (source_department, external_id) was already taken in."""
    stmt = _insert(session, Signal.__table__).values(**values).on_conflict_do_nothing(
        index_elements=["source_department", "external_id"]).returning(Signal.__table__.c.id)
    return session.execute(stmt).scalar_one_or_none()


def signal_by_key(session: Session, source_department: str, external_id: str) -> Signal | None:
    return session.execute(select(Signal).where(Signal.source_department == source_department,
                                                Signal.external_id == external_id)).scalar_one_or_none()


def set_signal_clue(session: Session, signal_id: int, clue_id: str) -> None:
    session.execute(update(Signal).where(Signal.id == signal_id).values(clue_id=clue_id))


def get_clue(session: Session, clue_id: str) -> Clue | None:
    return session.get(Clue, clue_id)


def _overdue(today: date):
    """The SQL form of lifecycle.clue_overdue."""
    return and_(Clue.status.in_(list(AWAITING_VISIT)), Clue.task_due_on.is_not(None), Clue.task_due_on < today)


def list_clues(session: Session, area: str | None, division_prefix: str | None, status: str | None,
               household_id: str | None, limit: int, offset: int, *, overdue: bool | None = None,
               today: date | None = None) -> tuple[list[Clue], int]:
    query = select(Clue).where(*_in_area(Clue.division_code, area, division_prefix))
    if status:
        query = query.where(Clue.status == status)
    if household_id:
        query = query.where(Clue.household_id == household_id)
    if overdue is not None:
        query = query.where(_overdue(today) if overdue else not_(_overdue(today)))
    # overdue tasks first (oldest due date first), so the village sees what is late before what is new
    order = (Clue.task_due_on, Clue.id) if overdue else (Clue.raised_at.desc(), Clue.id)
    return _page(session, query, order, limit, offset)


def overdue_clues_to_report(session: Session, today: date, limit: int = 500) -> list[Clue]:
    """Overdue clues not yet reported, locked so that two timers never report one twice."""
    return list(session.execute(select(Clue).where(_overdue(today), Clue.overdue_reported_at.is_(None))
                                .order_by(Clue.task_due_on, Clue.id).limit(limit).with_for_update(skip_locked=True))
                .scalars())


def count_overdue_clues(session: Session, today: date) -> int:
    return session.execute(select(func.count()).select_from(Clue).where(_overdue(today))).scalar_one()


def clues_of_record(session: Session, record_id: str, statuses: Iterable[str]) -> list[Clue]:
    return list(session.execute(select(Clue).where(Clue.record_id == record_id, Clue.status.in_(list(statuses)))
                                .order_by(Clue.raised_at, Clue.signal_id)).scalars())


def clues_of_household(session: Session, household_id: str, statuses: Iterable[str] | None = None) -> list[Clue]:
    query = select(Clue).where(Clue.household_id == household_id)
    if statuses is not None:
        query = query.where(Clue.status.in_(list(statuses)))
    return list(session.execute(query.order_by(Clue.raised_at, Clue.signal_id)).scalars())


def count_clues_of_record(session: Session, record_id: str, statuses: Iterable[str]) -> int:
    return session.execute(select(func.count()).select_from(Clue).where(
        Clue.record_id == record_id, Clue.status.in_(list(statuses)))).scalar_one()


# --- referrals ----------------------------------------------------------------------------------------------------
def get_referral(session: Session, referral_id: str) -> Referral | None:
    return session.get(Referral, referral_id)


def referrals_of_household(session: Session, household_id: str) -> list[Referral]:
    return list(session.execute(select(Referral).where(Referral.household_id == household_id)
                                .order_by(Referral.referred_at)).scalars())


def referrals_of_case(session: Session, household_id: str, case_id: str) -> list[Referral]:
    return list(session.execute(select(Referral).where(
        Referral.household_id == household_id,
        (Referral.case_id == case_id) | (Referral.case_id.is_(None) & (Referral.status == "sent")))).scalars())


# --- audit scoping ------------------------------------------------------------------------------------------------
AUDITED_ENTITIES = {"application": Application, "household": Household, "visit": Visit, "clue": Clue,
                    "referral": Referral}


def division_of(session: Session, entity_type: str, entity_id: str) -> str | None:
    """The division code of an audited record, to check it lies in the officer's area."""
    model = AUDITED_ENTITIES[entity_type]
    return session.execute(select(model.division_code).where(model.id == entity_id)).scalar_one_or_none()
