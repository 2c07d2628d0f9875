"""Each service's Alembic history builds exactly the tables its models declare (no drift), in its own version table."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from tests.services import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_models(service, databases):
    import importlib
    metadata = importlib.import_module(f"{service}.models").metadata
    url = databases.create(service)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "version_table": f"alembic_version_{service}"}), metadata)
            assert diff == [], f"models and migrations of {service} differ: {diff}"
            tables = set(inspect(conn).get_table_names())
        assert f"alembic_version_{service}" in tables and "alembic_version" not in tables
        assert {"outbox", "inbox", "idempotency_keys"} <= tables
    finally:
        engine.dispose()
