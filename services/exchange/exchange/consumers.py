"""Kafka entrypoint: keep the household roster from the internal events and project each event under every
agreement onto the partner streams (outbox rows on partner.<department>.<stream>)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from exchange import projector
from shared.emits import emits
from shared.envelope import Event


def handlers_for(svc) -> dict:
    @emits(none="keeps the household roster (a copy of other services' events, no state of exchange's own)")
    def keep_roster(session: Session, event: Event) -> None:
        projector.update_roster(session, event)

    partner_types = sorted({t for a in svc.agreements for t in a.partner_types()})
    handlers = {t: keep_roster for t in projector.ROSTER_TYPES}
    if partner_types:
        @emits(*partner_types)
        def project(session: Session, event: Event) -> None:
            projector.apply(session, svc, event)

        handlers.update({t: project for t in projector.source_types(svc.agreements)})
    return handlers
