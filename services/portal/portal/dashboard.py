"""KPI dashboards for staff (绩效看板): one page per area with the KPIs oversight computes from the event streams
(GET /api/v1/kpis?area=&from=&to=), a chart per KPI across the area's children (Apache ECharts, vendored under
static/vendor/echarts) and a table that is the same data without JavaScript; a child area's name or bar drills
down (county -> township -> village). The CSV export is oversight's, passed through with the officer's token.
No figure is computed here."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from portal.clients import Answer, ServiceClients
from portal.pages import clients, render
from portal.staff.session import Officer, officer_headers, require_officer
from shared.clock import china_time
from shared.divisions import registry

router = APIRouter(include_in_schema=False)
CurrentOfficer = Annotated[Officer, Depends(require_officer)]
Area = Annotated[str | None, Query(max_length=12, pattern=r"^[0-9]{2,12}$")]
Day = Annotated[str | None, Query(max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")]


def kpi_params(area: str, date_from: str | None, date_to: str | None) -> dict:
    params = {"area": area}
    if date_from:
        params["from"] = date_from
    if date_to:
        params["to"] = date_to
    return params


def load_kpis(clients_: ServiceClients, authorization: dict, area: str, date_from: str | None = None,
              date_to: str | None = None) -> Answer:
    return clients_.as_officer("oversight", "GET", "/api/v1/kpis", authorization,
                               params=kpi_params(area, date_from, date_to))


def chart_data(body: dict, lang: str) -> dict:
    """What the page's script draws: per KPI, the children's names, areas and values (the script holds no text)."""
    zh = lang == "zh-CN"
    children = body.get("children") or []
    charts = []
    for k in body.get("kpis") or []:
        values = []
        for child in children:
            match = next((c for c in child.get("kpis") or [] if c.get("key") == k.get("key")), {})
            values.append(match.get("value"))
        charts.append({"key": k.get("key"), "label": k.get("label_zh") if zh else k.get("label_en"),
                       "unit": k.get("unit") or "", "values": values})
    return {"names": [c.get("area_name") or c.get("area") for c in children],
            "areas": [c.get("area") for c in children], "charts": charts}


def period(request: Request, date_from: str | None, date_to: str | None) -> tuple[str, str]:
    """oversight asks for both ends: by default the year so far (China time, from the injectable clock)."""
    today = china_time(request.app.state.services.clock.now()).date()
    return date_from or f"{today.year}-01-01", date_to or today.isoformat()


def child_value(child: dict, key: str):
    return next((c.get("value") for c in child.get("kpis") or [] if c.get("key") == key), None)


@router.get("/staff/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, officer: CurrentOfficer, area: Area = None, date_from: Annotated[
        str | None, Query(alias="from", max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
              date_to: Annotated[str | None, Query(alias="to", max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")] = None):
    area = area or officer.area
    date_from, date_to = period(request, date_from, date_to)
    answer = load_kpis(clients(request), officer_headers(request, officer), area, date_from, date_to)
    lang = "en" if request.query_params.get("lang") == "en" or (
        "lang" not in request.query_params and request.cookies.get("lang") == "en") else "zh-CN"
    crumbs = [d for d in registry().path(area) if len(d.code) >= len(officer.area)]
    status = 200 if answer.ok else (503 if answer.unavailable else answer.status)
    detail = answer.body.get("detail") if not answer.ok else None
    return render(request, "dashboard/area.html", status, officer=officer, area=area, answer=answer,
                  body=answer.body if answer.ok else {}, crumbs=crumbs, date_from=date_from or "",
                  date_to=date_to or "", chart=chart_data(answer.body, lang) if answer.ok else None,
                  child_value=child_value, refused=detail if isinstance(detail, dict) else answer.body,
                  csv_query=kpi_params(area, date_from, date_to))


@router.get("/staff/dashboard.csv")
def dashboard_csv(request: Request, officer: CurrentOfficer, area: Area = None, date_from: Annotated[
        str | None, Query(alias="from", max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                  date_to: Annotated[str | None, Query(alias="to", max_length=10,
                                                       pattern=r"^\d{4}-\d{2}-\d{2}$")] = None):
    """oversight's CSV export of the same figures, with the officer's token (area-scoped by oversight)."""
    area = area or officer.area
    date_from, date_to = period(request, date_from, date_to)
    got = clients(request).oversight.download("/api/v1/kpis.csv", params=kpi_params(area, date_from, date_to),
                                              headers=officer_headers(request, officer))
    if got is None:
        return Response("oversight is unavailable / 监督服务暂不可用\n", status_code=503, media_type="text/plain")
    name = re.sub(r"[^0-9A-Za-z_.-]", "", f"kpis-{area}-{date_from or ''}-{date_to or ''}.csv")
    return Response(got.content, status_code=got.status_code,
                    media_type=got.headers.get("content-type", "text/csv; charset=utf-8"),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
