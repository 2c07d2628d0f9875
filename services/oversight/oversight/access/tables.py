"""The access read model: one row per recorded read of a household's personal data, from any service's events."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oversight.models import Base
from shared.db import UtcDateTime

READ_MODEL = "a read model of the services' access events: the events are theirs, oversight publishes none for them"


class AccessRecord(Base):
    """Who read which record of a household, when, from which address, which fields and why."""

    __tablename__ = "access_records"
    __table_args__ = (Index("ix_access_records_household_at", "household_id", "accessed_at"),
                      Index("ix_access_records_division_at", "division_code", "accessed_at"),
                      Index("ix_access_records_actor_at", "actor", "accessed_at"),
                      {"info": {"event_exempt": READ_MODEL}})

    access_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # a replayed event changes nothing
    event_id: Mapped[str] = mapped_column(String(64))
    service: Mapped[str] = mapped_column(String(20))
    accessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_area: Mapped[str] = mapped_column(String(12))
    actor_name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(45))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    household_id: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[str] = mapped_column(String(12))
    fields: Mapped[list] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(64))


access_records = AccessRecord.__table__
