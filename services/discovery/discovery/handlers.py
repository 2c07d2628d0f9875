"""discovery's use cases: one function per command; they write state and outbox rows, the caller's transaction commits."""
from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from discovery import repository
from discovery.api.schemas import ApplicationCreate
from discovery.models import Application, ApplicationMember
from shared.clock import Clock
from shared.envelope import Event
from shared.observability import correlation_id
from shared.outbox import OutboxWriter

SOURCE = "/services/discovery"


def submit_application(session: Session, outbox: OutboxWriter, clock: Clock, body: ApplicationCreate,
                       channel: str = "online") -> Application:
    """Records an application and its `discovery.application.submitted` event in the same transaction."""
    now = clock.now()
    household_id = repository.household_of_members(session, [m.id_number for m in body.members]) or str(uuid.uuid4())
    application = Application(
        id=str(uuid.uuid4()), household_id=household_id, channel=channel, status="submitted",
        division_code=body.division_code, applicant_name=body.applicant.name,
        applicant_id_number=body.applicant.id_number, applicant_phone=body.applicant.phone,
        household_monthly_income_yuan=body.household_monthly_income_yuan, hardship_reason=body.hardship_reason,
        hardship_description=body.hardship_description, consent_to_data_check=body.consent_to_data_check,
        submitted_at=now, correlation_id=correlation_id.get(),
        members=[ApplicationMember(position=i, name=m.name, id_number=m.id_number, relationship=m.relationship)
                 for i, m in enumerate(body.members)],
    )
    session.add(application)
    session.flush()
    outbox.add(session, Event(
        type="discovery.application.submitted", source=SOURCE, subject=household_id, time=now,
        data={
            "application_id": application.id,
            "household_id": household_id,
            "channel": channel,
            "submitted_at": now.isoformat(),
            "division_code": application.division_code,
            "applicant": {"name": body.applicant.name, "id_number": body.applicant.id_number,
                          "relationship": "self", "phone": body.applicant.phone},
            "members": [{"name": m.name, "id_number": m.id_number, "relationship": m.relationship} for m in body.members],
            "household_monthly_income_yuan": float(body.household_monthly_income_yuan),
            "hardship_reason": body.hardship_reason,
            "hardship_description": body.hardship_description,
            "consent_to_data_check": True,
        }))
    return application
