"""identification's event handlers: one function per incoming event; state and outbox rows in the caller's transaction."""
from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.orm import Session

from identification import repository
from identification.models import Case
from shared.clock import Clock
from shared.envelope import Event
from shared.outbox import OutboxWriter

SOURCE = "/services/identification"


def open_case_for_application(session: Session, event: Event, outbox: OutboxWriter, clock: Clock) -> Case:
    """discovery.application.submitted -> one case per application, and identification.case.opened."""
    data = event.data
    existing = repository.case_for_application(session, data["application_id"])
    if existing is not None:  # the inbox already absorbs redeliveries; this also covers a replay into a live database
        return existing
    now = clock.now()
    case = Case(id=str(uuid.uuid4()), household_id=data["household_id"], application_id=data["application_id"],
                division_code=data["division_code"], status="opened", channel=data["channel"],
                applicant_name=data["applicant"]["name"], member_count=len(data["members"]),
                household_monthly_income_yuan=Decimal(str(data["household_monthly_income_yuan"])),
                hardship_reason=data["hardship_reason"], opened_at=now, correlation_id=event.correlationid)
    session.add(case)
    session.flush()
    outbox.add(session, event.caused("identification.case.opened", SOURCE, {
        "case_id": case.id, "household_id": case.household_id, "application_id": case.application_id,
        "division_code": case.division_code, "status": case.status, "opened_at": now.isoformat(),
        "member_count": case.member_count}))
    return case
