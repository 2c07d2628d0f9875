"""Every query identification makes."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identification.models import Case


def case_for_application(session: Session, application_id: str) -> Case | None:
    return session.execute(select(Case).where(Case.application_id == application_id)).scalar_one_or_none()


def get_case(session: Session, case_id: str) -> Case | None:
    return session.get(Case, case_id)


def list_cases(session: Session, *, application_id: str | None = None, household_id: str | None = None,
               division_prefix: str | None = None, status: str | None = None,
               limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
    query = select(Case)
    if application_id:
        query = query.where(Case.application_id == application_id)
    if household_id:
        query = query.where(Case.household_id == household_id)
    if division_prefix:
        query = query.where(Case.division_code.startswith(division_prefix))
    if status:
        query = query.where(Case.status == status)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Case.opened_at.desc(), Case.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total
