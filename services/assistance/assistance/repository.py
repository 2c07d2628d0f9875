"""Every query assistance makes."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Text, cast, false, func, or_, select, text
from sqlalchemy.orm import Session

from assistance.domain.quality import Rating
from assistance.models import (
    Benefit,
    CapacityUsage,
    Enrolment,
    Feedback,
    Household,
    Need,
    NeedsAssessment,
    ProgrammeExit,
    Provider,
    ProviderService,
    Referral,
    ServiceState,
    Taper,
    TaperMonth,
)

OPEN_NEED_STATES = ("waiting", "referred", "in_service")
OPEN_REFERRAL_STATES = ("referred", "accepted")
_MATCHING_LOCK = int.from_bytes(hashlib.sha256(b"assistance.matching").digest()[:8], "big", signed=True)


def lock_matching(session: Session) -> None:
    """Serialises every change to needs, capacity and referrals for the rest of the transaction.

    Matching reads all waiting needs and all places of a service type and writes both; one transaction-scoped lock
    taken first by every such use case keeps two of them from handing out the same place, and, being the only lock
    they take before their row locks, cannot deadlock. SQLite serialises writers by itself.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MATCHING_LOCK})


def _page(session: Session, query, order, limit: int, offset: int) -> tuple[list, int]:
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(*order).limit(limit).offset(offset)).scalars().all()
    return list(rows), total


# -- households ---------------------------------------------------------------------------------------------------

def get_household(session: Session, household_id: str, *, for_update: bool = False) -> Household | None:
    query = select(Household).where(Household.id == household_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def list_households(session: Session, *, area: str, division_prefix: str | None, programme: str | None,
                    status: str | None, limit: int, offset: int) -> tuple[list[Household], int]:
    query = select(Household).where(Household.division_code.startswith(area))
    if division_prefix:
        query = query.where(Household.division_code.startswith(division_prefix))
    if status:
        query = query.where(Household.status == status)
    if programme:  # the JSON list as text contains the quoted code, on SQLite and PostgreSQL alike
        query = query.where(cast(Household.programmes, Text).contains(f'"{programme}"'))
    return _page(session, query, (Household.enrolled_at.desc(), Household.id), limit, offset)


def enrolment(session: Session, case_id: str) -> Enrolment | None:
    return session.get(Enrolment, case_id)


def exit_record(session: Session, exit_id: str) -> ProgrammeExit | None:
    return session.get(ProgrammeExit, exit_id)


def exits_after(session: Session, household_id: str, at: datetime) -> list[ProgrammeExit]:
    return list(session.execute(select(ProgrammeExit).where(ProgrammeExit.household_id == household_id,
                                                            ProgrammeExit.exited_at > at)).scalars())


def assessments_of(session: Session, household_id: str) -> list[NeedsAssessment]:
    return list(session.execute(select(NeedsAssessment).where(NeedsAssessment.household_id == household_id)
                                .order_by(NeedsAssessment.assessed_at)).scalars())


# -- needs --------------------------------------------------------------------------------------------------------

def needs_of(session: Session, household_id: str) -> list[Need]:
    return list(session.execute(select(Need).where(Need.household_id == household_id)
                                .order_by(Need.created_at, Need.id)).scalars())


def open_needs(session: Session, household_id: str) -> list[Need]:
    return list(session.execute(select(Need).where(Need.household_id == household_id,
                                                   Need.status.in_(OPEN_NEED_STATES))
                                .order_by(Need.created_at, Need.id)).scalars())


def get_need(session: Session, need_id: str) -> Need | None:
    return session.get(Need, need_id)


def waiting_rows(session: Session, service_types: Iterable[str], *, only: Iterable[str] | None = None,
                 areas: Iterable[str] | None = None) -> list:
    """The columns matching needs of every waiting need of these types (plain rows: no JSON texts to decode)."""
    query = select(Need.id, Need.household_id, Need.need_type, Need.division_code, Need.priority_points,
                   Need.priority_signature, Need.waiting_since, Need.excluded_providers, Need.wait_code,
                   Need.wait_signature).where(Need.status == "waiting",
                                              Need.need_type.in_(sorted(set(service_types))))
    if only is not None:
        query = query.where(Need.id.in_(sorted(set(only))))
    if areas is not None:
        query = query.where(or_(false(), *(Need.division_code.startswith(a) for a in sorted(set(areas)))))
    return list(session.execute(query.order_by(Need.id)).all())


def household_rows(session: Session, household_ids: Iterable[str]) -> dict[str, object]:
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    rows = session.execute(select(
        Household.id, Household.division_code, Household.programmes, Household.categories, Household.scores,
        Household.member_count, Household.per_capita_monthly_income_yuan, Household.sudden_hardship,
        Household.care_level).where(Household.id.in_(ids))).all()
    return {r.id: r for r in rows}


def waitlist(session: Session, *, area: str, service_type: str | None, division_prefix: str | None, limit: int,
             offset: int) -> tuple[list[Need], int]:
    query = select(Need).where(Need.status == "waiting", Need.division_code.startswith(area))
    if service_type:
        query = query.where(Need.need_type == service_type)
    if division_prefix:
        query = query.where(Need.division_code.startswith(division_prefix))
    return _page(session, query, (Need.priority_points.desc(), Need.waiting_since, Need.id), limit, offset)


def queue_positions(session: Session, need_ids: Iterable[str]) -> dict[str, int]:
    """Each waiting need's place in its queue: the same service type in the same county, in matching order."""
    ids = sorted(set(need_ids))
    if not ids:
        return {}
    rows = session.execute(select(Need.need_type, Need.division_code)
                           .where(Need.id.in_(ids), Need.status == "waiting")).all()
    if not rows:
        return {}
    county = func.substr(Need.division_code, 1, 6)
    ranked = (select(Need.id.label("id"), func.row_number().over(
        partition_by=(Need.need_type, county),
        order_by=(Need.priority_points.desc(), Need.waiting_since, Need.id)).label("position"))
        .where(Need.status == "waiting", Need.need_type.in_({t for t, _ in rows}),
               county.in_({d[:6] for _, d in rows})).subquery())
    return {need_id: position for need_id, position in
            session.execute(select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_(ids))).all()}


def waiting_types(session: Session) -> list[str]:
    return list(session.execute(select(Need.need_type).where(Need.status == "waiting").distinct()).scalars())


# -- providers and capacity ---------------------------------------------------------------------------------------

def get_provider(session: Session, provider_id: str, *, for_update: bool = False) -> Provider | None:
    query = select(Provider).where(Provider.id == provider_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def list_providers(session: Session, *, area: str, service_type: str | None, active: bool | None, limit: int,
                   offset: int) -> tuple[list[Provider], int]:
    # Visible to an officer: providers managed inside their area, and those managed above it (a county's providers
    # are visible to its villages), i.e. whose owner area is a prefix of the officer's area.
    query = select(Provider)
    if area:
        query = query.where(or_(Provider.owner_area.startswith(area),
                                Provider.owner_area.in_([area[:i] for i in range(len(area))])))
    if active is not None:
        query = query.where(Provider.active.is_(active))
    if service_type:
        query = query.where(Provider.id.in_(select(ProviderService.provider_id)
                                            .where(ProviderService.service_type == service_type)))
    return _page(session, query, (Provider.name, Provider.id), limit, offset)


def services_of(session: Session, provider_id: str) -> list[ProviderService]:
    return list(session.execute(select(ProviderService).where(ProviderService.provider_id == provider_id)
                                .order_by(ProviderService.service_type)).scalars())


def get_service(session: Session, provider_id: str, service_type: str) -> ProviderService | None:
    return session.get(ProviderService, (provider_id, service_type))


def active_offers(session: Session, service_types: Iterable[str]) -> list[tuple[ProviderService, Provider]]:
    rows = session.execute(select(ProviderService, Provider).join(Provider, Provider.id == ProviderService.provider_id)
                           .where(Provider.active.is_(True),
                                  ProviderService.service_type.in_(sorted(set(service_types))))
                           .order_by(ProviderService.provider_id, ProviderService.service_type)).all()
    return [(s, p) for s, p in rows]


def usage(session: Session, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
    keys = set(keys)
    if not keys:
        return {}
    providers = sorted({k[0] for k in keys})
    rows = session.execute(select(CapacityUsage).where(CapacityUsage.provider_id.in_(providers))).scalars()
    return {(r.provider_id, r.service_type, r.period): r.used for r in rows
            if (r.provider_id, r.service_type, r.period) in keys}


def add_usage(session: Session, provider_id: str, service_type: str, period: str, delta: int) -> int:
    row = session.get(CapacityUsage, (provider_id, service_type, period))
    if row is None:
        row = CapacityUsage(provider_id=provider_id, service_type=service_type, period=period, used=0)
        session.add(row)
    row.used = max(0, row.used + delta)
    session.flush()
    return row.used


def ratings_by_provider(session: Session, provider_ids: Iterable[str]) -> dict[str, list[Rating]]:
    ids = sorted(set(provider_ids))
    out: dict[str, list[Rating]] = {p: [] for p in ids}
    if not ids:
        return out
    for f in session.execute(select(Feedback).where(Feedback.provider_id.in_(ids))).scalars():
        out[f.provider_id].append(Rating(f.source, f.rating, f.complaint, f.complaint_status == "open"))
    return out


def referral_counts(session: Session, provider_id: str) -> dict[str, int]:
    rows = session.execute(select(Referral.status, func.count()).where(Referral.provider_id == provider_id)
                           .group_by(Referral.status)).all()
    return {status: n for status, n in rows}


# -- referrals ----------------------------------------------------------------------------------------------------

def get_referral(session: Session, referral_id: str, *, for_update: bool = False) -> Referral | None:
    query = select(Referral).where(Referral.id == referral_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def referrals_of_household(session: Session, household_id: str) -> list[Referral]:
    return list(session.execute(select(Referral).where(Referral.household_id == household_id)
                                .order_by(Referral.matched_at, Referral.id)).scalars())


def open_referral_of_need(session: Session, need_id: str) -> Referral | None:
    return session.execute(select(Referral).where(Referral.need_id == need_id,
                                                  Referral.status.in_(OPEN_REFERRAL_STATES))).scalar_one_or_none()


def open_referrals_of_provider(session: Session, provider_id: str) -> list[Referral]:
    return list(session.execute(select(Referral).where(Referral.provider_id == provider_id,
                                                       Referral.status.in_(OPEN_REFERRAL_STATES))
                                .order_by(Referral.priority.desc(), Referral.matched_at, Referral.id)
                                .with_for_update()).scalars())


def referrals_of_provider(session: Session, provider_id: str, *, status: str | None, limit: int,
                          offset: int) -> tuple[list[Referral], int]:
    query = select(Referral).where(Referral.provider_id == provider_id)
    if status:
        query = query.where(Referral.status == status)
    return _page(session, query, (Referral.matched_at.desc(), Referral.id), limit, offset)


# -- benefits and feedback ----------------------------------------------------------------------------------------

def benefits_of(session: Session, household_id: str) -> list[Benefit]:
    return list(session.execute(select(Benefit).where(Benefit.household_id == household_id)
                                .order_by(Benefit.granted_at, Benefit.id)).scalars())


def current_benefit(session: Session, household_id: str, kind: str) -> Benefit | None:
    """The benefit of this kind now in force or pending (active, awaiting income, not due), if any."""
    return session.execute(select(Benefit).where(Benefit.household_id == household_id, Benefit.kind == kind,
                                                 Benefit.status.in_(("active", "awaiting_income", "not_due")))
                           .order_by(Benefit.granted_at.desc()).limit(1)).scalar_one_or_none()


def one_off_for_case(session: Session, household_id: str, kind: str, case_id: str) -> Benefit | None:
    return session.execute(select(Benefit).where(Benefit.household_id == household_id, Benefit.kind == kind,
                                                 Benefit.case_id == case_id)
                           .order_by(Benefit.granted_at.desc()).limit(1)).scalar_one_or_none()


def benefits_of_programme(session: Session, household_id: str, programme: str) -> list[Benefit]:
    return list(session.execute(select(Benefit).where(Benefit.household_id == household_id,
                                                      Benefit.programme == programme)).scalars())


def paying_benefit(session: Session, household_id: str, kind: str) -> Benefit | None:
    """The monthly benefit of this kind being paid now, if any."""
    return session.execute(select(Benefit).where(Benefit.household_id == household_id, Benefit.kind == kind,
                                                 Benefit.status == "active")
                           .order_by(Benefit.granted_at.desc()).limit(1)).scalar_one_or_none()


# -- exit tapers --------------------------------------------------------------------------------------------------

RUNNING_TAPER_STATES = ("observing", "completed")


def get_taper(session: Session, observation_id: str, *, for_update: bool = False) -> Taper | None:
    query = select(Taper).where(Taper.observation_id == observation_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def running_taper(session: Session, household_id: str, programme: str) -> Taper | None:
    return session.execute(select(Taper).where(Taper.household_id == household_id, Taper.programme == programme,
                                               Taper.status.in_(RUNNING_TAPER_STATES))
                           .order_by(Taper.started_at.desc()).limit(1)).scalar_one_or_none()


def running_tapers(session: Session) -> list[str]:
    return list(session.execute(select(Taper.observation_id).where(Taper.status.in_(RUNNING_TAPER_STATES))
                                .order_by(Taper.started_at, Taper.observation_id)).scalars())


def tapers_of(session: Session, household_id: str) -> dict[str, Taper]:
    return {t.observation_id: t for t in session.execute(select(Taper).where(Taper.household_id == household_id))
            .scalars()}


def taper_months_of(session: Session, household_id: str) -> list[TaperMonth]:
    return list(session.execute(select(TaperMonth).where(TaperMonth.household_id == household_id)
                                .order_by(TaperMonth.id)).scalars())


def feedback_of_referral(session: Session, referral_id: str) -> list[Feedback]:
    return list(session.execute(select(Feedback).where(Feedback.referral_id == referral_id)
                                .order_by(Feedback.recorded_at, Feedback.id)).scalars())


def feedback_exists(session: Session, referral_id: str, source: str, author: str) -> bool:
    return session.execute(select(func.count()).select_from(Feedback).where(
        Feedback.referral_id == referral_id, Feedback.source == source, Feedback.author == author)).scalar_one() > 0


def complaints_of_provider(session: Session, provider_id: str, *, open_only: bool) -> list[Feedback]:
    query = select(Feedback).where(Feedback.provider_id == provider_id, Feedback.complaint.is_(True))
    if open_only:
        query = query.where(Feedback.complaint_status == "open")
    return list(session.execute(query.order_by(Feedback.recorded_at, Feedback.id)).scalars())


def get_feedback(session: Session, feedback_id: str, *, for_update: bool = False) -> Feedback | None:
    query = select(Feedback).where(Feedback.id == feedback_id)
    if for_update:
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


# -- service state ------------------------------------------------------------------------------------------------

def state(session: Session, key: str) -> str | None:
    row = session.get(ServiceState, key)
    return row.value if row else None


def set_state(session: Session, key: str, value: str) -> None:
    row = session.get(ServiceState, key)
    if row is None:
        session.add(ServiceState(key=key, value=value))
    else:
        row.value = value
