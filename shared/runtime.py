"""Wires a service's database, outbox relay and consumers, and runs them as threads or as separate processes."""
from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

from sqlalchemy import MetaData

from shared.alembic_env import upgrade
from shared.clock import Clock, SystemClock
from shared.config import ServiceSettings
from shared.consumer import ConsumerRunner, Handler
from shared.contracts import registry
from shared.db import make_engine, make_session_factory
from shared.kafka_io import ensure_topics, make_consumer, make_producer, topic_configs, topic_for
from shared.messaging_tables import MessagingTables
from shared.observability import configure_logging
from shared.outbox import OutboxRelay, OutboxWriter
from shared.training import ConfigurationError, check_startup, training_clock

# How often, in training mode, a periodic job looks whether the training clock jumped (then it runs at once).
TRAINING_CLOCK_POLL_SECONDS = 0.5

log = logging.getLogger(__name__)


@dataclass
class ConsumerSpec:
    """A named consumer: the event types it handles (their topics follow from the types) and a handler for each."""

    name: str
    handlers: dict[str, Handler]
    extra_topics: list[str] = field(default_factory=list)

    def topics(self, prefix: str) -> list[str]:
        return sorted({topic_for(t, prefix) for t in self.handlers} | {prefix + t for t in self.extra_topics})


class _TrainingOutboxWriter(OutboxWriter):
    """On the training clock an event's CloudEvents `time` is training time too, like the timestamps in its data
    (events are otherwise stamped with the system time when created)."""

    def __init__(self, *args, clock: Clock):
        super().__init__(*args)
        self.clock = clock

    def add(self, session, event):
        return super().add(session, dataclasses.replace(event, time=self.clock.now()))


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, metadata: MetaData, tables: MessagingTables, migrations_dir: str,
                 owned_topics: list[str]):
        self.settings, self.metadata, self.tables = settings, metadata, tables
        self.migrations_dir, self.owned_topics = migrations_dir, owned_topics
        # training mode: the shared, persisted training clock (refused without the dev token issuer)
        self.training_clock = training_clock(settings)
        self.clock: Clock = self.training_clock or SystemClock()
        self.services: object | None = None  # the service's own use-case dependencies, set by its bootstrap
        self.consumers: list[ConsumerSpec] = []
        # (name, every_seconds, job): timers such as deadline checks; each job gets the runtime
        self.periodic: list[tuple[str, float, Callable[["ServiceRuntime"], None]]] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @cached_property
    def engine(self):
        return make_engine(self.settings.sqlalchemy_url())

    @cached_property
    def session_factory(self):
        return make_session_factory(self.engine)

    @cached_property
    def registry(self):
        return registry()

    @cached_property
    def outbox(self) -> OutboxWriter:
        if self.training_clock is not None:
            return _TrainingOutboxWriter(self.tables, self.registry, self.settings.topic_prefix, clock=self.training_clock)
        return OutboxWriter(self.tables, self.registry, self.settings.topic_prefix)

    def topics(self) -> list[str]:
        return [self.settings.topic_prefix + t for t in self.owned_topics]

    def migrate(self) -> None:
        upgrade(self.settings.sqlalchemy_url(), self.migrations_dir)

    def ensure_topics(self) -> None:
        wanted = set(self.topics())
        for spec in self.consumers:
            wanted |= set(spec.topics(self.settings.topic_prefix))
        ensure_topics(self.settings.kafka_bootstrap, sorted(wanted),
                      configs=topic_configs(sorted(wanted), self.settings.topic_prefix),
                      security=self.settings.kafka_security())

    # -- workers ------------------------------------------------------------------------------
    def relay(self) -> OutboxRelay:
        producer = make_producer(self.settings.kafka_bootstrap, linger_ms=self.settings.producer_linger_ms,
                                 security=self.settings.kafka_security())
        return OutboxRelay(self.settings.service_name, self.engine, self.tables, producer,
                           batch_size=self.settings.relay_batch_size)

    def consumer_runner(self, spec: ConsumerSpec) -> ConsumerRunner:
        s = self.settings
        consumer = make_consumer(s.kafka_bootstrap, f"{s.group()}.{spec.name}", spec.topics(s.topic_prefix),
                                 max_records=s.consumer_max_records, security=s.kafka_security())
        producer = make_producer(s.kafka_bootstrap, linger_ms=s.producer_linger_ms, security=s.kafka_security())
        return ConsumerRunner(service=s.service_name, name=spec.name, consumer=consumer, producer=producer,
                              session_factory=self.session_factory, engine=self.engine, tables=self.tables,
                              registry=self.registry, handlers=spec.handlers, max_retries=s.consumer_max_retries,
                              retry_backoff_s=s.consumer_retry_backoff_seconds)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        def guarded():
            while not self._stop.is_set():
                try:
                    target()
                    return
                except Exception:  # e.g. broker away at start: the worker retries instead of dying
                    log.exception("worker %s failed; restarting in 2 s", name)
                    self._stop.wait(2.0)
        t = threading.Thread(target=guarded, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def start_workers(self, relay: bool | None = None, consumers: bool | None = None) -> None:
        self._stop.clear()
        from shared.unit_of_work import install_runtime_guard

        install_runtime_guard(self)  # timers in a worker-only process are guarded like the API and consumers
        # a service that owns no topic (the portal) publishes nothing; on a broker with ACLs its principal may not
        # even start an idempotent producer (that needs a topic to write)
        if (self.settings.run_relay if relay is None else relay) and self.owned_topics:
            self._spawn("relay", self._run_relay)
        if self.settings.run_consumers if consumers is None else consumers:
            for spec in self.consumers:
                self._spawn(f"consumer-{spec.name}", lambda spec=spec: self._run_consumer(spec))
            for name, every, job in self.periodic:
                self._spawn(f"timer-{name}", lambda every=every, job=job: self._run_periodic(every, job))

    def _run_periodic(self, every: float, job: Callable[["ServiceRuntime"], None]) -> None:
        """Runs `job` every `every` seconds and, on the training clock, also right after the clock jumps (in
        whichever process it was moved), so deadlines, reviews and check-ins catch up at once. The jobs compare
        with clock.now(), so one run after a jump handles everything that fell due during it."""
        watched = self.training_clock
        seen = watched.version() if watched else None
        next_run = time.monotonic() + every
        while True:
            wait = max(0.0, next_run - time.monotonic())
            if self._stop.wait(min(wait, TRAINING_CLOCK_POLL_SECONDS) if watched else wait):
                return
            jumped = watched is not None and watched.version() != seen
            if jumped or time.monotonic() >= next_run:
                if watched:
                    seen = watched.version()
                next_run = time.monotonic() + every
                job(self)

    def _run_relay(self) -> None:
        self.ensure_topics()
        relay = self.relay()
        try:
            relay.run(self._stop, self.settings.relay_idle_seconds)
        finally:
            relay.producer.close(timeout=5)

    def _run_consumer(self, spec: ConsumerSpec) -> None:
        self.ensure_topics()
        runner = self.consumer_runner(spec)
        try:
            runner.run(self._stop)
        finally:
            runner.consumer.close(autocommit=False)
            runner.producer.close(timeout=5)

    def stop_workers(self, timeout: float = 15.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()


def main(runtime_factory: Callable[[], ServiceRuntime], app_path: str, argv: list[str] | None = None) -> None:
    """`python -m <service> api|worker|relay|consumer|migrate`: one process entry point per service."""
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["api", "worker", "relay", "consumer", "migrate"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    try:
        runtime = runtime_factory()
        check_startup(runtime.settings, serving_api=args.command == "api")
    except ConfigurationError as exc:
        sys.exit(f"refusing to start: {exc}")
    configure_logging(runtime.settings.service_name, runtime.settings.log_level)
    runtime.migrate()
    if args.command == "migrate":
        return
    if args.command == "api":
        import uvicorn

        uvicorn.run(app_path, factory=True, host=args.host, port=args.port, log_config=None, access_log=False)
        return
    runtime.ensure_topics()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime.start_workers(relay=args.command in ("worker", "relay"), consumers=args.command in ("worker", "consumer"))
    stop.wait()
    runtime.stop_workers()
