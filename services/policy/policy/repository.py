"""policy's queries."""
from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from policy.models import RuleSet


def _visible(area: str):
    # an officer sees the versions of their area and those that apply to it (province, national)
    return or_(RuleSet.region.startswith(area, autoescape=True), func.substr(area, 1, func.length(RuleSet.region)) == RuleSet.region)


def list_rulesets(session: Session, *, area: str, region: str | None, status: str | None, limit: int,
                  offset: int) -> tuple[list[RuleSet], int]:
    query = select(RuleSet).where(_visible(area))
    if region is not None:
        query = query.where(RuleSet.region == region)
    if status is not None:
        query = query.where(RuleSet.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(session.scalars(query.order_by(RuleSet.region, RuleSet.version).limit(limit).offset(offset)))
    return rows, total


def visible(area: str, region: str) -> bool:
    return region.startswith(area) or area.startswith(region)
