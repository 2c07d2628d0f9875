"""assistance's routes (thin): staff endpoints are area-scoped and role-checked, providers act with partner tokens, households rate with a code."""
from __future__ import annotations

from typing import Annotated, Callable, TypeVar

from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.orm import Session

from assistance import handlers, repository
from assistance import reassessment
from assistance.api.schemas import (
    BenefitRead,
    PolicyPreviewIn,
    PolicyPreviewRead,
    ReassessmentCreate,
    ReassessmentPage,
    ReassessmentRead,
    CancellationIn,
    ComplaintResolutionIn,
    DeclineIn,
    DeliveryIn,
    FeedbackIn,
    FeedbackRead,
    HouseholdDetail,
    HouseholdFeedbackIn,
    HouseholdPage,
    HouseholdRead,
    NeedRead,
    NeedsAssessmentCreate,
    PartnerReferralPage,
    PartnerReferralRead,
    Programme,
    ProviderCreate,
    ProviderPage,
    ProviderRead,
    ProviderStatusIn,
    QualityRead,
    ReferralRead,
    ServiceIn,
    ServiceRead,
    ServiceType,
    TaperMonthPaid,
    TaperMonthPlanned,
    TaperRead,
    WaitlistPage,
)
from assistance.domain import taper as taper_rules
from assistance.domain.periods import period_key
from assistance.domain.quality import feedback_code, summarise
from assistance.domain.referrals import allowed_actions
from assistance.domain.rules import local_date
from assistance.models import Benefit, Feedback, Household, Need, Provider, Referral, Taper, TaperMonth, audit_log
from shared import audit, unit_of_work
from shared.auth import STAFF_ROLES, CurrentPrincipal, Principal, require_area, require_role
from shared.emits import route_emits

T = TypeVar("T")

router = APIRouter(prefix="/api/v1", tags=["assistance"])
partner = APIRouter(prefix="/api/v1/partner", tags=["providers (partner tokens)"])
public = APIRouter(prefix="/api/v1/public", tags=["households"])

ERRORS = {401: {"description": "No or an invalid token"},
          403: {"description": "Your role may not do this"},
          404: {"description": "No such record in your area"},
          409: {"description": "Not allowed in the record's current state; the answer names the rule"},
          422: {"description": "A field breaks a rule; the error names the field and the rule"}}


MATCHING = ("assistance.service.matched", "assistance.service.waitlisted")
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                              description="a retry with the same key returns the first answer")]
REPLAY = {409: {"description": "Not allowed in the record's current state, or an Idempotency-Key reused with "
                               "another body; the answer names the rule"}}


def idempotent(request: Request, scope: str, key: str | None, body, status: int,
               work: Callable[[Session], object]):
    """A creating request in one transaction: a retry with the same Idempotency-Key returns the first answer."""
    return unit_of_work.idempotent(request.app.state.runtime, scope, key, body.model_dump(mode="json"), status,
                                   lambda session: work(session).model_dump(mode="json"))


def transaction(request: Request, work: Callable[[Session], T]) -> T:
    """The request's one transaction (shared unit of work: commits once, retries deadlocks and unique-key races)."""
    return unit_of_work.transaction(request.app.state.runtime, work)


def _svc(request: Request) -> handlers.Services:
    return request.app.state.services


def _staff(principal: Principal, what: str) -> None:
    require_role(principal, STAFF_ROLES, what)


# --- views -------------------------------------------------------------------------------------------------------

def household_read(h: Household) -> HouseholdRead:
    return HouseholdRead(household_id=h.id, division_code=h.division_code, file_number=h.file_number, status=h.status,
                         programmes=list(h.programmes), categories=dict(h.categories), member_count=h.member_count,
                         per_capita_monthly_income_yuan=h.per_capita_monthly_income_yuan, scores=dict(h.scores),
                         sudden_hardship=h.sudden_hardship, care_level=h.care_level, enrolled_at=h.enrolled_at)


def need_read(n: Need, positions: dict[str, int]) -> NeedRead:
    return NeedRead(need_id=n.id, household_id=n.household_id, division_code=n.division_code, need_type=n.need_type,
                    status=n.status, origin=n.source, grounds=list(n.grounds), note=n.note, priority=n.priority,
                    priority_detail=dict(n.priority_detail), rule_version=n.rule_version,
                    waiting_since=n.waiting_since, wait_reason=n.wait_reason, queue_position=positions.get(n.id),
                    excluded_providers=list(n.excluded_providers), created_at=n.created_at, closed_at=n.closed_at,
                    close_reason=n.close_reason)


def feedback_read(f: Feedback) -> FeedbackRead:
    return FeedbackRead(feedback_id=f.id, referral_id=f.referral_id, provider_id=f.provider_id, source=f.source,
                        rating=f.rating, complaint=f.complaint, complaint_status=f.complaint_status,
                        recorded_at=f.recorded_at, resolution=f.resolution)


def referral_read(session: Session, svc: handlers.Services, r: Referral) -> ReferralRead:
    code = feedback_code(svc.feedback_key, r.id) if r.status in ("referred", "accepted", "delivered") else None
    return ReferralRead(referral_id=r.id, need_id=r.need_id, household_id=r.household_id, provider_id=r.provider_id,
                        service_type=r.service_type, period=r.period, status=r.status,
                        allowed_actions=list(allowed_actions(r.status)), priority=r.priority, reason=dict(r.reason),
                        matched_at=r.matched_at, accepted_at=r.accepted_at, delivered_at=r.delivered_at,
                        delivery=r.delivery, closed_at=r.closed_at, close_reason=r.close_reason, feedback_code=code,
                        feedback=[feedback_read(f).model_dump(mode="json")
                                  for f in repository.feedback_of_referral(session, r.id)])


def taper_read(t: Taper, b: Benefit, months: list[TaperMonth]) -> TaperRead:
    schedule = taper_rules.parse_schedule(t.schedule)
    paid = [m for m in months if m.observation_id == t.observation_id and m.benefit_id == b.id]
    if paid:
        reason_en, reason_zh = paid[-1].explanation_en, paid[-1].explanation_zh
    else:  # not paid under it (yet): what it would pay today
        now = taper_rules.entitlement(t.programme, b.amount_yuan, t.started_on, schedule, t.updated_at,
                                      rule_version=t.rule_version, reverted=t.status == "reverted")
        reason_en, reason_zh = now.en, now.zh
    return TaperRead(
        observation_id=t.observation_id, status=t.status, started_on=t.started_on, ends_on=t.ends_on,
        rule_version=t.rule_version, current_month=t.current_month,
        schedule=[TaperMonthPlanned(month=m.month, starts_on=m.starts_on, ends_on=m.ends_on, share=float(m.share),
                                    amount_yuan=m.amount_yuan)
                  for m in taper_rules.plan(b.amount_yuan, t.started_on, schedule)],
        months=[TaperMonthPaid(month=m.month, share=float(m.share), full_amount_yuan=m.full_amount_yuan,
                               amount_yuan=m.amount_yuan, effective_from=m.effective_from, change=m.change,
                               explanation_en=m.explanation_en, explanation_zh=m.explanation_zh,
                               recorded_at=m.recorded_at) for m in paid],
        reason_en=reason_en, reason_zh=reason_zh, observation_reasons=list(t.reasons), end_reasons=t.end_reasons,
        end_rule_version=t.end_rule_version)


def benefit_read(b: Benefit, tapers: dict[str, Taper] | None = None,
                 months: list[TaperMonth] | None = None) -> BenefitRead:
    taper = (tapers or {}).get(b.observation_id) if b.observation_id else None
    return BenefitRead(benefit_id=b.id, programme=b.programme, kind=b.kind, status=b.status, amount_yuan=b.amount_yuan,
                       frequency=b.frequency, effective_from=b.effective_from, rule_version=b.rule_version,
                       calculation=dict(b.calculation), explanation_en=b.explanation_en,
                       explanation_zh=b.explanation_zh, granted_at=b.granted_at, stopped_at=b.stopped_at,
                       stop_reason=b.stop_reason,
                       paid_share=float(b.paid_share) if b.paid_share is not None else 1.0,
                       paid_amount_yuan=b.paid_amount_yuan if b.paid_amount_yuan is not None else b.amount_yuan,
                       taper=taper_read(taper, b, months or []) if taper is not None else None)


def household_detail(session: Session, svc: handlers.Services, h: Household) -> HouseholdDetail:
    needs = repository.needs_of(session, h.id)
    tapers, months = repository.tapers_of(session, h.id), repository.taper_months_of(session, h.id)
    positions = repository.queue_positions(session, [n.id for n in needs if n.status == "waiting"])
    return HouseholdDetail(
        **household_read(h).model_dump(),
        needs=[need_read(n, positions) for n in needs],
        referrals=[referral_read(session, svc, r) for r in repository.referrals_of_household(session, h.id)],
        benefits=[benefit_read(b, tapers, months) for b in repository.benefits_of(session, h.id)],
        assessments=[{"assessment_id": a.id, "assessed_at": a.assessed_at, "assessed_by": a.assessed_by,
                      "rule_version": a.rule_version, "changes": a.changes}
                     for a in repository.assessments_of(session, h.id)])


def provider_read(session: Session, svc: handlers.Services, p: Provider) -> ProviderRead:
    today = local_date(svc.clock.now())
    services = repository.services_of(session, p.id)
    periods = {s.service_type: period_key(s.period_kind, today) for s in services}
    used = repository.usage(session, [(p.id, t, period) for t, period in periods.items()])
    return ProviderRead(provider_id=p.id, name=p.name, kind=p.kind, owner_area=p.owner_area, areas=list(p.areas),
                        constraints=dict(p.constraints), active=p.active,
                        services=[ServiceRead(service_type=s.service_type, capacity_per_period=s.capacity_per_period,
                                              period_kind=s.period_kind, period=periods[s.service_type],
                                              used_this_period=used.get((p.id, s.service_type,
                                                                         periods[s.service_type]), 0),
                                              unit_cost_yuan=s.unit_cost_yuan) for s in services])


def partner_read(session: Session, r: Referral) -> PartnerReferralRead:
    need = repository.get_need(session, r.need_id)
    household = repository.get_household(session, r.household_id)
    return PartnerReferralRead(referral_id=r.id, household_id=r.household_id, division_code=r.division_code,
                               member_count=household.member_count, service_type=r.service_type, period=r.period,
                               status=r.status, allowed_actions=[a for a in allowed_actions(r.status) if a != "cancel"],
                               note=need.note if need else None, matched_at=r.matched_at, accepted_at=r.accepted_at,
                               delivered_at=r.delivered_at)


def _snapshot(session: Session) -> None:
    """One view from several reads sees one state: a benefit stopped by an exit is never shown with its taper running.

    PostgreSQL's default (read committed) lets each query see a commit that landed between them.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _household(session: Session, principal: Principal, household_id: str) -> Household:
    h = repository.get_household(session, household_id)
    if h is None:
        raise handlers.NotFound(household_id)
    require_area(principal, h.division_code)
    return h


def _visible_provider(session: Session, principal: Principal, provider_id: str) -> Provider:
    """Staff see providers managed in or above their area; a provider sees itself."""
    provider = repository.get_provider(session, provider_id)
    if provider is None:
        raise handlers.NotFound(provider_id)
    if principal.role == "partner":
        if principal.department != provider.id:
            raise handlers.NotFound(provider_id)
        return provider
    require_role(principal, STAFF_ROLES, "viewing providers")
    if not (provider.owner_area.startswith(principal.area) or principal.area.startswith(provider.owner_area)):
        raise handlers.NotFound(provider_id)
    return provider


# --- households and needs ----------------------------------------------------------------------------------------

@router.get("/households", response_model=HouseholdPage, summary="Enrolled households in your area 辖区救助家庭",
            responses=ERRORS)
def list_households(request: Request, principal: CurrentPrincipal,
                    division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$")] = None,
                    programme: Programme | None = None,
                    status: Annotated[str | None, Query(pattern=r"^(active|exited)$")] = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _staff(principal, "reading households")
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_households(session, area=principal.area, division_prefix=division_code,
                                                 programme=programme, status=status, limit=limit, offset=offset)
        return HouseholdPage(items=[household_read(h) for h in rows], total=total, limit=limit, offset=offset)


@router.get("/households/{household_id}", response_model=HouseholdDetail, responses=ERRORS,
            summary="A household's needs with their priority, referrals and cash benefits 家庭救助详情")
def get_household(household_id: str, request: Request, principal: CurrentPrincipal):
    _staff(principal, "reading households")
    with request.app.state.runtime.session_factory() as session:
        _snapshot(session)
        return household_detail(session, _svc(request), _household(session, principal, household_id))


@router.get("/households/{household_id}/audit", responses=ERRORS, summary="Who did what, when 操作记录")
def household_audit(household_id: str, request: Request, principal: CurrentPrincipal) -> list[dict]:
    _staff(principal, "reading households")
    with request.app.state.runtime.session_factory() as session:
        _household(session, principal, household_id)
        return audit.trail(session, audit_log, "household", household_id)


@router.post("/households/{household_id}/needs-assessment", response_model=HouseholdDetail,
             responses={**ERRORS, **REPLAY},
             summary="Record a needs assessment: facts, needs added or cancelled; priorities and cash follow 需求评估",
             openapi_extra=route_emits("assistance.needs.assessed", "assistance.benefit.granted",
                                       "assistance.benefit.adjusted", "assistance.service.cancelled", *MATCHING))
def assess_needs(household_id: str, body: NeedsAssessmentCreate, request: Request, principal: CurrentPrincipal,
                 idempotency_key: IdempotencyKey = None):
    data = handlers.NeedsAssessmentInput(
        per_capita_monthly_income_yuan=body.per_capita_monthly_income_yuan, member_count=body.member_count,
        scores=dict(body.scores) if body.scores else None, sudden_hardship=body.sudden_hardship,
        care_level=body.care_level, add_needs=[(n.need_type, n.note) for n in body.add_needs],
        cancel_needs=[(n.need_id, n.reason) for n in body.cancel_needs], note=body.note)

    def work(session: Session) -> HouseholdDetail:
        h, _assessment = handlers.assess_needs(session, _svc(request), principal, household_id, data)
        return household_detail(session, _svc(request), h)
    return idempotent(request, f"POST needs-assessment {unit_of_work.caller_scope(principal)} {household_id}",
                      idempotency_key, body, 200, work)


@router.get("/waitlist", response_model=WaitlistPage, responses=ERRORS,
            summary="Needs waiting for a place, highest priority first, each with why 待匹配名单")
def waitlist(request: Request, principal: CurrentPrincipal, service_type: ServiceType | None = None,
             division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$")] = None,
             limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _staff(principal, "reading the waitlist")
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.waitlist(session, area=principal.area, service_type=service_type,
                                          division_prefix=division_code, limit=limit, offset=offset)
        positions = repository.queue_positions(session, [n.id for n in rows])
        return WaitlistPage(items=[need_read(n, positions) for n in rows], total=total, limit=limit, offset=offset)


# --- referrals (staff) -------------------------------------------------------------------------------------------

@router.get("/referrals/{referral_id}", response_model=ReferralRead, responses=ERRORS,
            summary="One referral: its match, delivery (confirmed by the provider) and ratings 转介详情")
def get_referral(referral_id: str, request: Request, principal: CurrentPrincipal):
    _staff(principal, "reading referrals")
    with request.app.state.runtime.session_factory() as session:
        referral = repository.get_referral(session, referral_id)
        if referral is None:
            raise handlers.NotFound(referral_id)
        require_area(principal, referral.division_code)
        return referral_read(session, _svc(request), referral)


@router.post("/referrals/{referral_id}/cancellation", response_model=ReferralRead, responses=ERRORS,
             summary="Withdraw a referral; the place is given back 撤回转介",
             openapi_extra=route_emits("assistance.service.cancelled", *MATCHING))
def cancel_referral(referral_id: str, body: CancellationIn, request: Request, principal: CurrentPrincipal):
    def work(session: Session) -> ReferralRead:
        referral = handlers.cancel_referral(session, _svc(request), principal, referral_id, reason=body.reason,
                                            close_need=body.close_need)
        return referral_read(session, _svc(request), referral)
    return transaction(request, work)


@router.post("/referrals/{referral_id}/feedback", response_model=FeedbackRead, status_code=201,
             responses={**ERRORS, **REPLAY}, summary="A caseworker rates a service (1-5), optionally as a complaint 工作人员评价",
             openapi_extra=route_emits("assistance.feedback.recorded"))
def caseworker_feedback(referral_id: str, body: FeedbackIn, request: Request, principal: CurrentPrincipal,
                        idempotency_key: IdempotencyKey = None):
    return idempotent(request, f"POST feedback {unit_of_work.caller_scope(principal)} {referral_id}", idempotency_key,
                      body, 201, lambda session: feedback_read(handlers.caseworker_feedback(
                          session, _svc(request), principal, referral_id, rating=body.rating,
                          complaint=body.complaint, comment=body.comment)))


@router.post("/feedback/{feedback_id}/resolution", response_model=FeedbackRead, responses=ERRORS,
             summary="Resolve a complaint 投诉处理", openapi_extra=route_emits("assistance.feedback.resolved"))
def resolve_complaint(feedback_id: str, body: ComplaintResolutionIn, request: Request, principal: CurrentPrincipal):
    return transaction(request, lambda session: feedback_read(handlers.resolve_complaint(
        session, _svc(request), principal, feedback_id, resolution=body.resolution)))


# --- provider catalogue ------------------------------------------------------------------------------------------

@router.get("/providers", response_model=ProviderPage, responses=ERRORS,
            summary="Providers serving your area: departments and purchased services 服务方目录")
def list_providers(request: Request, principal: CurrentPrincipal, service_type: ServiceType | None = None,
                   active: bool | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _staff(principal, "reading providers")
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_providers(session, area=principal.area, service_type=service_type,
                                                active=active, limit=limit, offset=offset)
        return ProviderPage(items=[provider_read(session, _svc(request), p) for p in rows], total=total, limit=limit,
                            offset=offset)


@router.post("/providers", response_model=ProviderRead, status_code=201, responses={**ERRORS, **REPLAY},
             summary="Register a provider with its services, places per period and unit cost 登记服务方",
             openapi_extra=route_emits("assistance.provider.registered", *MATCHING))
def register_provider(body: ProviderCreate, request: Request, principal: CurrentPrincipal,
                      idempotency_key: IdempotencyKey = None):
    services = [handlers.ServiceOffer(s.service_type, s.capacity_per_period, s.period_kind, s.unit_cost_yuan)
                for s in body.services]
    constraints = body.constraints.model_dump()
    constraints = {k: v for k, v in constraints.items() if v not in (None, [], {})}

    def work(session: Session) -> ProviderRead:
        provider = handlers.register_provider(session, _svc(request), principal, provider_id=body.provider_id,
                                              name=body.name, kind=body.kind, areas=body.areas,
                                              constraints=constraints, services=services)
        return provider_read(session, _svc(request), provider)
    return idempotent(request, f"POST providers {unit_of_work.caller_scope(principal)}", idempotency_key, body, 201,
                      work)


@router.get("/providers/{provider_id}", response_model=ProviderRead, responses=ERRORS, summary="One provider 服务方详情")
def get_provider(provider_id: str, request: Request, principal: CurrentPrincipal):
    with request.app.state.runtime.session_factory() as session:
        return provider_read(session, _svc(request), _visible_provider(session, principal, provider_id))


@router.put("/providers/{provider_id}/services/{service_type}", response_model=ProviderRead, responses=ERRORS,
            summary="Add or change a service: places per period, period, unit cost; new places go to the waitlist 设置服务容量",
            openapi_extra=route_emits("assistance.provider.updated", *MATCHING))
def set_service(provider_id: str, service_type: ServiceType, body: ServiceIn, request: Request,
                principal: CurrentPrincipal):
    offer = handlers.ServiceOffer(service_type, body.capacity_per_period, body.period_kind, body.unit_cost_yuan)
    return transaction(request, lambda session: provider_read(session, _svc(request), handlers.set_service(
        session, _svc(request), principal, provider_id, offer)))


@router.post("/providers/{provider_id}/status", response_model=ProviderRead, responses=ERRORS,
             summary="Suspend (its open referrals are cancelled and matched again) or re-activate a provider 暂停或恢复服务方",
             openapi_extra=route_emits("assistance.provider.suspended", "assistance.provider.reactivated",
                                       "assistance.service.cancelled", *MATCHING))
def set_provider_status(provider_id: str, body: ProviderStatusIn, request: Request, principal: CurrentPrincipal):
    return transaction(request, lambda session: provider_read(session, _svc(request), handlers.set_provider_status(
        session, _svc(request), principal, provider_id, active=body.active, reason=body.reason)))


@router.get("/providers/{provider_id}/quality", response_model=QualityRead, responses=ERRORS,
            summary="Service quality: ratings by households and caseworkers, complaints, referral outcomes 服务质量")
def provider_quality(provider_id: str, request: Request, principal: CurrentPrincipal):
    svc = _svc(request)
    with request.app.state.runtime.session_factory() as session:
        provider = _visible_provider(session, principal, provider_id)
        ratings = repository.ratings_by_provider(session, [provider.id])[provider.id]
        summary = summarise(ratings, svc.rules_for(provider.owner_area, svc.clock.now()))
        return QualityRead(provider_id=provider.id, summary=summary.as_dict(),
                           referrals=repository.referral_counts(session, provider.id),
                           open_complaints=[feedback_read(f).model_dump(mode="json") | {"comment": f.comment}
                                            for f in repository.complaints_of_provider(session, provider.id,
                                                                                       open_only=True)])


@router.get("/providers/{provider_id}/audit", responses=ERRORS, summary="Changes to the provider and its ratings 操作记录")
def provider_audit(provider_id: str, request: Request, principal: CurrentPrincipal) -> list[dict]:
    _staff(principal, "reading providers")
    with request.app.state.runtime.session_factory() as session:
        _visible_provider(session, principal, provider_id)
        return audit.trail(session, audit_log, "provider", provider_id)


# --- providers' own referrals (partner token, department = provider id) -------------------------------------------

def _own_provider(principal: Principal) -> str:
    require_role(principal, ("partner",), "reading a provider's referrals")
    if not principal.department:
        raise handlers.NotFound("provider")
    return principal.department


@partner.get("/referrals", response_model=PartnerReferralPage, responses=ERRORS,
             summary="Referrals to your organisation 本机构的转介单")
def partner_referrals(request: Request, principal: CurrentPrincipal,
                      status: Annotated[str | None, Query(pattern=r"^(referred|accepted|delivered|declined|cancelled)$")] = None,
                      limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    provider_id = _own_provider(principal)
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.referrals_of_provider(session, provider_id, status=status, limit=limit, offset=offset)
        return PartnerReferralPage(items=[partner_read(session, r) for r in rows], total=total, limit=limit,
                                   offset=offset)


@partner.post("/referrals/{referral_id}/acceptance", response_model=PartnerReferralRead, responses=ERRORS,
              summary="Accept a referral 接单", openapi_extra=route_emits("assistance.referral.accepted"))
def accept(referral_id: str, request: Request, principal: CurrentPrincipal):
    return transaction(request, lambda session: partner_read(session, handlers.accept_referral(
        session, _svc(request), principal, referral_id)))


@partner.post("/referrals/{referral_id}/decline", response_model=PartnerReferralRead, responses=ERRORS,
              summary="Decline a referral; the place goes to the next household in line 拒绝转介",
              openapi_extra=route_emits("assistance.referral.declined", *MATCHING))
def decline(referral_id: str, body: DeclineIn, request: Request, principal: CurrentPrincipal):
    return transaction(request, lambda session: partner_read(session, handlers.decline_referral(
        session, _svc(request), principal, referral_id, reason=body.reason)))


@partner.post("/referrals/{referral_id}/delivery", response_model=PartnerReferralRead, responses=ERRORS,
              summary="Confirm the service was delivered 确认服务完成", openapi_extra=route_emits("assistance.service.delivered"))
def deliver(referral_id: str, body: DeliveryIn, request: Request, principal: CurrentPrincipal):
    return transaction(request, lambda session: partner_read(session, handlers.confirm_delivery(
        session, _svc(request), principal, referral_id, units=body.units, delivered_on=body.delivered_on,
        note=body.note)))


# --- households' ratings ------------------------------------------------------------------------------------------

@public.post("/referrals/{referral_id}/feedback", status_code=201, responses={
    404: {"description": "No such referral, or the code does not match"},
    409: {"description": "Not yet served, or already rated, or an Idempotency-Key reused with another body"},
    422: ERRORS[422]},
    summary="Rate the service you received, with the code on your referral slip 服务评价",
    openapi_extra=route_emits("assistance.feedback.recorded"))
def household_feedback(referral_id: str, body: HouseholdFeedbackIn, request: Request,
                       idempotency_key: IdempotencyKey = None) -> dict:
    def work(session: Session) -> dict:
        feedback = handlers.household_feedback(session, _svc(request), referral_id, code=body.code,
                                               rating=body.rating, complaint=body.complaint, comment=body.comment)
        return {"feedback_id": feedback.id, "complaint": feedback.complaint,
                "message": "Thank you: your rating was recorded"
                           + ("; the civil-affairs office will look into your complaint." if feedback.complaint else "."),
                "message_zh": "感谢评价，已记录" + ("；民政部门将核查处理您的投诉。" if feedback.complaint else "。")}
    return unit_of_work.idempotent(request.app.state.runtime, f"POST public feedback {referral_id}", idempotency_key,
                                   body.model_dump(mode="json"), 201, work)


# --- re-assessment when a standard changes, and the preview of a policy draft ---------------------------------------

def reassessment_read(row) -> ReassessmentRead:
    return ReassessmentRead(**reassessment.reassessment_data(row))


@router.post("/reassessments", response_model=ReassessmentRead, status_code=201, responses={**ERRORS, **REPLAY},
             summary="Re-assess an area's cash benefits under the rules in force today 重新核算救助金",
             description="A county officer runs it after a new policy version takes effect (e.g. a higher dibao "
                         "standard): every active household of the area is recalculated with the rules in force "
                         "today; a changed monthly amount supersedes the old benefit (assistance.benefit.granted "
                         "with supersedes) and the run is recorded and published (assistance.reassessment.completed). "
                         "Nothing changes before someone runs it: a benefit keeps the version it was computed with.",
             openapi_extra=route_emits("assistance.benefit.granted", "assistance.reassessment.completed"))
def create_reassessment(body: ReassessmentCreate, request: Request, principal: CurrentPrincipal,
                        idempotency_key: IdempotencyKey = None):
    def work(session: Session) -> ReassessmentRead:
        return reassessment_read(reassessment.reassess(session, _svc(request), principal, body.division_code,
                                                       body.note))
    return idempotent(request, f"POST reassessments {unit_of_work.caller_scope(principal)}", idempotency_key, body,
                      201, work)


@router.get("/reassessments", response_model=ReassessmentPage, responses=ERRORS,
            summary="Re-assessments run in your area, newest first 重新核算记录")
def list_reassessments(request: Request, principal: CurrentPrincipal,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _staff(principal, "reading re-assessments")
    with request.app.state.runtime.session_factory() as session:
        rows, total = reassessment.list_reassessments(session, principal, limit, offset)
        return ReassessmentPage(items=[reassessment_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/reassessments/{reassessment_id}", response_model=ReassessmentRead, responses=ERRORS,
            summary="One re-assessment and its changes 重新核算详情")
def get_reassessment(reassessment_id: str, request: Request, principal: CurrentPrincipal):
    _staff(principal, "reading re-assessments")
    with request.app.state.runtime.session_factory() as session:
        return reassessment_read(reassessment.get_reassessment(session, principal, reassessment_id))


@router.post("/policy/preview", response_model=PolicyPreviewRead, responses=ERRORS,
             summary="How many households' monthly cash a policy draft would change 规则草案影响预览",
             description="For the policy service's preview of a draft: the complete document the draft would "
                         "publish, compared, for the active households of the draft's region within your area, with "
                         "the rules in force on its first day. Writes nothing.",
             openapi_extra=route_emits(none="computes a preview; stores nothing"))
def policy_preview(body: PolicyPreviewIn, request: Request, principal: CurrentPrincipal):
    candidate = reassessment.Candidate(body.region, body.rule_version, body.effective_from, body.document)
    with request.app.state.runtime.session_factory() as session:
        return reassessment.preview(session, _svc(request), principal, candidate)
