"""The KPI dashboard and the petition queue against a fake oversight (httpx.MockTransport), with the signed-in
officer overridden: the figures oversight answers are on the page, each child area links to its own dashboard
(drill-down), the chart data carries the children, the CSV is oversight's passed through; the period defaults."""
from __future__ import annotations

import json
import re

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.clients import ServiceClients
from portal.staff.session import Officer, require_officer, verify_csrf
from tests.fuzz.apps import build

COUNTY = "530102"
OFFICER = Officer(subject="cty-1", role="county", area=COUNTY, name="钱县", session_id="s", csrf_token="tok")


def kpi(key, value, n=4):
    return {"key": key, "label_en": f"KPI {key}", "label_zh": f"指标{key}", "value": value, "unit": "%", "n": n}


KPIS = {"area": COUNTY, "area_name": "五华区", "from": "2026-01-01", "to": "2026-12-02",
        "kpis": [kpi("on_time", 87.5), kpi("discovery_share", None, 0)],
        "children": [{"area": "530102001", "area_name": "华山街道", "kpis": [kpi("on_time", 91.25)]},
                     {"area": "530102002", "area_name": "护国街道", "kpis": [kpi("on_time", 62.0)]}]}


@pytest.fixture
def seen():
    return []


@pytest.fixture
def client(tmp_path, seen):
    def oversight(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/v1/kpis":
            return httpx.Response(200, json=KPIS)
        if request.url.path == "/api/v1/kpis.csv":
            return httpx.Response(200, text="area,key,value\n530102,on_time,87.5\n", headers={"content-type": "text/csv"})
        if request.url.path == "/api/v1/petitions":
            return httpx.Response(200, json={"items": [], "total": 0, "limit": 20, "offset": 0})
        return httpx.Response(404, json={"error": "not_found", "message": "No.", "message_zh": "无。"})
    svc = build("portal", f"sqlite:///{tmp_path}/portal.db")
    svc.runtime.services.clients = ServiceClients.from_settings(svc.runtime.settings,
                                                                transport=httpx.MockTransport(oversight))
    svc.app.dependency_overrides[require_officer] = lambda: OFFICER
    svc.app.dependency_overrides[verify_csrf] = lambda: None
    with TestClient(svc.app) as c:
        yield c


def test_the_dashboard_shows_oversights_figures_and_links_each_child_area(client, seen):
    page = client.get("/staff/dashboard")
    assert page.status_code == 200, page.text
    [asked] = [r for r in seen if r.url.path == "/api/v1/kpis"]
    assert asked.url.params["area"] == COUNTY and asked.url.params["from"].endswith("-01-01") and asked.url.params["to"]
    assert asked.headers["Authorization"].startswith("Bearer ")
    assert "87.5" in page.text and "指标on_time" in page.text and "样本数 0" in page.text
    assert 'href="/staff/dashboard?area=530102001' in page.text and "华山街道" in page.text
    data = json.loads(re.search(r'<script type="application/json" id="db-data">(.*?)</script>', page.text, re.S).group(1))
    assert data["areas"] == ["530102001", "530102002"] and data["charts"][0]["values"] == [91.25, 62.0]
    assert data["charts"][1]["values"] == [None, None]
    assert '/static/vendor/echarts/echarts.min.js' in page.text and 'id="db-csv"' in page.text
    english = client.get("/staff/dashboard?lang=en&area=530102001&from=2026-06-01&to=2026-06-30")
    assert "KPI on_time" in english.text and seen[-1].url.params["from"] == "2026-06-01"


def test_the_csv_is_oversights_passed_through_with_the_officers_token(client, seen):
    got = client.get("/staff/dashboard.csv?area=530102001&from=2026-01-01&to=2026-03-31")
    assert got.status_code == 200 and got.text.startswith("area,key,value")
    assert "attachment" in got.headers["content-disposition"]
    assert seen[-1].url.path == "/api/v1/kpis.csv" and seen[-1].url.params["area"] == "530102001"


def test_the_petition_queue_asks_oversight_for_the_officers_area(client, seen):
    page = client.get("/staff/petitions?status=filed")
    assert page.status_code == 200 and 'id="petition-queue-empty"' in page.text
    assert seen[-1].url.params["status"] == "filed"
