"""policy's routes (thin): officers draft versions for their area, a second officer approves or rejects them."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from policy import handlers, repository
from policy.api.schemas import (
    DecisionCreate,
    DraftCreate,
    RejectionCreate,
    ResolvedRead,
    RuleSetDetail,
    RuleSetPage,
    RuleSetRead,
)
from policy.domain import document as doc
from policy.models import RuleSet, audit_log
from shared import audit
from shared.auth import STAFF_ROLES, CurrentPrincipal, Principal, require_role
from shared.emits import route_emits
from shared.unit_of_work import caller_scope, idempotent, transaction

router = APIRouter(prefix="/api/v1", tags=["policy versions"])

ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "Your role or area may not take this step"},
          404: {"description": "No such version in your area"},
          409: {"description": "Not allowed in the version's status, or the proposer approving; the answer says why"},
          422: {"description": "A parameter breaks the schema or a rule; the error names its path and the rule"}}


def ruleset_read(r: RuleSet) -> RuleSetRead:
    return RuleSetRead(ruleset_id=r.id, region=r.region, version=r.version, rule_version=r.rule_version,
                       status=r.status, title=r.title, effective_from=r.effective_from, effective_to=r.effective_to,
                       legal_basis=r.legal_basis, overrides=r.overrides, source=r.source, source_file=r.source_file,
                       replaces=r.replaces, proposed_by=r.proposed_by, proposed_at=r.proposed_at,
                       decided_by=r.decided_by, decided_at=r.decided_at, decision_note=r.decision_note,
                       allowed_actions=["approve", "reject"] if r.status == "submitted" else [])


def ruleset_detail(session, r: RuleSet) -> RuleSetDetail:
    base, changes = handlers.changes_of(session, r)
    return RuleSetDetail(**ruleset_read(r).model_dump(), document=r.document,
                         replaced=ruleset_read(base) if base else None, changes=changes)


def _reader(principal: Principal) -> None:
    require_role(principal, (*STAFF_ROLES, "policy"), "read", action_zh=handlers.ACTION_ZH["read"])


def _visible(session, principal: Principal, ruleset_id: str) -> RuleSet:
    row = handlers.get(session, ruleset_id)
    if not repository.visible(principal.area, row.region):
        raise handlers.NotFound(ruleset_id)
    return row


@router.get("/rulesets", response_model=RuleSetPage, responses=ERRORS,
            summary="Versions that apply to your area: national, provincial and your own 规则版本列表")
def list_rulesets(request: Request, principal: CurrentPrincipal,
                  region: Annotated[str | None, Query(pattern=r"^[0-9]{0,12}$", description="exactly this region (\"\" national)")] = None,
                  status: Annotated[str | None, Query(pattern="^(submitted|rejected|published)$")] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _reader(principal)
    with request.app.state.runtime.session_factory() as session:
        rows, total = repository.list_rulesets(session, area=principal.area, region=region, status=status,
                                               limit=limit, offset=offset)
        return RuleSetPage(items=[ruleset_read(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/rulesets/{ruleset_id}", response_model=RuleSetDetail, responses=ERRORS,
            summary="One version: its overrides, the resolved document, and the diff against the version it replaces "
                    "规则版本详情与差异")
def get_ruleset(ruleset_id: str, request: Request, principal: CurrentPrincipal):
    _reader(principal)
    with request.app.state.runtime.session_factory() as session:
        return ruleset_detail(session, _visible(session, principal, ruleset_id))


@router.get("/rulesets/{ruleset_id}/audit", summary="Who proposed, approved or rejected it, when 操作记录", responses=ERRORS)
def ruleset_audit(ruleset_id: str, request: Request, principal: CurrentPrincipal) -> list[dict]:
    _reader(principal)
    with request.app.state.runtime.session_factory() as session:
        _visible(session, principal, ruleset_id)
        return audit.trail(session, audit_log, "ruleset", ruleset_id)


@router.get("/resolved", response_model=ResolvedRead, responses=ERRORS,
            summary="The document in force for a division code on a date, as every service selects it 生效规则")
def resolved(request: Request, principal: CurrentPrincipal,
             division_code: Annotated[str, Query(pattern=r"^[0-9]{0,12}$")],
             on: Annotated[date, Query(description="the day; default today (China time)")] = None):
    _reader(principal)
    svc: handlers.Services = request.app.state.services
    day = on or svc.today()
    with request.app.state.runtime.session_factory() as session:
        row = handlers.in_force(session, division_code, day)
        if row is None:
            from shared.rule_data import NoRuleSet
            raise NoRuleSet(f"no published policy is in force for {division_code or 'national'} on {day}")
        return ResolvedRead(division_code=division_code, on=day, rule_version=row.rule_version, region=row.region,
                            effective_from=row.effective_from, effective_to=row.effective_to, document=row.document)


@router.post("/rulesets", status_code=201, response_model=RuleSetDetail, responses=ERRORS,
             openapi_extra=route_emits("policy.draft.submitted", "policy.ruleset.published"),
             summary="Draft a version for your area 起草规则版本",
             description="A policy officer (area = a province, prefecture or county code) or a county officer "
                         "proposes the overrides of a region within their area. The draft is merged onto the version in force for the region on "
                         "its effective_from and checked against the schema and the semantic rules (dates in order, "
                         "no overlap, thresholds in order, weights adding up); a refused draft answers 422 naming each "
                         "parameter path and rule, and nothing is stored or published. The national defaults are "
                         "published first if they are not yet (policy.ruleset.published). An Idempotency-Key makes a "
                         "retried request return the first answer.")
def submit(body: DraftCreate, request: Request, principal: CurrentPrincipal,
           idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None):
    runtime, svc = request.app.state.runtime, request.app.state.services
    problems = doc.release_problems(body.model_dump(mode="json"))
    if problems:
        raise handlers.InvalidDraft(problems)
    draft = handlers.Draft(**body.model_dump(exclude={"legal_basis"}), legal_basis=body.legal_basis.model_dump())

    def work(session) -> dict:
        return ruleset_detail(session, handlers.submit(session, svc, principal, draft)).model_dump(mode="json")
    return idempotent(runtime, f"POST rulesets {caller_scope(principal)}", idempotency_key,
                      body.model_dump(mode="json"), 201, work)


@router.post("/rulesets/{ruleset_id}/approval", response_model=RuleSetDetail, responses=ERRORS,
             openapi_extra=route_emits("policy.ruleset.published"),
             summary="Approve and publish a draft (a second officer) 批准并发布",
             description="Another officer than the proposer approves; the draft is checked again against what was "
                         "published since, and policy.ruleset.published carries the resolved document to every "
                         "service. It takes effect on its effective_from. A decided version is never changed (409).")
def approve(ruleset_id: str, body: DecisionCreate, request: Request, principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services
    return transaction(runtime, lambda session: ruleset_detail(
        session, handlers.approve(session, svc, principal, ruleset_id, body.note)))


@router.post("/rulesets/{ruleset_id}/rejection", response_model=RuleSetDetail, responses=ERRORS,
             openapi_extra=route_emits("policy.draft.rejected"),
             summary="Reject a draft, with the reason 驳回草案")
def reject(ruleset_id: str, body: RejectionCreate, request: Request, principal: CurrentPrincipal):
    runtime, svc = request.app.state.runtime, request.app.state.services
    return transaction(runtime, lambda session: ruleset_detail(
        session, handlers.reject(session, svc, principal, ruleset_id, body.reason)))


@router.get("/rulesets/{ruleset_id}/preview", responses=ERRORS,
            openapi_extra=route_emits(none="asks the services for a preview; stores nothing"),
            summary="What a version would change: households whose outcome or monthly cash differs 草案影响预览",
            description="Sends the version's resolved document to each service configured in POLICY_PREVIEW_URLS "
                        "(POST /api/v1/policy/preview, with your token, so each answers for your area only) and "
                        "gathers their answers: e.g. assistance counts the households whose monthly cash would "
                        "differ from its first day, identification the households whose eligibility would. A "
                        "service that does not answer is listed as unavailable with the reason.")
def preview(ruleset_id: str, request: Request, principal: CurrentPrincipal,
            authorization: Annotated[str | None, Header()] = None) -> dict:
    _reader(principal)
    with request.app.state.runtime.session_factory() as session:
        row = _visible(session, principal, ruleset_id)
        body = {"region": row.region, "rule_version": row.rule_version,
                "effective_from": row.effective_from.isoformat(), "document": row.document}
        head = {"ruleset_id": row.id, "rule_version": row.rule_version, "region": row.region,
                "status": row.status, "effective_from": row.effective_from.isoformat()}
    settings = request.app.state.runtime.settings
    return {**head, "services": handlers.gather_previews(settings.preview_urls, body, authorization,
                                                         settings.preview_timeout_seconds)}
