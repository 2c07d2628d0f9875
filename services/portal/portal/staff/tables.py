"""The staff side's own tables: officers' accounts and their sign-in sessions (the portal's database only).

Both are the portal's bookkeeping, not domain state another service needs, so they publish no event
(`event_exempt`); every sign-in, failure, lock-out, sign-out and password change is in the audit trail instead."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table

from portal.models import Base
from shared.db import UtcDateTime

EXEMPT = {"event_exempt": True}  # the portal's own sign-in records; audited, never published

staff_accounts = Table(
    "staff_accounts", Base.metadata,
    Column("login", String(64), primary_key=True),           # lower-case, [a-z0-9._-]
    Column("role", String(20), nullable=False),               # village | township | county
    Column("area", String(12), nullable=False),               # division-code prefix of ROLE_AREA_LENGTH[role] digits
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(255), nullable=False),     # argon2id, by argon2-cffi's PasswordHasher
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_attempts", Integer, nullable=False, default=0),  # failures in the current counting window
    Column("failed_window_started_at", UtcDateTime, nullable=True),  # first failure of that window
    Column("locked_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
    Column("last_sign_in_at", UtcDateTime, nullable=True),
    info=EXEMPT,
)

staff_sessions = Table(
    "staff_sessions", Base.metadata,
    # SHA-256 of the cookie's random value: a copy of the table does not hold a usable session
    Column("id", String(64), primary_key=True),
    Column("login", String(64), ForeignKey("staff_accounts.login", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),       # absolute end, however busy
    Column("idle_minutes", Integer, nullable=False),          # ends this long after last_seen_at
    info=EXEMPT,
)
Index("ix_staff_sessions_login", staff_sessions.c.login)
