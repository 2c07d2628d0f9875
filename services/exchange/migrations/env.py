"""Alembic environment of exchange: its own history, in its own version table."""
from alembic import context

from exchange.models import metadata
from shared.alembic_env import run_migrations

run_migrations(context, metadata, version_table="alembic_version_exchange")
