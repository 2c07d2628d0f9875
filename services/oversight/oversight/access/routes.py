"""Who looked at a household: the access log for county officers (and above), area-scoped, paginated, and its export
for an inspection (CSV or JSON, every matching row, oldest first)."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Annotated, Iterator

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import func, select

from oversight.access.tables import AccessRecord
from shared.auth import CurrentPrincipal, Principal, require_role

router = APIRouter(prefix="/api/v1", tags=["audit of access"])
ROLES = ("county",)  # and admin (require_role lets admin pass)
EXPORT_MAX = 100_000
ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "Only county officers (and above)"},
          422: {"description": "A query parameter breaks a rule; the error names it"}}
COLUMNS = ("accessed_at", "service", "actor", "actor_role", "actor_area", "actor_name", "address", "entity_type",
           "entity_id", "household_id", "division_code", "fields", "purpose", "access_id")


class AccessEntry(BaseModel):
    access_id: str
    accessed_at: datetime
    service: str = Field(description="the service that served the data")
    actor: str = Field(description="the officer's account (token subject)")
    actor_role: str
    actor_area: str
    actor_name: str
    address: str = Field(description="the caller's address (X-Forwarded-For believed only from trusted proxies)")
    entity_type: str
    entity_id: str
    household_id: str
    division_code: str
    fields: list[str] = Field(description="the personal fields shown")
    purpose: str


class AccessPage(BaseModel):
    items: list[AccessEntry]
    total: int
    limit: int
    offset: int


HouseholdId = Annotated[str | None, Query(min_length=1, max_length=64)]
Actor = Annotated[str | None, Query(min_length=1, max_length=128, description="the officer's account")]
From = Annotated[AwareDatetime | None, Query(alias="from", description="accessed at or after (RFC 3339)")]
To = Annotated[AwareDatetime | None, Query(alias="to", description="accessed before (RFC 3339)")]


def _reader(principal: Principal) -> None:
    require_role(principal, ROLES, "Reading the access log", action_zh="查阅个人信息访问记录")


def _query(principal: Principal, household_id, actor, from_, to):
    r = AccessRecord
    q = select(r).where(r.division_code.startswith(principal.area, autoescape=True))
    if household_id:
        q = q.where(r.household_id == household_id)
    if actor:
        q = q.where(r.actor == actor)
    if from_:
        q = q.where(r.accessed_at >= from_)
    if to:
        q = q.where(r.accessed_at < to)
    return q


def entry(r: AccessRecord) -> AccessEntry:
    return AccessEntry(**{c: getattr(r, c) for c in AccessEntry.model_fields})


@router.get("/access-log", response_model=AccessPage, responses=ERRORS,
            summary="Who looked at a household's personal data, newest first 个人信息访问记录")
def access_log(request: Request, principal: CurrentPrincipal, household_id: HouseholdId = None, actor: Actor = None,
               from_: From = None, to: To = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0):
    _reader(principal)
    q = _query(principal, household_id, actor, from_, to)
    with request.app.state.runtime.session_factory() as session:
        total = session.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        rows = session.execute(q.order_by(AccessRecord.accessed_at.desc(), AccessRecord.access_id)
                               .limit(limit).offset(offset)).scalars().all()
        return AccessPage(items=[entry(r) for r in rows], total=total, limit=limit, offset=offset)


def _rows(request: Request, q) -> Iterator[AccessEntry]:
    with request.app.state.runtime.session_factory() as session:
        for r in session.execute(q.order_by(AccessRecord.accessed_at, AccessRecord.access_id).limit(EXPORT_MAX)
                                 .execution_options(yield_per=500)).scalars():
            yield entry(r)


def _csv(entries: Iterator[AccessEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # so a spreadsheet opens the Chinese names as UTF-8
    writer.writerow(COLUMNS)
    for e in entries:
        values = e.model_dump(mode="json")
        writer.writerow([";".join(values[c]) if c == "fields" else values[c] for c in COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _filename(household_id: str | None, ext: str) -> dict:
    name = "access-log" + (f"-{household_id}" if household_id and household_id.replace("-", "").isalnum() else "")
    return {"Content-Disposition": f'attachment; filename="{name}.{ext}"'}


@router.get("/access-log.csv", responses={**ERRORS, 200: {"content": {"text/csv": {}}}},
            summary="The access log as CSV for an inspection, oldest first 访问记录导出（CSV）")
def access_log_csv(request: Request, principal: CurrentPrincipal, household_id: HouseholdId = None,
                   actor: Actor = None, from_: From = None, to: To = None):
    _reader(principal)
    rows = _rows(request, _query(principal, household_id, actor, from_, to))
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8",
                             headers=_filename(household_id, "csv"))


@router.get("/access-log.json", responses={**ERRORS, 200: {"content": {"application/json": {}}}},
            summary="The access log as one JSON document for an inspection, oldest first 访问记录导出（JSON）")
def access_log_json(request: Request, principal: CurrentPrincipal, household_id: HouseholdId = None,
                    actor: Actor = None, from_: From = None, to: To = None):
    _reader(principal)
    rows = _rows(request, _query(principal, household_id, actor, from_, to))

    def document() -> Iterator[str]:
        yield '{"items": ['
        for n, e in enumerate(rows):
            yield ("," if n else "") + json.dumps(e.model_dump(mode="json"), ensure_ascii=False)
        yield "]}"
    return StreamingResponse(document(), media_type="application/json", headers=_filename(household_id, "json"))
