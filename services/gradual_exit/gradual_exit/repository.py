"""Every query gradual_exit makes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from gradual_exit.domain.exit_flow import TERMINAL_STATES
from gradual_exit.models import Enrolment, ExitNotice, ExitObjection, Household, Observation, Participation, Situation


def _page(session: Session, query, order, limit: int, offset: int) -> tuple[list, int]:
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


# --- households ----------------------------------------------------------------------------------------------------

def get_household(session: Session, household_id: str, *, for_update: bool = False) -> Household | None:
    query = select(Household).where(Household.id == household_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def enrolment(session: Session, case_id: str) -> Enrolment | None:
    return session.get(Enrolment, case_id)


def list_households(session: Session, *, area: str, division_prefix: str | None, programme: str | None,
                    status: str | None, review_overdue: bool | None, today: date, limit: int,
                    offset: int) -> tuple[list[Household], int]:
    query = select(Household).where(Household.division_code.startswith(area))
    if division_prefix:
        query = query.where(Household.division_code.startswith(division_prefix))
    if programme or status:
        match = select(Participation.id).where(Participation.household_id == Household.id)
        if programme:
            match = match.where(Participation.programme == programme)
        if status:
            match = match.where(Participation.status == status)
        query = query.where(exists(match))
    if review_overdue is not None:
        overdue = Household.next_review_due.is_not(None) & (Household.next_review_due < today)
        query = query.where(overdue if review_overdue else ~overdue)
    return _page(session, query, (Household.enrolled_at.desc(), Household.id), limit, offset)


def households_with_review_due(session: Session, today: date) -> list[Household]:
    """Households past their review due day whose due review has not been reported yet (locked, skipping busy ones)."""
    return list(session.execute(select(Household).where(
        Household.next_review_due.is_not(None), Household.next_review_due < today,
        (Household.review_due_reported_for.is_(None)) | (Household.review_due_reported_for != Household.next_review_due))
        .order_by(Household.next_review_due, Household.id).with_for_update(skip_locked=True)).scalars())


def count_reviews_overdue(session: Session, today: date) -> int:
    return session.execute(select(func.count()).select_from(Household).where(
        Household.next_review_due.is_not(None), Household.next_review_due < today)).scalar_one()


# --- participations ------------------------------------------------------------------------------------------------

def participations_of(session: Session, household_id: str, *, for_update: bool = False) -> list[Participation]:
    query = select(Participation).where(Participation.household_id == household_id).order_by(
        Participation.enrolled_at, Participation.programme)
    if for_update:
        query = query.with_for_update()
    return list(session.execute(query).scalars())


def open_participations(session: Session, household_id: str, *, for_update: bool = False) -> list[Participation]:
    return [p for p in participations_of(session, household_id, for_update=for_update)
            if p.status not in TERMINAL_STATES]


def get_participation(session: Session, participation_id: str, *, for_update: bool = False) -> Participation | None:
    query = select(Participation).where(Participation.id == participation_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def list_participations(session: Session, *, area: str, division_prefix: str | None, programme: str | None,
                        status: str | None, household_id: str | None, limit: int,
                        offset: int) -> tuple[list[Participation], int]:
    query = select(Participation).where(Participation.division_code.startswith(area))
    if division_prefix:
        query = query.where(Participation.division_code.startswith(division_prefix))
    if programme:
        query = query.where(Participation.programme == programme)
    if status:
        query = query.where(Participation.status == status)
    if household_id:
        query = query.where(Participation.household_id == household_id)
    return _page(session, query, (Participation.updated_at.desc(), Participation.id), limit, offset)


def observations_ending(session: Session, today: date) -> list[str]:
    """Ids of participations in observation whose period is complete by ``today``, oldest first."""
    return list(session.execute(select(Participation.id).where(
        Participation.status == "observation", Participation.observation_ends_on.is_not(None),
        Participation.observation_ends_on <= today).order_by(Participation.observation_ends_on, Participation.id))
        .scalars())


# --- observations and notices ---------------------------------------------------------------------------------------

def get_observation(session: Session, observation_id: str | None) -> Observation | None:
    return session.get(Observation, observation_id) if observation_id else None


def observations_of(session: Session, participation_id: str) -> list[Observation]:
    return list(session.execute(select(Observation).where(Observation.participation_id == participation_id)
                                .order_by(Observation.started_at)).scalars())


def open_notice(session: Session, participation_id: str) -> ExitNotice | None:
    return session.execute(select(ExitNotice).where(ExitNotice.participation_id == participation_id,
                                                    ExitNotice.status == "open")).scalar_one_or_none()


def notices_of(session: Session, participation_id: str) -> list[ExitNotice]:
    return list(session.execute(select(ExitNotice).where(ExitNotice.participation_id == participation_id)
                                .order_by(ExitNotice.published_at)).scalars())


def public_notices(session: Session, division_prefix: str | None, today: date, limit: int,
                   offset: int) -> tuple[list[ExitNotice], int]:
    query = select(ExitNotice).where(ExitNotice.status == "open", ExitNotice.first_day <= today,
                                     ExitNotice.last_day >= today)
    if division_prefix:
        query = query.where(ExitNotice.division_code.startswith(division_prefix))
    return _page(session, query, (ExitNotice.published_at.desc(), ExitNotice.id), limit, offset)


def get_notice(session: Session, notice_id: str) -> ExitNotice | None:
    return session.get(ExitNotice, notice_id)


# --- objections -----------------------------------------------------------------------------------------------------

def get_objection(session: Session, objection_id: str, *, for_update: bool = False) -> ExitObjection | None:
    query = select(ExitObjection).where(ExitObjection.id == objection_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def objections_of(session: Session, participation_id: str) -> list[ExitObjection]:
    return list(session.execute(select(ExitObjection).where(ExitObjection.participation_id == participation_id)
                                .order_by(ExitObjection.lodged_at, ExitObjection.id)).scalars())


def objections_of_notice(session: Session, notice_id: str, *, status: str | None = None,
                         for_update: bool = False) -> list[ExitObjection]:
    query = select(ExitObjection).where(ExitObjection.notice_id == notice_id)
    if status:
        query = query.where(ExitObjection.status == status)
    if for_update:
        query = query.with_for_update()
    return list(session.execute(query.order_by(ExitObjection.lodged_at, ExitObjection.id)).scalars())


def open_objection_count(session: Session, participation_id: str) -> int:
    return session.execute(select(func.count()).select_from(ExitObjection).where(
        ExitObjection.participation_id == participation_id, ExitObjection.status == "open")).scalar_one()


# --- situations -----------------------------------------------------------------------------------------------------

def get_situation(session: Session, situation_id: str) -> Situation | None:
    return session.get(Situation, situation_id)


def situations_of(session: Session, household_id: str, limit: int, offset: int) -> tuple[list[Situation], int]:
    query = select(Situation).where(Situation.household_id == household_id)
    return _page(session, query, (Situation.recorded_at.desc(), Situation.id), limit, offset)
