"""Objections to an exit notice on real PostgreSQL: anyone may lodge one while the notice runs (no account, nothing
personal published), an open objection holds the notice and the county decision (409, in both languages), the township
resolves it (dismissed: the notice runs on; upheld: the notice is withdrawn and the exit is reviewed again), and every
step is an event."""
import re

import pytest

from gradual_exit.models import ExitObjection
from tests.helpers import count
from tests.integration.test_gradual_exit_lifecycle import to_exit_review
from tests.integration.test_gradual_exit_support import (  # noqa: F401 (fixtures)
    START,
    client,
    clock,
    county,
    enrol,
    last_event,
    outbox,
    outbox_types,
    programme_of,
    record,
    runtime,
    token,
    township,
    village,
)

GROUNDS = "该户户主上月住院，务工收入已中断，不应退出。"
CONTACT = "13800138000"


def to_notice(client, runtime, clock) -> tuple[str, str]:
    """dibao at exit notice: published at START + 184 days (2026-09-02), running to 2026-09-08."""
    enrol(runtime, programmes=("dibao",))
    pid = to_exit_review(client, runtime, clock)["participation_id"]
    r = client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                    json={"outcome": "propose_exit", "opinion": "收入稳定，同意退出"})
    assert r.status_code == 200, r.text
    return pid, r.json()["notice"]["notice_id"]


def lodge(client, notice_id, **body):
    return client.post(f"/api/v1/public/exit-notices/{notice_id}/objections",
                       json={"grounds": GROUNDS, **body})


def resolve(client, runtime, pid, objection_id, outcome, reason="经入户核实", headers=None):
    return client.post(f"/api/v1/participations/{pid}/objections/{objection_id}/resolution",
                       headers=headers or township(runtime), json={"outcome": outcome, "reason": reason})


def no_english(text: str) -> bool:
    return not re.search(r"[A-Za-z]{3,}", text)


def test_an_objection_holds_the_notice_and_the_decision_until_it_is_dismissed(client, runtime, clock):
    pid, notice_id = to_notice(client, runtime, clock)
    clock.advance(days=3)
    r = lodge(client, notice_id, contact=CONTACT)  # no token: anyone may object
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["status"] == "open" and receipt["notice_id"] == notice_id and receipt["message_zh"]
    assert GROUNDS not in r.text and CONTACT not in r.text
    assert receipt["lodged_at"].endswith("Z") or receipt["lodged_at"].endswith("+00:00")

    lodged = last_event(runtime, "gradual_exit.objection.lodged")
    runtime.registry.validate(lodged)
    assert lodged["data"]["objection_id"] == receipt["objection_id"] and lodged["data"]["participation_id"] == pid
    assert GROUNDS not in str(lodged) and CONTACT not in str(lodged), "grounds and contact stay with the township"

    seen_by_township = client.get(f"/api/v1/participations/{pid}", headers=township(runtime)).json()
    assert seen_by_township["open_objections"] == 1
    assert seen_by_township["staff_actions"] == ["resolve_objection", "close_notice"]
    objection = seen_by_township["objections"][0]
    assert (objection["grounds"], objection["contact"], objection["status"]) == (GROUNDS, CONTACT, "open")
    seen_by_village = client.get(f"/api/v1/participations/{pid}", headers=village(runtime)).json()
    assert seen_by_village["objections"][0]["contact"] is None, "the village officer does not investigate"

    clock.advance(days=4)  # 2026-09-09: the notice period is over, the objection is still open
    before = outbox_types(runtime)
    r = client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime))
    assert r.status_code == 409 and r.json()["rule"] == "objections_open", r.text
    assert "1件异议" in r.json()["message_zh"] and no_english(r.json()["message_zh"])
    r = client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime), json={"outcome": "exit"})
    assert r.status_code == 409 and r.json()["rule"] == "objections_open", r.text
    assert r.json()["message"] and no_english(r.json()["message_zh"])
    assert outbox_types(runtime) == before and programme_of(client, runtime, "dibao")["status"] == "exit_notice"

    r = resolve(client, runtime, pid, receipt["objection_id"], "dismissed", "核实后该户务工收入稳定，异议不成立")
    assert r.status_code == 200 and r.json()["status"] == "exit_notice", r.text
    assert r.json()["open_objections"] == 0 and r.json()["staff_actions"] == ["close_notice"]
    assert r.json()["objections"][0]["status"] == "dismissed" and r.json()["objections"][0]["resolved_by"]
    resolved = last_event(runtime, "gradual_exit.objection.resolved")
    runtime.registry.validate(resolved)
    assert (resolved["data"]["outcome"], resolved["data"]["upheld"], resolved["data"]["participation_status"]) == (
        "dismissed", False, "exit_notice")
    assert resolved["data"]["actor"] == {"role": "township", "subject": "township-officer"}

    r = resolve(client, runtime, pid, receipt["objection_id"], "upheld")
    assert r.status_code == 409 and r.json()["rule"] == "objection_closed" and no_english(r.json()["message_zh"])
    assert client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime)).status_code == 200
    r = client.post(f"/api/v1/participations/{pid}/decision", headers=county(runtime), json={"outcome": "exit"})
    assert r.status_code == 200 and r.json()["status"] == "exited", r.text
    assert outbox_types(runtime)[-5:] == ["gradual_exit.notice.published", "gradual_exit.objection.lodged",
                                          "gradual_exit.objection.resolved", "gradual_exit.notice.closed",
                                          "gradual_exit.household.exited"]


def test_an_upheld_objection_withdraws_the_notice_and_the_township_reviews_again(client, runtime, clock):
    pid, notice_id = to_notice(client, runtime, clock)
    first = lodge(client, notice_id).json()["objection_id"]
    second = lodge(client, notice_id, grounds="重复反映：该户收入不稳定").json()["objection_id"]
    assert client.get(f"/api/v1/participations/{pid}", headers=township(runtime)).json()["open_objections"] == 2

    r = resolve(client, runtime, pid, first, "upheld", "核实属实：户主住院，收入中断")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "exit_review" and r.json()["staff_actions"] == ["review"]
    assert r.json()["notice"] is None and r.json()["notices"][0]["status"] == "withdrawn"
    assert {o["objection_id"]: o["status"] for o in r.json()["objections"]} == {first: "upheld", second: "lapsed"}
    assert client.get("/api/v1/public/exit-notices").json()["total"] == 0, "no longer publicly listed"

    resolved, closed = outbox(runtime)[-2:]
    assert (resolved["type"], closed["type"]) == ("gradual_exit.objection.resolved", "gradual_exit.notice.closed")
    for event in (resolved, closed):
        runtime.registry.validate(event)
    assert resolved["data"]["upheld"] is True and resolved["data"]["participation_status"] == "exit_review"
    assert (closed["data"]["reason"], closed["data"]["status"], closed["data"]["objections_lapsed"]) == (
        "objection_upheld", "withdrawn", [second])
    assert "gradual_exit.observation.reverted" not in outbox_types(runtime), "the observation goes on"

    r = lodge(client, notice_id)
    assert r.status_code == 404 and r.json()["message_zh"], "a withdrawn notice takes no objections"
    r = resolve(client, runtime, pid, second, "dismissed")
    assert r.status_code == 409 and r.json()["rule"] == "objection_closed" and "失效" in r.json()["message_zh"]

    r = client.post(f"/api/v1/participations/{pid}/review", headers=township(runtime),
                    json={"outcome": "continue_support", "opinion": "户主住院，继续救助"})
    assert r.status_code == 200 and r.json()["status"] == "supported"
    assert last_event(runtime, "gradual_exit.observation.reverted")["data"]["from_state"] == "exit_review"


def test_income_falling_during_the_notice_lapses_its_open_objections(client, runtime, clock):
    pid, notice_id = to_notice(client, runtime, clock)
    objection = lodge(client, notice_id).json()["objection_id"]
    clock.advance(days=1)
    answer = record(client, runtime, per_capita_monthly_income_yuan="500")
    assert answer["decisions"][0]["state_after"] == "supported"
    closed = last_event(runtime, "gradual_exit.notice.closed")["data"]
    assert (closed["reason"], closed["objections_lapsed"]) == ("exit_reverted", [objection])
    detail = client.get(f"/api/v1/participations/{pid}", headers=township(runtime)).json()
    assert detail["objections"][0]["status"] == "lapsed" and detail["open_objections"] == 0


@pytest.mark.parametrize("days,status,rule", [(0, 201, None), (6, 201, None), (7, 409, "notice_not_running")])
def test_objections_are_taken_on_every_day_of_the_notice_and_not_after(client, runtime, clock, days, status, rule):
    _pid, notice_id = to_notice(client, runtime, clock)  # runs 2026-09-02 to 2026-09-08 in China
    clock.advance(days=days)
    r = lodge(client, notice_id)
    assert r.status_code == status, r.text
    if rule:
        assert r.json()["rule"] == rule and "2026-09-08" in r.json()["message_zh"]
        assert count(runtime, ExitObjection) == 0 and outbox_types(runtime)[-1] == "gradual_exit.notice.published"


def test_the_last_day_of_the_notice_is_a_china_day(client, runtime, clock):
    _pid, notice_id = to_notice(client, runtime, clock)
    clock.at = START.replace(month=9, day=8, hour=15, minute=59)  # 23:59 on 8 September in China
    assert lodge(client, notice_id).status_code == 201
    clock.at = START.replace(month=9, day=8, hour=16, minute=0)  # 00:00 on 9 September in China
    assert lodge(client, notice_id).status_code == 409


BAD_OBJECTIONS = [
    ({"grounds": "x"}, "grounds", "string_too_short"),
    ({"grounds": "异" * 2001}, "grounds", "string_too_long"),
    ({}, "grounds", "missing"),
    ({"grounds": GROUNDS, "contact": "1" * 101}, "contact", "string_too_long"),
    ({"grounds": GROUNDS, "name": "张三"}, "name", "extra_forbidden"),
]


@pytest.mark.parametrize("body,field,rule", BAD_OBJECTIONS, ids=[b[2] + "-" + b[1] for b in BAD_OBJECTIONS])
def test_a_bad_objection_is_422_naming_the_field_and_the_rule_and_nothing_is_written(client, runtime, clock, body,
                                                                                    field, rule):
    _pid, notice_id = to_notice(client, runtime, clock)
    before = outbox_types(runtime)
    r = client.post(f"/api/v1/public/exit-notices/{notice_id}/objections", json=body)
    assert r.status_code == 422, r.text
    assert (field, rule) in [(e["field"], e["rule"]) for e in r.json()["errors"]]
    assert all(e["message"] and e["message_zh"] for e in r.json()["errors"])
    assert count(runtime, ExitObjection) == 0 and outbox_types(runtime) == before


def test_an_unknown_notice_is_404_in_both_languages(client):
    r = client.post("/api/v1/public/exit-notices/nope/objections", json={"grounds": GROUNDS})
    assert r.status_code == 404 and r.json()["message"] and r.json()["message_zh"]
    assert client.post("/api/v1/public/exit-notices/" + "n" * 65 + "/objections",
                       json={"grounds": GROUNDS}).status_code == 422


def test_only_the_township_resolves_and_the_refusal_names_action_and_roles_in_chinese(client, runtime, clock):
    pid, notice_id = to_notice(client, runtime, clock)
    objection = lodge(client, notice_id).json()["objection_id"]
    r = resolve(client, runtime, pid, objection, "upheld", headers=village(runtime))
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    zh = r.json()["message_zh"]
    assert "处理异议" in zh and "乡镇" in zh and "村" in zh and no_english(zh), zh
    r = resolve(client, runtime, pid, objection, "upheld", headers=token(runtime, "township", "522701002"))
    assert r.status_code == 404, "another township's participation does not exist for it"
    r = resolve(client, runtime, pid, "o-unknown", "upheld")
    assert r.status_code == 404
    r = client.post(f"/api/v1/participations/{pid}/objections/{objection}/resolution", headers=township(runtime),
                    json={"outcome": "maybe", "reason": "核实"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "outcome"
    assert client.get(f"/api/v1/participations/{pid}", headers=township(runtime)).json()["open_objections"] == 1


def test_an_illegal_step_answers_in_chinese_without_english_codes(client, runtime, clock):
    enrol(runtime, programmes=("dibao",))
    pid = programme_of(client, runtime, "dibao")["participation_id"]
    r = client.post(f"/api/v1/participations/{pid}/notice/close", headers=township(runtime))
    assert r.status_code == 409 and r.json()["error"] == "illegal_transition"
    zh = r.json()["message_zh"]
    assert "救助中" in zh and "结束公示" in zh and "开始观察期" in zh and no_english(zh), zh
