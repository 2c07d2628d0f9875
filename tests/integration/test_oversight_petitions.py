"""The petition channel over the real broker and PostgreSQL, every service as its own process on one training clock:
an accepted 漏保 petition becomes a clue in discovery, an accepted 错保 petition about an enrolled household opens a
re-check in identification; deadlines and the overdue alert follow the training clock; the public status lookup
needs the secret; the public endpoint is rate limited."""
from __future__ import annotations

from datetime import date

import httpx
import pytest

from shared import demo
from tests.fixtures import envelopes, read_topic, service_env, wait_until

VILLAGE = demo.VILLAGE
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture
def training(tmp_path) -> dict:
    return {"training_mode": "true", "dev_token_issuer": "true",
            "training_clock_file": str(tmp_path / "training-clock.json")}


def start(processes, databases, kafka_bootstrap, topic_prefix, training, service: str, **extra):
    return processes(service, "api", service_env(service, databases.create(service), kafka_bootstrap, topic_prefix,
                                                 **training, **extra))


def token(url: str, role: str, area: str) -> dict:
    body = ok(httpx.post(url + "/dev/tokens", json={"subject": f"t-{role}-{area}", "role": role, "area": area}))
    return {"Authorization": "Bearer " + body["access_token"]}


def file(url: str, body: dict, status: int = 201) -> dict:
    return ok(httpx.post(url + "/api/v1/public/petitions", json=body, timeout=10), status)


def petition_id(url: str, officer: dict, tracking_number: str) -> str:
    items = ok(httpx.get(url + "/api/v1/petitions", headers=officer, params={"limit": 200}))["items"]
    return next(i["petition_id"] for i in items if i["tracking_number"] == tracking_number)


def test_a_missed_household_becomes_a_clue_and_a_wrongly_enrolled_one_a_recheck(
        processes, databases, kafka_bootstrap, topic_prefix, training):
    disc = start(processes, databases, kafka_bootstrap, topic_prefix, training, "discovery")
    iden = start(processes, databases, kafka_bootstrap, topic_prefix, training, "identification")
    over = start(processes, databases, kafka_bootstrap, topic_prefix, training, "oversight")
    p = demo.Platform({"discovery": disc.url, "identification": iden.url})
    try:
        # an enrolled household, through the real workflow (application -> ... -> county decision)
        [hh] = demo.make_households(1, seed=71)
        demo.submit_application(p, hh)
        hh.case_id = demo.wait_for("the case", lambda: demo.cases_of(p, hh), timeout=60)[0]["case_id"]
        demo.identify_until_notice(p, hh)
        p.advance_past(demo.open_notice_last_days(p, hh), "past the public notice")
        enrolled = demo.decide(p, hh)
        assert enrolled["status"] == "enrolled" and enrolled["file_number"]

        township = token(over.url, "township", TOWNSHIP)
        missed = file(over.url, {"category": "wrongly_missed", "division_code": VILLAGE,
                                 "description": "村里一户老人独居，重病无收入，一直没有纳入低保。"})
        wrongly = file(over.url, {"category": "wrongly_enrolled", "division_code": VILLAGE,
                                  "file_number": enrolled["file_number"],
                                  "description": "该户家里开着一家商店，还有两套房子，不应享受低保。",
                                  "contact": {"phone": "13912345678"}})
        conduct = file(over.url, {"category": "staff_conduct", "division_code": VILLAGE, "subject_name": "某干部",
                                  "description": "办理低保时态度恶劣，要求送礼。"})
        assert conduct["handling_level"] == "county" and missed["handling_level"] == "township"
        for receipt in (missed, wrongly):
            pid = petition_id(over.url, township, receipt["tracking_number"])
            ok(httpx.post(f"{over.url}/api/v1/petitions/{pid}/acceptance", json={"reason": "属于受理范围"},
                          headers=township))
        county_pid = petition_id(over.url, token(over.url, "county", COUNTY), conduct["tracking_number"])
        ok(httpx.post(f"{over.url}/api/v1/petitions/{county_pid}/acceptance", json={},
                      headers=token(over.url, "county", COUNTY)))

        # 漏保: a clue of kind petition for the village, in discovery
        village = token(disc.url, "village", VILLAGE)

        def petition_clues():
            items = ok(httpx.get(disc.url + "/api/v1/clues", headers=village, params={"limit": 200}))["items"]
            return [c for c in items if c["kind"] == "petition"]
        [clue] = wait_until(petition_clues, timeout=60, message="discovery to raise the petition's clue")
        assert clue["division_code"] == VILLAGE and clue["status"] == "raised"
        assert missed["tracking_number"] in clue["explanation_zh"] and clue["source_department"] == "oversight"
        assert clue["evidence"]["tracking_number"] == missed["tracking_number"]

        # 错保: a re-check on the enrolled case, in identification
        county = token(iden.url, "county", COUNTY)
        rechecks = wait_until(lambda: ok(httpx.get(iden.url + "/api/v1/rechecks", headers=county,
                                                   params={"household_id": hh.household_id}))["items"],
                              timeout=60, message="identification to open the re-check")
        assert [(r["case_id"], r["tracking_number"], r["status"]) for r in rechecks] == [
            (hh.case_id, wrongly["tracking_number"], "open")]
        opened = envelopes(read_topic(kafka_bootstrap, topic_prefix + "identification.recheck", expected=1))
        assert [e["data"]["file_number"] for e in opened] == [enrolled["file_number"]]
        assert opened[0]["data"]["programmes"]

        # nothing else: one clue, one re-check (the staff-conduct petition changes neither)
        clue_events = envelopes(read_topic(kafka_bootstrap, topic_prefix + "discovery.clue"))
        assert [e["data"]["kind"] for e in clue_events if e["type"] == "discovery.clue.raised"] == ["petition"]
        assert len(petition_clues()) == 1
    finally:
        p.close()


def test_deadlines_overdue_alerts_status_lookup_and_rate_limit(processes, databases, kafka_bootstrap, topic_prefix,
                                                                training):
    over = start(processes, databases, kafka_bootstrap, topic_prefix, training, "oversight",
                 public_rate_limit=6, deadline_check_seconds=3600)
    admin, township = token(over.url, "admin", ""), token(over.url, "township", TOWNSHIP)
    body = {"category": "wrongly_missed", "division_code": VILLAGE, "contact": {"name": "王五"},
            "description": "邻居家孩子重病，父母失业，生活非常困难。"}
    first, second = file(over.url, body), file(over.url, body)
    today = date.fromisoformat(ok(httpx.get(over.url + "/dev/clock"))["now_china"][:10])
    assert date.fromisoformat(first["acceptance_due_on"]) == date.fromordinal(today.toordinal() + 15)

    # the status needs the tracking number and the secret
    url = f"{over.url}/api/v1/public/petitions/{first['tracking_number']}"
    assert ok(httpx.get(url, headers={"X-Petition-Secret": first["secret"]}))["status"] == "filed"
    assert httpx.get(url, headers={"X-Petition-Secret": second["secret"]}).status_code == 404

    def advance(days: int) -> None:
        ok(httpx.post(over.url + "/dev/clock", json={"advance_days": days}, headers=admin))

    def overdue_events() -> list[dict]:
        records = read_topic(kafka_bootstrap, topic_prefix + "oversight.petition")
        return [e for e in envelopes(records) if e["type"] == "oversight.petition.overdue"]

    pid = petition_id(over.url, township, second["tracking_number"])
    advance(15)  # day 15: both still on time; the second one is accepted on its last day
    accepted = ok(httpx.post(f"{over.url}/api/v1/petitions/{pid}/acceptance", json={}, headers=township))
    assert accepted["decided_on_time"] is True
    advance(1)  # day 16: the first one is late, reported once by the timer right after the jump
    [late] = wait_until(overdue_events, timeout=30, message="the acceptance overdue alert")
    assert (late["data"]["tracking_number"], late["data"]["stage"], late["data"]["days_late"]) == (
        first["tracking_number"], "acceptance", 1)
    assert ok(httpx.get(over.url + "/api/v1/petitions", headers=township,
                        params={"overdue": "true"}))["total"] == 1

    ok(httpx.post(f"{over.url}/api/v1/petitions/{pid}/extension", json={"reason": "需要民政、人社联合核查"},
                  headers=township))
    twice = httpx.post(f"{over.url}/api/v1/petitions/{pid}/extension", json={"reason": "再延一次"}, headers=township)
    assert twice.status_code == 409 and twice.json()["error"] == "extension_once_only"
    advance(89)  # day 15 + 90 = the extended reply's last day: not late yet
    advance(1)
    reply = wait_until(lambda: [e for e in overdue_events() if e["data"]["stage"] == "reply"], timeout=30,
                       message="the reply overdue alert")
    assert [(e["data"]["tracking_number"], e["data"]["days_late"]) for e in reply] == [(second["tracking_number"], 1)]
    assert len(overdue_events()) == 2  # each missed deadline reported once, even after more jumps

    status = ok(httpx.get(f"{over.url}/api/v1/public/petitions/{second['tracking_number']}",
                          headers={"X-Petition-Secret": second["secret"]}))
    assert status["status"] == "accepted" and status["extended"] and status["extension_reason"]

    # 6 public requests per window: 2 filings + 3 lookups so far; the 7th is refused
    assert httpx.get(url, headers={"X-Petition-Secret": first["secret"]}).status_code == 200
    limited = httpx.post(over.url + "/api/v1/public/petitions", json=body)
    assert limited.status_code == 429 and limited.json()["message_zh"] and limited.headers["Retry-After"]


def accepted_event(category: str, **data):
    from datetime import datetime, timezone

    from shared.contracts import registry
    from shared.envelope import Event
    event = Event(type="oversight.petition.accepted", source="/services/oversight", subject="pt-redelivered",
                  time=datetime(2026, 6, 5, 2, tzinfo=timezone.utc), data={
                      "petition_id": "pt-redelivered", "tracking_number": "XF20260601ABCDEF", "category": category,
                      "division_code": VILLAGE, "handling_level": "township", "handling_area": TOWNSHIP,
                      "status": "accepted", "rule_version": "xinfang-2022", "accepted_at": "2026-06-05T02:00:00+00:00",
                      "on_time": True, "reply_due_on": "2026-08-04", "description": "反映的情况描述，足够长。", **data})
    registry().validate(event.envelope())
    return event


def test_a_redelivered_petition_raises_one_clue_and_others_none(databases, kafka_bootstrap, topic_prefix):
    from discovery import handlers as discovery
    from discovery.models import Clue
    from identification import handlers as identification
    from identification.models import Recheck
    from tests.helpers import count, discovery_runtime, identification_runtime

    disc = discovery_runtime(databases.create("discovery"), kafka_bootstrap, topic_prefix)
    disc.migrate()
    missed = accepted_event("wrongly_missed")
    for _ in range(2):
        with disc.session_factory() as s, s.begin():
            discovery.on_petition_accepted(s, disc.services, missed)
    for other in (accepted_event("staff_conduct", petition_id="pt-2"),
                  accepted_event("wrongly_missed", petition_id="pt-3", division_code=TOWNSHIP)):
        with disc.session_factory() as s, s.begin():
            assert discovery.on_petition_accepted(s, disc.services, other) is None
    assert count(disc, Clue) == 1 and count(disc, Clue, Clue.kind == "petition") == 1

    # the household is known only by the petition: the verification visit must record its members to confirm it
    from fastapi.testclient import TestClient

    from discovery.main import create_app
    from shared.auth import issue_token
    from shared.synthetic import HouseholdFactory
    client = TestClient(create_app(disc, start_workers=False))

    def staff(role: str, area: str) -> dict:
        return {"Authorization": "Bearer " + issue_token(disc.settings.jwt_secret, subject=role, role=role, area=area)}
    village = staff("village", VILLAGE)
    [clue] = client.get("/api/v1/clues", headers=village).json()["items"]
    today = str(disc.services.today())
    visit = {"confirmed": True, "visited_on": today, "observations": {"monthly_income_yuan": 300},
             "indicators": ["illness"]}
    refused = client.post(f"/api/v1/clues/{clue['clue_id']}/verification", json=visit, headers=village)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["rule"] == "members_required_for_unknown_household"
    members = [{k: m[k] for k in ("id_number", "name", "relationship")}
               for m in HouseholdFactory(5).application_body(division=VILLAGE, size=2)["members"]]
    verified = client.post(f"/api/v1/clues/{clue['clue_id']}/verification", json={**visit, "members": members},
                           headers=village)
    assert verified.status_code in (200, 201), verified.text
    referred = client.post(f"/api/v1/clues/{clue['clue_id']}/referral", headers=staff("township", TOWNSHIP))
    assert referred.status_code in (200, 201), referred.text

    iden = identification_runtime(databases.create("identification"), kafka_bootstrap, topic_prefix)
    iden.migrate()
    with iden.session_factory() as s, s.begin():  # no enrolled case with that file number: nothing to re-check
        assert identification.on_petition_accepted(
            s, accepted_event("wrongly_enrolled", file_number="530102-2026-999999"), iden.services) is None
    assert count(iden, Recheck) == 0
