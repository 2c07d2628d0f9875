"""Kafka entry point of the household file: every household event of the five services, applied to the read model
by the shared consumer runner (inbox, offsets after the DB commit, dead-letter topic), group portal.household-file."""
from __future__ import annotations

import functools
import hashlib
import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.staff.household_file import NOT_HOUSEHOLD, RULES, Entry, entries_for, id_digest
from portal.staff.household_tables import HouseholdEntry, HouseholdPerson, HouseholdSummary
from shared.consumer import Handler
from shared.contracts import ContractRegistry, ContractViolation
from shared.emits import emits
from shared.envelope import Event
from shared.kafka_io import topic_for
from shared.runtime import ConsumerSpec

CONSUMER = "household-file"  # the group is `<service group>.household-file`: portal.household-file


@emits(none="the household file is the portal's read model of the services' events; it publishes none")
def apply_event(session: Session, event: Event, search_key: bytes | None = None) -> None:
    """Stores the event's entries; with the search key, the digests of the ID numbers it names too."""
    for entry in entries_for(event):
        if record(session, entry) and search_key:
            index_people(session, entry, search_key)


def search_key(settings) -> bytes:
    """The key of the ID-number digests: the configured one, or one derived from the JWT secret (never that secret)."""
    if settings.household_search_key:
        return settings.household_search_key.encode()
    return hmac.new(settings.jwt_secret.encode(), b"portal household-file id-number search", hashlib.sha256).digest()


class HouseholdHandlers(dict):
    """The handler of every mapped type, and of any other type on the same topics (a type added to a topic after
    this mapping was written): stored generically, with its type and time, rather than dropped. Types listed as not
    about a household are left to the runner to skip."""

    def __init__(self, handler: Handler):
        super().__init__({t: handler for t in RULES})
        self.handler = handler
        self.topics = {topic_for(t) for t in RULES}

    def __contains__(self, event_type: object) -> bool:
        if not isinstance(event_type, str):
            return False
        return dict.__contains__(self, event_type) or (
            event_type not in NOT_HOUSEHOLD and event_type.count(".") >= 2 and topic_for(event_type) in self.topics)

    def __getitem__(self, event_type: str) -> Handler:
        if dict.__contains__(self, event_type):
            return dict.__getitem__(self, event_type)
        if event_type in self:
            return self.handler
        raise KeyError(event_type)


class HouseholdTopicsRegistry:
    """The contracts as every consumer checks them, with one allowance: an event whose type no contract of any version
    knows yet (a service deployed with a new event before the portal's copy of the contracts has it), on a topic the
    household file reads, passes with its CloudEvents envelope checked, so that it is kept generically (type and
    time) instead of dead-lettered. A known type that breaks its contract, or a new major version of a known type,
    still goes to the dead-letter topic; another portal consumer skips such a type, as it skips any it does not
    handle."""

    def __init__(self, contracts: ContractRegistry):
        self.contracts = contracts
        self.topics = {topic_for(t) for t in RULES}
        self.known_types = {urn.split(":")[-2] for urn in contracts.known_schemas()}

    def validate(self, envelope: dict) -> None:
        try:
            self.contracts.validate(envelope)
        except ContractViolation as violation:
            if violation.rule != "known-schema" or not self.is_new_type(envelope):
                raise

    def is_new_type(self, envelope: dict) -> bool:
        event_type, urn = envelope.get("type"), envelope.get("dataschema")
        return (isinstance(event_type, str) and event_type.count(".") >= 2 and event_type not in self.known_types
                and event_type not in NOT_HOUSEHOLD and topic_for(event_type) in self.topics
                and isinstance(urn, str) and urn.split(":")[-2:-1] == [event_type])

    def __getattr__(self, name: str):  # everything else (known_schemas, validate_envelope, …) as the contracts say
        return getattr(self.contracts, name)


def consumer_spec(key: bytes | None = None) -> ConsumerSpec:
    handler = functools.partial(apply_event, search_key=key) if key else apply_event
    return ConsumerSpec(name=CONSUMER, handlers=HouseholdHandlers(handler))


def index_people(session: Session, entry: Entry, key: bytes) -> None:
    for number in entry.id_numbers:
        digest = id_digest(key, number)
        if session.get(HouseholdPerson, (digest, entry.household_id)) is None:
            session.add(HouseholdPerson(id_digest=digest, household_id=entry.household_id))
    session.flush()


def record(session: Session, entry: Entry) -> bool:
    """Stores one entry once (a replayed event changes nothing) and folds it into the household's summary."""
    if session.get(HouseholdEntry, entry.entry_id) is not None:
        return False
    session.add(HouseholdEntry(
        entry_id=entry.entry_id, event_id=entry.event_id, household_id=entry.household_id,
        division_code=_fit(entry.division_code, 12), occurred_at=entry.occurred_at, service=entry.service[:20],
        event_type=entry.event_type[:128], summary_id=entry.summary_id[:128], summary_values=entry.summary_values,
        details=entry.details, actor_subject=_fit(entry.actor_subject, 128), actor_role=_fit(entry.actor_role, 20),
        actor_name=_fit(entry.actor_name, 64), entity_kind=_fit(entry.entity_kind, 20),
        entity_id=_fit(entry.entity_id, 128)))
    summary = session.scalars(select(HouseholdSummary).where(HouseholdSummary.household_id == entry.household_id)
                              .with_for_update()).one_or_none()
    at = entry.occurred_at
    if summary is None:
        summary = HouseholdSummary(household_id=entry.household_id, entry_count=0, first_event_at=at, last_event_at=at)
        session.add(summary)
    summary.entry_count = (summary.entry_count or 0) + 1
    summary.first_event_at = min(summary.first_event_at, at)
    summary.last_event_at = max(summary.last_event_at, at)
    # Each fact is the one of the latest event carrying it (ties: the greater value), whatever the arrival order.
    for name, stamp, value in (("division_code", "division_at", _fit(entry.division_code, 12)),
                               ("file_number", "file_number_at", _fit(entry.file_number, 40)),
                               ("lifecycle_status", "lifecycle_status_at", _fit(entry.lifecycle_status, 40)),
                               ("case_id", "case_at", _fit(entry.case_id, 64))):
        if value is not None and _newer(at, value, getattr(summary, stamp), getattr(summary, name)):
            setattr(summary, name, value)
            setattr(summary, stamp, at)
    if entry.head_name_masked and _newer(at, entry.head_name_masked, summary.head_at, summary.head_name_masked):
        summary.head_name_masked = _fit(entry.head_name_masked, 64)
        summary.head_id_number_masked = _fit(entry.head_id_number_masked, 18)
        summary.head_at = at
    session.flush()
    return True


def _newer(at: datetime, value: str, current_at: datetime | None, current: str | None) -> bool:
    return current_at is None or at > current_at or (at == current_at and value > (current or ""))


def _fit(value: str | None, length: int) -> str | None:
    """A value cut to its column: an over-long free field of an event must not stop the whole file (the contracts
    bound most of them; a name or a subject may be longer than the column)."""
    return value[:length] if value is not None else None
