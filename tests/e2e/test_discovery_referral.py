"""Discovery end to end, each service its own process: a partner file streamed in over HTTP becomes a risk clue,
the village verifies it, the township refers the household, identification opens one case, and discovery learns it."""
import json
import uuid

import httpx
from sqlalchemy import create_engine, func, select, text

from discovery.config import Settings
from shared.auth import issue_token
from shared.synthetic import HouseholdFactory
from tests.fixtures import envelopes, read_topic, service_env, wait_until
from tests.helpers import assert_all_valid

VILLAGE, TOWNSHIP = "530102001001", "530102001"


def bearer(role: str, area: str = "", **kw) -> dict:
    token = issue_token(Settings().jwt_secret, subject=f"{role}-e2e", role=role, area=area, **kw)
    return {"Authorization": f"Bearer {token}"}


def test_a_streamed_partner_file_becomes_one_case_in_identification(
        kafka_bootstrap, databases, topic_prefix, topics, processes):
    disc_db, iden_db = databases.create("discovery"), databases.create("identification")
    identification = processes("identification", "api", service_env("identification", iden_db, kafka_bootstrap, topic_prefix))
    discovery = processes("discovery", "api", service_env("discovery", disc_db, kafka_bootstrap, topic_prefix,
                                                          signal_batch_size=100))
    factory = HouseholdFactory(77)
    people = [factory.resident_id(VILLAGE, factory.birth_date(30, 60)) for _ in range(20)]
    records = [{"source_department": "medical_insurance", "external_id": f"MI-{i}", "kind": "medical_expense",
                "id_number": people[i % 20], "division_code": VILLAGE, "occurred_on": "2026-05-20",
                "amounts": {"per_stay_yuan": 15000 if i == 250 else 100}} for i in range(600)]
    lines = [json.dumps(r).encode() + b"\n" for r in records]
    engine = create_engine(disc_db)

    def taken_in() -> int:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(text("signals"))).scalar_one()

    def body():
        yield b"".join(lines[:300])
        # The first batches are committed while the rest of the file has not been sent: the body is streamed.
        wait_until(lambda: taken_in() >= 200, timeout=30, message="batches committed before the file ends")
        yield b"".join(lines[300:])

    correlation = str(uuid.uuid4())
    r = httpx.post(discovery.url + "/api/v1/signals", content=body(), timeout=60,
                   headers={"Content-Type": "application/x-ndjson", "X-Correlation-ID": correlation,
                            **bearer("partner", department="medical_insurance")})
    assert r.status_code == 200, r.text
    results = [json.loads(x) for x in r.text.splitlines()]
    assert len(results) == 600 and r.headers["X-Records-Clue"] == "1"
    [clue] = [x for x in results if x["status"] == "clue"]
    assert clue["line"] == 251

    village, township = bearer("village", VILLAGE), bearer("township", TOWNSHIP)
    verified = httpx.post(f"{discovery.url}/api/v1/clues/{clue['clue_id']}/verification", headers=village, timeout=10,
                          json={"confirmed": True, "visited_on": "2026-05-25", "indicators": ["illness"],
                                "observations": {"monthly_income_yuan": 700}})
    assert verified.status_code == 200, verified.text
    referral = httpx.post(f"{discovery.url}/api/v1/clues/{clue['clue_id']}/referral", headers=township, timeout=10)
    assert referral.status_code == 201, referral.text
    household_id = referral.json()["household_id"]

    def household():
        answer = httpx.get(f"{discovery.url}/api/v1/households/{household_id}", headers=township, timeout=10).json()
        return answer if answer["lifecycle_status"] == "in_identification" else None

    seen = wait_until(household, timeout=60, message="discovery to learn identification opened the case")
    assert seen["referrals"][0]["status"] == "case_opened" and seen["case_id"]

    household_events = envelopes(read_topic(kafka_bootstrap, topic_prefix + "discovery.household", expected=1))
    cases = envelopes(read_topic(kafka_bootstrap, topic_prefix + "identification.case", expected=1))
    assert_all_valid(household_events + cases)
    # the topic carries the household's whole aggregate (discovery.household.updated too); exactly one referral
    referred = [e for e in household_events if e["type"] == "discovery.household.referred"]
    assert [e["data"]["referral_id"] for e in referred] == [referral.json()["referral_id"]]
    opened = [e for e in cases if e["type"] == "identification.case.opened"]
    assert len(opened) == 1 and opened[0]["data"]["source_type"] == "referral"
    assert opened[0]["data"]["source_id"] == referral.json()["referral_id"] == seen["referrals"][0]["referral_id"]
    assert opened[0]["data"]["case_id"] == seen["case_id"] and opened[0]["subject"] == household_id
    assert opened[0]["causationid"] == referred[0]["id"]
    engine.dispose()
