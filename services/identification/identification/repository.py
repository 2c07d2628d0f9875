"""Every query identification makes."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from identification.domain.workflow import TERMINAL_STATES
from identification.models import (Assessment, Case, CaseSource, FileSequence, Notice, Objection, Reassessment, Recheck,
                                   Review, VerificationAnswer, VerificationDepartment, VerificationRequest)


def case_for_application(session: Session, application_id: str) -> Case | None:
    return session.execute(select(Case).where(Case.application_id == application_id)).scalar_one_or_none()


def source(session: Session, source_type: str, source_id: str) -> CaseSource | None:
    return session.get(CaseSource, (source_type, source_id))


def open_case_of_household(session: Session, household_id: str) -> Case | None:
    return session.execute(select(Case).where(Case.household_id == household_id, Case.status.not_in(TERMINAL_STATES))
                           .order_by(Case.opened_at).limit(1)).scalar_one_or_none()


def get_case(session: Session, case_id: str, *, for_update: bool = False) -> Case | None:
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def list_cases(session: Session, *, area: str = "", application_id: str | None = None, household_id: str | None = None,
               division_prefix: str | None = None, status: str | None = None, overdue: bool | None = None,
               statuses: list[str] | None = None, by_deadline: bool = False,
               limit: int = 50, offset: int = 0) -> tuple[list[Case], int]:
    query = select(Case).where(Case.division_code.startswith(area))
    if statuses is not None:
        query = query.where(Case.status.in_(statuses))
    if application_id:
        query = query.where(Case.application_id == application_id)
    if household_id:
        query = query.where(Case.household_id == household_id)
    if division_prefix:
        query = query.where(Case.division_code.startswith(division_prefix))
    if status:
        query = query.where(Case.status == status)
    if overdue is not None:
        query = query.where(Case.overdue_reported_at.is_not(None) if overdue else Case.overdue_reported_at.is_(None))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = (Case.deadline.asc().nulls_last(), Case.opened_at, Case.id) if by_deadline else (Case.opened_at.desc(), Case.id)
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def sources_of(session: Session, case_id: str) -> list[CaseSource]:
    return list(session.execute(select(CaseSource).where(CaseSource.case_id == case_id)
                                .order_by(CaseSource.received_at)).scalars())


def latest_assessment(session: Session, case: Case) -> Assessment | None:
    return session.get(Assessment, case.assessment_id) if case.assessment_id else None


def reviews_of(session: Session, case_id: str) -> list[Review]:
    return list(session.execute(select(Review).where(Review.case_id == case_id).order_by(Review.held_at)).scalars())


def notices_of(session: Session, case_id: str) -> list[Notice]:
    return list(session.execute(select(Notice).where(Notice.case_id == case_id).order_by(Notice.published_at)).scalars())


def open_notice(session: Session, case_id: str) -> Notice | None:
    return session.execute(select(Notice).where(Notice.case_id == case_id, Notice.status == "open",
                                                Notice.kind == "prior")).scalar_one_or_none()


def completed_notice(session: Session, case_id: str) -> Notice | None:
    """The case's latest prior notice that ran its full period (closed at the end of its period)."""
    return session.execute(select(Notice).where(Notice.case_id == case_id, Notice.kind == "prior",
                                                Notice.status == "closed")
                           .order_by(Notice.published_at.desc(), Notice.id).limit(1)).scalar_one_or_none()


def get_notice(session: Session, notice_id: str) -> Notice | None:
    return session.get(Notice, notice_id)


def public_notices(session: Session, division_prefix: str | None, today: date, limit: int, offset: int) -> tuple[list[Notice], int]:
    # Listed: every prior notice still open, and a post-hoc notice (先行救助, published after the decision) during the
    # days it is shown.
    query = select(Notice).where(Notice.first_day <= today, or_(
        Notice.status == "open", and_(Notice.status == "published", Notice.last_day >= today)))
    if division_prefix:
        query = query.where(Notice.division_code.startswith(division_prefix))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Notice.published_at.desc(), Notice.id).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def objections_of(session: Session, case_id: str) -> list[Objection]:
    return list(session.execute(select(Objection).where(Objection.case_id == case_id)
                                .order_by(Objection.lodged_at)).scalars())


def open_objection_count(session: Session, case_id: str) -> int:
    return session.execute(select(func.count()).select_from(Objection)
                           .where(Objection.case_id == case_id, Objection.status == "open")).scalar_one()


def get_objection(session: Session, objection_id: str, *, for_update: bool = False) -> Objection | None:
    query = select(Objection).where(Objection.id == objection_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def next_file_sequence(session: Session, county_code: str, year: int) -> int:
    row = session.execute(select(FileSequence).where(FileSequence.county_code == county_code, FileSequence.year == year)
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        row = FileSequence(county_code=county_code, year=year, last=0)
        session.add(row)
    row.last += 1
    session.flush()
    return row.last


def cases_past_deadline(session: Session, today: date) -> list[Case]:
    return list(session.execute(select(Case).where(Case.status.not_in(TERMINAL_STATES), Case.deadline.is_not(None),
                                                   Case.deadline < today, Case.overdue_reported_at.is_(None))
                                .with_for_update(skip_locked=True)).scalars())


def count_overdue_open(session: Session, today: date) -> int:
    return session.execute(select(func.count()).select_from(Case).where(
        Case.status.not_in(TERMINAL_STATES), Case.deadline.is_not(None), Case.deadline < today)).scalar_one()


def latest_cases_with_assessment(session: Session, prefix: str, statuses: tuple[str, ...]) -> list[tuple[Case, Assessment]]:
    """Each household's latest case (by opening time) when it lies under ``prefix``, is in one of ``statuses`` and has
    an assessment, with that assessment; ordered by division code and household. A household whose latest case is
    elsewhere (it moved) or still open is left out."""
    ranked = (select(Case.id.label("case_id"),
                     func.row_number().over(partition_by=Case.household_id,
                                            order_by=(Case.opened_at.desc(), Case.id.desc())).label("rank"))
              .where(Case.household_id.in_(select(Case.household_id).where(Case.division_code.startswith(prefix))))
              .subquery())
    query = (select(Case, Assessment).join(ranked, ranked.c.case_id == Case.id)
             .join(Assessment, Assessment.id == Case.assessment_id)
             .where(ranked.c.rank == 1, Case.division_code.startswith(prefix), Case.status.in_(statuses))
             .order_by(Case.division_code, Case.household_id))
    return [(case, assessment) for case, assessment in session.execute(query).all()]


def list_reassessments(session: Session, *, area: str, limit: int, offset: int) -> tuple[list[Reassessment], int]:
    query = select(Reassessment).where(Reassessment.division_code.startswith(area))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Reassessment.requested_at.desc(), Reassessment.id)
                           .limit(limit).offset(offset)).scalars().all()
    return list(rows), total


def get_reassessment(session: Session, reassessment_id: str) -> Reassessment | None:
    return session.get(Reassessment, reassessment_id)


def enrolled_case(session: Session, *, file_number: str | None, household_id: str | None) -> Case | None:
    """The enrolled case a petition names: by its file number, else the household's latest enrolled case."""
    if file_number:
        case = session.execute(select(Case).where(Case.file_number == file_number, Case.status == "enrolled")
                               ).scalar_one_or_none()
        if case is not None or not household_id:
            return case
    return session.execute(select(Case).where(Case.household_id == household_id, Case.status == "enrolled")
                           .order_by(Case.decided_at.desc(), Case.id).limit(1)).scalar_one_or_none()


def recheck_of_petition(session: Session, petition_id: str) -> Recheck | None:
    return session.execute(select(Recheck).where(Recheck.petition_id == petition_id)).scalar_one_or_none()


def list_rechecks(session: Session, *, area: str, household_id: str | None, case_id: str | None,
                  limit: int, offset: int) -> tuple[list[Recheck], int]:
    query = select(Recheck).where(Recheck.division_code.startswith(area))
    if household_id:
        query = query.where(Recheck.household_id == household_id)
    if case_id:
        query = query.where(Recheck.case_id == case_id)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Recheck.opened_at.desc(), Recheck.id).limit(limit).offset(offset)).scalars()
    return list(rows), total


# -- economic-status checks -----------------------------------------------------------------------------------------

def verification_of_case(session: Session, case_id: str) -> VerificationRequest | None:
    """The case's latest verification request."""
    return session.execute(select(VerificationRequest).where(VerificationRequest.case_id == case_id)
                           .order_by(VerificationRequest.requested_at.desc()).limit(1)).scalar_one_or_none()


def get_verification(session: Session, request_id: str, *, for_update: bool = False) -> VerificationRequest | None:
    query = select(VerificationRequest).where(VerificationRequest.id == request_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def verification_departments(session: Session, request_id: str) -> list[VerificationDepartment]:
    return list(session.execute(select(VerificationDepartment).where(VerificationDepartment.request_id == request_id)
                                .order_by(VerificationDepartment.department)).scalars())


def verification_answers(session: Session, request_id: str) -> list[VerificationAnswer]:
    return list(session.execute(select(VerificationAnswer).where(VerificationAnswer.request_id == request_id)
                                .order_by(VerificationAnswer.received_at, VerificationAnswer.department)).scalars())


def answer_of(session: Session, request_id: str, department: str) -> VerificationAnswer | None:
    return session.execute(select(VerificationAnswer).where(VerificationAnswer.request_id == request_id,
                                                            VerificationAnswer.department == department)
                           ).scalar_one_or_none()


def verifications_past_due(session: Session, today: date) -> list[tuple[VerificationRequest, VerificationDepartment]]:
    """Departments still asked on a request whose due date has passed (locked: one job reports each once)."""
    rows = session.execute(select(VerificationRequest, VerificationDepartment)
                           .join(VerificationDepartment, VerificationDepartment.request_id == VerificationRequest.id)
                           .where(VerificationDepartment.status == "asked", VerificationRequest.due_date < today)
                           .order_by(VerificationRequest.requested_at, VerificationDepartment.department)
                           .with_for_update(of=VerificationDepartment, skip_locked=True)).all()
    return [(r, d) for r, d in rows]


def count_verification_departments(session: Session, status: str) -> int:
    return session.execute(select(func.count()).select_from(VerificationDepartment)
                           .where(VerificationDepartment.status == status)).scalar_one()
