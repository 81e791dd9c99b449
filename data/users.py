"""Dashboard users: Argon2 password hashes, roles and unit bindings, account changes with an audit trail.

Usernames are NFKC-normalised and case-folded, and their confusable *skeleton* (Unicode TR39 homoglyphs from
``confusable_homoglyphs``) is unique, so ``Lead2`` or a Cyrillic ``lеad2`` cannot be created beside ``lead2``.
Passwords need :data:`MIN_PASSWORD_LENGTH` characters and a zxcvbn score of :data:`MIN_PASSWORD_SCORE` (its
frequency lists hold the common passwords, keyboard runs, repeats and dictionary words), must not be blank or
contain the username. Every change is written to the audit log (``data.audit``) in the same transaction, and
deactivation, a role change or a new password revoke the user's sessions everywhere (``data.sessions``).
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from confusable_homoglyphs import confusables
from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from data import audit
from data.config import Settings
from data.db import transaction
from data.i18n import translate
from data.schema import ResponsibleUnit, User, UserUnit
from data.sessions import revoke_user_sessions

logger = logging.getLogger(__name__)

Role = Literal["leader", "analyst", "operator", "unit"]
ROLES: tuple[str, ...] = get_args(Role)
UNIT_ROLE = "unit"
"""The role of a responsible unit's account: it sees only the cases of the units it is bound to."""
MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3
"""zxcvbn score 0-4; 3 = "safely unguessable" (about 10^8 guesses), enough behind Argon2 and the lockout."""
MAX_USERNAME_LENGTH = 100
MAX_FAILED_LOGINS = 5
"""Password checks in a row without success that lock an account (OWASP: lock out after a small number)."""
LOCKOUT = dt.timedelta(minutes=15)
"""How long a locked account refuses every login."""

_hasher = PasswordHasher()


class AccountError(ValueError):
    """A refused account change; ``code`` and ``params`` render it in any language (``users.error.<code>``)."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(translate(f"users.error.{code}", "en", **params))

    def text(self, language: str) -> str:
        """The message in ``language``."""
        return translate(f"users.error.{self.code}", language, **self.params)


@dataclass(frozen=True)
class UserInfo:
    """A user as the dashboard sees it (never the hash); ``units`` are responsible-unit codes."""

    id: int
    username: str
    role: str
    active: bool
    units: tuple[str, ...] = ()


def normalize_username(username: str) -> str:
    """NFKC-normalised, case-folded, stripped ``username``; AccountError when empty, too long or with spaces."""
    name = unicodedata.normalize("NFKC", username).casefold().strip()
    if not name or len(name) > MAX_USERNAME_LENGTH or any(ch.isspace() or not ch.isprintable() for ch in name):
        raise AccountError("bad_username", max=MAX_USERNAME_LENGTH)
    return name


def username_skeleton(name: str) -> str:
    """``name`` with every confusable character replaced by its Latin look-alike (``1``→``l``, Cyrillic ``е``→``e``)."""
    out = []
    for char in name:
        found = confusables.is_confusable(char, preferred_aliases=["latin"])
        latin = [g["c"] for g in found[0]["homoglyphs"] if g["c"].isascii()] if found else []
        out.append(latin[0].casefold() if latin else char)
    return "".join(out)


def _new_username(session: Session, username: str) -> tuple[str, str]:
    """(normalised name, skeleton) for a new account; AccountError for mixed scripts or a look-alike of a user."""
    name = normalize_username(username)
    if confusables.is_dangerous(name):
        raise AccountError("mixed_script", name=name)
    skeleton = username_skeleton(name)
    existing = session.scalar(
        select(User.username).where(or_(User.username == name, User.username_skeleton == skeleton))
    )
    if existing == name:
        raise AccountError("exists", name=name)
    if existing is not None:
        raise AccountError("confusable", name=name, other=existing)
    return name, skeleton


def check_password(password: str, username: str) -> None:
    """AccountError unless ``password`` is long, not blank, free of ``username`` and not guessable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("password_short", n=MIN_PASSWORD_LENGTH)
    if not password.strip():
        raise AccountError("password_blank")
    folded = unicodedata.normalize("NFKC", password).casefold()
    if username and normalize_username(username) in folded:
        raise AccountError("password_has_username")
    if zxcvbn(password[:200], user_inputs=[username])["score"] < MIN_PASSWORD_SCORE:
        raise AccountError("password_weak")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError("bad_role", role=role, roles=", ".join(ROLES))


def _unit_ids(session: Session, role: str, unit_codes: Iterable[str]) -> list[int]:
    """Ids of ``unit_codes``; a unit account needs at least one, other roles none."""
    codes = sorted(set(unit_codes))
    if role != UNIT_ROLE:
        if codes:
            raise AccountError("units_for_unit_role")
        return []
    if not codes:
        raise AccountError("unit_needs_units")
    query = select(ResponsibleUnit.code, ResponsibleUnit.id).where(ResponsibleUnit.code.in_(codes))
    found = {code: unit_id for code, unit_id in session.execute(query)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise AccountError("unknown_units", codes=", ".join(missing))
    return [found[code] for code in codes]


def _bind_units(session: Session, user_id: int, unit_ids: list[int]) -> None:
    session.execute(delete(UserUnit).where(UserUnit.user_id == user_id))
    session.add_all(UserUnit(user_id=user_id, unit_id=unit_id) for unit_id in unit_ids)


def _user(session: Session, username: str, *, lock: bool = False) -> User:
    query = select(User).where(User.username == normalize_username(username))
    user = session.scalar(query.with_for_update() if lock else query)
    if user is None:
        raise AccountError("no_such_user", name=username)
    return user


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    *,
    units: Iterable[str] = (),
    actor: str = audit.SYSTEM_ACTOR,
) -> UserInfo:
    """Create an active user with an Argon2id hash of ``password`` (unit accounts bound to ``units``).

    Raises AccountError (a ValueError) for an unknown role or unit, a weak password, a bad, existing or
    look-alike username.
    """
    _check_role(role)
    with transaction(engine) as session:
        name, skeleton = _new_username(session, username)
        check_password(password, name)
        unit_ids = _unit_ids(session, role, units)
        user = User(username=name, username_skeleton=skeleton, password_hash=_hasher.hash(password), role=role)
        session.add(user)
        session.flush()
        _bind_units(session, user.id, unit_ids)
        codes = tuple(sorted(set(units)))
        audit.record(session, actor, "user.create", name, role=role, units=list(codes))
    logger.info("created user %s with role %s", name, role)
    return UserInfo(user.id, name, role, True, codes)


def verify_password(engine: Engine, username: str, password: str, *, now: dt.datetime | None = None) -> UserInfo | None:
    """The user when ``password`` matches an active, unlocked account, else None (same answer for unknown users).

    Each check first *reserves* an attempt: one atomic ``UPDATE … SET failed_logins = failed_logins + 1 …
    RETURNING`` that succeeds only while the account is active, unlocked and below :data:`MAX_FAILED_LOGINS`.
    Parallel attempts therefore cannot run more than that many password checks. The check that reaches the
    limit and fails locks the account for :data:`LOCKOUT`; until then every attempt fails, right password or
    not, with the same answer and the same time as a wrong one (no account enumeration). A success, or a new
    password (:func:`set_password`), clears the count. A hash with outdated Argon2 parameters is upgraded.
    """
    now = now or dt.datetime.now(dt.UTC)
    try:
        name = normalize_username(username)
    except AccountError:
        name = ""
    with transaction(engine) as session:
        reserved = session.execute(
            update(User)
            .where(
                User.username == name,
                User.active.is_(True),
                or_(User.locked_until.is_(None), User.locked_until <= now),
                User.failed_logins < MAX_FAILED_LOGINS,
            )
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.id, User.password_hash, User.failed_logins)
            .execution_options(synchronize_session=False)
        ).first()
    if reserved is None:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
        return None
    user_id, stored_hash, attempts = reserved
    try:
        _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        if attempts >= MAX_FAILED_LOGINS:
            _lock(engine, user_id, name, now)
        return None
    with transaction(engine) as session:
        user = session.get(User, user_id)
        user.failed_logins = 0
        user.locked_until = None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        return UserInfo(user.id, user.username, user.role, user.active, _codes(session, user.id))


def _lock(engine: Engine, user_id: int, name: str, now: dt.datetime) -> None:
    with transaction(engine) as session:
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_logins=0, locked_until=now + LOCKOUT)
            .execution_options(synchronize_session=False)
        )
    logger.warning("user %s locked until %s after %d failed password checks", name, now + LOCKOUT, MAX_FAILED_LOGINS)


def set_password(engine: Engine, username: str, password: str, *, actor: str = audit.SYSTEM_ACTOR) -> int:
    """Replace a user's password, lift any login lock and end their sessions; the number of sessions ended."""
    with transaction(engine) as session:
        user = _user(session, username, lock=True)
        check_password(password, user.username)
        user.password_hash = _hasher.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        ended = revoke_user_sessions(session, user.id, "password")
        audit.record(session, actor, "user.password", user.username, sessions_ended=ended)
    return ended


def set_active(engine: Engine, username: str, active: bool, *, actor: str = audit.SYSTEM_ACTOR) -> int:
    """(De)activate a user; deactivation ends their sessions (returned: how many). Nobody deactivates themself."""
    with transaction(engine) as session:
        user = _user(session, username, lock=True)
        if not active and user.username == actor:
            raise AccountError("not_yourself")
        if user.active == active:
            return 0
        user.active = active
        ended = 0 if active else revoke_user_sessions(session, user.id, "deactivated")
        action = "user.activate" if active else "user.deactivate"
        audit.record(session, actor, action, user.username, sessions_ended=ended)
    return ended


def set_role(
    engine: Engine, username: str, role: str, *, units: Iterable[str] = (), actor: str = audit.SYSTEM_ACTOR
) -> int:
    """Change a user's role (and unit binding for ``unit``) and end their sessions; the number ended.

    Nobody changes their own role (an operator cannot lock the last operator seat by accident).
    """
    _check_role(role)
    with transaction(engine) as session:
        user = _user(session, username, lock=True)
        if user.username == actor:
            raise AccountError("not_yourself")
        unit_ids = _unit_ids(session, role, units)
        before = user.role
        user.role = role
        _bind_units(session, user.id, unit_ids)
        ended = revoke_user_sessions(session, user.id, "role")
        audit.record(
            session,
            actor,
            "user.role",
            user.username,
            before=before,
            after=role,
            units=sorted(set(units)),
            sessions_ended=ended,
        )
    return ended


def set_units(engine: Engine, username: str, units: Iterable[str], *, actor: str = audit.SYSTEM_ACTOR) -> None:
    """Re-bind a unit account to ``units`` (scope is re-read on every run, so sessions stay open)."""
    with transaction(engine) as session:
        user = _user(session, username, lock=True)
        unit_ids = _unit_ids(session, user.role, units)
        if user.role != UNIT_ROLE:
            raise AccountError("units_for_unit_role")
        before = list(_codes(session, user.id))
        _bind_units(session, user.id, unit_ids)
        audit.record(session, actor, "user.units", user.username, before=before, after=sorted(set(units)))


def _codes(session: Session, user_id: int) -> tuple[str, ...]:
    return tuple(
        session.scalars(
            select(ResponsibleUnit.code)
            .join(UserUnit, UserUnit.unit_id == ResponsibleUnit.id)
            .where(UserUnit.user_id == user_id)
            .order_by(ResponsibleUnit.code)
        )
    )


def list_users(engine: Engine) -> list[UserInfo]:
    """All users ordered by name, with their unit codes."""
    with transaction(engine) as session:
        bound: dict[int, list[str]] = {}
        for user_id, code in session.execute(
            select(UserUnit.user_id, ResponsibleUnit.code)
            .join(ResponsibleUnit, ResponsibleUnit.id == UserUnit.unit_id)
            .order_by(ResponsibleUnit.code)
        ):
            bound.setdefault(user_id, []).append(code)
        rows = session.scalars(select(User).order_by(User.username)).all()
        return [UserInfo(row.id, row.username, row.role, row.active, tuple(bound.get(row.id, ()))) for row in rows]


def unit_names(engine: Engine) -> dict[str, str]:
    """Responsible units an account can be bound to: code → name, by code."""
    with transaction(engine) as session:
        query = select(ResponsibleUnit.code, ResponsibleUnit.name).order_by(ResponsibleUnit.code)
        return {code: name for code, name in session.execute(query)}


def unit_scope(engine: Engine, user_id: int) -> frozenset[int] | None:
    """The responsible-unit ids whose cases ``user_id`` may see: None = all units (staff roles).

    A ``unit`` account gets the units it is bound to; an inactive or unknown user, or a unit account bound to
    nothing, gets the empty set (sees nothing). Queries filter ``responsible_unit_id IN scope`` when not None.
    """
    with transaction(engine) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return frozenset()
        if user.role != UNIT_ROLE:
            return None
        return frozenset(session.scalars(select(UserUnit.unit_id).where(UserUnit.user_id == user_id)))


def ensure_admin_from_env(engine: Engine, settings: Settings) -> UserInfo | None:
    """Create the first operator from ``ENVMON_ADMIN_USER`` / ``ENVMON_ADMIN_PASSWORD`` when both are set.

    Does nothing (returns None) when either is unset or that user already exists; no default password ships.
    """
    if not settings.admin_user or not settings.admin_password:
        return None
    name = normalize_username(settings.admin_user)
    with transaction(engine) as session:
        exists = session.scalar(select(func.count()).select_from(User).where(User.username == name))
    if exists:
        return None
    return create_user(engine, name, settings.admin_password, "operator")
