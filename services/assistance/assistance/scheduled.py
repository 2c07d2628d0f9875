"""assistance's timers: on a new day refresh waiting priorities, on a new period offer the renewed places to the
waitlist; on a new observation month pay the exit taper's share."""
from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy import func, select

from assistance import handlers
from assistance.models import Need
from shared.emits import emits

WAITING_NEEDS = Gauge("assistance_waiting_needs", "Needs waiting for a provider's place")


@emits("assistance.waitlist.reconsidered", "assistance.service.matched", "assistance.service.waitlisted")
def reconsider_daily(runtime) -> int:
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        matched = handlers.reconsider_on_new_day(session, svc)
        WAITING_NEEDS.set(session.execute(select(func.count()).select_from(Need)
                                          .where(Need.status == "waiting")).scalar_one())
    return matched


@emits("assistance.benefit.adjusted")
def taper_months(runtime) -> int:
    svc: handlers.Services = runtime.services
    with runtime.session_factory() as session, session.begin():
        return handlers.advance_tapers(session, svc)
