"""The portal's clue-verification form against the real discovery process on real Kafka and PostgreSQL: a partner
signal raises a clue, the portal function the route calls verifies it as a village officer (a token the portal
mints for the officer), and discovery shows the clue verified; the same function shows a refused step and field
errors as the page would."""
import json

import httpx

from discovery.config import Settings as DiscoverySettings
from portal.clients import ServiceClient, ServiceClients
from portal.staff import form_pages
from portal.staff.session import Officer
from shared.auth import issue_token
from shared.synthetic import HouseholdFactory
from tests.fixtures import service_env, wait_until

VILLAGE, TOWNSHIP = "530102001001", "530102001"


def test_a_village_officer_verifies_a_clue_raised_by_a_partner_signal(kafka_bootstrap, databases, topic_prefix,
                                                                      processes):
    discovery = processes("discovery", "api", service_env("discovery", databases.create("discovery"),
                                                          kafka_bootstrap, topic_prefix))
    secret = DiscoverySettings().jwt_secret
    factory = HouseholdFactory(901)
    person = factory.resident_id(VILLAGE, factory.birth_date(40, 50))
    partner = issue_token(secret, subject="dept-medical_insurance", role="partner", area="",
                          department="medical_insurance")
    record = {"source_department": "medical_insurance", "external_id": "MI-portal-1", "kind": "medical_expense",
              "id_number": person, "division_code": VILLAGE, "occurred_on": "2026-05-20",
              "amounts": {"per_stay_yuan": 15000}}
    r = httpx.post(discovery.url + "/api/v1/signals", content=json.dumps(record).encode() + b"\n", timeout=30,
                   headers={"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {partner}"})
    assert r.status_code == 200, r.text
    [line] = [json.loads(x) for x in r.text.splitlines() if x]
    assert line["status"] == "clue", line
    clue_id = line["clue_id"]

    timeout = httpx.Timeout(10, connect=2)
    clients = ServiceClients(ServiceClient(discovery.url, timeout), ServiceClient("http://127.0.0.1:9", timeout))
    officer = Officer(subject="village-portal", role="village", area=VILLAGE, name="李村官", csrf_token="c")
    authorization = officer.authorization(secret)

    # a form left half filled: discovery's 422 comes back on the form's fields
    half = form_pages.send_verification(clients, authorization, clue_id, {"confirmed": "yes", "visited_on": ""})
    assert half.answer.status == 422 and not half.ok
    assert "visited_on" in {e.field for e in half.errors} and all(e.message_zh for e in half.errors)

    # an officer of another village: the clue does not exist for them
    elsewhere = Officer(subject="village-other", role="village", area="530102001002").authorization(secret)
    hidden = form_pages.send_verification(clients, elsewhere, clue_id, {"confirmed": "yes", "visited_on": "2026-05-25"})
    assert hidden.answer.status == 404 and hidden.problem().title_id == "sf.problem.not_found"

    done = form_pages.send_verification(clients, authorization, clue_id, {
        "confirmed": "yes", "visited_on": "2026-05-25", "income": "700", "housing_safe": "no",
        "labour_capacity_lost": "yes", "indicators": "illness,medical_costs", "notes": "户主住院，无法务农",
        "rows": "2", "v-0-name": "张三", "v-0-id": person, "v-0-rel": "self"})
    assert done.ok, done.answer.body
    assert done.answer.body["clue"]["status"] == "verified"
    assert done.answer.body["visit"]["visitor"]["subject"] == "village-portal"

    township = {"Authorization": f"Bearer {issue_token(secret, subject='township-1', role='township', area=TOWNSHIP)}"}
    clue = wait_until(lambda: (lambda c: c if c["status"] == "verified" else None)(
        httpx.get(f"{discovery.url}/api/v1/clues/{clue_id}", headers=township, timeout=10).json()),
        timeout=20, message="discovery shows the clue verified")
    assert clue["allowed_next_steps"] == ["referral", "dismissal"] and clue["verification_visit_id"]
    visit = httpx.get(f"{discovery.url}/api/v1/visits/{clue['verification_visit_id']}", headers=township,
                      timeout=10).json()
    assert visit["indicators"] == ["illness", "medical_costs"] and visit["confirmed"] is True
    assert visit["member_count"] == 1
    assert visit["observations"]["monthly_income_yuan"] in (700, 700.0, "700", "700.00")
    trail = httpx.get(f"{discovery.url}/api/v1/audit", params={"entity_type": "clue", "entity_id": clue_id},
                      headers=township, timeout=10).json()["items"]
    assert [(a["action"], a["actor"]) for a in trail][-1] == ("clue.verification_recorded", "village-portal")

    # a second verification is a step the clue's state no longer allows: a 409 notice naming the allowed steps
    again = form_pages.send_verification(clients, authorization, clue_id, {"confirmed": "yes",
                                                                           "visited_on": "2026-05-26"})
    assert again.answer.status == 409
    assert again.problem().title_id == "sf.problem.conflict" and "referral" in again.problem().allowed
