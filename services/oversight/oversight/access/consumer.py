"""Kafka entry point of the access read model (group oversight.access): each service's access events, applied once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from oversight.access.tables import AccessRecord
from shared.emits import emits
from shared.envelope import Event
from shared.runtime import ConsumerSpec

CONSUMER = "access"
# Every service that serves a household's personal data to staff records the reads (shared.access_audit).
EVENT_TYPES = ("identification.access.recorded", "discovery.access.recorded", "portal.access.recorded")


@emits(none="the access log is oversight's read model of the services' access events; it publishes none")
def apply_access(session: Session, event: Event) -> None:
    d = event.data
    if session.get(AccessRecord, d["access_id"]) is not None:
        return
    actor = d["actor"]
    session.add(AccessRecord(
        access_id=d["access_id"], event_id=event.id, service=d["service"],
        accessed_at=datetime.fromisoformat(d["accessed_at"]), actor=actor["subject"], actor_role=actor["role"],
        actor_area=actor["area"], actor_name=actor.get("name", ""), address=d["address"],
        entity_type=d["entity_type"], entity_id=d["entity_id"], household_id=d["household_id"],
        division_code=d["division_code"], fields=list(d["fields"]), purpose=d["purpose"]))


def consumer_spec() -> ConsumerSpec:
    return ConsumerSpec(name=CONSUMER, handlers={t: apply_access for t in EVENT_TYPES})
