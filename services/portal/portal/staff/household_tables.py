"""The household file's read model (一户一档): one timeline entry per household event of the five services, and one
summary row per household for the search page. Fed only by the event topics (portal.staff.household_consumer)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models import Base
from shared.db import UtcDateTime

READ_MODEL = "a read model of other services' events: the events are theirs, the portal publishes none"


class HouseholdEntry(Base):
    """One line of a household's timeline: what happened, in which service, when, by whom, and what it is about."""

    __tablename__ = "household_entries"
    __table_args__ = (Index("ix_household_entries_household_at", "household_id", "occurred_at"),
                      Index("ix_household_entries_entity", "entity_kind", "entity_id"),
                      {"info": {"event_exempt": READ_MODEL}})

    # The event's id (or `<event id>#<household id>` for an event about several households): replays are no-ops.
    entry_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(String(128))  # an envelope subject (up to 128)
    division_code: Mapped[str | None] = mapped_column(String(12))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    service: Mapped[str] = mapped_column(String(20))
    event_type: Mapped[str] = mapped_column(String(128))
    summary_id: Mapped[str] = mapped_column(String(128))  # a catalogue id; its {placeholders} come from summary_values
    summary_values: Mapped[dict] = mapped_column(JSON)
    # The service's own words carried by the event: [{"en", "zh"}] (its bilingual explanation or reasons), or
    # [{"text"}] for what an officer wrote (a dismissal reason, an opinion), shown as written.
    details: Mapped[list] = mapped_column(JSON)
    actor_subject: Mapped[str | None] = mapped_column(String(128))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_name: Mapped[str | None] = mapped_column(String(64))
    entity_kind: Mapped[str | None] = mapped_column(String(20))  # application, case, clue, referral, participation, plan…
    entity_id: Mapped[str | None] = mapped_column(String(128))


class HouseholdSummary(Base):
    """What the search page lists: each field is the value of the latest event (by event time) that carried it, so
    any replay order gives the same row."""

    __tablename__ = "household_summaries"
    __table_args__ = (Index("ix_household_summaries_file_number", "file_number"),
                      Index("ix_household_summaries_division_activity", "division_code", "last_event_at"),
                      {"info": {"event_exempt": READ_MODEL}})

    household_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    division_code: Mapped[str | None] = mapped_column(String(12))
    division_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    file_number: Mapped[str | None] = mapped_column(String(40))
    file_number_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lifecycle_status: Mapped[str | None] = mapped_column(String(40))
    lifecycle_status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    head_name_masked: Mapped[str | None] = mapped_column(String(64))
    head_id_number_masked: Mapped[str | None] = mapped_column(String(18))
    head_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    case_id: Mapped[str | None] = mapped_column(String(64))
    case_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    entry_count: Mapped[int] = mapped_column(default=0)
    first_event_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_event_at: Mapped[datetime] = mapped_column(UtcDateTime)  # "updated at": the newest activity


class HouseholdPerson(Base):
    """A member's resident ID number as a keyed digest (HMAC-SHA256 with the portal's search key), so an officer can
    find a household by any member's ID number while the read model holds no ID number."""

    __tablename__ = "household_people"
    __table_args__ = {"info": {"event_exempt": READ_MODEL}}

    id_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(128), primary_key=True)


household_entries = HouseholdEntry.__table__
household_summaries = HouseholdSummary.__table__
household_people = HouseholdPerson.__table__
