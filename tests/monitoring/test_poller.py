"""Poller: status function, retries and backoff, last good data kept, log once, kill-and-restart, hooks."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from data.schema import Reading
from monitoring import poller
from monitoring.errors import FeedAuthError, FeedRateLimitedError, FeedUnavailableError
from monitoring.feeds.base import Batch
from monitoring.poller import FeedHealth, FeedSpec, FeedStatus, feed_status, read_health, run_forever, run_once
from monitoring.schema import canonicalise

T0 = dt.datetime(2025, 4, 20, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


class HourlySource:
    """A fake hourly API: every hour end up to ``now`` has pm25 and no2 values; re-reads an overlap."""

    def __init__(self, name: str = "fake", failures: list[Exception] | None = None) -> None:
        self.name = name
        self.kind = "air"
        self.failures = list(failures or [])
        self.calls = 0

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        last = dt.datetime.fromisoformat(checkpoint["last"]) if "last" in checkpoint else T0 - 6 * HOUR
        ends = pd.date_range(last - 2 * HOUR, now.replace(minute=0), freq="h", tz="UTC", inclusive="right")
        raw = pd.DataFrame(
            [
                (end, parameter, float(end.hour) + offset)
                for end in ends
                for parameter, offset in (("PM2.5", 0), ("NO2", 0.5))
            ],
            columns=["observed_at", "parameter", "value"],
        )
        raw["station_id"], raw["unit"], raw["status"] = "ST1", "µg/m³", "00"
        readings, rejects = canonicalise(raw, source=self.name)
        return Batch(self.name, "air", readings, rejects, checkpoint={"last": ends.max().isoformat()})

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to acknowledge."""


def _spec(feed: Any, retries: int = 2) -> FeedSpec:
    return FeedSpec(feed, interval=HOUR, stale_after=3 * HOUR, retries=retries, backoff_seconds=2.0)


def _reading_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Reading)) or 0


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (FeedHealth("f"), FeedStatus.UNAVAILABLE),
        (FeedHealth("f", last_success_at=T0, last_data_at=T0 - HOUR), FeedStatus.OK),
        (FeedHealth("f", last_success_at=T0, last_data_at=T0 - 4 * HOUR), FeedStatus.STALE),
        (FeedHealth("f", last_success_at=T0, last_data_at=None), FeedStatus.STALE),
        (FeedHealth("f", last_success_at=T0 - HOUR, last_data_at=T0 - HOUR, consecutive_failures=1), FeedStatus.STALE),
        (FeedHealth("f", last_success_at=T0 - 4 * HOUR, last_data_at=T0 - 4 * HOUR, consecutive_failures=3),
         FeedStatus.UNAVAILABLE),
    ],
)  # fmt: skip
def test_feed_status(health: FeedHealth, expected: FeedStatus) -> None:
    assert feed_status(health, T0, HOUR, 3 * HOUR) is expected


def test_retries_with_doubling_backoff_then_success(sqlite_engine: Engine) -> None:
    sleeps: list[float] = []
    feed = HourlySource(failures=[FeedUnavailableError("503"), FeedUnavailableError("503")])
    result = run_once(sqlite_engine, [_spec(feed)], T0, sleep=sleeps.append)["fake"]
    assert result.ok and result.attempts == 3
    assert sleeps == [2.0, 4.0]
    assert result.summary.accepted == 16  # hours 05:00 … 12:00, two parameters


def test_rate_limit_backoff_uses_retry_after(sqlite_engine: Engine) -> None:
    sleeps: list[float] = []
    feed = HourlySource(failures=[FeedRateLimitedError("429", retry_after=42.0)])
    assert run_once(sqlite_engine, [_spec(feed)], T0, sleep=sleeps.append)["fake"].ok
    assert sleeps == [42.0]


def test_auth_errors_are_not_retried(sqlite_engine: Engine) -> None:
    feed = HourlySource(failures=[FeedAuthError("401")])
    result = run_once(sqlite_engine, [_spec(feed)], T0, sleep=lambda _s: None)["fake"]
    assert not result.ok and feed.calls == 1 and "FeedAuthError" in (result.error or "")


def test_failure_keeps_last_good_data_and_logs_once(sqlite_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="monitoring.poller")
    feed = HourlySource()
    spec = _spec(feed, retries=0)
    assert run_once(sqlite_engine, [spec], T0)["fake"].ok
    stored = _reading_count(sqlite_engine)
    checkpoint = read_health(sqlite_engine, "fake").checkpoint
    feed.failures = [FeedUnavailableError("HTTP 503 from api")] * 3
    for hours in (1, 2, 3):
        assert not run_once(sqlite_engine, [spec], T0 + hours * HOUR)["fake"].ok
    health = read_health(sqlite_engine, "fake")
    assert _reading_count(sqlite_engine) == stored
    assert health.checkpoint == checkpoint and health.consecutive_failures == 3
    assert health.last_error == "FeedUnavailableError: HTTP 503 from api"
    assert feed_status(health, T0 + 3 * HOUR, HOUR, 3 * HOUR) is FeedStatus.STALE
    assert feed_status(health, T0 + 4 * HOUR, HOUR, 3 * HOUR) is FeedStatus.UNAVAILABLE
    assert run_once(sqlite_engine, [spec], T0 + 4 * HOUR)["fake"].ok
    assert _reading_count(sqlite_engine) == stored + 8  # the outage hours are fetched late, none skipped
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    recoveries = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(errors) == 1 and "Error fetching fake data" in errors[0].getMessage()
    assert len(recoveries) == 1
    assert feed_status(read_health(sqlite_engine, "fake"), T0 + 4 * HOUR, HOUR, 3 * HOUR) is FeedStatus.OK


class Killed(BaseException):
    """Stands for the process being killed mid-batch (not caught like an ordinary error)."""


def test_kill_mid_batch_then_restart_loses_and_duplicates_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = HourlySource()
    assert run_once(engine, [_spec(feed)], T0)["fake"].ok
    real_store = poller.store_batch

    def store_then_die(*args: Any, **kwargs: Any) -> Any:
        real_store(*args, **kwargs)
        raise Killed

    monkeypatch.setattr(poller, "store_batch", store_then_die)
    with pytest.raises(Killed):
        run_once(engine, [_spec(feed)], T0 + 5 * HOUR)
    assert _reading_count(engine) == 16
    assert read_health(engine, "fake").checkpoint == {"last": "2025-04-20T12:00:00+00:00"}
    monkeypatch.setattr(poller, "store_batch", real_store)
    restarted = run_once(engine, [_spec(HourlySource())], T0 + 5 * HOUR)["fake"]
    assert restarted.ok and restarted.summary.accepted == 10 and restarted.summary.duplicates == 4
    with engine.connect() as conn:
        hours = conn.execute(select(Reading.observed_at).where(Reading.parameter == "pm25")).scalars().all()
    assert sorted(hours) == [T0 - 8 * HOUR + n * HOUR for n in range(1, 14)]  # 05:00 … 17:00, each once


def test_hooks_run_after_the_polls_and_a_failing_hook_is_contained(
    sqlite_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[Engine, dt.datetime, int]] = []

    def refresh(bound: Engine, now: dt.datetime) -> None:
        calls.append((bound, now, _reading_count(bound)))

    def broken(_bound: Engine, _now: dt.datetime) -> None:
        raise RuntimeError("boom")

    run_once(sqlite_engine, [_spec(HourlySource())], T0, after_poll=[broken, refresh])
    assert calls == [(sqlite_engine, T0, 16)]
    assert any("post-poll hook broken failed" in r.getMessage() for r in caplog.records)


def test_run_forever_polls_on_interval_until_stopped(sqlite_engine: Engine) -> None:
    stop = threading.Event()
    clock = iter(T0 + n * dt.timedelta(minutes=30) for n in range(100))
    now = [T0]

    def tick() -> dt.datetime:
        now[0] = next(clock)
        return now[0]

    rounds: list[dt.datetime] = []

    def count_round(_engine: Engine, at: dt.datetime) -> None:
        rounds.append(at)
        if len(rounds) == 3:
            stop.set()

    feed = HourlySource()
    polls = run_forever(sqlite_engine, [_spec(feed)], stop, [count_round], clock=tick, wait=lambda _s: None)
    assert polls == 3 and feed.calls == 3
    assert [at - rounds[0] for at in rounds] == [dt.timedelta(0), HOUR, 2 * HOUR]
