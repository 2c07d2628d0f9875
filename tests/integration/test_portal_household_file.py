"""The household file on the real stack: discovery, identification and the portal as their own processes on Kafka
and PostgreSQL. A citizen's application through discovery's API reaches the portal's read model by the event
topics alone (the portal calls no service for it): the application and the identification case opening are on the
household's timeline, its summary row is there, and the page shows them."""
from __future__ import annotations

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select

from portal.staff.household_tables import household_entries, household_summaries
from portal.staff.session import Officer, require_officer
from shared.kafka_io import admin_client
from shared.synthetic import HouseholdFactory
from tests.fixtures import service_env, wait_until
from tests.fuzz.apps import build


def test_an_application_and_its_case_opening_appear_in_the_household_file(kafka_bootstrap, databases, topic_prefix,
                                                                         processes):
    disc_db, iden_db, portal_db = (databases.create(s) for s in ("discovery", "identification", "portal"))
    processes("identification", "api", service_env("identification", iden_db, kafka_bootstrap, topic_prefix))
    discovery = processes("discovery", "api", service_env("discovery", disc_db, kafka_bootstrap, topic_prefix))
    processes("portal", "api", service_env("portal", portal_db, kafka_bootstrap, topic_prefix))

    body = HouseholdFactory(41).application_body(size=2)
    answer = httpx.post(discovery.url + "/api/v1/applications", json=body, timeout=10,
                        headers={"Idempotency-Key": "household-file-1"})
    assert answer.status_code == 201, answer.text
    application = answer.json()
    household = application["household_id"]

    engine = create_engine(portal_db)
    try:
        def timeline() -> dict[str, dict]:
            with engine.connect() as conn:
                found = conn.execute(select(household_entries).where(household_entries.c.household_id == household))
                return {row.event_type: dict(row._mapping) for row in found}

        entries = wait_until(lambda: (lambda t: t if {"discovery.application.submitted",
                                                      "identification.case.opened"} <= set(t) else None)(timeline()),
                             timeout=90, message="the application and the case opening in the portal's read model")
        submitted, opened = entries["discovery.application.submitted"], entries["identification.case.opened"]
        assert submitted["service"] == "discovery" and submitted["entity_kind"] == "application"
        assert submitted["entity_id"] == application["application_id"]
        assert submitted["division_code"] == opened["division_code"] == body["division_code"]
        assert opened["service"] == "identification" and opened["entity_kind"] == "case" and opened["entity_id"]
        assert opened["summary_id"] == "hh.ev.identification.case.opened.application"
        assert opened["occurred_at"] >= submitted["occurred_at"]

        # The summary and the count of entries in one statement (one snapshot): discovery's household update follows
        # the case opening and may be applied between two separate reads.
        entry_count = (select(func.count()).select_from(household_entries)
                       .where(household_entries.c.household_id == household).scalar_subquery())
        with engine.connect() as conn:
            summary = conn.execute(select(household_summaries, entry_count.label("entries_now"))
                                   .where(household_summaries.c.household_id == household)).one()
        head = next(m for m in body["members"] if m["relationship"] == "self")
        assert summary.division_code == body["division_code"] and summary.case_id == opened["entity_id"]
        assert summary.head_name_masked == head["name"][0] + "*" * (len(head["name"]) - 1)
        assert summary.head_id_number_masked == "*" * 14 + head["id_number"][-4:]
        assert summary.entry_count == summary.entries_now
    finally:
        engine.dispose()

    # The group portal.household-file committed its offsets (after the database commit, by the shared runner).
    admin = admin_client(kafka_bootstrap)  # the test's admin principal on a broker with SASL
    try:
        def committed():
            group = f"{topic_prefix}portal.household-file"
            offsets = admin.list_group_offsets(group).get(group, {})
            return {tp.topic: o.offset for tp, o in offsets.items()
                    if tp.topic in (topic_prefix + "discovery.application", topic_prefix + "identification.case")
                    and o.offset > 0}
        assert len(wait_until(lambda: (lambda c: c if len(c) == 2 else None)(committed()), timeout=30,
                              message="the household file's committed offsets")) == 2
    finally:
        admin.close()

    # The officer's page reads the same read model (in-process on the portal's database; sign-in is built apart).
    svc = build("portal", portal_db, migrate=False)
    svc.app.dependency_overrides[require_officer] = lambda: Officer(subject="county-1", role="county",
                                                                    area=body["division_code"][:6])
    try:
        with TestClient(svc.app) as client:
            page = client.get(f"/staff/households/{household}", params={"lang": "en"})
            assert page.status_code == 200
            assert "Online application submitted (2 member(s), application " + application["application_id"] in page.text
            assert "Identification case opened from the application" in page.text
            assert head["id_number"] not in page.text
            for query in (application["application_id"], head["id_number"]):  # the ID number by its keyed digest
                found = client.get("/staff/households", params={"q": query})
                assert f'href="/staff/households/{household}"' in found.text, query
                assert head["id_number"] not in found.text
            outside = Officer(subject="v-9", role="village", area="530102999999")
            svc.app.dependency_overrides[require_officer] = lambda: outside
            assert client.get(f"/staff/households/{household}").status_code == 404
    finally:
        svc.runtime.engine.dispose()
