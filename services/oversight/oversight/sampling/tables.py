"""Sampling's tables on oversight's metadata: the population read model (fed by events; exempt from the event
guard, as it publishes nothing), the samples drawn and their files with the re-check outcomes."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.models import Base
from shared.db import UtcDateTime

READ_MODEL = "oversight's copy of identification's and gradual exit's decisions (the sampling population)"


class PopulationFileRow(Base):
    """One decided file: an enrolment, a refusal or an exit, with its area and who handled it."""

    __tablename__ = "sampling_population"
    __table_args__ = (Index("ix_sampling_population_kind_area", "kind", "division_code", "decided_on"),
                      {"info": {"event_exempt": READ_MODEL}})

    file_id: Mapped[str] = mapped_column(String(90), primary_key=True)  # "<kind>:<case or exit id>"
    kind: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[str | None] = mapped_column(String(64), index=True)
    household_id: Mapped[str] = mapped_column(String(64), index=True)
    file_number: Mapped[str | None] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(12), default="")
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_on: Mapped[date] = mapped_column(Date)  # China date
    handlers: Mapped[list] = mapped_column(JSON, default=list)


class CaseHandlerRow(Base):
    """Who worked on a case (assessment, township review) or a household's exit (situations recorded), and its
    area, as they arrive: the decision event itself does not name them."""

    __tablename__ = "sampling_case_handlers"
    __table_args__ = {"info": {"event_exempt": READ_MODEL}}

    key: Mapped[str] = mapped_column(String(90), primary_key=True)  # "case:<id>" | "household:<id>"
    division_code: Mapped[str | None] = mapped_column(String(12))
    handlers: Mapped[list] = mapped_column(JSON, default=list)


class Sample(Base):
    """One draw: its parameters and seed (enough to draw it again) and the population it was drawn from."""

    __tablename__ = "samples"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    area: Mapped[str] = mapped_column(String(12), index=True)
    kinds: Mapped[list] = mapped_column(JSON)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    size: Mapped[int] = mapped_column(Integer)
    stratify_by: Mapped[str] = mapped_column(String(10))
    seed: Mapped[int] = mapped_column(BigInteger)
    population_size: Mapped[int] = mapped_column(Integer)
    stratum_sizes: Mapped[dict] = mapped_column(JSON)
    allocation: Mapped[dict] = mapped_column(JSON)
    rule_version: Mapped[str] = mapped_column(String(40))
    drawn_by: Mapped[str] = mapped_column(String(128))
    drawn_at: Mapped[datetime] = mapped_column(UtcDateTime)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class SampleFile(Base):
    """A file in a sample: whom it is assigned to for re-check and the outcome recorded."""

    __tablename__ = "sample_files"

    sample_id: Mapped[str] = mapped_column(ForeignKey("samples.id"), primary_key=True)
    file_id: Mapped[str] = mapped_column(String(90), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    stratum: Mapped[str] = mapped_column(String(40))
    household_id: Mapped[str] = mapped_column(String(64))
    file_number: Mapped[str | None] = mapped_column(String(40))
    division_code: Mapped[str] = mapped_column(String(12))
    case_handlers: Mapped[list] = mapped_column(JSON)
    assigned_to: Mapped[str | None] = mapped_column(String(128))
    outcome: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str | None] = mapped_column(String(128))
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    weight: Mapped[float] = mapped_column(Float)  # N_h / n_h, for whoever re-weights
