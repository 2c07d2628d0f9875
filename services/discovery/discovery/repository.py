"""Every query discovery makes."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from discovery.models import Application, ApplicationMember


def get_application(session: Session, application_id: str) -> Application | None:
    return session.execute(select(Application).options(selectinload(Application.members))
                           .where(Application.id == application_id)).scalar_one_or_none()


def household_of_members(session: Session, id_numbers: list[str]) -> str | None:
    """The household already known for any of these people (one household, one record)."""
    return session.execute(
        select(Application.household_id).join(ApplicationMember, ApplicationMember.application_id == Application.id)
        .where(ApplicationMember.id_number.in_(id_numbers)).order_by(Application.submitted_at).limit(1)
    ).scalar_one_or_none()


def list_applications(session: Session, division_prefix: str | None, limit: int, offset: int) -> tuple[list[Application], int]:
    query = select(Application)
    if division_prefix:
        query = query.where(Application.division_code.startswith(division_prefix))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.options(selectinload(Application.members))
                           .order_by(Application.submitted_at.desc(), Application.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total
