"""Consumer runner: validate each event, apply it once (inbox) in one DB transaction, commit offsets after the DB, dead-letter what cannot pass."""
from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from shared.contracts import ContractRegistry, ContractViolation
from shared.envelope import Event, UndecodableEvent, decode, from_envelope
from shared.kafka_io import DLT_SUFFIX
from shared.messaging_tables import MessagingTables
from shared.observability import (
    CONSUMER_LAG,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_RETRIED,
    correlation_id,
)
from shared.unit_of_work import check_event_since, event_checkpoint, install_event_guard

log = logging.getLogger(__name__)

Handler = Callable[[Session, Event], None]
# The topic of the record a handler is applying (e.g. partner.signal.<department>: the broker's ACLs prove who wrote it).
current_topic: contextvars.ContextVar[str | None] = contextvars.ContextVar("current_topic", default=None)


class PermanentError(Exception):
    """A handler's verdict that this event can never be applied (e.g. it contradicts the service's state): no retries."""


class DatabaseUnavailable(Exception):
    pass


@dataclass
class _Incoming:
    record: object
    event: Event | None = None
    error: Exception | None = None
    ignored: bool = False


class ConsumerRunner:
    def __init__(self, *, service: str, name: str, consumer, producer, session_factory: sessionmaker[Session],
                 engine: Engine, tables: MessagingTables, registry: ContractRegistry, handlers: dict[str, Handler],
                 max_retries: int = 3, retry_backoff_s: float = 0.2, batch_transactions: bool = True):
        self.service, self.name, self.consumer, self.producer = service, name, consumer, producer
        self.session_factory, self.engine, self.inbox = session_factory, engine, tables.inbox
        self.registry, self.handlers = registry, handlers
        self.max_retries, self.retry_backoff_s, self.batch_transactions = max_retries, retry_backoff_s, batch_transactions
        # A handler that changes state must publish it; the outbox table's metadata is the service's own.
        install_event_guard(session_factory, tables.outbox.metadata, service=service)

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, stop: threading.Event, poll_timeout_ms: int = 500) -> None:
        db_backoff = self.retry_backoff_s
        while not stop.is_set():
            batch = self.consumer.poll(timeout_ms=poll_timeout_ms)
            if batch:
                try:
                    self.process(batch)
                    db_backoff = self.retry_backoff_s
                except DatabaseUnavailable as exc:
                    # Nothing of this batch is committed: rewind and wait for the database to come back.
                    log.warning("database unavailable; pausing consumption", extra={"error": str(exc)})
                    for tp, records in batch.items():
                        self.consumer.seek(tp, records[0].offset)
                    stop.wait(db_backoff)
                    db_backoff = min(10.0, db_backoff * 2)
            self._record_lag()

    def process(self, batch: dict[TopicPartition, list]) -> None:
        """One poll's records: dead-letter what fails its contract, apply the rest in one transaction, then commit offsets."""
        incoming = [self._decode(r) for records in batch.values() for r in records]
        bad = [i for i in incoming if i.error is not None]
        good = [i for i in incoming if i.error is None and not i.ignored]
        for item in incoming:
            if item.ignored:
                EVENTS_CONSUMED.labels(self.service, self.name, item.record.topic, "ignored").inc()
        for item in bad:
            self._dead_letter(item.record, item.error, "contract")
        failed: list[tuple[_Incoming, Exception]] = []
        if good:
            if self.batch_transactions and len(good) > 1:
                try:
                    self._apply(good)
                except DatabaseUnavailable:
                    raise
                except Exception:  # find the culprit: one transaction per event, with retries
                    failed = self._apply_one_by_one(good)
            else:
                failed = self._apply_one_by_one(good)
        for item, exc in failed:
            self._dead_letter(item.record, exc, "handler")
        if bad or failed:
            self.producer.flush(timeout=30)
        # Only now, after the database commit (and the DLT acks), does the group move on.
        self.consumer.commit({tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in batch.items()})

    # -- steps ------------------------------------------------------------------------------------
    def _decode(self, record) -> _Incoming:
        try:
            envelope = decode(record.value)
            self.registry.validate(envelope)
            if envelope["type"] not in self.handlers:
                # A topic carries every event of its aggregate; this consumer wants only some of them.
                return _Incoming(record, ignored=True)
            return _Incoming(record, from_envelope(envelope))
        except (UndecodableEvent, ContractViolation) as exc:
            return _Incoming(record, error=exc)
        except Exception as exc:  # the SDK refused the envelope
            return _Incoming(record, error=UndecodableEvent(str(exc)))

    def _apply(self, items: list[_Incoming]) -> None:
        """Applies the items in one transaction, skipping events this consumer has already applied."""
        try:
            with self.session_factory() as session, session.begin():
                ids = [i.event.id for i in items]
                seen = set(session.execute(select(self.inbox.c.event_id).where(
                    self.inbox.c.consumer == self.name, self.inbox.c.event_id.in_(ids))).scalars())
                applied, inbox_rows = [], []
                for item in items:
                    ev = item.event
                    if ev.id in seen:
                        EVENTS_CONSUMED.labels(self.service, self.name, item.record.topic, "duplicate").inc()
                        continue
                    seen.add(ev.id)
                    token = correlation_id.set(ev.correlationid)
                    topic_token = current_topic.set(item.record.topic)
                    mark = event_checkpoint(session)
                    try:
                        self.handlers[ev.type](session, ev)
                    finally:
                        current_topic.reset(topic_token)
                        correlation_id.reset(token)
                    # In a batch each event's handler must publish its own change (one event cannot excuse another).
                    check_event_since(session, mark, f"{self.name} handling {ev.type}")
                    inbox_rows.append(dict(consumer=self.name, event_id=ev.id, event_type=ev.type, topic=item.record.topic,
                                           partition=item.record.partition, offset=item.record.offset))
                    applied.append(item)
                if inbox_rows:
                    session.execute(insert(self.inbox), inbox_rows)
        except DBAPIError as exc:
            if not self._database_up():
                raise DatabaseUnavailable(str(exc)) from exc
            raise
        for item in applied:
            EVENTS_CONSUMED.labels(self.service, self.name, item.record.topic, "applied").inc()

    def _apply_one_by_one(self, items: list[_Incoming]) -> list[tuple[_Incoming, Exception]]:
        failed = []
        for item in items:
            for attempt in range(self.max_retries + 1):
                try:
                    self._apply([item])
                    break
                except DatabaseUnavailable:
                    raise
                except PermanentError as exc:
                    failed.append((item, exc))
                    break
                except Exception as exc:
                    if attempt == self.max_retries:
                        failed.append((item, exc))
                        break
                    EVENTS_RETRIED.labels(self.service, self.name, item.record.topic).inc()
                    log.warning("handler failed; retrying", extra={"event_id": item.event.id, "error": repr(exc)})
                    time.sleep(self.retry_backoff_s * (2 ** attempt))
        return failed

    def _dead_letter(self, record, error: Exception, reason: str) -> None:
        headers = [
            ("dlt.reason", reason.encode()),
            ("dlt.error", f"{type(error).__name__}: {error}"[:4000].encode("utf-8", "replace")),
            ("dlt.consumer", self.name.encode()),
            ("dlt.source.topic", record.topic.encode()),
            ("dlt.source.partition", str(record.partition).encode()),
            ("dlt.source.offset", str(record.offset).encode()),
        ]
        self.producer.send(record.topic + DLT_SUFFIX, key=record.key, value=record.value, headers=headers)
        EVENTS_DEAD_LETTERED.labels(self.service, self.name, record.topic, reason).inc()
        log.error("event dead-lettered", extra={"topic": record.topic, "partition": record.partition,
                                                "offset": record.offset, "error": str(error)})

    def _database_up(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def _record_lag(self) -> None:
        try:
            for tp in self.consumer.assignment():
                high = self.consumer.highwater(tp)
                if high is not None:
                    CONSUMER_LAG.labels(self.service, self.name, tp.topic, str(tp.partition)).set(
                        max(0, high - self.consumer.position(tp)))
        except Exception:  # lag is informational; never stop consuming for it
            pass
