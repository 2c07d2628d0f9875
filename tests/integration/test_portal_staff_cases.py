"""The portal's My work and case-page functions against the real stack: discovery and identification as their own
processes on the real broker and PostgreSQL, an application through discovery's API, then the case taken from the
start of its field assessment to the public notice through the very functions the portal's routes call
(portal.staff.work.fetch/assemble, portal.staff.cases.load/perform), with tokens minted as the portal mints them.
The staff sign-in is not part of this test (its browser journey comes with the sign-in work)."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import httpx

from portal.clients import ServiceClients
from portal.config import Settings
from portal.staff import cases, work
from portal.staff.session import Officer
from shared.clock import china_time
from shared.config import DEV_JWT_SECRET
from shared.synthetic import HouseholdFactory
from tests.fixtures import free_port, service_env, wait_until

VILLAGE = "530102001001"
TOWNSHIP, COUNTY = VILLAGE[:9], VILLAGE[:6]
VILLAGER = Officer(subject="vil-test", role="village", area=VILLAGE, name="王村")
TOWNSHIP_OFFICER = Officer(subject="twp-test", role="township", area=TOWNSHIP, name="赵乡")
COUNTY_OFFICER = Officer(subject="cty-test", role="county", area=COUNTY, name="钱县")

ASSESSMENT = {"rows": "2", "m-0-age": "45", "m-0-labour": "partial", "m-0-illness": "yes", "m-0-school": "none",
              "m-1-age": "12", "m-1-labour": "none", "m-1-school": "compulsory", "income": "600",
              "residence_months": "24", "authorised": "yes", "auth_method": "signed_form",
              "auth_reference": "AUTH-2026-001"}


def test_a_case_goes_from_start_of_assessment_to_public_notice_through_the_portals_case_functions(
        kafka_bootstrap, databases, topic_prefix, processes):
    discovery = processes("discovery", "api", service_env("discovery", databases.create("discovery"), kafka_bootstrap,
                                                          topic_prefix))
    identification = processes("identification", "api", service_env(
        "identification", databases.create("identification"), kafka_bootstrap, topic_prefix))
    secret = os.environ.get("IDENTIFICATION_JWT_SECRET", DEV_JWT_SECRET)
    nowhere = f"http://127.0.0.1:{free_port()}"  # assistance, gradual_exit and followup are not running
    clients = ServiceClients.from_settings(Settings(discovery_url=discovery.url, identification_url=identification.url,
                                                    assistance_url=nowhere, gradual_exit_url=nowhere,
                                                    followup_url=nowhere, read_timeout_seconds=10))
    village, township = VILLAGER.authorization(secret), TOWNSHIP_OFFICER.authorization(secret)

    body = HouseholdFactory(7).application_body(division=VILLAGE, size=2)
    submitted = httpx.post(discovery.url + "/api/v1/applications", json=body,
                           headers={"Idempotency-Key": "portal-staff-cases-1"}, timeout=10)
    assert submitted.status_code == 201, submitted.text
    application_id = submitted.json()["application_id"]

    def case_opened():
        answer = clients.as_officer("identification", "GET", "/api/v1/cases", village,
                                    params={"application_id": application_id})
        return answer.ok and answer.body["items"] and answer.body["items"][0]
    case_id = wait_until(case_opened, timeout=60, message="identification opening the case from discovery's event")[
        "case_id"]

    # My work: the village officer's queue has the case to assess; the services that are down are named
    today = china_time(datetime.now(timezone.utc)).date()
    queue = work.assemble(work.fetch(clients, village), today)
    assert [(i.kind, i.item_id, i.link) for i in queue.items if i.service == "identification"] == [
        ("assessment", case_id, f"/staff/cases/{case_id}")]
    assert queue.counts["assessment"] == 1 and sorted(queue.unavailable) == ["assistance", "followup", "gradual_exit"]
    assert work.assemble(work.fetch(clients, COUNTY_OFFICER.authorization(secret)), today).counts["assessment"] == 0

    view = cases.load(clients, village, case_id)
    assert view.case["status"] == "opened" and view.actions() == ["start_assessment"]
    assert [e["action"] for e in view.audit_entries()][:1] == ["open_case"]

    assert cases.perform(clients, village, case_id, "start-assessment", {}).ok
    wrong = cases.perform(clients, village, case_id, "assessment", {**ASSESSMENT, "m-1-age": "200"})
    assert wrong.answer.status == 422
    assert [(e.field, e.rule) for e in wrong.form.errors] == [("m-1-age", "less_than_equal")]
    assert wrong.form.errors[0].message_zh and wrong.form.errors[0].message
    done = cases.perform(clients, village, case_id, "assessment", ASSESSMENT)
    assert done.ok, done.answer.body
    view = cases.load(clients, village, case_id)
    assessment = view.case["assessment"]
    assert "dibao" in assessment["eligible"] and assessment["rule_version"]
    assert all(d["explanation_zh"] for d in assessment["dimensions"]) and view.actions() == ["complete_review"]

    review = {"review_attendees": "村主任\n村民代表甲", "review_opinions": "情况属实", "review_outcome": "propose_approval"}
    assert cases.perform(clients, village, case_id, "review", review).ok
    assert cases.load(clients, village, case_id).actions() == []  # the notice is the township's

    view = cases.load(clients, township, case_id)
    assert view.case["status"] == "awaiting_notice" and view.actions() == ["publish_notice", "withdraw"]
    published = cases.perform(clients, township, case_id, "notice", cases.initial_values(view))
    assert published.ok, published.answer.body
    view = cases.load(clients, township, case_id)
    assert view.case["status"] == "public_notice" and view.case["notices"][0]["programmes"] == view.eligible()
    assert "close_notice" in view.actions()
    too_early = cases.perform(clients, township, case_id, "notice-close", {})
    assert too_early.answer.status == 409 and too_early.answer.body["rule"] == "notice_running"
    assert [e["to_state"] for e in view.audit_entries() if e["from_state"] != e["to_state"]][-4:] == [
        "field_assessment", "democratic_review", "awaiting_notice", "public_notice"]
    township_queue = work.assemble(work.fetch(clients, township), today)
    assert [(i.kind, i.stage) for i in township_queue.items] == [("notice", "public_notice")]
