"""oversight's timer: petitions past their acceptance or reply deadline (one oversight.petition.overdue each)."""
from __future__ import annotations

from prometheus_client import Gauge

from oversight import handlers, repository
from shared.emits import emits

PETITIONS_OVERDUE = Gauge("oversight_petitions_overdue", "Open petitions past their acceptance or reply deadline")


@emits("oversight.petition.overdue")
def check_deadlines(runtime) -> int:
    """The overdue petitions reported, in one transaction; callable directly with a FixedClock."""
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        reported = handlers.report_overdue(session, svc)
        PETITIONS_OVERDUE.set(repository.count_overdue_open(session, svc.today()))
    return reported
