"""The stored state of each feed (``feed_state``): checkpoint, last attempt/success/data, last error, failures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, select

from data.schema import FeedState


@dataclass
class FeedHealth:
    """The stored state of one feed (a row of ``feed_state``)."""

    feed: str
    checkpoint: dict[str, Any] = field(default_factory=dict)
    last_attempt_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_data_at: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    consecutive_failures: int = 0


def read_health(conn: Connection | Engine, feed_name: str) -> FeedHealth:
    """The stored state of ``feed_name`` (a fresh state when it never ran)."""
    if isinstance(conn, Engine):
        with conn.connect() as connection:
            return read_health(connection, feed_name)
    row = conn.execute(select(FeedState).where(FeedState.feed == feed_name)).mappings().first()
    if row is None:
        return FeedHealth(feed_name)
    return FeedHealth(**{key: row[key] for key in FeedHealth.__dataclass_fields__})


def write_health(conn: Connection, health: FeedHealth) -> None:
    """Insert or replace the stored state of ``health.feed`` inside the caller's transaction."""
    table = FeedState.__table__
    values = {key: getattr(health, key) for key in FeedHealth.__dataclass_fields__}
    exists = conn.scalar(select(FeedState.feed).where(FeedState.feed == health.feed))
    if exists is None:
        conn.execute(table.insert().values(**values))
    else:
        conn.execute(table.update().where(table.c.feed == health.feed).values(**values))
