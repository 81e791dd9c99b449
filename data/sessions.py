"""Dashboard sessions stored server-side: a random cookie token of which only the SHA-256 is kept.

A login creates a row with a one-time *handoff code* (valid :data:`HANDOFF_TTL`); the browser exchanges it
for the long token in an HttpOnly cookie (:func:`redeem_handoff`, called by the dashboard's cookie route), so
the token itself never passes through the page. Every dashboard run then resolves the session
(:func:`resolve`) and gets the user's *current* role, state and units from the database: a deactivated,
demoted or re-passworded user's sessions are revoked (:func:`revoke_user_sessions`) and an open tab loses its
rights at its next interaction.

Tokens come from :func:`secrets.token_urlsafe` (256 bits); a hash of such a token cannot be reversed, so a
copy of the table does not let anyone sign in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from data.config import Settings
from data.db import transaction
from data.schema import ResponsibleUnit, User, UserSession, UserUnit

HANDOFF_TTL = dt.timedelta(seconds=60)
"""How long the one-time code that turns into the cookie stays valid."""
TOUCH_EVERY = dt.timedelta(seconds=60)
"""``last_seen_at`` is written at most this often per session (not on every rerun)."""
KEEP_ENDED = dt.timedelta(days=30)
"""Ended sessions older than this are deleted when a new session starts."""


@dataclass(frozen=True)
class SessionPolicy:
    """Idle and absolute lifetimes of a session (``Settings.session_idle_minutes`` / ``session_max_hours``)."""

    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=12)

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        """The lifetimes configured in ``settings`` (env ``ENVMON_SESSION_IDLE_MINUTES`` / ``…_MAX_HOURS``)."""
        return cls(dt.timedelta(minutes=settings.session_idle_minutes), dt.timedelta(hours=settings.session_max_hours))


@dataclass(frozen=True)
class SessionUser:
    """Who a live session belongs to, read fresh from the database on every run."""

    session_id: int
    user_id: int
    username: str
    role: str
    units: tuple[str, ...]


def token_hash(token: str) -> str:
    """Hex SHA-256 of a token or handoff code (what the table stores)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def start(engine: Engine, user_id: int, policy: SessionPolicy, *, now: dt.datetime | None = None) -> tuple[int, str]:
    """A new session for ``user_id``: ``(session id, one-time handoff code)``; ended sessions long past are purged."""
    now = now or _utcnow()
    code = secrets.token_urlsafe(32)
    with transaction(engine) as session:
        session.execute(delete(UserSession).where(UserSession.expires_at < now - KEEP_ENDED))
        row = UserSession(
            user_id=user_id,
            handoff_hash=token_hash(code),
            handoff_expires_at=now + HANDOFF_TTL,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
        )
        session.add(row)
        session.flush()
        return row.id, code


def redeem_handoff(engine: Engine, code: str, *, now: dt.datetime | None = None) -> tuple[str, dt.datetime] | None:
    """Exchange a handoff code (once, before it expires) for ``(cookie token, session end)``; None if invalid."""
    now = now or _utcnow()
    token = secrets.token_urlsafe(32)
    with transaction(engine) as session:
        expires_at = session.execute(
            update(UserSession)
            .where(
                UserSession.handoff_hash == token_hash(code),
                UserSession.handoff_expires_at > now,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
            )
            .values(token_hash=token_hash(token), handoff_hash=None, handoff_expires_at=None)
            .returning(UserSession.expires_at)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    return None if expires_at is None else (token, expires_at)


def resolve(
    engine: Engine,
    policy: SessionPolicy,
    *,
    session_id: int | None = None,
    token: str | None = None,
    now: dt.datetime | None = None,
    touch: bool = True,
) -> SessionUser | None:
    """The live session's user (by server-side id or by cookie token), or None when it ended.

    A session ends when revoked, past its absolute end, idle longer than ``policy.idle``, or when its user is
    inactive; the first three are recorded (``revoked_reason``) the first time they are seen. ``touch=False``
    checks without counting as activity (a page's automatic refresh).
    """
    if session_id is None and not token:
        return None
    now = now or _utcnow()
    query = (  # the session, its user and the user's units (one row per unit): one read on every page run
        select(UserSession.id, UserSession.expires_at, UserSession.last_seen_at, UserSession.revoked_at,
               User.id.label("user_id"), User.username, User.role, User.active, ResponsibleUnit.code)
        .join(User, User.id == UserSession.user_id)
        .outerjoin(UserUnit, UserUnit.user_id == User.id)
        .outerjoin(ResponsibleUnit, ResponsibleUnit.id == UserUnit.unit_id)
        .order_by(ResponsibleUnit.code)
    )  # fmt: skip
    if session_id is not None:
        query = query.where(UserSession.id == session_id)
    else:
        query = query.where(UserSession.token_hash == token_hash(token or ""))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    if not rows or rows[0].revoked_at is not None:
        return None
    row = rows[0]
    ended = "expired" if row.expires_at <= now else "idle" if row.last_seen_at + policy.idle <= now else None
    if ended is not None:
        _write(engine, row.id, revoked_at=now, revoked_reason=ended)
        return None
    if not row.active:
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        _write(engine, row.id, last_seen_at=now)
    units = tuple(r.code for r in rows if r.code is not None)
    return SessionUser(row.id, row.user_id, row.username, row.role, units)


def _write(engine: Engine, session_id: int, **values: object) -> None:
    """Record an ended or touched session (unless another request has revoked it meanwhile)."""
    with transaction(engine) as session:
        session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def end(engine: Engine, *, session_id: int | None = None, token: str | None = None, reason: str = "logout") -> None:
    """Revoke one session (logout), found by id or by cookie token; nothing happens when it is unknown."""
    if session_id is None and not token:
        return
    condition = UserSession.id == session_id if session_id is not None else UserSession.token_hash == token_hash(token)
    with transaction(engine) as session:
        session.execute(
            update(UserSession)
            .where(condition, UserSession.revoked_at.is_(None))
            .values(revoked_at=_utcnow(), revoked_reason=reason)
            .execution_options(synchronize_session=False)
        )


def revoke_user_sessions(session: Session, user_id: int, reason: str) -> int:
    """Revoke every open session of ``user_id`` inside ``session``'s transaction; the number revoked."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=_utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def open_session_count(engine: Engine, user_id: int, *, now: dt.datetime | None = None) -> int:
    """Sessions of ``user_id`` not revoked and not past their absolute end (idle ones included)."""
    now = now or _utcnow()
    with transaction(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(UserSession)
                .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)
            )
            or 0
        )
