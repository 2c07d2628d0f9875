"""Every query of the household file's pages: the search list of an officer's area and one household's timeline."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from portal.staff.household_file import id_digest, looks_like_id_number
from portal.staff.household_tables import HouseholdEntry, HouseholdPerson, HouseholdSummary


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(session: Session, area: str, query: str, page: int, per_page: int, key: bytes | None = None) -> Page:
    """Households of the area, newest activity first; `query` is a file number, a household id, an application
    number (exact, as printed on a receipt or a file) or a member's resident ID number (found by its digest)."""
    where = [HouseholdSummary.division_code.startswith(area, autoescape=True)]
    query = query.strip()
    if query:
        by_application = select(HouseholdEntry.household_id).where(
            HouseholdEntry.entity_kind == "application", HouseholdEntry.entity_id == query)
        matches = [HouseholdSummary.file_number == query, HouseholdSummary.household_id == query,
                   HouseholdSummary.household_id.in_(by_application)]
        if key and looks_like_id_number(query):
            matches.append(HouseholdSummary.household_id.in_(select(HouseholdPerson.household_id).where(
                HouseholdPerson.id_digest == id_digest(key, query))))
        where.append(or_(*matches))
    total = session.scalar(select(func.count()).select_from(HouseholdSummary).where(*where)) or 0
    rows = session.scalars(select(HouseholdSummary).where(*where)
                           .order_by(HouseholdSummary.last_event_at.desc(), HouseholdSummary.household_id)
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), total, page, per_page)


def household(session: Session, household_id: str, area: str) -> HouseholdSummary | None:
    """The household's summary when it is in the area; outside it, as unknown (its existence is not told)."""
    summary = session.get(HouseholdSummary, household_id[:128])
    if summary is None or not (summary.division_code or "").startswith(area) or not summary.division_code:
        return None
    return summary


def timeline(session: Session, household_id: str, service: str | None, page: int, per_page: int) -> Page:
    where = [HouseholdEntry.household_id == household_id]
    if service:
        where.append(HouseholdEntry.service == service)
    total = session.scalar(select(func.count()).select_from(HouseholdEntry).where(*where)) or 0
    rows = session.scalars(select(HouseholdEntry).where(*where)
                           .order_by(HouseholdEntry.occurred_at.desc(), HouseholdEntry.entry_id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), total, page, per_page)


def services_of(session: Session, household_id: str) -> dict[str, int]:
    """How many entries each service has in the household's file (the filter's choices)."""
    rows = session.execute(select(HouseholdEntry.service, func.count()).where(HouseholdEntry.household_id == household_id)
                           .group_by(HouseholdEntry.service)).all()
    return {service: count for service, count in rows}
