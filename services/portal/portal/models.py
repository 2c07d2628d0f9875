"""portal's tables (its own database): outbox, inbox, idempotency keys and the audit trail like every service; the
staff side adds its accounts and the household read model (portal.staff.household_tables) here."""
from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.access_audit import define_access_table
from shared.audit import define_audit_table
from shared.messaging_tables import define_messaging_tables

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


messaging = define_messaging_tables(Base.metadata)
audit_log = define_audit_table(Base.metadata)
access_log = define_access_table(Base.metadata)
metadata = Base.metadata

from portal.staff import tables as staff_tables  # noqa: E402,F401  (registers the staff tables on the metadata)
# Registered on Base.metadata by being imported (after Base exists: that module imports it from here).
from portal.staff import household_tables  # noqa: E402,F401
