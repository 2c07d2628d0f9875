"""identification's timers: the daily-deadline check that raises identification.case.overdue and sets the metric, and
the check of economic-status requests past their due date (identification.verification.overdue)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge

from identification import handlers, repository, verification
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


VERIFICATION_NO_ANSWER = Gauge("identification_verification_departments_no_answer",
                               "Departments that did not answer an economic-status check by its due date")
VERIFICATION_OVERDUE = Counter("identification_verification_overdue_total",
                               "Departments moved to no answer after the due date of an economic-status check")


@emits("identification.verification.overdue")
def check_verifications(runtime) -> int:
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        moved = verification.report_no_answer(session, svc)
        VERIFICATION_NO_ANSWER.set(repository.count_verification_departments(session, "no_answer"))
    if moved:
        VERIFICATION_OVERDUE.inc(moved)
    return moved
