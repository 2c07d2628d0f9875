"""The citizen's self-check, POST /api/v1/public/eligibility-check, on the real app over SQLite: no token; the
programmes that may fit come from eligibility's own decision under the rules in force for the division on the China
date of the services' clock (Yunnan 53-v2 from 2026: dibao standard ¥600 per person a month), with plain reasons;
nothing is written to any table or the outbox; 422 names the field and the rule; no rules in force answers 409."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, table

from identification import handlers
from identification.api.schemas import FactsIn
from identification.bootstrap import build_runtime
from identification.config import Settings
from identification.domain.eligibility import PROGRAMME_NAMES, decide
from identification.domain.rules import PROGRAMMES
from identification.main import create_app
from shared.auth import Principal
from shared.clock import FixedClock
from shared.synthetic import HouseholdFactory

VILLAGE = "530102001001"                                   # Kunming, Yunnan (53)
SUMMER = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)   # 1 June 2026, 10:00 in China: 53-v2 in force
PATH = "/api/v1/public/eligibility-check"
ADULT = {"age": 40, "labour_capacity": "full", "employed": True}
JOBLESS = {"age": 35, "labour_capacity": "full"}
CHILD = {"age": 9, "labour_capacity": "none", "in_compulsory_education": True}


def facts(monthly_income: str, **extra) -> dict:
    return {"members": [dict(ADULT), dict(JOBLESS), dict(CHILD)], "monthly_income_yuan": monthly_income, "residence_months": 60, **extra}


def body(monthly_income: str = "1797", division: str = VILLAGE, **extra) -> dict:
    return {"division_code": division, "facts": facts(monthly_income), **extra}


@pytest.fixture()
def runtime(tmp_path: Path):
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/identification.db", kafka_bootstrap="127.0.0.1:1"),
                       clock=FixedClock(SUMMER))
    rt.migrate()
    yield rt
    rt.engine.dispose()


@pytest.fixture()
def client(runtime):
    with TestClient(create_app(runtime, start_workers=False)) as c:
        yield c


def programme(answer: dict, name: str) -> dict:
    return next(p for p in answer["programmes"] if p["programme"] == name)


def codes(entry: dict) -> list[str]:
    return [r["code"] for r in entry["reasons"]]


def test_a_household_below_the_yunnan_dibao_standard_may_fit_dibao_and_the_reason_cites_the_standard(client):
    r = client.post(PATH, json=body("1797"))  # three people, ¥599 each a month: below ¥600
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["division_code"] == VILLAGE and answer["on"] == "2026-06-01" and answer["rule_version"] == "53-v2"
    dibao = programme(answer, "dibao")
    assert dibao["may_fit"] is True and dibao["category"] is None
    assert (dibao["name_en"], dibao["name_zh"]) == PROGRAMME_NAMES["dibao"]
    assert codes(dibao)[0] == "summary" and "may qualify" in dibao["reasons"][0]["en"]
    income = next(x for x in dibao["reasons"] if x["code"] == "income_below_standard")
    assert "¥599.00" in income["en"] and "¥600.00" in income["en"]
    assert "599.00元" in income["zh"] and "600.00元" in income["zh"]
    assert "residence" in codes(dibao)  # every criterion met is listed when it may fit
    assert answer["note"]["en"].startswith("Nothing you entered was stored") and "53-v2" in answer["note"]["en"]
    assert "未保存" in answer["note"]["zh"]
    assert "home visit" in answer["next_step"]["en"] and "apply online" in answer["next_step"]["en"]
    assert "入户调查" in answer["next_step"]["zh"] and "公示" in answer["next_step"]["zh"]


@pytest.mark.parametrize("income", ["1800", "1800.03"])  # ¥600.00 (not below the standard) and ¥600.01 a person
def test_a_household_at_or_just_above_the_standard_does_not_fit_dibao_and_is_told_why(client, income):
    answer = client.post(PATH, json=body(income)).json()
    assert answer["rule_version"] == "53-v2"
    dibao = programme(answer, "dibao")
    assert dibao["may_fit"] is False
    assert codes(dibao) == ["summary", "income_below_standard"]  # only what keeps it from fitting
    assert "¥600.00" in dibao["reasons"][1]["en"] and "does not appear to fit" in dibao["reasons"][0]["en"]
    # the near-poverty line is above the standard: the same household may fit there instead
    assert programme(answer, "near_dibao")["may_fit"] is True


def test_a_programme_refused_only_because_another_takes_its_place_says_so(client):
    answer = client.post(PATH, json=body("1797")).json()
    near = programme(answer, "near_dibao")
    assert near["may_fit"] is False and codes(near) == ["summary", "not_dibao"]
    assert "may qualify for minimum living guarantee (dibao) instead" in near["reasons"][0]["en"]
    assert "不再另行认定为低保边缘家庭" in near["reasons"][0]["zh"]


def test_the_answer_is_eligibility_s_own_decision_in_its_order(client, runtime):
    answer = client.post(PATH, json=body("1797", emergency=True)).json()
    assert [p["programme"] for p in answer["programmes"]] == list(PROGRAMMES)
    rules = runtime.services.rules_for(VILLAGE, date(2026, 6, 1))
    decision = decide(FactsIn(**facts("1797")).to_domain(VILLAGE), rules, emergency=True)
    assert [p["programme"] for p in answer["programmes"] if p["may_fit"]] == list(decision.eligible)
    for result in decision.programmes:
        shown = programme(answer, result.programme)
        expected = [r for r in result.reasons if r.passed] if result.eligible else list(result.unmet)
        assert shown["reasons"][1:] == [{"code": r.code, "en": r.en, "zh": r.zh} for r in expected]
        assert shown["category"] == result.category
    assert "temporary assistance can be given first" in answer["next_step"]["en"]


def test_monitoring_names_its_category(client):
    answer = client.post(PATH, json={"division_code": VILLAGE, "facts": facts("1797", formerly_poor=True)}).json()
    monitoring = programme(answer, "monitoring")
    assert monitoring["may_fit"] is True and monitoring["category"] == "unstable"
    assert "unstable" in codes(monitoring) and "marginal" not in codes(monitoring)


def test_a_household_that_fits_nothing_is_told_it_may_still_apply(client):
    rich = {"division_code": VILLAGE, "facts": {"members": [ADULT], "monthly_income_yuan": "20000",
                                                "residence_months": 60}}
    answer = client.post(PATH, json=rich).json()
    assert not any(p["may_fit"] for p in answer["programmes"])
    assert all(len(p["reasons"]) >= 2 for p in answer["programmes"])  # every refusal says what is not met
    assert "do not appear to fit any programme" in answer["next_step"]["en"]
    assert "You may still apply" in answer["next_step"]["en"] and "仍可以" in answer["next_step"]["zh"]


def test_the_china_date_of_the_clock_picks_the_rules(runtime, client):
    runtime.services.clock.at = datetime(2025, 12, 31, 15, 0, tzinfo=timezone.utc)  # 23:00 on 31 December in China
    before = client.post(PATH, json=body()).json()
    runtime.services.clock.at = datetime(2025, 12, 31, 17, 0, tzinfo=timezone.utc)  # already 1 January in China
    after = client.post(PATH, json=body()).json()
    assert (before["on"], before["rule_version"]) == ("2025-12-31", "53-v1")
    assert (after["on"], after["rule_version"]) == ("2026-01-01", "53-v2")


def _rows(runtime) -> dict[str, int]:
    with runtime.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in inspect(conn).get_table_names()}


def test_nothing_is_written_to_any_table_or_the_outbox(runtime, client):
    factory = HouseholdFactory(3)  # one case first, so the counts are not all zero
    event = factory.application_event(factory.application_body(division=VILLAGE, size=3), household_id=str(uuid.uuid4()))
    with runtime.session_factory() as s, s.begin():
        case = handlers.on_application_submitted(s, event, runtime.services)
        handlers.start_assessment(s, runtime.services, Principal("tester", "admin", ""), case.id)
    before = _rows(runtime)
    assert runtime.tables.outbox.name in before and before[runtime.tables.outbox.name] >= 2
    assert "cases" in before and before["cases"] == 1
    for request in (body("1797"), body("1800.03", emergency=True), body("0"),
                    {"division_code": VILLAGE, "facts": facts("1797", sudden_hardship=True)}):
        assert client.post(PATH, json=request).status_code == 200
    assert client.post(PATH, json=body(division="53")).status_code == 422
    assert _rows(runtime) == before


@pytest.mark.parametrize("change,field,rule", [
    (lambda b: b["facts"]["members"][0].update(age=131), "facts.members[0].age", "less_than_equal"),
    (lambda b: b["facts"].update(monthly_income_yuan="-1"), "facts.monthly_income_yuan", "greater_than_equal"),
    (lambda b: b["facts"].update(members=[]), "facts.members", "too_short"),
    (lambda b: b["facts"].update(members=[ADULT] * 51), "facts.members", "too_long"),
    (lambda b: b["facts"].pop("residence_months"), "facts.residence_months", "missing"),
    (lambda b: b["facts"].update(hukou="local"), "facts.hukou", "extra_forbidden"),
    (lambda b: b.update(division_code="53010"), "division_code", "string_pattern_mismatch"),
    (lambda b: b.update(division_code="5301020010011"), "division_code", "string_pattern_mismatch"),
    (lambda b: b.update(emergency="perhaps"), "emergency", "bool_parsing"),
])
def test_a_field_that_breaks_a_rule_is_named_with_the_rule(client, change, field, rule):
    request = body()
    change(request)
    r = client.post(PATH, json=request)
    assert r.status_code == 422, r.text
    error = r.json()
    assert error["error"] == "validation_failed" and error["message_zh"]
    assert {"field": field, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in error["errors"]]
    assert all(e["message_zh"] for e in error["errors"])


def test_a_day_without_rules_in_force_answers_409(runtime, client):
    runtime.services.clock.at = datetime(2021, 12, 31, 2, 0, tzinfo=timezone.utc)  # before the first national version
    r = client.post(PATH, json=body())
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "no_rule_set" and VILLAGE in r.json()["message"] and r.json()["message_zh"]


def test_no_token_is_needed_and_the_openapi_says_it_is_public_and_stores_nothing(client):
    op = client.get("/openapi.json").json()["paths"][PATH]["post"]
    assert op["tags"] == ["public"] and "security" not in op
    assert op["x-emits"] == [] and "nothing stored" in op["x-no-state-change"]
    assert set(op["responses"]) >= {"200", "409", "422"}
    assert client.post(PATH, json=body(), headers={"Authorization": "Bearer not-a-token"}).status_code == 200
