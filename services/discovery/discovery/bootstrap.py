"""The one place that wires discovery's dependencies."""
from __future__ import annotations

from pathlib import Path

from discovery.config import Settings
from discovery.models import messaging, metadata
from shared.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
OWNED_TOPICS = ["discovery.application"]


def build_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(settings or Settings(), metadata, messaging, MIGRATIONS, OWNED_TOPICS)
