"""gradual_exit's Alembic history builds exactly the tables its models declare (no drift), in its own version table."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from gradual_exit.models import metadata


def test_migrations_match_models(databases):
    engine = create_engine(databases.create("gradual_exit"))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "version_table": "alembic_version_gradual_exit"})
            assert compare_metadata(context, metadata) == []
            tables = set(inspect(conn).get_table_names())
        assert "alembic_version_gradual_exit" in tables and "alembic_version" not in tables
        assert {"outbox", "inbox", "idempotency_keys", "audit_log", "households", "participations", "observations",
                "exit_notices", "situations", "enrolments"} <= tables
    finally:
        engine.dispose()
