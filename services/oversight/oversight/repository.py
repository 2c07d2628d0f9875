"""Every query oversight makes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from oversight.models import Petition


def get(session: Session, petition_id: str, *, for_update: bool = False) -> Petition | None:
    query = select(Petition).where(Petition.id == petition_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def by_tracking_number(session: Session, tracking_number: str) -> Petition | None:
    return session.execute(select(Petition).where(Petition.tracking_number == tracking_number)).scalar_one_or_none()


def page(session: Session, *, area: str, status: str | None = None, category: str | None = None,
         division_prefix: str | None = None, overdue: bool | None = None, limit: int = 50,
         offset: int = 0) -> tuple[list[Petition], int]:
    """Petitions handled in the area (the handling office's code starts with it), newest first."""
    query = select(Petition).where(Petition.handling_area.startswith(area))
    if status:
        query = query.where(Petition.status == status)
    if category:
        query = query.where(Petition.category == category)
    if division_prefix:
        query = query.where(Petition.division_code.startswith(division_prefix))
    if overdue is not None:
        late = or_(Petition.acceptance_overdue_at.is_not(None) & (Petition.status == "filed"),
                   Petition.reply_overdue_at.is_not(None) & (Petition.status == "accepted"))
        query = query.where(late if overdue else ~late)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Petition.filed_at.desc(), Petition.id).limit(limit).offset(offset)).scalars()
    return list(rows), total


def acceptance_overdue_unreported(session: Session, today: date) -> list[Petition]:
    return list(session.execute(select(Petition).where(
        Petition.status == "filed", Petition.acceptance_due_on < today, Petition.acceptance_overdue_at.is_(None))
        .order_by(Petition.acceptance_due_on, Petition.id).with_for_update(skip_locked=True)).scalars())


def reply_overdue_unreported(session: Session, today: date) -> list[Petition]:
    return list(session.execute(select(Petition).where(
        Petition.status == "accepted", Petition.reply_due_on < today, Petition.reply_overdue_at.is_(None))
        .order_by(Petition.reply_due_on, Petition.id).with_for_update(skip_locked=True)).scalars())


def count_overdue_open(session: Session, today: date) -> int:
    return session.execute(select(func.count()).select_from(Petition).where(or_(
        (Petition.status == "filed") & (Petition.acceptance_due_on < today),
        (Petition.status == "accepted") & (Petition.reply_due_on < today)))).scalar_one()
