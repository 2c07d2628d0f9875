"""The body of every service's Alembic env.py: one history per service, in its own version table."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool


def run_migrations(context, metadata: MetaData, version_table: str) -> None:
    config = context.config
    connection = config.attributes.get("connection")
    opts = dict(target_metadata=metadata, version_table=version_table, render_as_batch=True, compare_type=True)
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return
    if connection is not None:
        context.configure(connection=connection, **opts)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, **opts)
        with context.begin_transaction():
            context.run_migrations()


def upgrade(url: str, script_location: str, revision: str = "head") -> None:
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)
