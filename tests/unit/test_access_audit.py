"""shared.access_audit: what one read records (a row and its event, in one transaction) and the address rule."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.orm import Session

from shared.access_audit import Access, client_address, define_access_table, parse_proxies, record_access
from shared.auth import Principal
from shared.contracts import registry
from shared.messaging_tables import define_messaging_tables
from shared.outbox import OutboxWriter

PROXY = parse_proxies("10.0.0.5, 172.16.0.0/12")


def test_without_a_trusted_proxy_the_peer_is_the_caller_whatever_x_forwarded_for_says():
    assert client_address("192.0.2.7", "203.0.113.9", PROXY) == "192.0.2.7"
    assert client_address("192.0.2.7", "203.0.113.9", ()) == "192.0.2.7"
    assert client_address("192.0.2.7", None, PROXY) == "192.0.2.7"
    assert client_address("testclient", "203.0.113.9", PROXY) == "testclient"  # not an address: kept as given


def test_behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_caller():
    assert client_address("10.0.0.5", "203.0.113.9", PROXY) == "203.0.113.9"
    # a forged left part is not believed: the first hop not a trusted proxy, read from the right
    assert client_address("10.0.0.5", "1.2.3.4, 203.0.113.9, 172.16.3.4", PROXY) == "203.0.113.9"
    assert client_address("10.0.0.5", None, PROXY) == "10.0.0.5"
    assert client_address("10.0.0.5", "not-an-ip", PROXY) == "unknown"
    assert client_address("10.0.0.5", "172.16.0.9", PROXY) == "172.16.0.9"  # all trusted: the first one
    assert client_address("::1", "2001:db8::1", parse_proxies("::1")) == "2001:db8::1"


def test_one_read_records_one_row_and_one_event_in_the_transaction():
    metadata = MetaData()
    table = define_access_table(metadata)
    tables = define_messaging_tables(metadata)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    officer = Principal("officer-1", "village", "530102001001", "张三")
    at = datetime(2026, 6, 17, 1, 2, 3, tzinfo=timezone.utc)
    with Session(engine) as session, session.begin():
        access_id = record_access(session, table, OutboxWriter(tables, registry()), service="identification",
                                  actor=officer, at=at, address="192.0.2.10",
                                  access=Access("case", "case-1", "hh-1", "530102001001", ("applicant_name",)))
    with Session(engine) as session:
        row = session.execute(select(table)).one()
        out = session.execute(select(tables.outbox)).one()
    assert (row.access_id, row.actor, row.actor_role, row.actor_area, row.actor_name, row.address) == (
        access_id, "officer-1", "village", "530102001001", "张三", "192.0.2.10")
    assert (row.entity_type, row.entity_id, row.household_id, json.loads(row.fields)) == (
        "case", "case-1", "hh-1", ["applicant_name"])
    assert out.event_type == "identification.access.recorded" and out.topic == "identification.access"
    assert out.key == "hh-1"
    data = json.loads(out.payload)["data"]
    assert data["access_id"] == access_id and data["address"] == "192.0.2.10"
    assert data["actor"] == {"subject": "officer-1", "role": "village", "area": "530102001001", "name": "张三"}
    assert data["accessed_at"] == at.isoformat() and data["fields"] == ["applicant_name"]
