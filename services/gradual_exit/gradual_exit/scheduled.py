"""gradual_exit's timers: observation periods whose time is up go to the exit review (or revert), and overdue
periodic reviews raise gradual_exit.review.due; both can be called directly in tests with a FixedClock."""
from __future__ import annotations

from prometheus_client import Gauge

from gradual_exit import handlers, repository
from gradual_exit.domain.calendar import local_date
from shared.emits import emits

REVIEWS_OVERDUE = Gauge("gradual_exit_reviews_overdue", "Households whose periodic review is overdue")


@emits("gradual_exit.observation.completed", "gradual_exit.observation.reverted")
def complete_observations(runtime) -> int:
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        return handlers.complete_observations(session, svc)


@emits("gradual_exit.review.due")
def report_due_reviews(runtime) -> int:
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        reported = handlers.report_due_reviews(session, svc)
        REVIEWS_OVERDUE.set(repository.count_reviews_overdue(session, local_date(svc.clock.now())))
    return reported
