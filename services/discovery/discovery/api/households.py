"""The household record for staff (everything discovery knows about one family) and the audit trail."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from discovery import handlers, repository
from discovery.api.deps import Ctx, Staff
from discovery.api.schemas import AuditEntry, AuditPage, Bilingual, HouseholdRead, MemberRead, Reason
from discovery.api.views import application_read, clue_read, record_read, referral_read, visit_read
from discovery.domain.identity import mask_id_number
from discovery.domain.lifecycle import explain_household
from discovery.models import access_log, audit_log
from shared import audit
from shared.access_audit import Access, record_request_access

router = APIRouter(prefix="/api/v1", tags=["households"])
# The personal data the household record shows (shared.access_audit records every read of them).
HOUSEHOLD_FIELDS = ("members", "records", "applications", "visits", "clues", "referrals")
ERRORS = {401: {"description": "No or invalid staff token"}, 403: {"description": "Role not allowed"},
          404: {"description": "Not in your area"}}


@router.get("/households/{household_id}", response_model=HouseholdRead,
            summary="One household's record: applications, visits, clues, referrals 家庭档案", responses=ERRORS)
def get_household(household_id: str, request: Request, principal: Staff, ctx: Ctx):
    with request.app.state.runtime.session_factory() as session, session.begin():
        h = repository.get_household(session, household_id)
        if h is None or not principal.covers(h.division_code):
            raise handlers.not_found("household", "家庭档案")
        record_request_access(session, request, access_log, principal, Access(
            "household", h.id, h.id, h.division_code, HOUSEHOLD_FIELDS))
        en, zh = explain_household(h.lifecycle_status)
        return HouseholdRead(
            household_id=h.id, division_code=h.division_code, lifecycle_status=h.lifecycle_status,
            lifecycle_explanation_en=en, lifecycle_explanation_zh=zh, case_id=h.case_id, file_number=h.file_number,
            programmes=h.programmes or [], merged_into=h.merged_into, case_status=h.case_status,
            case_status_at=h.case_status_at, notice_ends_at=h.notice_ends_at,
            rejection_reasons=[Reason(**r) for r in h.decision_reasons or []] if h.lifecycle_status == "rejected" else [],
            appeal=Bilingual(**h.appeal) if h.appeal and h.lifecycle_status == "rejected" else None,
            withdrawal_reason=h.withdrawal_reason if h.lifecycle_status == "withdrawn" else None,
            members=[MemberRead(name=m.name, id_number_masked=mask_id_number(m.id_number), relationship=m.relationship)
                     for m in repository.members_of(session, h.id)],
            records=[record_read(r) for r in repository.records_of(session, h.id)],
            applications=[application_read(a) for a in repository.applications_of_household(session, h.id)],
            visits=[visit_read(v) for v in repository.visits_of_household(session, h.id)],
            clues=[clue_read(c, ctx.today()) for c in repository.clues_of_household(session, h.id)],
            referrals=[referral_read(r) for r in repository.referrals_of_household(session, h.id)])


@router.get("/audit", response_model=AuditPage, summary="Who did what to one record, oldest first 操作日志",
            responses=ERRORS)
def audit_trail(request: Request, principal: Staff,
                entity_type: Literal[tuple(repository.AUDITED_ENTITIES)],
                entity_id: Annotated[str, Query(min_length=1, max_length=64)],
                limit: Annotated[int, Query(ge=1, le=200)] = 100,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    with request.app.state.runtime.session_factory() as session:
        division = repository.division_of(session, entity_type, entity_id)
        if division is None or not principal.covers(division):
            raise handlers.not_found("record", "记录")
        rows = audit.trail(session, audit_log, entity_type, entity_id)
    return AuditPage(items=[AuditEntry(**{k: r[k] for k in AuditEntry.model_fields}) for r in rows[offset:offset + limit]],
                     total=len(rows), limit=limit, offset=offset)
