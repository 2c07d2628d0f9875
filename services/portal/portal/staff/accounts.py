"""Officers' accounts and sessions: the repository behind staff sign-in (portal.staff.session, portal.staff.routes).

Every function takes the caller's SQLAlchemy session and never commits: the request's unit of work
(shared.unit_of_work.transaction) does. Passwords are hashed and checked only by argon2-cffi's PasswordHasher
(argon2id). A session's cookie holds a random value; the table keeps its SHA-256, so a copy of the database holds
no usable session. Time is the wall clock, never the training clock: moving the training clock by a month must
not sign everybody out or lift a lock-out.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from portal.models import audit_log
from portal.staff.session import Officer
from portal.staff.tables import staff_accounts, staff_sessions
from shared.audit import record
from shared.auth import ROLE_AREA_LENGTH, STAFF_ROLES, Principal
from shared.clock import Clock, SystemClock

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
AREA = re.compile(r"\d+")
ENTITY = "staff_account"
MAX_PASSWORD = 256  # argon2 takes any length; a bound keeps one request from hashing megabytes


class AccountError(ValueError):
    """An account that cannot be created as asked; `rule` names the rule it breaks."""

    def __init__(self, field: str, rule: str, message: str):
        super().__init__(message)
        self.field, self.rule = field, rule


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = 5
    window: timedelta = timedelta(minutes=15)
    duration: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings) -> "LockoutPolicy":
        return cls(settings.lockout_attempts, timedelta(minutes=settings.lockout_window_minutes),
                   timedelta(minutes=settings.lockout_minutes))


@dataclass(frozen=True)
class FailureCount:
    attempts: int
    window_started_at: datetime | None
    locked_until: datetime | None


def after_failure(previous: FailureCount, now: datetime, policy: LockoutPolicy) -> FailureCount:
    """One more failed sign-in. Failures count within a window opened by the first of them; the one that reaches
    `policy.attempts` locks the account for `policy.duration` and starts the count afresh."""
    window_open = previous.window_started_at is not None and now - previous.window_started_at < policy.window
    attempts = previous.attempts + 1 if window_open else 1
    started = previous.window_started_at if window_open else now
    if attempts >= policy.attempts:
        return FailureCount(0, None, now + policy.duration)
    return FailureCount(attempts, started, None)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_login(login: str) -> str:
    return (login or "").strip().lower()


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: `officer` and the cookie's `token` when it succeeded, `locked_until` when
    the account is locked (now, or by this very attempt)."""

    officer: Officer | None = None
    token: str = ""
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.officer is not None


@dataclass(frozen=True)
class PasswordChange:
    ok: bool
    field: str = ""
    rule: str = ""


class StaffDirectory:
    """Accounts, sign-in with lock-out, sessions with idle and absolute expiry, password changes; each audited."""

    def __init__(self, settings, hasher: PasswordHasher | None = None, clock: Clock | None = None):
        self.settings = settings
        self.hasher = hasher or PasswordHasher()
        self.clock = clock or SystemClock()
        self.policy = LockoutPolicy.from_settings(settings)
        self._dummy_hash: str | None = None

    # -- accounts -------------------------------------------------------------------------------------------
    def create_account(self, session: Session, *, login: str, role: str, area: str, name: str, password: str,
                       by: Principal | None = None) -> dict:
        login = normal_login(login)
        if not LOGIN.fullmatch(login):
            raise AccountError("login", "login_format", "a login is 3 to 64 characters: a-z, 0-9, '.', '_' or '-', "
                                                        "starting with a letter or digit")
        if role not in STAFF_ROLES:
            raise AccountError("role", "role", f"the role is one of {', '.join(STAFF_ROLES)}")
        if not AREA.fullmatch(area or "") or len(area) != ROLE_AREA_LENGTH[role]:
            raise AccountError("area", "area_length",
                               f"a {role} officer's area is a {ROLE_AREA_LENGTH[role]}-digit division code")
        name = (name or "").strip()
        if not name or len(name) > 128:
            raise AccountError("name", "name_length", "the display name is 1 to 128 characters")
        self._check_new_password(password)
        if self.account(session, login) is not None:
            raise AccountError("login", "login_taken", f"the login {login!r} exists already")
        now = self.clock.now()
        values = dict(login=login, role=role, area=area, display_name=name, password_hash=self.hasher.hash(password),
                      active=True, failed_attempts=0, created_at=now, password_changed_at=now)
        session.execute(insert(staff_accounts).values(**values))
        self._audit(session, by or _actor_of(values), "staff.account_created", login,
                    details={"role": role, "area": area, "name": name})
        return self.account(session, login)

    def account(self, session: Session, login: str, for_update: bool = False) -> dict | None:
        query = select(staff_accounts).where(staff_accounts.c.login == normal_login(login))
        if for_update:
            query = query.with_for_update()
        row = session.execute(query).mappings().first()
        return dict(row) if row else None

    def _check_new_password(self, password: str) -> None:
        if not password or len(password) < self.settings.password_min_length:
            raise AccountError("password", "password_length",
                               f"a password has at least {self.settings.password_min_length} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError("password", "password_length", f"a password has at most {MAX_PASSWORD} characters")

    # -- sign-in --------------------------------------------------------------------------------------------
    def sign_in(self, session: Session, login: str, password: str, replaces: str | None = None) -> SignIn:
        """Checks the password (unless the account is locked), counts a failure, opens a new session on success.
        `replaces` is the session cookie the browser already had: it is ended, so the id never survives a
        sign-in (no session fixation)."""
        now = self.clock.now()
        if replaces:
            self.end_session(session, replaces, audit=False)
        password = (password or "")[:MAX_PASSWORD]
        account = self.account(session, login, for_update=True)
        if account is None or not account["active"]:
            self._verify(self._dummy(), password)  # the same work as for a real account: time tells nothing
            self._audit(session, _anonymous(login), "staff.sign_in_failed", login,
                        details={"reason": "unknown_login" if account is None else "inactive"})
            return SignIn()
        if is_locked(account["locked_until"], now):
            self._audit(session, _actor_of(account), "staff.sign_in_refused_locked", account["login"],
                        details={"locked_until": account["locked_until"].isoformat()})
            return SignIn(locked_until=account["locked_until"])
        if not self._verify(account["password_hash"], password):
            failed = after_failure(FailureCount(account["failed_attempts"], account["failed_window_started_at"], None),
                                   now, self.policy)
            session.execute(update(staff_accounts).where(staff_accounts.c.login == account["login"]).values(
                failed_attempts=failed.attempts, failed_window_started_at=failed.window_started_at,
                locked_until=failed.locked_until))
            self._audit(session, _actor_of(account), "staff.sign_in_failed", account["login"],
                        details={"reason": "wrong_password", "attempts": failed.attempts})
            if failed.locked_until:
                self._audit(session, _actor_of(account), "staff.account_locked", account["login"],
                            details={"locked_until": failed.locked_until.isoformat(),
                                     "after_attempts": self.policy.attempts})
            return SignIn(locked_until=failed.locked_until)
        changes: dict = dict(failed_attempts=0, failed_window_started_at=None, locked_until=None, last_sign_in_at=now)
        if self.hasher.check_needs_rehash(account["password_hash"]):
            changes["password_hash"] = self.hasher.hash(password)
        session.execute(update(staff_accounts).where(staff_accounts.c.login == account["login"]).values(**changes))
        token, officer = self._open_session(session, account, now)
        self._audit(session, _actor_of(account), "staff.sign_in", account["login"],
                    details={"session": officer.session_id[:12]})
        return SignIn(officer=officer, token=token)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    # -- sessions -------------------------------------------------------------------------------------------
    def _open_session(self, session: Session, account: dict, now: datetime) -> tuple[str, Officer]:
        token = secrets.token_urlsafe(32)
        row = dict(id=digest(token), login=account["login"], csrf_token=secrets.token_urlsafe(32), created_at=now,
                   last_seen_at=now, expires_at=now + timedelta(hours=self.settings.session_max_hours),
                   idle_minutes=self.settings.session_idle_minutes)
        # sessions of this officer that ended on their own are cleared when the next one opens
        session.execute(delete(staff_sessions).where(staff_sessions.c.login == account["login"],
                                                     staff_sessions.c.expires_at <= now))
        session.execute(insert(staff_sessions).values(**row))
        return token, _officer(account, row)

    def officer_for(self, session: Session, token: str | None) -> Officer | None:
        """The officer of a live session, its last-seen time refreshed; None when there is none (and an ended
        session is deleted)."""
        if not token or len(token) > 128:
            return None
        row = session.execute(select(staff_sessions, staff_accounts.c.role, staff_accounts.c.area,
                                     staff_accounts.c.display_name, staff_accounts.c.active)
                              .join(staff_accounts, staff_accounts.c.login == staff_sessions.c.login)
                              .where(staff_sessions.c.id == digest(token))).mappings().first()
        if row is None:
            return None
        now = self.clock.now()
        if not self.is_live(row, now) or not row["active"]:
            session.execute(delete(staff_sessions).where(staff_sessions.c.id == row["id"]))
            return None
        if now - row["last_seen_at"] >= timedelta(seconds=30):  # one write per half minute is enough for idleness
            session.execute(update(staff_sessions).where(staff_sessions.c.id == row["id"]).values(last_seen_at=now))
        return _officer(row, row)

    @staticmethod
    def is_live(row, now: datetime) -> bool:
        return now < row["expires_at"] and now < row["last_seen_at"] + timedelta(minutes=row["idle_minutes"])

    def end_session(self, session: Session, token: str, audit: bool = True) -> Officer | None:
        officer = self.officer_for(session, token)
        session.execute(delete(staff_sessions).where(staff_sessions.c.id == digest(token)))
        if officer is not None and audit:
            self._audit(session, _principal(officer), "staff.sign_out", officer.subject)
        return officer

    # -- the officer's own account --------------------------------------------------------------------------
    def change_password(self, session: Session, officer: Officer, current: str, new: str,
                        repeat: str) -> PasswordChange:
        """With the current password; the other sessions of the account end (a stolen one stops working)."""
        account = self.account(session, officer.subject, for_update=True)
        if account is None:
            return PasswordChange(False, "current_password", "wrong_password")
        if not self._verify(account["password_hash"], (current or "")[:MAX_PASSWORD]):
            self._audit(session, _principal(officer), "staff.password_change_refused", officer.subject,
                        details={"reason": "wrong_password"})
            return PasswordChange(False, "current_password", "wrong_password")
        try:
            self._check_new_password(new)
        except AccountError as exc:
            return PasswordChange(False, "new_password", exc.rule)
        if new != repeat:
            return PasswordChange(False, "repeat_password", "passwords_differ")
        if new == current:
            return PasswordChange(False, "new_password", "password_unchanged")
        session.execute(update(staff_accounts).where(staff_accounts.c.login == account["login"]).values(
            password_hash=self.hasher.hash(new), password_changed_at=self.clock.now()))
        session.execute(delete(staff_sessions).where(staff_sessions.c.login == account["login"],
                                                     staff_sessions.c.id != officer.session_id))
        self._audit(session, _principal(officer), "staff.password_changed", officer.subject)
        return PasswordChange(True)

    def _audit(self, session: Session, actor: Principal, action: str, login: str, details: dict | None = None) -> None:
        record(session, audit_log, actor=actor, at=self.clock.now(), action=action, entity_type=ENTITY,
               entity_id=normal_login(login)[:64], details=details)


def _officer(account, row) -> Officer:
    return Officer(subject=row["login"], role=account["role"], area=account["area"], name=account["display_name"],
                   session_id=row["id"], csrf_token=row["csrf_token"])


def _actor_of(account: dict) -> Principal:
    return Principal(account["login"], account["role"], account["area"], account["display_name"])


def _anonymous(login: str) -> Principal:
    return Principal(subject=normal_login(login)[:128] or "-", role="public", area="")


def _principal(officer: Officer) -> Principal:
    return Principal(officer.subject, officer.role, officer.area, officer.name)
