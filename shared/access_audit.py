"""Audit of access: every read of a household's personal data by staff is recorded (who, when, from which address,
what) in the serving service's own database, and published as `<service>.access.recorded` in the same transaction.

A read route calls `record_access(session, ...)` inside the transaction that reads the record (one insert and one
outbox row). The caller's address is the direct peer's, unless that peer is a configured trusted proxy (the portal,
a reverse proxy): then X-Forwarded-For is read from the right, skipping trusted proxies, and the first address that
is not one is the caller. An untrusted peer's X-Forwarded-For is ignored (anyone can send one).
"""
from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text, insert
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import UtcDateTime
from shared.envelope import Event
from shared.observability import correlation_id

FORWARDED_FOR = "X-Forwarded-For"
MAX_ADDRESS = 45  # the longest textual IPv6 address
UNKNOWN_ADDRESS = "unknown"


def define_access_table(metadata: MetaData) -> Table:
    table = Table(
        "access_log",
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
        Column("access_id", String(64), nullable=False, unique=True),
        Column("at", UtcDateTime, nullable=False),
        Column("actor", String(128), nullable=False),
        Column("actor_role", String(20), nullable=False),
        Column("actor_area", String(12), nullable=False),
        Column("actor_name", String(64), nullable=False),
        Column("address", String(MAX_ADDRESS), nullable=False),
        Column("entity_type", String(32), nullable=False),
        Column("entity_id", String(64), nullable=False),
        Column("household_id", String(64), nullable=False),
        Column("division_code", String(12), nullable=False),
        Column("fields", Text, nullable=False),  # JSON list of the personal fields shown
        Column("purpose", String(64), nullable=False),
        Column("correlation_id", String(128), nullable=True),
    )
    Index("ix_access_log_household", table.c.household_id, table.c.id)
    return table


# -- the caller's address ---------------------------------------------------------------------------------------------

def parse_proxies(value: str | Iterable[str]) -> tuple:
    """`"127.0.0.1, 10.0.0.0/8"` (or a list) as networks; an empty value trusts no proxy."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address, proxies: tuple) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: tuple) -> str:
    """The caller's address: the peer, or (behind trusted proxies only) the rightmost untrusted X-Forwarded-For hop."""
    peer_ip = _ip(peer or "")
    if not _trusted(peer_ip, trusted_proxies) or not forwarded_for:
        return (str(peer_ip) if peer_ip is not None else (peer or UNKNOWN_ADDRESS))[:MAX_ADDRESS]
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        hop_ip = _ip(hop)
        if hop_ip is None:
            return UNKNOWN_ADDRESS  # a malformed hop: nothing left of it can be believed
        if not _trusted(hop_ip, trusted_proxies):
            return str(hop_ip)
    return str(_ip(hops[0])) if hops else str(peer_ip)  # every hop a trusted proxy: the first one called


def request_address(request) -> str:
    """The address of a FastAPI request's caller, by the rule above, with the service's `trusted_proxies`."""
    settings = request.app.state.runtime.settings
    proxies = getattr(request.app.state, "trusted_proxies", None)
    if proxies is None:
        proxies = parse_proxies(getattr(settings, "trusted_proxies", "") or "")
        request.app.state.trusted_proxies = proxies
    return client_address(request.client.host if request.client else None, request.headers.get(FORWARDED_FOR),
                          proxies)


# -- the record ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    """What was read: the record, the household it belongs to, the personal fields shown and why."""

    entity_type: str
    entity_id: str
    household_id: str
    division_code: str
    fields: tuple[str, ...]
    purpose: str = "view"


def access_event(service: str, access_id: str, actor: Principal, at: datetime, address: str, access: Access) -> Event:
    return Event(type=f"{service}.access.recorded", source=f"/services/{service}", subject=access.household_id,
                 data={"access_id": access_id, "service": service, "accessed_at": at.isoformat(),
                       "actor": {"subject": actor.subject, "role": actor.role, "area": actor.area,
                                 "name": actor.name or ""},
                       "address": address, "entity_type": access.entity_type, "entity_id": access.entity_id,
                       "household_id": access.household_id, "division_code": access.division_code,
                       "fields": list(access.fields), "purpose": access.purpose})


def record_access(session: Session, table: Table, outbox, *, service: str, actor: Principal, at: datetime,
                  address: str, access: Access) -> str:
    """One row in the service's access log and one outbox event, in the caller's transaction; returns the access id."""
    access_id = str(uuid.uuid4())
    session.execute(insert(table).values(
        access_id=access_id, at=at, actor=actor.subject[:128], actor_role=actor.role[:20], actor_area=actor.area[:12],
        actor_name=(actor.name or "")[:64], address=address[:MAX_ADDRESS], entity_type=access.entity_type,
        entity_id=access.entity_id, household_id=access.household_id, division_code=access.division_code,
        fields=json.dumps(list(access.fields)), purpose=access.purpose, correlation_id=correlation_id.get()))
    outbox.add(session, access_event(service, access_id, actor, at, address, access))
    return access_id


def record_request_access(session: Session, request, table: Table, actor: Principal, access: Access) -> str:
    """`record_access` for a route: the service, clock, outbox and caller's address taken from the request."""
    runtime = request.app.state.runtime
    return record_access(session, table, runtime.outbox, service=runtime.settings.service_name, actor=actor,
                         at=runtime.clock.now(), address=request_address(request), access=access)
