"""Reads sent to a streaming replica, or to the primary while the replica is down or too far behind.

The read engine of :func:`data.db.read_engine` opens its connections through a :class:`ReadRouter`: each new
connection goes to the replica unless the router's latest check says it cannot be reached or lags more than the
configured maximum (``read_max_lag_seconds``), in which case it goes to the primary. The check is made at most
every ``read_lag_check_seconds`` (by whichever thread checks out a connection first after that, the others use
the last answer), and a pooled connection whose server no longer matches the answer is replaced on checkout, so
a page never reads from a replica that fell behind for longer than one check interval. No check ever raises:
an unanswered question keeps the last route (or, with the replica unreachable, the primary).

How far behind: the replica has everything the primary had when it was last seen with a replayed WAL position
at or after the primary's current one (an idle primary is no lag). While it is behind, the lag is at most the
time since that moment, and at most the age of the last transaction it replayed; the smaller is taken. So a
record in flight at a check costs nothing, and a paused or stuck replay shows a lag that grows with the clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL

from data.redact import redact_text, redact_url

logger = logging.getLogger(__name__)

REPLICA_CONNECT_TIMEOUT_SECONDS: Final = 3  # a replica that does not answer this fast is skipped for the primary
READ_POOL_RECYCLE_SECONDS: Final = 60  # no read connection lives longer than this, whatever the checks say
PRIMARY: Final = "primary"
REPLICA: Final = "replica"


@dataclass(frozen=True)
class ReplicaCheck:
    """One look at the replica: where reads go now and why."""

    route: str
    """:data:`PRIMARY` or :data:`REPLICA`."""
    lag: dt.timedelta | None
    """How far the replica's data is behind the primary's (an upper bound); None when it could not be measured."""
    behind_bytes: int | None
    """WAL bytes the primary has written that the replica has not replayed yet; None when unknown."""
    reason: str
    """``ok``, ``lagging``, ``replica unavailable`` or ``primary unavailable`` (then the replica is kept)."""
    error: str = ""
    """The first line of the error that made the replica unavailable (password masked)."""


def _first_line(err: BaseException) -> str:
    text = str(err)
    return redact_text(f"{err.__class__.__name__}: {text.splitlines()[0] if text else ''}")


class ReadRouter:
    """Opens DBAPI connections to the replica or the primary according to the replica's reachability and lag.

    ``clock`` (monotonic seconds) is injectable for tests. Switches are logged once each way, passwords masked.
    """

    def __init__(
        self,
        replica: URL,
        primary: URL,
        *,
        max_lag: dt.timedelta | None,
        check_every: dt.timedelta,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replica = replica
        self.primary = primary
        self.max_lag = max_lag
        self.check_every = check_every.total_seconds()
        self.clock = clock
        self.dialect = create_engine(replica).dialect  # no connection is made here
        self.lock = threading.Lock()
        self.last = ReplicaCheck(REPLICA, None, None, "ok")
        self.checked_at: float | None = None
        self.caught_up_at: float | None = None
        self._probes: dict[str, Any] = {}

    # --- where the replica and primary are ------------------------------------------------------------------

    def _connect(self, url: URL, **extra: Any) -> Any:
        cargs, cparams = self.dialect.create_connect_args(url)
        return self.dialect.connect(*cargs, **{**cparams, **extra})

    def _safe(self, url: URL) -> str:
        return redact_url(url.render_as_string(hide_password=False))

    def server_of(self, dbapi_connection: Any) -> str:
        """:data:`REPLICA` when ``dbapi_connection`` (psycopg) is connected to the replica, else :data:`PRIMARY`."""
        info = dbapi_connection.info
        return REPLICA if (info.host, info.port, info.dbname) == self._address(self.replica) else PRIMARY

    @staticmethod
    def _address(url: URL) -> tuple[str | None, int, str | None]:
        return url.host, url.port or 5432, url.database

    # --- the check ------------------------------------------------------------------------------------------

    def _probe(self, name: str) -> Any:
        """A kept autocommit connection for checks (``replica`` or ``primary``), opened when missing."""
        if name not in self._probes:
            url = self.replica if name == REPLICA else self.primary
            connection = self._connect(url, connect_timeout=REPLICA_CONNECT_TIMEOUT_SECONDS)
            connection.autocommit = True
            self._probes[name] = connection
        return self._probes[name]

    def _drop_probe(self, name: str) -> None:
        connection = self._probes.pop(name, None)
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone either way
                logger.debug("closing the %s check connection failed", name)

    def _measure(self, now: float) -> ReplicaCheck:
        try:
            primary_lsn = self._probe(PRIMARY).execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
        except Exception as err:  # noqa: BLE001 - a check never fails a page: the replica is kept
            self._drop_probe(PRIMARY)
            logger.debug("replica lag check: primary unavailable (%s)", _first_line(err))
            return ReplicaCheck(REPLICA, None, None, "primary unavailable")
        try:
            behind, replayed_age = (
                self._probe(REPLICA)
                .execute(
                    "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())::bigint,"
                    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())",
                    (primary_lsn,),
                )
                .fetchone()
            )
        except Exception as err:  # noqa: BLE001 - an unreachable replica sends reads to the primary
            self._drop_probe(REPLICA)
            return ReplicaCheck(PRIMARY, None, None, "replica unavailable", _first_line(err))
        if behind is None:  # not a replica (pg_last_wal_replay_lsn() is NULL on a primary): nothing to lag
            return ReplicaCheck(REPLICA, dt.timedelta(0), None, "ok")
        if behind <= 0:
            self.caught_up_at = now
            return ReplicaCheck(REPLICA, dt.timedelta(0), 0, "ok")
        bounds = [float(replayed_age)] if replayed_age is not None else []
        if self.caught_up_at is not None:
            bounds.append(now - self.caught_up_at)
        lag = dt.timedelta(seconds=max(0.0, min(bounds))) if bounds else None
        too_far = self.max_lag is not None and (lag is None or lag > self.max_lag)
        return ReplicaCheck(PRIMARY if too_far else REPLICA, lag, int(behind), "lagging" if too_far else "ok")

    def check(self, *, force: bool = False) -> ReplicaCheck:
        """The latest check, made again when older than ``check_every`` (or ``force``); never raises.

        A thread arriving while another checks uses the previous answer rather than waiting.
        """
        now = self.clock()
        fresh = self.checked_at is not None and now - self.checked_at < self.check_every
        if fresh and not force:
            return self.last
        if not self.lock.acquire(blocking=force or self.checked_at is None):
            return self.last
        try:
            now = self.clock()
            if force or self.checked_at is None or now - self.checked_at >= self.check_every:
                self._record(self._measure(now))
                self.checked_at = now
            return self.last
        finally:
            self.lock.release()

    def _record(self, check: ReplicaCheck) -> None:
        """Keep ``check`` as the latest answer; log a change of route (once each way)."""
        before = self.last
        self.last = check
        if check.route == before.route:
            return
        replica, primary = self._safe(self.replica), self._safe(self.primary)
        if check.reason == "lagging":
            lag = "an unknown time" if check.lag is None else f"{check.lag.total_seconds():.1f} s"
            allowed = self.max_lag.total_seconds() if self.max_lag is not None else 0
            logger.warning("read replica %s is %s behind (more than %g s allowed); reading from the primary %s",
                           replica, lag, allowed, primary)  # fmt: skip
        elif check.route == PRIMARY:
            logger.warning("read replica %s unavailable (%s); reading from the primary %s", replica, check.error,
                           primary)  # fmt: skip
        elif check.reason == "primary unavailable":
            logger.warning("primary %s unavailable for the replica lag check; reading from the replica %s", primary,
                           replica)  # fmt: skip
        elif before.reason == "replica unavailable":
            logger.info("read replica %s reachable again; reading from it", replica)
        else:
            logger.info("read replica %s caught up; reading from it", replica)

    # --- connections ----------------------------------------------------------------------------------------

    def __call__(self) -> Any:
        """A new DBAPI connection for the read engine's pool (the ``creator``)."""
        if self.check().route == PRIMARY:
            return self._connect(self.primary)
        try:
            return self._connect(self.replica, connect_timeout=REPLICA_CONNECT_TIMEOUT_SECONDS)
        except Exception as err:  # noqa: BLE001 - any failure to reach the replica: read from the primary
            with self.lock:
                self._record(ReplicaCheck(PRIMARY, None, None, "replica unavailable", _first_line(err)))
                self.checked_at = self.clock()
            return self._connect(self.primary)

    def on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        """Pool ``checkout`` hook: a pooled connection on the wrong server is replaced by a new one."""
        if self.server_of(dbapi_connection) != self.check().route:
            raise exc.DisconnectionError("read route changed")

    def close(self) -> None:
        """Close the check connections."""
        with self.lock:
            for name in list(self._probes):
                self._drop_probe(name)


def attach(engine: Engine, router: ReadRouter) -> None:
    """Make ``engine`` (created with ``creator=router``) replace a pooled connection on the wrong server at
    checkout, and remember its router for :func:`router_of`."""
    event.listen(engine, "checkout", router.on_checkout)
    _ROUTERS[engine] = router


_ROUTERS: weakref.WeakKeyDictionary[Engine, ReadRouter] = weakref.WeakKeyDictionary()


def router_of(engine: Engine) -> ReadRouter | None:
    """The :class:`ReadRouter` of a read engine (:func:`data.db.read_engine`), else None."""
    return _ROUTERS.get(engine)
