"""Transactional outbox: events are written with the state change and published afterwards by a relay, in order."""
from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime, timezone

from sqlalchemy import BigInteger, Engine, any_, bindparam, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from shared.contracts import ContractRegistry
from shared.envelope import CONTENT_TYPE, Event
from shared.kafka_io import topic_for
from shared.messaging_tables import MessagingTables
from shared.observability import EVENTS_PUBLISHED, OUTBOX_BACKLOG, correlation_id

log = logging.getLogger(__name__)


class OutboxWriter:
    """Appends events to the service's outbox inside the caller's transaction; every event is checked against its contract first."""

    def __init__(self, tables: MessagingTables, registry: ContractRegistry, topic_prefix: str = ""):
        self.tables, self.registry, self.topic_prefix = tables, registry, topic_prefix

    def add(self, session: Session, event: Event) -> Event:
        if event.correlationid is None and correlation_id.get():
            event = Event(**{**event.__dict__, "correlationid": correlation_id.get()})
        payload = event.to_bytes()
        self.registry.validate(event.envelope())
        session.execute(insert(self.tables.outbox).values(
            event_id=event.id, event_type=event.type, topic=topic_for(event.type, self.topic_prefix),
            key=event.subject, payload=payload))
        return event


class OutboxRelay:
    """Publishes unsent outbox rows in id order (key = household id), then marks them sent.

    A crash after the send and before the mark sends the rows again; consumers' inboxes absorb that.
    On PostgreSQL one relay per service is active at a time, elected by an advisory lock: a second relay
    waits as a standby and takes over when the first dies. One active relay keeps every household's events
    in order (two relays taking rows with SKIP LOCKED could publish one household's events out of order),
    and lets the relay read without locking each row.
    """

    def __init__(self, service: str, engine: Engine, tables: MessagingTables, producer, batch_size: int = 500,
                 send_timeout_s: float = 30.0):
        self.service, self.engine, self.outbox = service, engine, tables.outbox
        self.producer, self.batch_size, self.send_timeout_s = producer, batch_size, send_timeout_s
        self._postgres = engine.dialect.name == "postgresql"
        self._lock_conn = None

    def _lock_key(self) -> int:
        return int.from_bytes(hashlib.sha256(f"outbox-relay:{self.engine.url.database}".encode()).digest()[:8], "big", signed=True)

    def acquire_leadership(self) -> bool:
        """True when this relay may publish (always on SQLite: one process owns the file)."""
        if not self._postgres:
            return True
        if self._lock_conn is not None:
            return True
        conn = self.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._lock_key()}).scalar_one()
        conn.commit()
        if got:
            self._lock_conn = conn
        else:
            conn.close()
        return bool(got)

    def release_leadership(self) -> None:
        if self._lock_conn is not None:
            try:
                self._lock_conn.close()  # closing the session releases the advisory lock
            finally:
                self._lock_conn = None

    def _select(self, after_id: int | None):
        o = self.outbox
        query = select(o.c.id, o.c.topic, o.c.key, o.c.payload).where(o.c.sent_at.is_(None))
        if after_id is not None:
            query = query.where(o.c.id > after_id)
        with self.engine.connect() as conn:
            return conn.execute(query.order_by(o.c.id).limit(self.batch_size)).all()

    def _mark(self, ids: list[int], **values) -> None:
        o = self.outbox
        which = o.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger))) if self._postgres else o.c.id.in_(ids)
        with self.engine.begin() as conn:
            conn.execute(update(o).where(which).values(**values))

    def _send(self, rows) -> None:
        """Sends the rows and waits for every acknowledgement; raises if any was not acknowledged."""
        futures = [self.producer.send(r.topic, key=r.key.encode(), value=bytes(r.payload),
                                      headers=[("content-type", CONTENT_TYPE.encode())]) for r in rows]
        self.producer.flush(timeout=self.send_timeout_s)
        for f in futures:
            f.get(timeout=self.send_timeout_s)

    def publish_batch(self) -> int:
        """One batch, synchronously: select, send, wait for the acks, mark sent."""
        rows = self._select(None)
        if rows:
            self._publish(rows)
            self._mark([r.id for r in rows], sent_at=datetime.now(timezone.utc))
        return len(rows)

    def _publish(self, rows) -> None:
        try:
            self._send(rows)
        except Exception as exc:
            self._mark([r.id for r in rows], attempts=self.outbox.c.attempts + 1, last_error=str(exc)[:2000])
            raise
        for r in rows:
            EVENTS_PUBLISHED.labels(self.service, r.topic).inc()

    def publish_pending(self, stop: threading.Event) -> int:
        """Publishes until the outbox is drained, overlapping database work with the broker round trips.

        Batch k+1 is selected while batch k is in flight, and batch k is marked sent (in a helper thread) while
        batch k+1 is in flight. Batch k+1 is only sent once batch k is acknowledged, so a failure can never
        publish a household's later event before its earlier one.
        """
        total = 0
        marker: threading.Thread | None = None
        rows = self._select(None)
        try:
            while rows and not stop.is_set():
                futures_done = threading.Event()
                ahead: list = []

                def select_ahead(after=rows[-1].id):
                    ahead.extend(self._select(after))
                    futures_done.set()

                prefetch = threading.Thread(target=select_ahead, daemon=True)
                prefetch.start()
                self._publish(rows)
                prefetch.join()
                if marker is not None:
                    marker.join()
                ids, now = [r.id for r in rows], datetime.now(timezone.utc)
                marker = threading.Thread(target=self._mark, args=(ids,), kwargs={"sent_at": now}, daemon=True)
                marker.start()
                total += len(rows)
                rows = ahead
        finally:
            if marker is not None:
                marker.join()
        return total

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(self.outbox).where(self.outbox.c.sent_at.is_(None))).scalar_one()
        OUTBOX_BACKLOG.labels(self.service).set(n)
        return n

    def run(self, stop: threading.Event, idle_seconds: float = 0.2, max_backoff_s: float = 5.0) -> None:
        backoff = idle_seconds
        try:
            while not stop.is_set():
                try:
                    if not self.acquire_leadership():
                        stop.wait(1.0)  # standby: another relay of this service is publishing
                        continue
                    sent = self.publish_pending(stop)
                    backoff = idle_seconds
                    if sent == 0:
                        self.backlog()
                        stop.wait(idle_seconds)
                except Exception as exc:  # broker or database away: keep the rows, retry with back-off
                    log.warning("outbox relay could not publish; will retry", extra={"error": str(exc)})
                    self.release_leadership()
                    try:  # the gauge must grow while the broker is away, which is when an operator looks at it
                        self.backlog()
                    except Exception:  # the database is away too: the last value stands
                        pass
                    stop.wait(backoff)
                    backoff = min(max_backoff_s, backoff * 2)
        finally:
            self.release_leadership()
