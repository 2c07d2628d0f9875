"""followup's clear errors on real PostgreSQL: every number is bounded (huge, infinite and NaN values are 422 naming the
field, never 500), refusals name the action and the roles in Chinese without English codes, and nothing is written."""
import re

import pytest

from followup.models import Checkin, PartnerSignal
from tests.helpers import count
from tests.integration.test_followup_workflow import (  # noqa: F401 (fixtures)
    COUNTY,
    VILLAGE,
    client,
    clock,
    outbox,
    runtime,
    start_plan,
    token,
)


def no_english(text: str) -> bool:
    return not re.search(r"[A-Za-z]{3,}", text)


@pytest.mark.parametrize("params,field", [({"offset": 1_000_001}, "query.offset"), ({"offset": -1}, "query.offset"),
                                          ({"limit": 201}, "query.limit"), ({"limit": 0}, "query.limit"),
                                          ({"offset": "1e308"}, "query.offset")])
def test_paging_is_bounded(client, runtime, params, field):
    r = client.get("/api/v1/plans", params=params, headers=token(runtime, "county", COUNTY))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]] and r.json()["message_zh"]
    assert client.get("/api/v1/plans", params={"offset": 1_000_000},
                      headers=token(runtime, "county", COUNTY)).json()["items"] == []


CHECKIN_BAD = [
    ({"household_monthly_income_yuan": "1e308"}, "household_monthly_income_yuan"),
    ({"household_monthly_income_yuan": "NaN"}, "household_monthly_income_yuan"),
    ({"household_monthly_income_yuan": "Infinity"}, "household_monthly_income_yuan"),
    ({"household_monthly_income_yuan": "100", "member_count": 31}, "member_count"),
    ({"household_monthly_income_yuan": "100", "labour_loss_members": 10**9}, "labour_loss_members"),
    ({"household_monthly_income_yuan": "100", "disaster_loss_share": "1.5"}, "disaster_loss_share"),
    ({"household_monthly_income_yuan": "100", "medical_per_stay_yuan": "-1"}, "medical_per_stay_yuan"),
]


@pytest.mark.parametrize("body,field", CHECKIN_BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(CHECKIN_BAD)])
def test_check_in_numbers_are_bounded(client, runtime, body, field):
    plan = start_plan(runtime)
    before = len(outbox(runtime))
    r = client.post(f"/api/v1/plans/{plan.id}/checkins", json=body, headers=token(runtime, "village", VILLAGE))
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert all(e["message"] and e["message_zh"] for e in r.json()["errors"])
    assert count(runtime, Checkin) == 0 and len(outbox(runtime)) == before


SIGNAL_BAD = [({"loss_yuan": 1e308}, "amounts.loss_yuan"), ({"loss_yuan": "NaN"}, "amounts.loss_yuan"),
              ({"loss_yuan": -5}, "amounts.loss_yuan"), ({"x" * 41: 1}, "amounts"),
              ({f"k{i}": 1 for i in range(11)}, "amounts")]


@pytest.mark.parametrize("amounts,field", SIGNAL_BAD, ids=[f"{b[1]}-{i}" for i, b in enumerate(SIGNAL_BAD)])
def test_signal_amounts_are_bounded(client, runtime, amounts, field):
    plan = start_plan(runtime)
    headers = token(runtime, "partner", "", subject="dept-em", department="emergency_management")
    r = client.post("/api/v1/partner-signals", headers=headers, json={
        "external_id": "em-1", "kind": "disaster_loss", "household_id": plan.household_id,
        "occurred_on": "2026-03-01", "amounts": amounts})
    assert r.status_code == 422, r.text
    assert any(e["field"].startswith(field) for e in r.json()["errors"]), r.json()["errors"]
    assert count(runtime, PartnerSignal) == 0


def test_a_signal_missing_its_amount_says_which_in_chinese(client, runtime):
    plan = start_plan(runtime)
    headers = token(runtime, "partner", "", subject="dept-em", department="emergency_management")
    r = client.post("/api/v1/partner-signals", headers=headers, json={
        "external_id": "em-2", "kind": "severe_disability", "household_id": plan.household_id,
        "occurred_on": "2026-03-01"})
    assert r.status_code == 422
    error = r.json()["errors"][0]
    assert (error["field"], error["rule"]) == ("amounts.grade", "amount_required")
    assert "残疾等级" in error["message_zh"] and no_english(error["message_zh"])


def test_refusals_name_the_action_and_the_roles_in_chinese(client, runtime):
    plan = start_plan(runtime)
    r = client.post(f"/api/v1/plans/{plan.id}/checkins", json={"household_monthly_income_yuan": "100"},
                    headers=token(runtime, "county", COUNTY))
    assert r.status_code == 403 and r.json()["error"] == "role_not_allowed"
    zh = r.json()["message_zh"]
    assert "记录回访" in zh and "村" in zh and "县级" in zh and no_english(zh), zh
    r = client.post("/api/v1/partner-signals", headers=token(runtime, "village", VILLAGE), json={
        "external_id": "x", "kind": "migrant_return", "household_id": plan.household_id, "occurred_on": "2026-03-01"})
    assert r.status_code == 403 and "协作部门" in r.json()["message_zh"] and no_english(r.json()["message_zh"])
    r = client.post("/api/v1/partner-signals", headers=token(runtime, "partner", "", department="em"), json={
        "external_id": "x", "kind": "migrant_return", "occurred_on": "2026-03-01"})
    assert r.status_code == 422 and no_english(r.json()["errors"][0]["message_zh"])
