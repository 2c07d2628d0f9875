"""policy on real PostgreSQL: the shipped bundle at first start, a provincial officer's draft for their area, the
second officer's approval (four eyes), a refused draft naming the parameter path and rule with nothing stored or
published, versions never edited after approval, the audit trail, and the document in force as services select it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from policy.bootstrap import build_runtime
from policy.config import Settings
from policy.main import create_app
from policy.models import RuleSet
from shared import policy_client
from shared.auth import issue_token
from shared.clock import FixedClock
from shared.envelope import decode
from tests.helpers import assert_all_valid

START = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 2026-11-02 10:00 China time


@pytest.fixture
def runtime(databases, kafka_bootstrap, topic_prefix):
    return build_runtime(Settings(database_url=databases.create("policy"), kafka_bootstrap=kafka_bootstrap,
                                  topic_prefix=topic_prefix, relay_idle_seconds=0.05), clock=FixedClock(START))


@pytest.fixture
def client(runtime):
    from policy.scheduled import seed
    seed(runtime)  # what the app does at start, without the relay threads
    with TestClient(create_app(runtime=runtime, start_workers=False)) as c:
        yield c


def auth(runtime, role="policy", area="53", subject=None):
    t = issue_token(runtime.settings.jwt_secret, subject=subject or f"{role}-{area}-a", role=role, area=area)
    return {"Authorization": f"Bearer {t}"}


def outbox(runtime, event_type=None) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.tables.outbox.c.payload).order_by(runtime.tables.outbox.c.id)).scalars().all()
    return [e for e in map(lambda p: decode(bytes(p)), rows) if event_type is None or e["type"] == event_type]


def draft(**overrides) -> dict:
    body = {"region": "53", "version": 3, "effective_from": "2027-01-01", "effective_to": None,
            "title": "云南省 2027 年农村低保标准", "legal_basis": {"document_number": "云民发〔2026〕12号",
                                                          "url": "https://example.gov.cn/53/2026/12"},
            "overrides": {"standards": {"dibao_standard_yuan_per_person_month": 650}}}
    body.update(overrides)
    return body


def test_first_start_publishes_the_shipped_bundle_exactly_as_services_start_from_it(client, runtime):
    published = {e["data"]["rule_version"]: e["data"] for e in outbox(runtime, "policy.ruleset.published")}
    baseline = {e.rule_version: e for e in policy_client.baseline_entries()}
    assert set(published) == set(baseline) == {"CN-v1", "53-v1", "53-v2"}
    for version, entry in baseline.items():
        assert published[version]["document"] == entry.document, version
        assert published[version]["effective_from"] == entry.effective_from.isoformat()
    assert published["53-v2"]["source"] == "shipped" and published["CN-v1"]["source"] == "national"
    assert_all_valid(outbox(runtime))
    from policy.scheduled import seed
    seed(runtime)  # idempotent: nothing new
    assert len(outbox(runtime, "policy.ruleset.published")) == 3


def test_a_provincial_standard_is_drafted_approved_by_a_second_officer_and_published_whole(client, runtime):
    r = client.post("/api/v1/rulesets", json=draft(), headers=auth(runtime))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "submitted" and body["rule_version"] == "53-v3" and body["replaces"] == "53-v2"
    assert {"path": "standards.dibao_standard_yuan_per_person_month", "before": 600, "after": 650} in body["changes"]
    assert len(outbox(runtime, "policy.ruleset.published")) == 3  # a draft publishes nothing
    assert outbox(runtime, "policy.draft.submitted")[-1]["data"]["rule_version"] == "53-v3"

    same = client.post(f"/api/v1/rulesets/{body['ruleset_id']}/approval", json={}, headers=auth(runtime))
    assert same.status_code == 409 and same.json()["error"] == "four_eyes"
    ok = client.post(f"/api/v1/rulesets/{body['ruleset_id']}/approval", json={"note": "复核无误"},
                     headers=auth(runtime, subject="policy-53-b"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "published"
    event = outbox(runtime, "policy.ruleset.published")[-1]
    assert event["subject"] == "53-v3" and event["data"]["approved_by"] == "policy-53-b"
    doc = event["data"]["document"]
    assert doc["standards"]["dibao_standard_yuan_per_person_month"] == 650
    # the rest is 53-v2's, whole: a service needs nothing else to apply it
    assert doc["standards"]["monitoring_line_yuan_per_person_year"] == 9000
    assert doc["identification"]["temporary"]["residence_months"] == 1
    assert_all_valid(outbox(runtime))

    again = client.post(f"/api/v1/rulesets/{body['ruleset_id']}/approval", json={},
                        headers=auth(runtime, subject="policy-53-c"))
    assert again.status_code == 409 and again.json()["rule"] == "versions_immutable"

    before = client.get("/api/v1/resolved", params={"division_code": "530102001001", "on": "2026-12-31"},
                        headers=auth(runtime)).json()
    after = client.get("/api/v1/resolved", params={"division_code": "530102001001", "on": "2027-01-01"},
                       headers=auth(runtime)).json()
    assert (before["rule_version"], after["rule_version"]) == ("53-v2", "53-v3")
    elsewhere = client.get("/api/v1/resolved", params={"division_code": "520326101203", "on": "2027-01-01"},
                           headers=auth(runtime)).json()
    assert elsewhere["rule_version"] == "CN-v1"

    trail = client.get(f"/api/v1/rulesets/{body['ruleset_id']}/audit", headers=auth(runtime)).json()
    assert [(t["action"], t["actor"]) for t in trail] == [("submit", "policy-53-a"),
                                                                    ("approve", "policy-53-b")]


def test_an_invalid_draft_names_the_parameter_and_rule_and_nothing_is_stored_or_published(client, runtime):
    with runtime.session_factory() as s:
        stored = s.scalar(select(func.count()).select_from(RuleSet))
    events = len(outbox(runtime))
    cases = [
        ({"overrides": {"standards": {"monitoring_line_yuan_per_person_year": 5000}}},
         "overrides.standards.monitoring_line_yuan_per_person_year", "monitoring_line_not_below_dibao_standard"),
        ({"overrides": {"assistance": {"cash": {"dibao": {"standard_yuan_per_person_month": 650}}}}},
         "overrides.assistance.cash.dibao.standard_yuan_per_person_month", "unknown_parameter"),
        ({"overrides": {"standards": {"dibao_standard_yuan_per_person_month": "650"}}},
         "overrides.standards.dibao_standard_yuan_per_person_month", "same_kind"),
        ({"overrides": {"gradual_exit": {"programmes": {"dibao": {"support_share_by_month": [1, 0.5, 0.8]}}}}},
         "overrides.gradual_exit.programmes.dibao.support_share_by_month", "taper_never_rises"),
        ({"effective_from": "2026-10-01"}, "effective_from", "not_retroactive"),
        ({"version": 2}, "version", "version_increases"),
        ({"overrides": {"calendar": {"years": {"2027": {"days_off": [], "makeup_working_days": []}}}}},
         "overrides.calendar", "calendar_is_national"),
    ]
    for change, path, rule in cases:
        r = client.post("/api/v1/rulesets", json=draft(**change), headers=auth(runtime))
        assert r.status_code == 422, (change, r.text)
        errors = r.json()["errors"]
        assert {"field": path, "rule": rule} in [{"field": e["field"], "rule": e["rule"]} for e in errors], errors
        assert all(e["message"] and e["message_zh"] for e in errors)
    with runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(RuleSet)) == stored
    assert len(outbox(runtime)) == events


def test_officers_draft_only_for_their_own_area_and_staff_below_county_may_not_draft(client, runtime):
    r = client.post("/api/v1/rulesets", json=draft(region="52", version=1), headers=auth(runtime, area="53"))
    assert r.status_code == 403 and r.json()["rule"] == "region_within_area"
    county = client.post("/api/v1/rulesets", json=draft(region="530102", version=1),
                         headers=auth(runtime, role="county", area="530102"))
    assert county.status_code == 201, county.text
    assert county.json()["replaces"] == "53-v2"
    township = client.post("/api/v1/rulesets", json=draft(region="530102", version=2),
                           headers=auth(runtime, role="township", area="530102001"))
    assert township.status_code == 403
    other = client.post(f"/api/v1/rulesets/{county.json()['ruleset_id']}/approval", json={},
                        headers=auth(runtime, area="52", subject="policy-52-a"))
    assert other.status_code in (403, 404)


def test_a_rejected_draft_is_final_and_publishes_nothing(client, runtime):
    r = client.post("/api/v1/rulesets", json=draft(), headers=auth(runtime)).json()
    rej = client.post(f"/api/v1/rulesets/{r['ruleset_id']}/rejection", json={"reason": "标准测算依据不足"},
                      headers=auth(runtime, subject="policy-53-b"))
    assert rej.status_code == 200 and rej.json()["status"] == "rejected"
    assert outbox(runtime, "policy.draft.rejected")[-1]["data"]["reason"] == "标准测算依据不足"
    assert len(outbox(runtime, "policy.ruleset.published")) == 3
    late = client.post(f"/api/v1/rulesets/{r['ruleset_id']}/approval", json={}, headers=auth(runtime, subject="x"))
    assert late.status_code == 409


def publish(client, runtime, body: dict, proposer: dict, approver: dict) -> dict:
    r = client.post("/api/v1/rulesets", json=body, headers=proposer)
    assert r.status_code == 201, r.text
    ok = client.post(f"/api/v1/rulesets/{r.json()['ruleset_id']}/approval", json={}, headers=approver)
    return ok


def resolved(client, runtime, on: str, division="530102001001") -> dict:
    return client.get("/api/v1/resolved", params={"division_code": division, "on": on},
                      headers=auth(runtime)).json()


def test_a_county_with_its_own_version_follows_a_later_provincial_standard(client, runtime):
    county_a, county_b = auth(runtime, "county", "530102", "county-a"), auth(runtime, "county", "530102", "county-b")
    county = publish(client, runtime, draft(region="530102", version=1, effective_from="2027-01-01",
                                            title="五华区临时救助上限",
                                            overrides={"assistance": {"cash": {"temporary": {
                                                "max_yuan_per_household": 8000}}}}), county_a, county_b)
    assert county.status_code == 200, county.text
    assert county.json()["document"]["standards"]["dibao_standard_yuan_per_person_month"] == 600

    province = publish(client, runtime, draft(effective_from="2027-07-01"), auth(runtime),
                       auth(runtime, subject="policy-53-b"))
    assert province.status_code == 200, province.text
    rebased = outbox(runtime, "policy.ruleset.published")[-1]["data"]
    assert (rebased["rule_version"], rebased["source"], rebased["effective_from"], rebased["replaces"]) == \
        ("530102-v2", "rebased", "2027-07-01", "53-v3")
    assert rebased["document"]["standards"]["dibao_standard_yuan_per_person_month"] == 650
    assert rebased["document"]["assistance"]["cash"]["temporary"]["max_yuan_per_household"] == 8000
    assert rebased["overrides"] == county.json()["overrides"]
    assert [resolved(client, runtime, day)["rule_version"] for day in ("2027-03-01", "2027-07-01")] == \
        ["530102-v1", "530102-v2"]
    assert resolved(client, runtime, "2027-07-01", "530103001001")["rule_version"] == "53-v3"
    assert_all_valid(outbox(runtime))


def test_a_provincial_version_that_would_break_a_county_is_refused_naming_it(client, runtime):
    county_a, county_b = auth(runtime, "county", "530102", "county-a"), auth(runtime, "county", "530102", "county-b")
    assert publish(client, runtime, draft(region="530102", version=1, effective_from="2027-01-01",
                                          overrides={"standards": {"monitoring_line_yuan_per_person_year": 7500}}),
                   county_a, county_b).status_code == 200
    events = len(outbox(runtime))
    refused = client.post("/api/v1/rulesets", json=draft(effective_from="2027-07-01"), headers=auth(runtime))
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    assert (error["field"], error["rule"]) == ("rebased 530102-v1: standards.monitoring_line_yuan_per_person_year",
                                               "monitoring_line_not_below_dibao_standard")
    assert "530102" in error["message"] and "530102" in error["message_zh"]
    assert len(outbox(runtime)) == events
