"""The KPI API on SQLite (no broker): events applied by the projection's handler, the JSON shape the portal builds
against, drill-down children, area scoping (403 outside), the CSV with a BOM, and a projection order that does not
matter (an event without an area takes the household's when it arrives later)."""
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from oversight.bootstrap import build_runtime
from oversight.config import Settings
from oversight.kpis.projection import apply_event
from oversight.main import create_app
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import Event

VILLAGE, OTHER_VILLAGE = "530102001001", "530102002001"
NOW = datetime(2026, 12, 31, 2, tzinfo=timezone.utc)


@pytest.fixture
def env(tmp_path):
    clock = FixedClock(NOW)
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/oversight.db"), clock=clock)
    runtime.migrate()
    return TestClient(create_app(runtime, clock=clock, start_workers=False)), runtime


def staff(runtime, role: str, area: str) -> dict:
    return {"Authorization": "Bearer " + issue_token(runtime.settings.jwt_secret, subject=f"{role}-{area}", role=role,
                                                     area=area)}


def apply(runtime, event_type: str, data: dict) -> None:
    with runtime.session_factory() as session, session.begin():
        apply_event(session, Event(type=event_type, source="/test", subject=data.get("household_id", "x"), data=data))


def case(runtime, case_id, village, opened, decided, deadline, source="application", rejected=False):
    hh = "hh-" + case_id
    if rejected:  # the decision first: it names no area; the opening brings it
        apply(runtime, "identification.household.rejected", {"case_id": case_id, "household_id": hh,
                                                              "rejected_at": decided})
    apply(runtime, "identification.case.opened", {"case_id": case_id, "household_id": hh, "division_code": village,
                                                  "source_type": source, "opened_at": opened, "deadline": deadline})
    if not rejected:
        apply(runtime, "identification.household.identified", {"case_id": case_id, "household_id": hh,
                                                                "identified_at": decided})


def kpi(body, key):
    return next(k for k in body["kpis"] if k["key"] == key)


def test_the_county_sees_its_figures_and_its_townships(env):
    client, runtime = env
    case(runtime, "c1", VILLAGE, "2026-11-01T02:00:00Z", "2026-11-11T02:00:00Z", "2026-12-15")
    case(runtime, "c2", VILLAGE, "2026-11-01T02:00:00Z", "2026-11-21T02:00:00Z", "2026-11-15", "referral",
         rejected=True)
    case(runtime, "c3", OTHER_VILLAGE, "2026-11-01T02:00:00Z", "2026-11-05T02:00:00Z", "2026-12-15")
    r = client.get("/api/v1/kpis", params={"area": "530102", "from": "2026-11-01", "to": "2026-11-30"},
                   headers=staff(runtime, "county", "530102"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"area", "area_name", "from", "to", "kpis", "children"}
    assert body["area"] == "530102" and body["area_name"] and body["from"] == "2026-11-01"
    assert set(kpi(body, "time_to_decision_median_days")) == {"key", "label_en", "label_zh", "value", "unit", "n"}
    assert kpi(body, "time_to_decision_median_days") == {**kpi(body, "time_to_decision_median_days"),
                                                         "value": 10.0, "n": 3, "unit": "days"}
    assert kpi(body, "time_to_decision_p90_days")["value"] == 20.0
    assert kpi(body, "decided_within_deadline_share")["value"] == pytest.approx(2 / 3, abs=1e-4)
    assert kpi(body, "active_discovery_share")["value"] == pytest.approx(1 / 3, abs=1e-4)
    assert [c["area"] for c in body["children"]] == ["530102001", "530102002"]
    assert kpi(body["children"][0], "time_to_decision_median_days") == {
        **kpi(body["children"][0], "time_to_decision_median_days"), "value": 10.0, "n": 2}
    assert all(c["area_name"] for c in body["children"])


def test_outside_the_area_is_403_and_without_token_401(env):
    client, runtime = env
    q = {"area": "530102", "from": "2026-11-01", "to": "2026-11-30"}
    assert client.get("/api/v1/kpis", params=q).status_code == 401
    r = client.get("/api/v1/kpis", params=q, headers=staff(runtime, "township", "530102002"))
    assert r.status_code == 403 and r.json()["message_zh"]
    r = client.get("/api/v1/kpis", params={k: v for k, v in q.items() if k != "area"},
                   headers=staff(runtime, "township", "530102002"))
    assert r.status_code == 200 and r.json()["area"] == "530102002"
    r = client.get("/api/v1/kpis", params={**q, "to": "2026-10-01"}, headers=staff(runtime, "county", "530102"))
    assert r.status_code == 422


def test_the_csv_has_a_bom_and_one_row_per_area_and_kpi(env):
    client, runtime = env
    case(runtime, "c1", VILLAGE, "2026-11-01T02:00:00Z", "2026-11-11T02:00:00Z", "2026-12-15")
    r = client.get("/api/v1/kpis.csv", params={"area": "530102", "from": "2026-11-01", "to": "2026-11-30"},
                   headers=staff(runtime, "county", "530102"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = r.content.decode("utf-8-sig").strip().splitlines()
    n = len(client.get("/api/v1/kpis", params={"area": "530102", "from": "2026-11-01", "to": "2026-11-30"},
                       headers=staff(runtime, "county", "530102")).json()["kpis"])
    assert len(rows) == 1 + 2 * n  # the county and its one township
    assert "审批用时" in r.content.decode("utf-8-sig")
