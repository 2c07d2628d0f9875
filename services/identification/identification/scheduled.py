"""identification's timers: the daily-deadline check that raises identification.case.overdue and sets the metric."""
from __future__ import annotations

from prometheus_client import Gauge

from identification import handlers, repository
from identification.domain.calendar import local_date
from shared.emits import emits

CASES_OVERDUE = Gauge("identification_cases_overdue", "Open cases past their decision deadline")


@emits("identification.case.overdue")
def check_deadlines(runtime) -> int:
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        reported = handlers.report_overdue(session, svc)
        CASES_OVERDUE.set(repository.count_overdue_open(session, local_date(svc.clock.now())))
    return reported
