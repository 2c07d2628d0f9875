"""Every query of exchange."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange.models import Consent, Household


def household_division(session: Session, household_id: str) -> str | None:
    return session.execute(select(Household.division_code).where(Household.household_id == household_id)).scalar()


def consents_of(session: Session, household_id: str, limit: int = 200, offset: int = 0) -> tuple[list[Consent], int]:
    q = select(Consent).where(Consent.household_id == household_id)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    rows = session.execute(q.order_by(Consent.recorded_at, Consent.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def household(session: Session, household_id: str) -> Household | None:
    return session.get(Household, household_id)
