"""KPI API (thin): one area and its children (the next level down that has data), as JSON or CSV for Excel."""
from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from oversight.kpis import accuracy
from oversight.kpis.compute import Fact, Period, all_kpis
from oversight.kpis.tables import KpiFact
from shared.auth import CurrentPrincipal, _error, require_role
from shared.divisions import registry as divisions

router = APIRouter(prefix="/api/v1", tags=["KPIs"])
CHILD_LENGTH = {0: 2, 2: 6, 6: 9, 9: 12}  # province 2 -> county 6 -> township 9 -> village 12
ERRORS = {401: {"description": "No or invalid token"}, 403: {"description": "The area is outside yours"},
          422: {"description": "A query parameter breaks a rule; the error names it"}}
AreaQ = Annotated[str | None, Query(pattern=r"^[0-9]{0,12}$", description="division-code prefix (default: yours)")]
FromQ = Annotated[date, Query(alias="from", description="first day of the period (China time)")]
ToQ = Annotated[date, Query(alias="to", description="last day of the period (China time), included")]


def area_name(code: str) -> str:
    reg = divisions()
    division = reg.get(code.ljust(6, "0") if len(code) < 6 else code)
    return division.name_zh if division else ""


def _facts(request: Request, area: str) -> list[Fact]:
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        rows = session.execute(select(KpiFact).where(KpiFact.division_code.startswith(area, autoescape=True),
                                                     KpiFact.kind != "household")).scalars().all()
        return [Fact(r.kind, r.entity_id, r.division_code, dict(r.attrs or {}), r.household_id) for r in rows]


def report(request: Request, actor, area: str | None, start: date, end: date) -> dict:
    require_role(actor, ("village", "township", "county"), "Reading KPIs", action_zh="查看绩效指标")
    area = actor.area if area is None else area
    if not area.startswith(actor.area):
        raise _error(403, "area_not_allowed", f"The area {area} is outside yours ({actor.area}).",
                     f"地区 {area} 不在您的辖区（{actor.area}）内。", field="area")
    if end < start:
        raise _error(422, "validation_failed", "The period ends before it starts.", "统计期结束早于开始。",
                     errors=[{"field": "to", "rule": "not_before_from", "message": "to must not be before from",
                              "message_zh": "结束日期不得早于开始日期"}])
    period, as_of = Period(start, end), request.app.state.runtime.clock.now()
    facts = _facts(request, area)
    runtime = request.app.state.runtime
    with runtime.session_factory() as session:
        own_accuracy = accuracy.accuracy_items(session, area, period)
    body = {"area": area, "area_name": area_name(area), "from": start.isoformat(), "to": end.isoformat(),
            "kpis": [k.as_dict() for k in all_kpis(facts, period, as_of)] + own_accuracy, "children": []}
    length = CHILD_LENGTH.get(len(area))
    if length:
        groups: dict[str, list[Fact]] = {}
        for f in facts:
            if f.division_code and len(f.division_code) >= length:
                groups.setdefault(f.division_code[:length], []).append(f)
        body["children"] = [{"area": code, "area_name": area_name(code),
                             "kpis": [k.as_dict() for k in all_kpis(group, period, as_of)]}
                            for code, group in sorted(groups.items())]
    return body


@router.get("/kpis", responses=ERRORS)
def kpis(request: Request, actor: CurrentPrincipal, start: FromQ, end: ToQ, area: AreaQ = None) -> dict:
    """KPIs of an area (a division-code prefix inside yours) for a period, with its children for drill-down.
    绩效指标：本辖区及下一级地区。"""
    return report(request, actor, area, start, end)


@router.get("/kpis.csv", responses={**ERRORS, 200: {"content": {"text/csv": {}}}})
def kpis_csv(request: Request, actor: CurrentPrincipal, start: FromQ, end: ToQ, area: AreaQ = None) -> Response:
    """The same figures, one row per area × KPI; UTF-8 with a BOM so that Excel shows the Chinese names."""
    body = report(request, actor, area, start, end)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["area", "area_name", "from", "to", "key", "label_en", "label_zh", "value", "unit", "n"])
    for unit in [body, *body["children"]]:
        for k in unit["kpis"]:
            writer.writerow([unit["area"], unit["area_name"], body["from"], body["to"], k["key"], k["label_en"],
                             k["label_zh"], "" if k["value"] is None else k["value"], k["unit"], k["n"]])
    filename = f"kpis-{body['area'] or 'all'}-{body['from']}-{body['to']}.csv"
    return Response(("\ufeff" + out.getvalue()).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
