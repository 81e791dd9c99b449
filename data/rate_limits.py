"""Rate limits shared by every API worker process: one token bucket per client, stored as one row.

A bucket is kept in the form of the generic cell rate algorithm: one number per client, the time (epoch seconds)
at which its bucket is full again, ``full_at``. A client allowed ``per_minute`` requests a minute (one every
``interval = 60 / per_minute`` s) with bursts of ``burst`` may make a request at ``now`` when
``max(full_at, now) + interval - now ≤ burst × interval``; the request then moves ``full_at`` to
``max(full_at, now) + interval``. That check-and-move is ONE ``INSERT … ON CONFLICT DO UPDATE … WHERE``
statement, atomic on both engines (a row lock on PostgreSQL, the single writer on SQLite), so N workers together
grant exactly the configured rate, not N times it. A worker may take several tokens at once while the bucket is
far from empty (``count``, see ``api.limits``), so busy clients far below their limit cost few writes. A row
whose ``full_at`` has passed means a full bucket, the same as no row: :func:`forget_full_buckets` deletes those.

On SQLite the buckets live in a small file of their own beside the database (:func:`bucket_engine`), so the
API's writes never wait behind an import holding the database's write lock; on PostgreSQL they are a
table of the database, shared by every API machine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Float, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import ReturningInsert

from data.db import make_engine
from data.dialect import greatest, is_postgresql
from data.schema import ApiRateBucket

BUCKETS = ApiRateBucket.__table__


def bucket_engine(engine: Engine) -> Engine:
    """Where the buckets of the API over ``engine`` live: ``engine`` itself on PostgreSQL (and for an in-memory
    SQLite database); for a SQLite file ``x.db``, the file ``x.db-ratelimits`` beside it (created when missing)."""
    database = engine.url.database or ""
    if is_postgresql(engine) or database in {"", ":memory:"}:
        return engine
    buckets = make_engine(f"sqlite:///{Path(database).with_name(Path(database).name + '-ratelimits')}")
    BUCKETS.create(buckets, checkfirst=True)
    return buckets


@dataclass(frozen=True)
class Taken:
    """The answer of :func:`take`: ``wait`` 0.0 when granted (else the seconds until it would be), and the tokens
    the bucket still holds after a grant."""

    wait: float
    left: float


def take(engine: Engine, client: str, per_minute: int, burst: int, now: float, count: int = 1) -> Taken:
    """Take ``count`` tokens (≤ ``burst``) of ``client`` at ``now`` (epoch seconds), all or none; a refusal
    leaves the bucket unchanged."""
    interval = 60.0 / per_minute
    capacity = max(1, burst) * interval
    values = {"client": client, "now": now, "interval": interval * count, "capacity": capacity}
    with engine.begin() as conn:
        granted = conn.execute(_take_statement(engine.dialect), values).scalar()
        if granted is not None:
            return Taken(0.0, (capacity - (granted - now)) / interval)
        full_at = conn.execute(select(BUCKETS.c.full_at).where(BUCKETS.c.client == client)).scalar()
    if full_at is None:  # forgotten meanwhile by forget_full_buckets: full again
        return Taken(0.0, burst - count)
    # another process may have moved the bucket with a later clock reading than ``now``: the true wait, counted
    # from the present, is never more than the tokens' own interval
    wait = max(full_at, now) + count * interval - now - capacity
    return Taken(min(max(wait, 0.001), count * interval), 0.0)


@functools.cache
def _take_statement(dialect: Dialect) -> ReturningInsert[tuple[float]]:
    """The atomic check-and-move of :func:`take` for one engine, built once (building costs more than running)."""
    now, interval = bindparam("now", type_=Float), bindparam("interval", type_=Float)
    start = greatest(dialect, BUCKETS.c.full_at, now)
    insert = postgresql.insert if is_postgresql(dialect) else sqlite.insert
    return (
        insert(BUCKETS)
        .values(client=bindparam("client"), full_at=now + interval)
        .on_conflict_do_update(
            index_elements=[BUCKETS.c.client],
            set_={"full_at": start + interval},
            where=start + interval - now <= bindparam("capacity", type_=Float),
        )
        .returning(BUCKETS.c.full_at)
    )


def forget_full_buckets(engine: Engine, now: float) -> int:
    """Delete the buckets that are full again at ``now`` (the same as having no row); how many."""
    with engine.begin() as conn:
        return conn.execute(delete(BUCKETS).where(BUCKETS.c.full_at <= now)).rowcount
