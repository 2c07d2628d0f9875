"""oversight's routes (thin): anyone files a petition and looks up its status; the handling office decides on it."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request

from oversight import handlers, repository
from oversight.api.limits import body_within_limit, rate_limited
from oversight.api.schemas import (
    DecisionCreate,
    PetitionCreate,
    PetitionPage,
    PetitionRead,
    PetitionReceipt,
    PublicStatus,
    ReasonCreate,
    ReplyCreate,
)
from oversight.domain.petitions import CATEGORIES, STATUS_LABELS, STATUSES, STEPS, masked_contact
from oversight.models import Petition, audit_log
from shared import audit
from shared.auth import CurrentPrincipal
from shared.emits import route_emits
from shared.unit_of_work import transaction

router = APIRouter(prefix="/api/v1", tags=["petitions (staff)"])
public = APIRouter(prefix="/api/v1/public", tags=["petitions (public)"])

ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "Your role may not take this step"},
          404: {"description": "No such petition in your area"},
          409: {"description": "Not allowed in the petition's state, or you are not its handler; the answer says why"},
          422: {"description": "A field breaks a rule; the error names the field and the rule"}}
PUBLIC_ERRORS = {413: {"description": "The body is larger than the limit"},
                 422: {"description": "A field breaks a rule; the error names the field and the rule"},
                 429: {"description": "Too many requests from your address; Retry-After says when to try again"}}


def petition_read(actor, p: Petition) -> PetitionRead:
    handler = handlers.handles(actor, p)
    overdue = ("acceptance" if p.status == "filed" and p.acceptance_overdue_at else
               "reply" if p.status == "accepted" and p.reply_overdue_at else None)
    return PetitionRead(
        petition_id=p.id, tracking_number=p.tracking_number, category=p.category, division_code=p.division_code,
        handling_level=p.handling_level, handling_area=p.handling_area, status=p.status,
        allowed_steps=list(STEPS[p.status]) if handler or actor.role == "admin" else [],
        household_id=p.household_id, file_number=p.file_number, subject_name=p.subject_name,
        description=p.description, contact=p.contact if handler else masked_contact(p.contact),
        contact_masked=not handler and p.contact is not None, anonymous=p.contact is None,
        attachments=list(p.attachments), rule_version=p.rule_version, filed_at=p.filed_at,
        acceptance_due_on=p.acceptance_due_on, decided_at=p.decided_at, decided_by=p.decided_by,
        decision_reason=p.decision_reason, decided_on_time=p.decided_on_time, reply_due_on=p.reply_due_on,
        extensions=p.extensions, extension_reason=p.extension_reason, replied_at=p.replied_at, reply=p.reply,
        replied_on_time=p.replied_on_time, overdue=overdue)


# -- public -----------------------------------------------------------------------------------------------------------

@public.post("/petitions", status_code=201, response_model=PetitionReceipt, responses=PUBLIC_ERRORS,
             dependencies=[Depends(rate_limited), Depends(body_within_limit)],
             openapi_extra=route_emits("oversight.petition.filed"),
             summary="File a petition (no account needed) 信访举报",
             description="Anyone may report a household receiving assistance that should not (错保), a household in "
                         "hardship that is missed (漏保), a staff member's conduct, a service provider or a decision. "
                         "The contact is optional (anonymous allowed) and shown only to the handling office; "
                         "attachments are described by name and size. The answer carries the tracking number and a "
                         "secret: together they show the status (GET /api/v1/public/petitions/{tracking_number}).")
def file_petition(body: PetitionCreate, request: Request):
    runtime, svc = request.app.state.runtime, request.app.state.services

    def work(session):
        p, secret = handlers.file_petition(
            session, svc, category=body.category, division_code=body.division_code, description=body.description,
            household_id=body.household_id, file_number=body.file_number, subject_name=body.subject_name,
            contact=body.contact.model_dump() if body.contact else None,
            attachments=[a.model_dump() for a in body.attachments])
        level_zh = {"township": "乡镇（街道）民政部门", "county": "县级民政部门"}[p.handling_level]
        return PetitionReceipt(
            tracking_number=p.tracking_number, secret=secret, status=p.status, category=p.category,
            filed_at=p.filed_at, acceptance_due_on=p.acceptance_due_on, handling_level=p.handling_level,
            anonymous=p.contact is None,
            message=f"Received. The {p.handling_level} civil-affairs office decides by {p.acceptance_due_on} whether "
                    "it is accepted. Keep the tracking number and the secret to follow it.",
            message_zh=f"已收到。{level_zh}将于{p.acceptance_due_on:%Y年%m月%d日}前决定是否受理。请保存查询编号和查询密码以便查询办理情况。")
    return transaction(runtime, work)


@public.get("/petitions/{tracking_number}", response_model=PublicStatus, dependencies=[Depends(rate_limited)],
            responses={404: {"description": "No petition with this tracking number and secret"},
                       429: PUBLIC_ERRORS[429]},
            summary="The status of your petition (tracking number + secret) 信访事项办理情况查询")
def petition_status(tracking_number: Annotated[str, Path(max_length=24)], request: Request,
                    secret: Annotated[str | None, Header(alias="X-Petition-Secret", max_length=64,
                                                         description="the secret given when filing")] = None):
    with request.app.state.runtime.session_factory() as session:
        p = repository.by_tracking_number(session, tracking_number)
        if p is None or not handlers.secret_matches(p, secret):
            raise handlers.NotFound(tracking_number)  # the same answer for a wrong secret: nothing leaks
        en, zh = STATUS_LABELS[p.status]
        return PublicStatus(
            tracking_number=p.tracking_number, category=p.category, status=p.status, status_label=en,
            status_label_zh=zh, filed_on=p.filed_on, acceptance_due_on=p.acceptance_due_on, decided_at=p.decided_at,
            decline_reason=p.decision_reason if p.status == "declined" else None, reply_due_on=p.reply_due_on,
            extended=p.extensions > 0, extension_reason=p.extension_reason, replied_at=p.replied_at, reply=p.reply)


# -- staff ------------------------------------------------------------------------------------------------------------

@router.get("/petitions", response_model=PetitionPage, responses=ERRORS,
            summary="Petitions handled in your area 辖区信访事项列表")
def list_petitions(request: Request, principal: CurrentPrincipal,
                   status: Annotated[str | None, Query(pattern="^(" + "|".join(STATUSES) + ")$")] = None,
                   category: Annotated[str | None, Query(pattern="^(" + "|".join(CATEGORIES) + ")$")] = None,
                   division_code: Annotated[str | None, Query(pattern=r"^[0-9]{2,12}$",
                                                              description="prefix of the area concerned")] = None,
                   overdue: Annotated[bool | None, Query(description="only those with a missed deadline")] = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    handlers.require_role_zh(principal, "read")
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.page(session, area=principal.area, status=status, category=category,
                                      division_prefix=division_code, overdue=overdue, limit=limit, offset=offset)
        return PetitionPage(items=[petition_read(principal, p) for p in rows], total=total, limit=limit,
                            offset=offset)


def _visible(session, principal, petition_id: str) -> Petition:
    handlers.require_role_zh(principal, "read")
    p = repository.get(session, petition_id)
    if p is None or not handlers.sees(principal, p):
        raise handlers.NotFound(petition_id)
    return p


@router.get("/petitions/{petition_id}", response_model=PetitionRead, responses=ERRORS,
            summary="One petition (the contact unmasked for its handler only) 信访事项详情")
def get_petition(petition_id: Annotated[str, Path(max_length=64)], request: Request, principal: CurrentPrincipal):
    with request.app.state.runtime.session_factory() as session:
        return petition_read(principal, _visible(session, principal, petition_id))


@router.get("/petitions/{petition_id}/audit", responses=ERRORS, summary="Who did what to the petition, when 操作记录")
def petition_audit(petition_id: Annotated[str, Path(max_length=64)], request: Request,
                   principal: CurrentPrincipal) -> list[dict]:
    with request.app.state.runtime.session_factory() as session:
        _visible(session, principal, petition_id)
        return audit.trail(session, audit_log, "petition", petition_id)


def _step(request: Request, principal, work):
    runtime, svc = request.app.state.runtime, request.app.state.services
    return transaction(runtime, lambda session: petition_read(principal, work(session, svc)))


@router.post("/petitions/{petition_id}/acceptance", response_model=PetitionRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.petition.accepted"),
             summary="Accept the petition (受理); the reply is due 60 days later")
def accept(petition_id: Annotated[str, Path(max_length=64)], body: DecisionCreate, request: Request,
           principal: CurrentPrincipal):
    return _step(request, principal, lambda s, svc: handlers.accept(s, svc, principal, petition_id, body.reason))


@router.post("/petitions/{petition_id}/declination", response_model=PetitionRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.petition.declined"),
             summary="Decline the petition, with the reason (不予受理)")
def decline(petition_id: Annotated[str, Path(max_length=64)], body: ReasonCreate, request: Request,
            principal: CurrentPrincipal):
    return _step(request, principal, lambda s, svc: handlers.decline(s, svc, principal, petition_id, body.reason))


@router.post("/petitions/{petition_id}/extension", response_model=PetitionRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.petition.extended"),
             summary="Extend the reply deadline once by 30 days, with the reason (延期)")
def extend(petition_id: Annotated[str, Path(max_length=64)], body: ReasonCreate, request: Request,
           principal: CurrentPrincipal):
    return _step(request, principal, lambda s, svc: handlers.extend(s, svc, principal, petition_id, body.reason))


@router.post("/petitions/{petition_id}/reply", response_model=PetitionRead, responses=ERRORS,
             openapi_extra=route_emits("oversight.petition.replied"),
             summary="Reply to the complainant (答复); closes the petition")
def reply(petition_id: Annotated[str, Path(max_length=64)], body: ReplyCreate, request: Request,
          principal: CurrentPrincipal):
    return _step(request, principal, lambda s, svc: handlers.reply(s, svc, principal, petition_id, body.reply))
