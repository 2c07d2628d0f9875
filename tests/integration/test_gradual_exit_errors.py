"""gradual_exit's clear errors on real PostgreSQL: every number is bounded (huge, infinite and NaN values are 422 naming
the field, never 500), refusals name the action and the roles in Chinese without English codes, nothing is written."""
import re

import pytest

from gradual_exit.models import Situation
from tests.helpers import count
from tests.integration.test_gradual_exit_support import (  # noqa: F401 (fixtures)
    client,
    clock,
    county,
    enrol,
    members,
    outbox_types,
    programme_of,
    runtime,
    token,
    township,
    village,
)


def no_english(text: str) -> bool:
    return not re.search(r"[A-Za-z]{3,}", text)


@pytest.mark.parametrize("path", ["/api/v1/households", "/api/v1/participations", "/api/v1/public/exit-notices",
                                  "/api/v1/households/hh-1/situations"])
@pytest.mark.parametrize("params", [{"offset": 1_000_001}, {"offset": -1}, {"limit": 201}, {"limit": 0},
                                    {"offset": "1e308"}])
def test_paging_is_bounded(client, runtime, path, params):
    enrol(runtime, programmes=("dibao",))
    r = client.get(path, params=params, headers=county(runtime))
    assert r.status_code == 422, r.text
    assert f"query.{next(iter(params))}" in [e["field"] for e in r.json()["errors"]] and r.json()["message_zh"]
    assert client.get(path, params={"offset": 1_000_000}, headers=county(runtime)).json()["items"] == []


SITUATION_BAD = [
    ({"per_capita_monthly_income_yuan": "1e308"}, "per_capita_monthly_income_yuan"),
    ({"per_capita_monthly_income_yuan": 1e308}, "per_capita_monthly_income_yuan"),
    ({"per_capita_monthly_income_yuan": "NaN"}, "per_capita_monthly_income_yuan"),
    ({"per_capita_monthly_income_yuan": "-Infinity"}, "per_capita_monthly_income_yuan"),
    ({"per_capita_monthly_income_yuan": "10000000.01"}, "per_capita_monthly_income_yuan"),
    ({"assistance_measures_received": 10**12}, "assistance_measures_received"),
    ({"assistance_measures_received": -1}, "assistance_measures_received"),
    ({"members": [{"labour_capacity": "full"}] * 31}, "members"),
]


@pytest.mark.parametrize("body,field", SITUATION_BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(SITUATION_BAD)])
def test_situation_numbers_are_bounded(client, runtime, body, field):
    enrol(runtime, programmes=("dibao",))
    r = client.post("/api/v1/households/hh-1/situations", headers=village(runtime), json=body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.json()["errors"]
    assert all(e["message"] and e["message_zh"] for e in r.json()["errors"])
    assert count(runtime, Situation) == 0 and outbox_types(runtime) == ["gradual_exit.household.enrolled"]


def test_the_largest_income_allowed_is_taken(client, runtime):
    enrol(runtime, programmes=("dibao",))
    r = client.post("/api/v1/households/hh-1/situations", headers=village(runtime),
                    json={"per_capita_monthly_income_yuan": "10000000.00"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("method,path,body,role,action_zh", [
    ("post", "/api/v1/households/hh-1/situations", {"kind": "review", "income_stable": True}, "partner", "记录定期核查"),
    ("post", "/api/v1/participations/{pid}/review", {"outcome": "propose_exit", "opinion": "同意"}, "village",
     "乡镇审核"),
    ("post", "/api/v1/participations/{pid}/decision", {"outcome": "exit"}, "township", "县级审批"),
    ("get", "/api/v1/households/hh-1", None, "partner", "查阅渐退记录"),
])
def test_refusals_name_the_action_and_the_roles_in_chinese(client, runtime, method, path, body, role, action_zh):
    enrol(runtime, programmes=("dibao",))
    url = path.format(pid=programme_of(client, runtime, "dibao")["participation_id"])
    headers = {"village": village(runtime), "township": township(runtime)}.get(role) or token(
        runtime, role, "", department="hr")
    r = getattr(client, method)(url, headers=headers, **({"json": body} if body is not None else {}))
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed", r.text
    zh = r.json()["message_zh"]
    assert action_zh in zh and no_english(zh), zh
    assert r.json()["message"] and r.json()["allowed_roles"]


def test_timestamps_in_answers_carry_an_offset(client, runtime):
    enrol(runtime, programmes=("dibao",))
    r = client.post("/api/v1/households/hh-1/situations", headers=village(runtime),
                    json={"per_capita_monthly_income_yuan": "900", "income_stable": True, "members": members()})
    stamps = [r.json()["recorded_at"]]
    household = client.get("/api/v1/households/hh-1", headers=county(runtime)).json()
    stamps += [household["enrolled_at"], household["last_enrolled_at"], household["programmes"][0]["enrolled_at"]]
    for stamp in stamps:
        assert re.search(r"(Z|[+-]\d\d:\d\d)$", stamp), stamp
