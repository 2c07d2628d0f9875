"""Every error body is the bilingual JSON `{"error", "message", "message_zh", ...}`: unmatched routes, wrong
methods, unexpected failures (500, with the correlation id), readiness (503), roles refused (names in Chinese)
and the development token issuer's 422 (field and rule, like every other 422)."""
from __future__ import annotations

import logging
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError

from shared.auth import ROLE_ZH, ROLES, Principal, require_role
from shared.web import CORRELATION_HEADER, install_common
from tests.fuzz.checks import error_body_problems


class Body(BaseModel):
    when: date
    amount: float = Field(allow_inf_nan=False)


def _app(database_ok: bool = True, broker_ok: bool = True) -> FastAPI:
    app = FastAPI()

    def check_database():
        if not database_ok:
            raise ConnectionError("down")

    install_common(app, "test", check_database, lambda: broker_ok)

    @app.get("/boom")
    def boom():
        raise KeyError("secret internals")

    @app.get("/db")
    def db():
        raise DBAPIError("SELECT 1", {}, Exception("syntax"), connection_invalidated=False)

    @app.post("/things")
    def things(body: Body):
        return {}

    @app.get("/county-only")
    def county_only():
        require_role(Principal("p", "village", "530102001001"), ["county"], "approving")

    return app


def _bilingual(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert error_body_problems(status, body) == [], body
    return body


def test_an_unmatched_path_and_a_wrong_method_answer_bilingual_json():
    with TestClient(_app()) as c:
        assert _bilingual(c.get("/nowhere"), 404)["error"] == "not_found"
        wrong = c.delete("/things")
        assert _bilingual(wrong, 405)["error"] == "method_not_allowed"
        assert "POST" in wrong.headers["allow"]


def test_an_unexpected_failure_is_a_bilingual_500_with_the_correlation_id_logged(caplog):
    with TestClient(_app(), raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR, "shared.web"):
        r = c.get("/boom", headers={CORRELATION_HEADER: "cid-123"})
        body = _bilingual(r, 500)
    assert body["error"] == "internal_error" and body["correlation_id"] == "cid-123"
    assert r.headers[CORRELATION_HEADER] == "cid-123"
    assert "secret internals" not in r.text
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert logged and getattr(logged[0], "correlation_id", None) == "cid-123"
    assert isinstance(logged[0].exc_info[1], KeyError)


def test_a_database_error_that_is_not_an_outage_is_a_bilingual_500():
    with TestClient(_app(), raise_server_exceptions=False) as c:
        assert _bilingual(c.get("/db"), 500)["error"] == "internal_error"


@pytest.mark.parametrize("database_ok,broker_ok,down", [(True, False, "消息服务"), (False, True, "数据库")])
def test_not_ready_is_a_bilingual_503_that_keeps_the_checks(database_ok, broker_ok, down):
    with TestClient(_app(database_ok, broker_ok)) as c:
        body = _bilingual(c.get("/readyz"), 503)
    assert body["error"] == "not_ready" and body["status"] == "not_ready" and down in body["message_zh"]
    assert set(body["checks"]) == {"database", "broker"}
    with TestClient(_app()) as c:
        assert c.get("/readyz").json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_every_422_entry_has_a_chinese_message_even_for_rules_without_their_own_wording():
    with TestClient(_app()) as c:
        r = c.post("/things", json={"when": 5, "amount": "inf"})
        body = _bilingual(r, 422)
    assert {e["field"] for e in body["errors"]} == {"when", "amount"}
    c2 = TestClient(_app())
    body = _bilingual(c2.post("/things", content=b"{not json", headers={"content-type": "application/json"}), 422)
    assert body["errors"][0]["rule"] == "json_invalid"


def test_a_nul_character_in_a_query_value_is_a_422_naming_the_parameter():
    with TestClient(_app()) as c:
        body = _bilingual(c.get("/healthz", params={"q": "a\x00b"}), 422)
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [("q", "no_nul_character")]


def test_a_refused_role_is_named_in_chinese_and_the_action_never_in_english():
    with TestClient(_app()) as c:
        body = _bilingual(c.get("/county-only"), 403)
    assert body["message_zh"] == "此操作需要以下角色之一：县级工作人员；当前角色为村级工作人员。"
    assert "approving" in body["message"] and body["allowed_roles"] == ["county"]
    with pytest.raises(Exception) as exc:
        require_role(Principal("p", "partner", ""), ["village", "township"], "recording a visit", action_zh="登记入户走访")
    assert exc.value.detail["message_zh"] == "登记入户走访需要以下角色之一：村级工作人员、乡镇级工作人员；当前角色为协作部门。"
    require_role(Principal("a", "admin", ""), ["county"], "anything")  # admin passes
    assert set(ROLES) <= set(ROLE_ZH)


def test_the_dev_token_issuer_names_the_field_and_rule(tmp_path):
    from tests.fuzz.apps import build
    svc = build("identification", f"sqlite:///{tmp_path}/i.db")
    with TestClient(svc.app) as c:
        role = _bilingual(c.post("/dev/tokens", json={"subject": "x", "role": "mayor"}), 422)
        area = _bilingual(c.post("/dev/tokens", json={"subject": "x", "role": "village", "area": "530102"}), 422)
        missing = _bilingual(c.post("/dev/tokens", json={"role": "admin"}), 422)
    assert [(e["field"], e["rule"]) for e in role["errors"]] == [("role", "enum")]
    assert [(e["field"], e["rule"]) for e in area["errors"]] == [("area", "area_length")]
    assert "村级工作人员" in area["errors"][0]["message_zh"] and "12" in area["message"]
    assert missing["errors"][0]["field"] == "subject"


def test_a_nul_character_in_a_json_body_is_a_422_naming_each_field_and_the_route_never_sees_it():
    with TestClient(_app()) as c:
        body = _bilingual(c.post("/things", json={"note": "a\x00b", "members": [{"name": "ok"}, {"na\x00me": "\x00"}]}),
                          422)
        assert sorted((e["field"], e["rule"]) for e in body["errors"]) == [
            ("members[1].na\x00me", "no_nul_character"), ("members[1].na\x00me", "no_nul_character"),
            ("note", "no_nul_character")]
        # a body without one still reaches the route whole (read here, then replayed to it)
        fine = c.post("/things", json={"when": 5, "amount": "inf"})
        assert {e["field"] for e in fine.json()["errors"]} == {"when", "amount"}


def test_a_streamed_ndjson_body_is_not_read_by_the_nul_check():
    from shared.web import _nul_in_json_body

    class Streamed:
        method = "POST"
        headers = {"content-type": "application/x-ndjson"}

        async def body(self):
            raise AssertionError("a streamed body must reach its route unread")
    import asyncio
    assert asyncio.run(_nul_in_json_body(Streamed())) is None
