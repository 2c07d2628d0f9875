"""The one client of published policy: a consumer handler that keeps every `policy.ruleset.published` document in
the service's own table, and `resolve(region_code, on_date)`, the document in force, chosen locally (no HTTP call).

Selection: among the versions whose period covers the date and whose region is a prefix of the division code, the
longest region wins (county over prefecture over province over national); within one region the latest
`effective_from` wins, so an open-ended version is superseded from the day a later one starts.

    table = define_policy_table(Base.metadata)                          # in models.py (and a migration)
    handlers = {POLICY_PUBLISHED: PolicyStore(table).handler}           # a ConsumerSpec of the bootstrap
    book = PolicyStore(table).book(session); book.resolve("530102001001", date(2027, 1, 1)).document
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable

from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from shared.db import UtcDateTime
from shared.emits import emits
from shared.envelope import Event
from shared.rule_data import NoRuleSet

POLICY_PUBLISHED = "policy.ruleset.published"


def define_policy_table(metadata: MetaData, name: str = "policy_rulesets") -> Table:
    return Table(
        name, metadata,
        Column("rule_version", String(40), primary_key=True),
        Column("region", String(12), nullable=False, index=True),
        Column("version", Integer, nullable=False),
        Column("effective_from", Date, nullable=False),
        Column("effective_to", Date, nullable=True),
        Column("document", JSON, nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("received_at", UtcDateTime, nullable=False),
        # a copy of what policy published: the state change, and its event, are policy's
        info={"event_exempt": "replica of the policy service's published rule sets"},
    )


@dataclass(frozen=True)
class PolicyEntry:
    rule_version: str
    region: str
    version: int
    effective_from: date
    effective_to: date | None
    document: dict

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def select_entry(entries: Iterable[PolicyEntry], region_code: str, on_date: date) -> PolicyEntry | None:
    """The entry in force for the division code on the date (longest region prefix, then latest start), or None."""
    best = None
    for e in entries:
        if region_code.startswith(e.region) and e.covers(on_date):
            if best is None or (len(e.region), e.effective_from, e.version) > \
                    (len(best.region), best.effective_from, best.version):
                best = e
    return best


class PolicyBook:
    """Every stored version, indexed by region: resolve() looks only at the prefixes of the code (at most 13)."""

    def __init__(self, entries: Iterable[PolicyEntry]):
        self._by_region: dict[str, list[PolicyEntry]] = {}
        for e in entries:
            self._by_region.setdefault(e.region, []).append(e)

    def resolve(self, region_code: str, on_date: date) -> PolicyEntry:
        for length in range(len(region_code), -1, -1):
            found = select_entry(self._by_region.get(region_code[:length], ()), region_code, on_date)
            if found is not None:
                return found
        raise NoRuleSet(f"no published policy is in force for {region_code or 'national'} on {on_date.isoformat()}")

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_region.values())


def entry_from_event(data: dict) -> PolicyEntry:
    return PolicyEntry(data["rule_version"], data["region"], data["version"],
                       date.fromisoformat(data["effective_from"]),
                       date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
                       data["document"])


class PolicyStore:
    def __init__(self, table: Table):
        self.table = table

    @emits(none="keeps a copy of a published policy version in the service's own store (no state of its own)")
    def handler(self, session: Session, event: Event) -> None:
        """Idempotent: a version is immutable once published, so a redelivered or replayed event changes nothing."""
        data = event.data
        if session.execute(select(self.table.c.rule_version)
                           .where(self.table.c.rule_version == data["rule_version"])).first() is not None:
            return
        e = entry_from_event(data)
        session.execute(insert(self.table).values(
            rule_version=e.rule_version, region=e.region, version=e.version, effective_from=e.effective_from,
            effective_to=e.effective_to, document=e.document, event_id=event.id,
            received_at=datetime.now(timezone.utc)))

    def entries(self, session: Session) -> list[PolicyEntry]:
        t = self.table
        return [PolicyEntry(r.rule_version, r.region, r.version, r.effective_from, r.effective_to, r.document)
                for r in session.execute(select(t.c.rule_version, t.c.region, t.c.version, t.c.effective_from,
                                                t.c.effective_to, t.c.document))]

    def book(self, session: Session) -> PolicyBook:
        return PolicyBook(self.entries(session))

    def resolve(self, session: Session, region_code: str, on_date: date) -> PolicyEntry:
        return self.book(session).resolve(region_code, on_date)
