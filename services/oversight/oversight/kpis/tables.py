"""The KPI read model: one fact per case, clue, need, referral, feedback, objection, observation, exit, relapse and
petition, built from the services' events; a projection, so it publishes nothing (event_exempt)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oversight.models import Base
from shared.db import UtcDateTime

READ_MODEL = "the KPI read model is a projection of the services' events; it publishes none"


class KpiFact(Base):
    """What the events said about one thing (kind, id): its area and the timestamps and outcomes the KPIs need."""

    __tablename__ = "kpi_facts"
    __table_args__ = (Index("ix_kpi_facts_division", "division_code", "kind"),
                      Index("ix_kpi_facts_household", "household_id"),
                      {"info": {"event_exempt": READ_MODEL}})

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    household_id: Mapped[str | None] = mapped_column(String(64))
    division_code: Mapped[str | None] = mapped_column(String(12))  # None until an event names the household's area
    attrs: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
