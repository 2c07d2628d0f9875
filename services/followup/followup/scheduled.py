"""followup's timer: overdue check-ins (one followup.checkin.overdue each), plans that reached their end, the metric."""
from __future__ import annotations

from prometheus_client import Gauge

from followup import handlers, repository
from shared.emits import emits

CHECKINS_OVERDUE = Gauge("followup_checkins_overdue", "Scheduled check-ins of active plans past their grace days")


@emits("followup.checkin.overdue", "followup.plan.completed")
def check_schedules(runtime) -> tuple[int, int]:
    """(overdue check-ins reported, plans completed) in one transaction; callable directly with a FixedClock."""
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        reported = handlers.report_overdue(session, svc)
        completed = handlers.complete_plans(session, svc)
        CHECKINS_OVERDUE.set(repository.count_overdue_open(session, svc.today()))
    return reported, completed
