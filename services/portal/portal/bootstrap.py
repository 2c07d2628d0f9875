"""The one place that wires portal's dependencies: its database, the clients of the services it fronts, and the
consumer of the household file's read model (group portal.household-file)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from portal.clients import ServiceClients
from portal.config import Settings
from portal.i18n import Catalogue, load_catalogue
from portal.models import messaging, metadata
from portal.staff import household_consumer
from portal.staff.accounts import StaffDirectory
from shared.clock import Clock
from shared.runtime import ServiceRuntime

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")
# The portal publishes only the record of officers' reads of its household file (shared.access_audit): citizens'
# actions are the other services' (discovery writes the application).
OWNED_TOPICS: list[str] = ["portal.access"]


@dataclass
class Services:
    clients: ServiceClients
    catalogue: Catalogue
    clock: Clock
    staff: StaffDirectory | None = None  # officers' accounts and sessions (wall clock, never the training one)


def build_runtime(settings: Settings | None = None, clock: Clock | None = None) -> ServiceRuntime:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, metadata, messaging, MIGRATIONS, OWNED_TOPICS)
    if clock is not None:
        runtime.clock = clock
    runtime.services = Services(clients=ServiceClients.from_settings(settings), catalogue=load_catalogue(),
                                clock=runtime.clock, staff=StaffDirectory(settings))
    runtime.consumers.append(household_consumer.consumer_spec(household_consumer.search_key(settings)))
    # An event type newer than this copy of the contracts, on a household topic, is kept generically, not dead-lettered.
    # The outbox is built first, so what the portal itself would publish is checked against the contracts alone.
    _ = runtime.outbox
    runtime.registry = household_consumer.HouseholdTopicsRegistry(runtime.registry)
    return runtime
