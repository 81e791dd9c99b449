"""Leases between poller processes: at most one process works on a named job (a feed, the post-poll round).

A lease is a row of ``poller_leases``: its holder and when it expires. A poller takes a job whose lease is free
or expired, renews it while it keeps working, and confirms it inside the very transaction that stores a poll's
readings and checkpoint (:func:`confirm`): a holder that lost its lease while it was fetching (paused, cut off
from the database) has its batch rolled back instead of storing it beside the new holder's. The same SQL runs on
PostgreSQL and SQLite (row locks, respectively the single writer, make each take atomic). Expiry is judged by
the pollers' clocks: pollers on several machines need synchronised clocks (NTP); a skew shortens or lengthens
a lease by as much.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, case, delete, func, or_, select, update

from data.dialect import insert_if_absent
from data.schema import PollerLease

LEASES = PollerLease.__table__


class LeaseLostError(RuntimeError):
    """Another poller holds the job now; the caller's transaction must not commit."""


@dataclass(frozen=True)
class Lease:
    """Who holds a job and until when."""

    name: str
    holder: str
    expires_at: dt.datetime


def new_holder_id() -> str:
    """A name for this poller process, unique across machines: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def try_acquire(engine: Engine, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take the lease on ``name`` (free, expired or already ours) until ``now + ttl``; False when another holds it."""
    with engine.begin() as conn:
        conn.execute(insert_if_absent(conn, LEASES).values(name=name, holder=holder, expires_at=now, acquired_at=now))
        taken = conn.execute(
            update(LEASES)
            .where(LEASES.c.name == name, or_(LEASES.c.holder == holder, LEASES.c.expires_at <= now))
            .values(
                holder=holder,
                expires_at=now + ttl,
                acquired_at=case((LEASES.c.holder == holder, LEASES.c.acquired_at), else_=now),
            )
        ).rowcount
    return taken == 1


def confirm(conn: Connection, name: str, holder: str, now: dt.datetime, ttl: dt.timedelta) -> None:
    """Inside the caller's transaction: renew ``holder``'s lease on ``name``, or raise :class:`LeaseLostError`.

    On PostgreSQL the renewed row stays locked until the transaction ends, so nobody takes the job over between
    this check and the commit.
    """
    renewed = conn.execute(
        update(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder).values(expires_at=now + ttl)
    ).rowcount
    if renewed != 1:
        msg = f"the lease on {name!r} passed to another poller; this batch is not stored"
        raise LeaseLostError(msg)


def release(engine: Engine, names: list[str], holder: str) -> None:
    """Give up ``holder``'s leases on ``names`` (a clean stop): another poller may take them at once."""
    if names:
        with engine.begin() as conn:
            conn.execute(delete(LEASES).where(LEASES.c.name.in_(names), LEASES.c.holder == holder))


def live_holders(engine: Engine, prefix: str, now: dt.datetime) -> int:
    """How many unexpired leases have a name starting with ``prefix`` (one presence lease per running poller)."""
    with engine.connect() as conn:
        return int(
            conn.scalar(
                select(func.count()).where(LEASES.c.name.startswith(prefix, autoescape=True), LEASES.c.expires_at > now)
            )
            or 0
        )


def prune_expired(engine: Engine, prefix: str, now: dt.datetime) -> None:
    """Delete the expired leases whose name starts with ``prefix`` (presence rows of pollers that died)."""
    with engine.begin() as conn:
        conn.execute(
            delete(LEASES).where(LEASES.c.name.startswith(prefix, autoescape=True), LEASES.c.expires_at <= now)
        )


def current_leases(engine: Engine) -> dict[str, Lease]:
    """Every stored lease by job name (expired ones included: their holder is the last one)."""
    with engine.connect() as conn:
        rows = conn.execute(select(LEASES.c.name, LEASES.c.holder, LEASES.c.expires_at)).all()
    return {row.name: Lease(row.name, row.holder, row.expires_at) for row in rows}
