"""Feed coordinators: poll each feed on its interval, retry with backoff, checkpoint, and report health.

Modelled on Home Assistant's DataUpdateCoordinator: the last good data is never discarded on failure, a
failure is logged once (at the transition) and so is the recovery, and the status OK / STALE / UNAVAILABLE
comes from a pure function of the stored state. Each poll's readings, quarantine rows, averages and the new
checkpoint are committed in ONE transaction, so a poller killed mid-batch neither loses nor duplicates data
when restarted: the uncommitted batch is fetched again from the old checkpoint.

Several pollers (processes or machines) may run against one database: with a :class:`LeaseKeeper` each feed,
and the post-poll round, is worked on by one of them at a time (``data.leases``); when a holder dies another
takes its feeds over once the lease expires, and continues from the stored checkpoint.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Connection, Engine

from data import leases
from data.db import write_transaction
from data.feed_state import FeedHealth, read_health, write_health
from data.redact import redact_text
from monitoring.errors import FeedAuthError, FeedError, FeedRateLimitedError, FeedSchemaError
from monitoring.feeds.base import AfterPoll, FeedSpec
from monitoring.ingest import IngestSummary, holds_late_data, store_batch
from monitoring.stations import WardLocator
from monitoring.stop_signal import StopRequest

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS: Final = 300.0
NO_RETRY: Final = (FeedAuthError, FeedSchemaError)
AFTER_POLL_JOB: Final = "*after_poll"  # the lease name of the post-poll round (feed names never start with *)
PRESENCE_PREFIX: Final = "*poller:"  # each running poller's own lease, counted to share the feeds out


class FeedStatus(enum.StrEnum):
    """Health of a feed as shown on the dashboard and read by the stale-station alerts."""

    OK = "OK"
    STALE = "STALE"
    UNAVAILABLE = "UNAVAILABLE"


def feed_status(state: FeedHealth, now: dt.datetime, interval: dt.timedelta, stale_after: dt.timedelta) -> FeedStatus:
    """Status of a feed from its stored state.

    UNAVAILABLE: never fetched successfully, or no success for longer than ``max(stale_after, 2 × interval)``.
    STALE: the latest attempt failed (last good data kept), or fetches succeed but the newest reading is older
    than ``stale_after``. OK otherwise.
    """
    if state.last_success_at is None:
        return FeedStatus.UNAVAILABLE
    if now - state.last_success_at > max(stale_after, 2 * interval):
        return FeedStatus.UNAVAILABLE
    if state.consecutive_failures > 0:
        return FeedStatus.STALE
    if state.last_data_at is None or now - state.last_data_at > stale_after:
        return FeedStatus.STALE
    return FeedStatus.OK


@dataclass
class PollResult:
    """Outcome of one poll of one feed; ``held_by`` names the other poller that holds it (nothing was polled)."""

    feed: str
    ok: bool
    summary: IngestSummary = field(default_factory=IngestSummary)
    error: str | None = None
    attempts: int = 0
    held_by: str | None = None


class LeaseKeeper:
    """This poller's leases: takes free or expired jobs (its fair share of the feeds), renews them, confirms them
    in each poll's transaction.

    A lease lasts ``ttl`` and is renewed every third of it, so another poller takes a dead holder's jobs over
    at most ``ttl`` plus a third after it died. Taking a job over and losing one are logged once.
    """

    def __init__(self, engine: Engine, ttl: dt.timedelta, holder: str | None = None) -> None:
        self.engine = engine
        self.ttl = ttl
        self.holder = holder or leases.new_holder_id()
        self.held: set[str] = set()
        self.unreachable = False

    @property
    def renew_every(self) -> dt.timedelta:
        """How often the leases are renewed (and free ones looked for)."""
        return self.ttl / 3

    def hold(self, name: str, now: dt.datetime) -> bool:
        """Take or renew the lease on ``name``; True while this poller holds it."""
        try:
            held = leases.try_acquire(self.engine, name, self.holder, now, self.ttl)
        except Exception as err:  # database unreachable: keep nothing, retry at the next renewal (logged once)
            if not self.unreachable:
                reason = redact_text(str(err).splitlines()[0] if str(err) else "")
                logger.error("poller %s cannot reach the database to lease %s: %s: %s",
                             self.holder, name, err.__class__.__name__, reason)  # fmt: skip
            self.unreachable = True
            held = False
        else:
            if self.unreachable:
                logger.info("poller %s reaches the database again", self.holder)
            self.unreachable = False
        if held and name not in self.held:
            logger.info("poller %s now polls %s", self.holder, name)
            self.held.add(name)
        elif not held and name in self.held:
            logger.warning("poller %s lost %s to another poller", self.holder, name)
            self.held.discard(name)
        return held

    def confirm(self, conn: Connection, name: str, now: dt.datetime) -> None:
        """Inside a poll's transaction: renew the lease or raise ``LeaseLostError`` (the batch rolls back)."""
        try:
            leases.confirm(conn, name, self.holder, now, self.ttl)
        except leases.LeaseLostError:
            self.held.discard(name)
            raise

    def share_feeds(self, specs: Sequence[FeedSpec], now: dt.datetime) -> list[FeedSpec]:
        """Renew this poller's presence and its fair share of ``specs``; return the feeds it took on just now.

        The share is ``ceil(feeds / running pollers)``: a poller holding more gives the surplus up (its peers
        take it at their next renewal), one holding fewer takes free or expired feeds up to the share.
        """
        self.hold(PRESENCE_PREFIX + self.holder, now)
        leases.prune_expired(self.engine, PRESENCE_PREFIX, now)
        pollers = max(leases.live_holders(self.engine, PRESENCE_PREFIX, now), 1)
        share = -(-len(specs) // pollers)
        mine = [spec.name for spec in specs if spec.name in self.held]
        surplus = mine[share:]
        if surplus:
            leases.release(self.engine, surplus, self.holder)
            self.held.difference_update(surplus)
            logger.info("poller %s hands %s over to the other pollers", self.holder, ", ".join(surplus))
        taken = []
        for spec in specs:
            held_feeds = sum(s.name in self.held for s in specs)
            if spec.name in self.held:
                self.hold(spec.name, now)
            elif held_feeds < share and self.hold(spec.name, now):
                taken.append(spec)
        return taken

    def holder_of(self, name: str) -> str | None:
        """The poller holding ``name`` now, if any."""
        found = leases.current_leases(self.engine).get(name)
        return found.holder if found is not None else None

    def release_all(self) -> None:
        """Give every held lease up (a clean stop): another poller can take the jobs at once."""
        try:
            leases.release(self.engine, sorted(self.held), self.holder)
        except Exception:
            logger.exception("poller %s could not release its leases; they expire on their own", self.holder)
        self.held.clear()


class FeedCoordinator:
    """Polls one feed: fetch with retries and backoff, store in one transaction, record health."""

    def __init__(
        self,
        engine: Engine,
        spec: FeedSpec,
        *,
        locator: WardLocator | None = None,
        sleep: Callable[[float], object] = time.sleep,
        keeper: LeaseKeeper | None = None,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.locator = locator
        self.sleep = sleep
        self.keeper = keeper

    def _safe(self, error: str) -> str:
        """``error`` with URL credentials, secret query parameters and the feed's own secrets masked.

        Every error is masked here, before it is logged, stored in ``feed_state`` (read by ``envmon feeds
        status`` and the Stations page) or returned.
        """
        return redact_text(error, getattr(self.spec.feed, "secrets", ()))

    def _backoff(self, attempt: int, error: FeedError) -> float:
        if isinstance(error, FeedRateLimitedError) and error.retry_after is not None:
            return min(error.retry_after, MAX_BACKOFF_SECONDS)
        return min(self.spec.backoff_seconds * 2**attempt, MAX_BACKOFF_SECONDS)

    def poll(self, now: dt.datetime) -> PollResult:
        """Fetch new data since the checkpoint and store it; failures are recorded, never raised."""
        name = self.spec.name
        result = PollResult(name, ok=False)
        try:
            health = read_health(self.engine, name)
            batch = None
            for attempt in range(self.spec.retries + 1):
                result.attempts = attempt + 1
                try:
                    batch = self.spec.feed.fetch(health.checkpoint, now)
                    break
                except NO_RETRY:
                    raise
                except FeedError as err:
                    if attempt == self.spec.retries:
                        raise
                    wait = self._backoff(attempt, err)
                    reason = self._safe(str(err))
                    logger.debug("feed %s attempt %d failed (%s); retrying in %.1f s", name, attempt + 1, reason, wait)
                    self.sleep(wait)
            assert batch is not None
            with write_transaction(self.engine) as conn:
                if self.keeper is not None:
                    self.keeper.confirm(conn, name, now)
                late = holds_late_data(batch, now)  # a buffer flush: its later rolling means go to the drain
                result.summary = store_batch(conn, batch, locator=self.locator, filename=name, defer_later_windows=late)
                recovered = health.consecutive_failures > 0
                health.checkpoint = batch.checkpoint
                health.last_attempt_at = now
                health.last_success_at = now
                if result.summary.accepted:
                    health.last_data_at = max(
                        filter(None, (health.last_data_at, result.summary.latest_observed_at)), default=None
                    )
                health.consecutive_failures = 0
                write_health(conn, health)
        except leases.LeaseLostError as err:
            result.error = str(err)  # the new holder polls it; its health is not this poller's to record
            logger.warning("feed %s: %s", name, err)
            return result
        except Exception as err:
            result.error = self._safe(f"{err.__class__.__name__}: {err}")
            self._record_failure(now, result.error)
            return result
        if recovered:
            logger.info("Fetching %s data recovered", name)
        try:
            self.spec.feed.acknowledge(batch)
        except Exception:  # the batch is committed; the ledger keeps a file seen again from being stored twice
            logger.exception("feed %s: acknowledging the stored batch failed", name)
        result.ok = True
        return result

    def _record_failure(self, now: dt.datetime, error: str) -> None:
        """Store the failure in the feed's health; if the database itself is down, log it and carry on."""
        try:
            self._store_failure(now, error)
        except Exception as db_error:
            logger.error(
                "Cannot record the failure of %s (database unavailable?): %s: %s",
                self.spec.name,
                db_error.__class__.__name__,
                str(db_error).splitlines()[0] if str(db_error) else "",
            )

    def _store_failure(self, now: dt.datetime, error: str) -> None:
        with write_transaction(self.engine) as conn:
            if self.keeper is not None:
                try:
                    self.keeper.confirm(conn, self.spec.name, now)
                except leases.LeaseLostError:
                    return
            health = read_health(conn, self.spec.name)
            if health.consecutive_failures == 0:
                logger.error("Error fetching %s data: %s", self.spec.name, error)
            health.last_attempt_at = now
            health.last_error = error
            health.last_error_at = now
            health.consecutive_failures += 1
            write_health(conn, health)


def _run_hooks(engine: Engine, now: dt.datetime, after_poll: Sequence[AfterPoll]) -> None:
    for hook in after_poll:
        try:
            hook(engine, now)
        except Exception:
            logger.exception("post-poll hook %s failed", getattr(hook, "__name__", hook))


def run_once(
    engine: Engine,
    feeds: Sequence[FeedSpec],
    now: dt.datetime,
    after_poll: Sequence[AfterPoll] = (),
    *,
    locator: WardLocator | None = None,
    sleep: Callable[[float], None] = time.sleep,
    keeper: LeaseKeeper | None = None,
) -> dict[str, PollResult]:
    """Poll every feed once, in order, then run the ``after_poll`` hooks (AQI refresh, alert evaluation).

    With a ``keeper``, a feed another running poller holds is left to it (``held_by``), and the hooks run only
    when their lease is free; the leases taken are given back at the end.
    """
    results: dict[str, PollResult] = {}
    try:
        for spec in feeds:
            if keeper is not None and not keeper.hold(spec.name, now):
                results[spec.name] = PollResult(spec.name, ok=False, held_by=keeper.holder_of(spec.name))
                continue
            coordinator = FeedCoordinator(engine, spec, locator=locator, sleep=sleep, keeper=keeper)
            results[spec.name] = coordinator.poll(now)
        if keeper is None or keeper.hold(AFTER_POLL_JOB, now):
            _run_hooks(engine, now, after_poll)
    finally:
        if keeper is not None:
            keeper.release_all()
    return results


def _first_due(engine: Engine, spec: FeedSpec, now: dt.datetime) -> dt.datetime:
    """When a feed just taken over is due: one interval after its last attempt by whichever poller, else now."""
    last = read_health(engine, spec.name).last_attempt_at
    return now if last is None else max(now, last + spec.interval)


def run_forever(
    engine: Engine,
    feeds: Sequence[FeedSpec],
    stop: StopRequest,
    after_poll: Sequence[AfterPoll] = (),
    *,
    locator: WardLocator | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    wait: Callable[[float], object] | None = None,
    keeper: LeaseKeeper | None = None,
) -> int:
    """Poll each feed on its own interval until ``stop`` is set; returns the number of polls made.

    Stopping is clean: the current poll's transaction completes (or rolls back) before the loop exits, and the
    leases are given back. A signal handler must set ``stop`` without taking a lock: a
    :class:`~monitoring.stop_signal.StopSignal`. ``wait(seconds)`` pauses between rounds and retries (default:
    ``stop.wait``, so a stop wakes it). With a ``keeper`` only the feeds whose lease this poller holds are polled
    (see :class:`LeaseKeeper`); the post-poll hooks run in the poller holding their own lease, after its polls and
    at least once per shortest feed interval.
    """
    pause = wait or stop.wait
    coordinators = [FeedCoordinator(engine, spec, locator=locator, sleep=pause, keeper=keeper) for spec in feeds]
    start = clock()
    due = {spec.name: start for spec in feeds}
    shortest = min((spec.interval for spec in feeds), default=dt.timedelta(minutes=5))
    hooks_due = renew_at = start
    polls = 0
    try:
        while not stop.is_set():
            now = clock()
            if keeper is not None and now >= renew_at:
                for spec in keeper.share_feeds(feeds, now):
                    due[spec.name] = _first_due(engine, spec, now)
                keeper.hold(AFTER_POLL_JOB, now)
                renew_at = now + keeper.renew_every
            polled = False
            for coordinator in coordinators:
                name = coordinator.spec.name
                mine = keeper is None or name in keeper.held
                if mine and due[name] <= now and not stop.is_set():
                    coordinator.poll(now)
                    polls += 1
                    polled = True
                    due[name] = now + coordinator.spec.interval
            if (polled or (keeper is not None and hooks_due <= now)) and (
                keeper is None or AFTER_POLL_JOB in keeper.held
            ):
                _run_hooks(engine, now, after_poll)
                hooks_due = now + shortest
            wake = [due[c.spec.name] for c in coordinators if keeper is None or c.spec.name in keeper.held]
            if keeper is not None:
                wake.append(renew_at)
            pause(max((min(wake, default=now + shortest) - clock()).total_seconds(), 0.0))
    finally:
        if keeper is not None:
            keeper.release_all()
    return polls
