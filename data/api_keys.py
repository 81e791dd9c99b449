"""API client keys: made once (the plain key is shown to the maker only), stored as SHA-256, checked, revoked.

Keys are 32 random bytes (URL-safe text), so a plain SHA-256 is enough to store them (no password stretching:
nobody can guess 256 random bits); comparing hashes by database lookup reveals nothing about the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from data.schema import ApiKey

PREFIX_LENGTH = 8


class ApiKeyError(ValueError):
    """A key operation that cannot be done (name taken, unknown name)."""


@dataclass(frozen=True)
class KeyInfo:
    """A stored key as listed: never the key itself."""

    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_key(engine: Engine, name: str) -> str:
    """Make a key for client ``name`` and return it (the only time it is ever readable)."""
    name = name.strip()
    if not name or len(name) > 100:
        msg = "a key name is 1-100 characters"
        raise ApiKeyError(msg)
    key = "em_" + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        if conn.execute(select(ApiKey.id).where(ApiKey.name == name)).first() is not None:
            msg = f"a key named {name!r} exists already (revoke it or choose another name)"
            raise ApiKeyError(msg)
        conn.execute(insert(ApiKey).values(name=name, key_hash=_hash(key), prefix=key[:PREFIX_LENGTH]))
    return key


def list_keys(engine: Engine) -> list[KeyInfo]:
    """Every key, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ApiKey.name, ApiKey.prefix, ApiKey.created_at, ApiKey.revoked_at).order_by(ApiKey.id)
        ).all()
    return [KeyInfo(*row) for row in rows]


def revoke_key(engine: Engine, name: str, *, now: dt.datetime | None = None) -> None:
    """Revoke the key of client ``name`` (it stops working at once)."""
    with engine.begin() as conn:
        done = conn.execute(
            update(ApiKey)
            .where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
            .values(revoked_at=now or dt.datetime.now(dt.UTC))
        ).rowcount
    if not done:
        msg = f"no active key named {name!r}"
        raise ApiKeyError(msg)


def client_of(engine: Engine, key: str) -> str | None:
    """The name of the client holding the active key ``key``, or None."""
    if not key:
        return None
    with engine.connect() as conn:
        return conn.execute(
            select(ApiKey.name).where(ApiKey.key_hash == _hash(key), ApiKey.revoked_at.is_(None))
        ).scalar_one_or_none()
