"""The one client of published policy, shared by every service.

- ``PolicyStore``: a consumer handler that keeps every ``policy.ruleset.published`` document in the service's own table
  (a replica: a service that was down catches up from the compacted topic, a new instance reads every version).
- ``PolicyRules``: the rules a service's domain code uses, for a division code on a date, chosen locally (no HTTP
  call): the replica plus the bundle shipped with the platform (``shared/policy_bundle``: the national document and
  the shipped regional releases, the same files the policy service publishes at first start, so the two cannot
  differ), refreshed from the replica every ``refresh_seconds`` without a restart.
- ``project(document, section)``: a service's parameters in the layout its domain code reads, with the shared
  standards (``standards.*``: dibao standard, monitoring line, reference income) put where that code looks for them.
  ``STANDARD_PATHS`` is the one list of those places; no service's section holds a copy of a standard.

Selection: among the versions whose period covers the date and whose region is a prefix of the division code, the
longest region wins (county over prefecture over province over national); within one region the latest
`effective_from` wins, so an open-ended version is superseded from the day a later one starts.

    table = define_policy_table(metadata)                                   # models.py (and a migration)
    rules = PolicyRules("identification", build=RuleSet.from_policy, table=table)
    runtime.consumers.append(rules.consumer_spec("identification"))         # bootstrap
    rules.bind(runtime.session_factory)
    rules.for_division("530102001001", date(2027, 1, 1)).version            # "53-v3"
"""
from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, TypeVar

from sqlalchemy import JSON, Column, Date, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

from shared.clock import china_time
from shared.db import UtcDateTime
from shared.emits import emits
from shared.envelope import Event
from shared.rule_data import NoRuleSet

POLICY_PUBLISHED = "policy.ruleset.published"
BUNDLE = Path(__file__).resolve().parent / "policy_bundle"
CALENDARS = Path(__file__).resolve().parent / "calendars"
SECTIONS = ("standards", "identification", "screening", "assistance", "gradual_exit", "followup", "calendar")
STANDARDS = ("dibao_standard_yuan_per_person_month", "monitoring_line_yuan_per_person_year",
             "reference_income_yuan_per_person_year")

# Where each service's domain code reads a shared standard: (path inside its section) -> standard. The only place a
# standard meets a service's layout; tests/contract/test_policy_defined_once.py fails when a copy appears elsewhere.
STANDARD_PATHS: dict[str, dict[tuple[str, ...], str]] = {
    "identification": {
        ("dibao", "standard_yuan_per_person_month"): STANDARDS[0],
        ("monitoring", "line_yuan_per_person_year"): STANDARDS[1],
        ("reference", "rural_disposable_income_yuan_per_person_year"): STANDARDS[2],
    },
    "assistance": {
        ("cash", "dibao", "standard_yuan_per_person_month"): STANDARDS[0],
    },
    "gradual_exit": {
        ("reference", "dibao_standard_yuan_per_person_month"): STANDARDS[0],
        ("reference", "monitoring_line_yuan_per_person_year"): STANDARDS[1],
        ("reference", "rural_disposable_income_yuan_per_person_year"): STANDARDS[2],
    },
    "followup": {
        ("income", "monitoring_line_yuan_per_person_year"): STANDARDS[1],
        ("medical", "reference_income_yuan_per_person_year"): STANDARDS[2],
    },
    # discovery's screening rules cite a standard by name, e.g. {"parameter": "standards.reference_income_..."}
    "screening": {("parameters", "standards." + name): name for name in STANDARDS},
}


def rule_version(region: str, version: int) -> str:
    """The version every decision cites: ``CN-v1`` (national), ``53-v2`` (Yunnan's second version)."""
    return f"{region or 'CN'}-v{version}"


def merge(base: dict, overrides: dict) -> dict:
    """``overrides`` deep-merged onto a copy of ``base`` (objects merge key by key, everything else is replaced)."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _exact(node: Any) -> Any:
    """JSON numbers as Decimal (0.8 stays 0.8), so thresholds and weights compare exactly as they were written."""
    return json.loads(json.dumps(node), parse_float=Decimal)


def project(document: dict, section: str) -> dict:
    """The section's parameters, with the shared standards placed where the service's domain code reads them."""
    params = _exact(document[section])
    standards = _exact(document["standards"])
    for path, standard in STANDARD_PATHS.get(section, {}).items():
        node = params
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = standards[standard]
    return params


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
        self.by_version: dict[str, PolicyEntry] = {}
        for e in entries:
            self._by_region.setdefault(e.region, []).append(e)
            self.by_version[e.rule_version] = e

    def resolve(self, region_code: str, on_date: date) -> PolicyEntry:
        for length in range(len(region_code), -1, -1):
            found = select_entry(self._by_region.get(region_code[:length], ()), region_code, on_date)
            if found is not None:
                return found
        raise NoRuleSet(f"no published policy is in force for {region_code or 'national'} on {on_date.isoformat()}")

    def __len__(self) -> int:
        return len(self.by_version)


def entry_from_event(data: dict) -> PolicyEntry:
    return PolicyEntry(data["rule_version"], data["region"], data["version"],
                       date.fromisoformat(data["effective_from"]),
                       date.fromisoformat(data["effective_to"]) if data.get("effective_to") else None,
                       data["document"])


# -- the bundle shipped with the platform -------------------------------------------------------------------------

def calendar_section(folder: Path | None = None) -> dict:
    """The `calendar` section from the working-day files (one per year), the calendar's only copy."""
    years = {}
    for path in sorted((folder or CALENDARS).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        years[str(data["year"])] = {k: data[k] for k in ("days_off", "makeup_working_days")}
    return {"years": years}


@lru_cache(maxsize=4)
def shipped_national(bundle: Path = BUNDLE) -> dict:
    """The national release of the bundle: its metadata and the complete document (calendar included)."""
    data = json.loads((bundle / "national.json").read_text(encoding="utf-8"))
    data["document"] = {**data["document"], "calendar": calendar_section()}
    return data


def shipped_releases(bundle: Path = BUNDLE) -> list[tuple[str, dict]]:
    """The regional releases of the bundle as (file name, release), parents first."""
    found = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in sorted((bundle / "releases").glob("*.json"))]
    return sorted(found, key=lambda f: (len(f[1]["region"]), f[1]["effective_from"], f[1]["version"]))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@lru_cache(maxsize=4)
def baseline_entries(bundle: Path = BUNDLE) -> tuple[PolicyEntry, ...]:
    """The bundle resolved as the policy service resolves it at first start: each release merged onto the version in
    force for its region on its first day."""
    national = shipped_national(bundle)
    entries = [PolicyEntry(rule_version("", national["version"]), "", national["version"],
                           date.fromisoformat(national["effective_from"]), _date(national.get("effective_to")),
                           national["document"])]
    for name, release in shipped_releases(bundle):
        start = date.fromisoformat(release["effective_from"])
        parent = select_entry(entries, release["region"], start)
        if parent is None:
            raise NoRuleSet(f"{name}: no version is in force for {release['region']} on {start}")
        entries.append(PolicyEntry(rule_version(release["region"], release["version"]), release["region"],
                                   release["version"], start, _date(release.get("effective_to")),
                                   merge(parent.document, release["overrides"])))
    return tuple(entries)


# -- the replica and the rules of a service -----------------------------------------------------------------------

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

    def count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(self.table)) or 0

    def entries(self, session: Session) -> list[PolicyEntry]:
        t = self.table
        return [PolicyEntry(r.rule_version, r.region, r.version, r.effective_from, r.effective_to, r.document)
                for r in session.execute(select(t.c.rule_version, t.c.region, t.c.version, t.c.effective_from,
                                                t.c.effective_to, t.c.document))]

    def book(self, session: Session) -> PolicyBook:
        return PolicyBook(self.entries(session))

    def resolve(self, session: Session, region_code: str, on_date: date) -> PolicyEntry:
        return self.book(session).resolve(region_code, on_date)


T = TypeVar("T")


def on_day(on: date | datetime) -> date:
    """A decision's date: an aware moment as its China date, a naive one as local already, a date as is."""
    if isinstance(on, datetime):
        return china_time(on).date() if on.tzinfo is not None else on.date()
    return on


class PolicyRules(Generic[T]):
    """A service's rule sets, built from published policy documents by ``build(entry, params)``.

    ``params`` is ``project(entry.document, section)``. Built rule sets are cached per version (versions never
    change). The replica is re-read when its row count changes, checked at most every ``refresh_seconds``.
    """

    def __init__(self, section: str, build: Callable[[PolicyEntry, dict], T], table: Table | None = None,
                 session_factory: Callable[[], Session] | None = None, refresh_seconds: float = 1.0,
                 bundle: Path = BUNDLE):
        self.section, self._build, self.refresh_seconds, self.bundle = section, build, refresh_seconds, bundle
        self.store = PolicyStore(table) if table is not None else None
        self._session_factory = session_factory
        self._lock = threading.Lock()
        self._built: dict[str, T] = {}
        self._book = PolicyBook(baseline_entries(bundle))
        self._count = -1
        self._checked = float("-inf")

    def bind(self, session_factory: Callable[[], Session]) -> "PolicyRules[T]":
        self._session_factory = session_factory
        self._checked = float("-inf")
        return self

    def consumer_spec(self, service: str):
        from shared.runtime import ConsumerSpec
        return ConsumerSpec(name=f"{service}.policy", handlers={POLICY_PUBLISHED: self.store.handler})

    def refresh(self, force: bool = False) -> PolicyBook:
        if self.store is None or self._session_factory is None:
            return self._book
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_seconds:
            return self._book
        with self._lock:
            with self._session_factory() as session:
                count = self.store.count(session)
                if count != self._count:
                    replica = {e.rule_version: e for e in self.store.entries(session)}
                    baseline = [e for e in baseline_entries(self.bundle) if e.rule_version not in replica]
                    self._book = PolicyBook([*baseline, *replica.values()])
                    self._count = count
            self._checked = now
        return self._book

    def _rule_set(self, entry: PolicyEntry) -> T:
        found = self._built.get(entry.rule_version)
        if found is None:
            found = self._built[entry.rule_version] = self._build(entry, project(entry.document, self.section))
        return found

    def entry_for(self, division_code: str, on: date | datetime) -> PolicyEntry:
        if not isinstance(division_code, str) or (division_code and not division_code.isdigit()):
            raise ValueError(f"a division code is a string of digits, got {division_code!r}")
        return self.refresh().resolve(division_code, on_day(on))

    def for_division(self, division_code: str, on: date | datetime) -> T:
        """The rule set in force for the division on the day (pass the day the decision is, or was, made)."""
        return self._rule_set(self.entry_for(division_code, on))

    def by_version(self, version: str) -> T:
        """The rule set a past decision cites (its ``rule_version``)."""
        entry = self.refresh().by_version.get(version)
        if entry is None:
            raise NoRuleSet(f"no policy version {version!r}")
        return self._rule_set(entry)

    def all(self) -> list[T]:
        book = self.refresh()
        return [self._rule_set(e) for e in sorted(book.by_version.values(),
                                                  key=lambda e: (e.region, e.effective_from, e.version))]
