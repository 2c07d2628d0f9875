"""The petition API on an SQLite file with a fixed clock (no broker: workers off): validation, limits, the public
status lookup, routing and masking, the staff steps and the deadline timer."""
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from oversight.bootstrap import build_runtime
from oversight.config import Settings
from oversight.main import create_app
from oversight.scheduled import check_deadlines
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import decode

VILLAGE = "530102001001"
FILED = datetime(2026, 6, 1, 2, tzinfo=timezone.utc)  # 10:00 in China, 1 June


@pytest.fixture
def env(tmp_path):
    clock = FixedClock(FILED)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/oversight.db", public_rate_limit=5)
    runtime = build_runtime(settings, clock=clock)
    runtime.migrate()
    SECRET["value"] = runtime.settings.jwt_secret
    app = create_app(runtime, clock=clock, start_workers=False)
    return TestClient(app), runtime, clock


SECRET = {"value": ""}  # the runtime's (tests/conftest.py sets one per run when the whole tree is collected)


def staff(role: str, area: str) -> dict:
    return {"Authorization": "Bearer " + issue_token(SECRET["value"], subject=f"{role}-{area}", role=role, area=area)}


def missed(**extra) -> dict:
    return {"category": "wrongly_missed", "division_code": VILLAGE,
            "description": "村东头一户老人独居，无收入，长期生病，没有纳入低保。",
            "contact": {"name": "李四", "phone": "13912345678"},
            "attachments": [{"name": "照片.jpg", "size_bytes": 120000}], **extra}


def events(runtime, event_type: str) -> list[dict]:
    outbox = runtime.tables.outbox
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.payload).order_by(outbox.c.id)).scalars().all()
    found = [decode(r if isinstance(r, bytes) else r.encode()) for r in rows]
    return [e for e in found if e["type"] == event_type]


def test_filing_gives_a_tracking_number_and_secret_that_show_the_status(env):
    client, runtime, _ = env
    answer = client.post("/api/v1/public/petitions", json=missed())
    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["tracking_number"].startswith("XF20260601")
    assert receipt["acceptance_due_on"] == "2026-06-16" and receipt["handling_level"] == "township"
    assert "6月16日" in receipt["message_zh"]
    url = f"/api/v1/public/petitions/{receipt['tracking_number']}"
    status = client.get(url, headers={"X-Petition-Secret": receipt["secret"]})
    assert status.status_code == 200 and status.json()["status"] == "filed"
    assert status.json()["status_label_zh"] == "已登记，待决定是否受理"
    for wrong in ({"X-Petition-Secret": "not-the-secret"}, {}):
        refused = client.get(url, headers=wrong)
        assert refused.status_code == 404 and refused.json()["message_zh"]
    [filed] = events(runtime, "oversight.petition.filed")
    assert "13912345678" not in str(filed) and filed["data"]["anonymous"] is False


def test_bad_input_is_a_bilingual_422_naming_field_and_rule(env):
    client, _, _ = env
    answer = client.post("/api/v1/public/petitions", json=missed(division_code="530102001", category="wrongly_missed"))
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert (error["field"], error["rule"]) == ("division_code", "village_code_required") and error["message_zh"]
    answer = client.post("/api/v1/public/petitions", json={**missed(), "category": "gossip", "description": "短"})
    fields = {(e["field"], e["rule"]) for e in answer.json()["errors"]}
    assert ("category", "literal_error") in fields and ("description", "string_too_short") in fields
    assert all(e["message_zh"] for e in answer.json()["errors"])


def test_a_body_over_the_limit_is_413_and_a_flood_is_429(env):
    client, _, _ = env
    big = client.post("/api/v1/public/petitions", json=missed(description="很" * 20000))
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large" and big.json()["message_zh"]
    codes = [client.post("/api/v1/public/petitions", json=missed()).status_code for _ in range(5)]
    assert codes == [201, 201, 201, 201, 429]  # the 413 counted too: 5 per window
    limited = client.post("/api/v1/public/petitions", json=missed())
    assert limited.status_code == 429 and limited.headers["Retry-After"] and limited.json()["message_zh"]


def test_routing_area_scope_and_masking(env):
    client, _, _ = env
    household = client.post("/api/v1/public/petitions", json=missed()).json()
    conduct = client.post("/api/v1/public/petitions", json={
        "category": "staff_conduct", "division_code": VILLAGE, "subject_name": "某乡镇干部",
        "description": "办理低保时索要好处费，态度恶劣。"}).json()
    township = client.get("/api/v1/petitions", headers=staff("township", "530102001")).json()
    assert [i["tracking_number"] for i in township["items"]] == [household["tracking_number"]]
    [item] = township["items"]
    assert item["contact"] == {"name": "李四", "phone": "13912345678"} and not item["contact_masked"]
    county = client.get("/api/v1/petitions", headers=staff("county", "530102")).json()
    assert county["total"] == 2
    seen = {i["tracking_number"]: i for i in county["items"]}
    assert seen[household["tracking_number"]]["contact"]["phone"] == "139****5678"  # not the handler
    assert seen[household["tracking_number"]]["allowed_steps"] == []
    assert seen[conduct["tracking_number"]]["anonymous"] is True
    other = client.get("/api/v1/petitions", headers=staff("township", "530102002")).json()
    assert other["total"] == 0
    village = client.get("/api/v1/petitions", headers=staff("village", VILLAGE))
    assert village.status_code == 403 and village.json()["message_zh"]
    # the county is not the handler of a household matter: it may not accept it
    pid = seen[household["tracking_number"]]["petition_id"]
    refused = client.post(f"/api/v1/petitions/{pid}/acceptance", json={}, headers=staff("county", "530102"))
    assert refused.status_code == 409 and refused.json()["error"] == "not_the_handler"


def test_accept_extend_once_reply_and_the_audit_trail(env):
    client, runtime, clock = env
    client.post("/api/v1/public/petitions", json=missed())
    officer = staff("township", "530102001")
    pid = client.get("/api/v1/petitions", headers=officer).json()["items"][0]["petition_id"]
    clock.advance(days=15)  # day 15: still on time
    accepted = client.post(f"/api/v1/petitions/{pid}/acceptance", json={"reason": "属于受理范围"}, headers=officer)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["decided_on_time"] is True and accepted.json()["reply_due_on"] == "2026-08-15"
    too_early = client.post(f"/api/v1/petitions/{pid}/acceptance", json={}, headers=officer)
    assert too_early.status_code == 409 and too_early.json()["allowed_steps"] == ["extend", "reply"]
    extended = client.post(f"/api/v1/petitions/{pid}/extension", json={"reason": "需联合核查"}, headers=officer)
    assert extended.json()["reply_due_on"] == "2026-09-14" and extended.json()["extensions"] == 1
    again = client.post(f"/api/v1/petitions/{pid}/extension", json={"reason": "还需要时间"}, headers=officer)
    assert again.status_code == 409 and again.json()["error"] == "extension_once_only" and again.json()["message_zh"]
    no_reason = client.post(f"/api/v1/petitions/{pid}/extension", json={}, headers=officer)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    replied = client.post(f"/api/v1/petitions/{pid}/reply", json={"reply": "经入户核实，已纳入低保并告知本人。"},
                          headers=officer)
    assert replied.json()["status"] == "replied" and replied.json()["replied_on_time"] is True
    trail = client.get(f"/api/v1/petitions/{pid}/audit", headers=officer).json()
    assert [t["action"] for t in trail] == ["petition.filed", "petition.accepted", "petition.extended",
                                            "petition.replied"]
    assert [len(events(runtime, f"oversight.petition.{v}")) for v in ("filed", "accepted", "extended", "replied")] == \
        [1, 1, 1, 1]


def test_the_timer_reports_each_missed_deadline_once(env):
    client, runtime, clock = env
    client.post("/api/v1/public/petitions", json=missed())
    clock.advance(days=15)  # 16 June, 10:00 China: the last day
    assert check_deadlines(runtime) == 0
    clock.advance(days=1)  # 17 June: late
    assert check_deadlines(runtime) == 1
    assert check_deadlines(runtime) == 0
    [overdue] = events(runtime, "oversight.petition.overdue")
    assert overdue["data"]["stage"] == "acceptance" and overdue["data"]["days_late"] == 1
    officer = staff("township", "530102001")
    listed = client.get("/api/v1/petitions", params={"overdue": "true"}, headers=officer).json()
    assert listed["total"] == 1 and listed["items"][0]["overdue"] == "acceptance"
    pid = listed["items"][0]["petition_id"]
    late = client.post(f"/api/v1/petitions/{pid}/acceptance", json={}, headers=officer).json()
    assert late["decided_on_time"] is False and late["overdue"] is None and late["reply_due_on"] == "2026-08-16"
    clock.advance(days=60)  # 16 August: the last day of the reply
    assert check_deadlines(runtime) == 0
    clock.advance(days=1)
    assert check_deadlines(runtime) == 1
    stages = [e["data"]["stage"] for e in events(runtime, "oversight.petition.overdue")]
    assert stages == ["acceptance", "reply"]
    refused = client.post(f"/api/v1/petitions/{pid}/extension", json={"reason": "来不及了"}, headers=officer)
    assert refused.status_code == 409 and refused.json()["error"] == "extension_after_deadline"
