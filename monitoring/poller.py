"""Feed coordinators: poll each feed on its interval, retry with backoff, checkpoint, and report health.

Modelled on Home Assistant's DataUpdateCoordinator: the last good data is never discarded on failure, a
failure is logged once (at the transition) and so is the recovery, and the status OK / STALE / UNAVAILABLE
comes from a pure function of the stored state. Each poll's readings, quarantine rows, averages and the new
checkpoint are committed in ONE transaction, so a poller killed mid-batch neither loses nor duplicates data
when restarted: the uncommitted batch is fetched again from the old checkpoint.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Engine

from data.db import write_transaction
from data.feed_state import FeedHealth, read_health, write_health
from data.redact import redact_text
from monitoring.errors import FeedAuthError, FeedError, FeedRateLimitedError, FeedSchemaError
from monitoring.feeds.base import AfterPoll, FeedSpec
from monitoring.ingest import IngestSummary, store_batch
from monitoring.stations import WardLocator

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS: Final = 300.0
NO_RETRY: Final = (FeedAuthError, FeedSchemaError)


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
    """Outcome of one poll of one feed."""

    feed: str
    ok: bool
    summary: IngestSummary = field(default_factory=IngestSummary)
    error: str | None = None
    attempts: int = 0


class FeedCoordinator:
    """Polls one feed: fetch with retries and backoff, store in one transaction, record health."""

    def __init__(
        self,
        engine: Engine,
        spec: FeedSpec,
        *,
        locator: WardLocator | None = None,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.engine = engine
        self.spec = spec
        self.locator = locator
        self.sleep = sleep

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
                result.summary = store_batch(conn, batch, locator=self.locator, filename=name)
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
) -> dict[str, PollResult]:
    """Poll every feed once, in order, then run the ``after_poll`` hooks (AQI refresh, alert evaluation)."""
    results = {spec.name: FeedCoordinator(engine, spec, locator=locator, sleep=sleep).poll(now) for spec in feeds}
    _run_hooks(engine, now, after_poll)
    return results


def run_forever(
    engine: Engine,
    feeds: Sequence[FeedSpec],
    stop: threading.Event,
    after_poll: Sequence[AfterPoll] = (),
    *,
    locator: WardLocator | None = None,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    wait: Callable[[float], object] | None = None,
) -> int:
    """Poll each feed on its own interval until ``stop`` is set; returns the number of polls made.

    Stopping is clean: the current poll's transaction completes (or rolls back) before the loop exits.
    ``wait(seconds)`` pauses between rounds and retries (default: ``stop.wait``, so a stop wakes it).
    """
    pause = wait or stop.wait
    coordinators = [FeedCoordinator(engine, spec, locator=locator, sleep=pause) for spec in feeds]
    due = {spec.name: clock() for spec in feeds}
    polls = 0
    while not stop.is_set():
        now = clock()
        polled = False
        for coordinator in coordinators:
            name = coordinator.spec.name
            if due[name] <= now and not stop.is_set():
                coordinator.poll(now)
                polls += 1
                polled = True
                due[name] = now + coordinator.spec.interval
        if polled:
            _run_hooks(engine, now, after_poll)
        pause(max((min(due.values()) - clock()).total_seconds(), 0.0))
    return polls
