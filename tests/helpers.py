"""Small helpers the integration tests share: building runtimes against test databases and counting rows."""
from __future__ import annotations

from sqlalchemy import func, select

from shared.contracts import registry


def discovery_runtime(db_url: str, bootstrap: str, prefix: str, **overrides):
    from discovery.bootstrap import build_runtime
    from discovery.config import Settings
    return build_runtime(Settings(database_url=db_url, kafka_bootstrap=bootstrap, topic_prefix=prefix,
                                  relay_idle_seconds=0.05, **overrides))


def identification_runtime(db_url: str, bootstrap: str, prefix: str, clock=None, **overrides):
    from identification.bootstrap import build_runtime
    from identification.config import Settings
    return build_runtime(Settings(database_url=db_url, kafka_bootstrap=bootstrap, topic_prefix=prefix,
                                  relay_idle_seconds=0.05, **overrides), clock=clock)


def count(runtime, table_or_model, *where) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table_or_model).where(*where)).scalar_one()


def assert_all_valid(envelopes: list[dict]) -> None:
    """Every event seen on the wire validates against its contract."""
    for envelope in envelopes:
        registry().validate(envelope)
