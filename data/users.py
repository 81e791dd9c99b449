"""Dashboard users: Argon2 password hashes, roles, and the first operator from the environment."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from data.config import Settings
from data.db import transaction
from data.schema import User

logger = logging.getLogger(__name__)

Role = Literal["leader", "analyst", "operator"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_LOGINS = 5
"""Wrong passwords in a row that lock an account (OWASP: lock out after a small number of failures)."""
LOCKOUT = dt.timedelta(minutes=15)
"""How long a locked account refuses every login."""

_hasher = PasswordHasher()


@dataclass(frozen=True)
class UserInfo:
    """A user as the dashboard sees it (never the hash)."""

    username: str
    role: str
    active: bool


def _check_role(role: str) -> None:
    if role not in ROLES:
        msg = f"unknown role {role!r}; expected one of {', '.join(ROLES)}"
        raise ValueError(msg)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        msg = f"password too short: at least {MIN_PASSWORD_LENGTH} characters are required"
        raise ValueError(msg)


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        msg = f"invalid username {username!r}: 1-100 characters, no spaces"
        raise ValueError(msg)
    return name


def create_user(engine: Engine, username: str, password: str, role: str) -> UserInfo:
    """Create an active user with an Argon2id hash of ``password``.

    Raises
    ------
    ValueError
        Unknown role, short password, bad or already existing username.
    """
    name = _check_username(username)
    _check_role(role)
    _check_password(password)
    with transaction(engine) as session:
        if session.scalar(select(User.id).where(User.username == name)) is not None:
            msg = f"user {name!r} already exists"
            raise ValueError(msg)
        session.add(User(username=name, password_hash=_hasher.hash(password), role=role, active=True))
    logger.info("created user %s with role %s", name, role)
    return UserInfo(name, role, True)


def verify_password(engine: Engine, username: str, password: str, *, now: dt.datetime | None = None) -> UserInfo | None:
    """The user when ``password`` matches an active, unlocked account, else None (same answer for unknown users).

    :data:`MAX_FAILED_LOGINS` wrong passwords in a row lock the account for :data:`LOCKOUT`: until then every
    attempt fails, right password or not, with the same answer and the same time as a wrong one (no account
    enumeration). A successful login, or a new password (:func:`set_password`), clears the count. A hash made
    with outdated Argon2 parameters is upgraded in place.
    """
    now = now or dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None or not user.active or (user.locked_until is not None and user.locked_until > now):
            _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
            return None
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            _count_failure(session, user, now)
            return None
        user.failed_logins = 0
        user.locked_until = None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return UserInfo(user.username, user.role, user.active)


def _count_failure(session: Session, user: User, now: dt.datetime) -> None:
    """Add one wrong password to ``user`` (atomically: parallel attempts all count); lock at the limit."""
    failures = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if failures >= MAX_FAILED_LOGINS:
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=0, locked_until=now + LOCKOUT)
            .execution_options(synchronize_session=False)
        )
        logger.warning("user %s locked until %s after %d wrong passwords", user.username, now + LOCKOUT, failures)


def set_password(engine: Engine, username: str, password: str) -> None:
    """Replace a user's password and lift any login lock. Raises ValueError for an unknown user or a short password."""
    _check_password(password)
    with transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == username.strip()))
        if user is None:
            msg = f"no such user {username!r}"
            raise ValueError(msg)
        user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None


def list_users(engine: Engine) -> list[UserInfo]:
    """All users ordered by name."""
    with transaction(engine) as session:
        rows = session.scalars(select(User).order_by(User.username)).all()
        return [UserInfo(row.username, row.role, row.active) for row in rows]


def ensure_admin_from_env(engine: Engine, settings: Settings) -> UserInfo | None:
    """Create the first operator from ``ENVMON_ADMIN_USER`` / ``ENVMON_ADMIN_PASSWORD`` when both are set.

    Does nothing (returns None) when either is unset or that user already exists; no default password ships.
    """
    if not settings.admin_user or not settings.admin_password:
        return None
    with transaction(engine) as session:
        exists = session.scalar(select(func.count()).select_from(User).where(User.username == settings.admin_user))
    if exists:
        return None
    return create_user(engine, settings.admin_user, settings.admin_password, "operator")
