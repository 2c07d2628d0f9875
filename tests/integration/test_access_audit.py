"""Audit of access over the real broker and PostgreSQL: an officer opens a case (identification) and a household
record (discovery) through a trusted proxy that forwards the caller's address; the county officer lists who looked
at the household in oversight (who, when, address, what) and exports it as CSV; a village officer may not."""
from __future__ import annotations

import csv
import io

import httpx

from shared import demo
from tests.fixtures import service_env, wait_until

VILLAGE = demo.VILLAGE
COUNTY = VILLAGE[:6]


def ok(response: httpx.Response, status: int = 200):
    assert response.status_code == status, response.text
    return response


def token(url: str, role: str, area: str, subject: str) -> dict:
    body = ok(httpx.post(url + "/dev/tokens", json={"subject": subject, "role": role, "area": area})).json()
    return {"Authorization": "Bearer " + body["access_token"]}


def test_reads_of_a_household_are_listed_for_the_county_and_exported(processes, databases, kafka_bootstrap,
                                                                     topic_prefix):
    env = {"dev_token_issuer": "true", "trusted_proxies": "127.0.0.1"}
    disc = processes("discovery", "api", service_env("discovery", databases.create("discovery"), kafka_bootstrap,
                                                     topic_prefix, **env))
    iden = processes("identification", "api", service_env("identification", databases.create("identification"),
                                                          kafka_bootstrap, topic_prefix, **env))
    over = processes("oversight", "api", service_env("oversight", databases.create("oversight"), kafka_bootstrap,
                                                     topic_prefix, dev_token_issuer="true"))
    p = demo.Platform({"discovery": disc.url, "identification": iden.url})
    [hh] = demo.make_households(1, seed=83)
    demo.submit_application(p, hh)
    case = demo.wait_for("the case", lambda: demo.cases_of(p, hh), timeout=60)[0]
    household_id = case["household_id"]

    officer = token(iden.url, "village", VILLAGE, "officer-li")
    ok(httpx.get(f"{iden.url}/api/v1/cases/{case['case_id']}", headers={**officer, "X-Forwarded-For": "198.51.100.23"}))
    ok(httpx.get(f"{disc.url}/api/v1/households/{household_id}",
                 headers={**token(disc.url, "village", VILLAGE, "officer-li"), "X-Forwarded-For": "198.51.100.24"}))

    county = token(over.url, "county", COUNTY, "county-wang")

    def listed():
        page = ok(httpx.get(over.url + "/api/v1/access-log", headers=county,
                            params={"household_id": household_id})).json()
        return page if page["total"] >= 2 else None
    page = wait_until(listed, timeout=60, message="both reads in oversight's access log")
    by_service = {i["service"]: i for i in page["items"]}
    assert page["total"] == 2 and set(by_service) == {"identification", "discovery"}
    read_case, read_household = by_service["identification"], by_service["discovery"]
    assert (read_case["actor"], read_case["actor_role"], read_case["address"]) == ("officer-li", "village",
                                                                                  "198.51.100.23")
    assert (read_case["entity_type"], read_case["entity_id"]) == ("case", case["case_id"])
    assert "applicant_name" in read_case["fields"] and read_case["accessed_at"]
    assert (read_household["entity_type"], read_household["address"]) == ("household", "198.51.100.24")
    # filters: by officer, and a window that excludes everything
    assert ok(httpx.get(over.url + "/api/v1/access-log", headers=county,
                        params={"actor": "someone-else"})).json()["total"] == 0
    assert ok(httpx.get(over.url + "/api/v1/access-log", headers=county,
                        params={"household_id": household_id, "to": "2000-01-01T00:00:00Z"})).json()["total"] == 0

    exported = ok(httpx.get(over.url + "/api/v1/access-log.csv", headers=county, params={"household_id": household_id}))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert {(r["service"], r["actor"], r["address"], r["entity_type"]) for r in rows} == {
        ("identification", "officer-li", "198.51.100.23", "case"),
        ("discovery", "officer-li", "198.51.100.24", "household")}
    as_json = ok(httpx.get(over.url + "/api/v1/access-log.json", headers=county,
                           params={"household_id": household_id})).json()
    assert len(as_json["items"]) == 2

    # a village officer may not list them; a county officer of another county sees none
    village = token(over.url, "village", VILLAGE, "officer-li")
    assert httpx.get(over.url + "/api/v1/access-log", headers=village).status_code == 403
    assert httpx.get(over.url + "/api/v1/access-log.csv", headers=village).status_code == 403
    other = token(over.url, "county", "110101", "county-zhao")
    assert ok(httpx.get(over.url + "/api/v1/access-log", headers=other,
                        params={"household_id": household_id})).json()["total"] == 0


def test_an_untrusted_peer_cannot_choose_its_recorded_address(processes, databases, kafka_bootstrap, topic_prefix):
    iden = processes("identification", "api", service_env("identification", databases.create("identification"),
                                                          kafka_bootstrap, topic_prefix, dev_token_issuer="true"))
    p = demo.Platform({"identification": iden.url})
    officer = token(iden.url, "village", VILLAGE, "officer-li")
    # no case needed: the rule is in the recorded row, checked by the unit tests; here only that the route answers
    assert httpx.get(f"{iden.url}/api/v1/cases/nope", headers={**officer, "X-Forwarded-For": "1.2.3.4"}).status_code == 404
    del p
