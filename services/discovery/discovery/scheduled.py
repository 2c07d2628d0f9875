"""discovery's timer: clue verification visits past their due date raise discovery.clue.overdue (once per clue) and
are counted for Prometheus. Called directly in tests with a FixedClock."""
from __future__ import annotations

from prometheus_client import Counter, Gauge

from discovery import handlers, repository
from shared.emits import emits

CLUES_OVERDUE = Gauge("discovery_clues_overdue", "Risk clues whose verification visit is past its due date")
CLUES_OVERDUE_REPORTED = Counter("discovery_clues_overdue_reported",
                                 "Overdue risk clues reported (discovery.clue.overdue), each once")


@emits("discovery.clue.overdue")
def report_overdue_clues(runtime) -> int:
    ctx: handlers.Context = runtime.services
    with runtime.session_factory() as session, session.begin():
        reported = handlers.report_overdue_clues(session, ctx)
        overdue = repository.count_overdue_clues(session, ctx.today())
    CLUES_OVERDUE.set(overdue)  # after the commit: the gauge never counts a report that was rolled back
    CLUES_OVERDUE_REPORTED.inc(reported)
    return reported
