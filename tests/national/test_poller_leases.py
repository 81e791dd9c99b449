"""Pollers on several processes share the feeds through leases: never two on one feed, takeover after kill -9.

The in-process tests check the lease rules on both engines; the process test runs two real ``envmon feeds run``
pollers against a local HTTP feed, kills the holder with SIGKILL and checks that the other takes over within one
interval, that the feed was never fetched by two pollers at once, and that no reading was lost or stored twice.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from data import leases
from data.db import make_engine, migrate
from data.feed_state import read_health
from data.schema import QuarantineRow, Reading
from monitoring.feeds.base import Batch, FeedSpec
from monitoring.poller import FeedCoordinator, LeaseKeeper, run_once
from monitoring.schema import canonicalise

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(seconds=30)


class MinuteSource:
    """A fake feed: one PM2.5 reading a minute from the checkpoint up to ``now``."""

    name = "fake"
    kind = "air"

    def __init__(self) -> None:
        self.calls = 0

    def fetch(self, checkpoint: dict[str, Any], now: dt.datetime) -> Batch:
        self.calls += 1
        last = dt.datetime.fromisoformat(checkpoint["last"]) if "last" in checkpoint else T0 - dt.timedelta(minutes=5)
        times = pd.date_range(last, now, freq="min", tz="UTC", inclusive="right")
        raw = pd.DataFrame({"observed_at": times, "parameter": "PM2.5", "value": 20.0})
        raw["station_id"], raw["unit"], raw["status"] = "ST1", "µg/m³", "00"
        readings, rejects = canonicalise(raw, source=self.name)
        return Batch(self.name, "air", readings, rejects, checkpoint={"last": now.isoformat()})

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to acknowledge."""


def _spec(feed: Any) -> FeedSpec:
    return FeedSpec(feed, interval=dt.timedelta(minutes=5), stale_after=dt.timedelta(hours=1), retries=0)


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def test_one_holder_at_a_time_and_takeover_after_expiry(engine: Engine) -> None:
    assert leases.try_acquire(engine, "f", "A", T0, TTL)
    assert not leases.try_acquire(engine, "f", "B", T0 + dt.timedelta(seconds=29), TTL)
    assert leases.try_acquire(engine, "f", "A", T0 + dt.timedelta(seconds=20), TTL)  # renewed to T0+50 s
    assert not leases.try_acquire(engine, "f", "B", T0 + dt.timedelta(seconds=49), TTL)
    assert leases.try_acquire(engine, "f", "B", T0 + dt.timedelta(seconds=50), TTL)
    assert leases.current_leases(engine)["f"].holder == "B"
    leases.release(engine, ["f"], "A")  # not A's any more: nothing happens
    assert leases.current_leases(engine)["f"].holder == "B"
    leases.release(engine, ["f"], "B")
    assert leases.try_acquire(engine, "f", "A", T0 + dt.timedelta(seconds=51), TTL)


def test_a_holder_that_lost_its_lease_stores_nothing(engine: Engine) -> None:
    """A poller paused past its lease (GC, network) must not store its batch beside the new holder's."""
    old, new = LeaseKeeper(engine, TTL, "old"), LeaseKeeper(engine, TTL, "new")
    feed = MinuteSource()
    assert old.hold("fake", T0)
    assert FeedCoordinator(engine, _spec(feed), keeper=old).poll(T0).ok
    stored, checkpoint = _count(engine, Reading), read_health(engine, "fake").checkpoint
    later = T0 + dt.timedelta(minutes=2)
    assert new.hold("fake", later)  # old's 30-s lease expired while it was "paused"
    result = FeedCoordinator(engine, _spec(feed), keeper=old).poll(later)
    assert not result.ok and "lease" in (result.error or "")
    assert _count(engine, Reading) == stored and read_health(engine, "fake").checkpoint == checkpoint
    assert read_health(engine, "fake").consecutive_failures == 0  # the new holder's health is untouched
    assert FeedCoordinator(engine, _spec(feed), keeper=new).poll(later).ok
    assert _count(engine, Reading) == stored + 2  # the new holder continues from the checkpoint: no gap, no repeat


def test_poll_once_leaves_a_held_feed_to_its_holder(engine: Engine) -> None:
    running = LeaseKeeper(engine, TTL, "running")
    assert running.hold("fake", T0)
    feed = MinuteSource()
    hooks: list[dt.datetime] = []
    once = LeaseKeeper(engine, TTL, "once")
    results = run_once(engine, [_spec(feed)], T0, [lambda _e, at: hooks.append(at)], keeper=once)
    assert results["fake"].held_by == "running" and feed.calls == 0
    assert hooks == [T0]  # the post-poll round's lease was free
    assert leases.current_leases(engine)["fake"].holder == "running"
    assert "*after_poll" not in leases.current_leases(engine)  # given back at the end


def test_running_pollers_share_the_feeds_and_take_a_dead_ones_back(engine: Engine) -> None:
    specs = [_spec(MinuteSource()) for _ in range(3)]
    for spec, name in zip(specs, "abc", strict=True):
        spec.feed.name = name
    first, second = LeaseKeeper(engine, TTL, "first"), LeaseKeeper(engine, TTL, "second")
    second_tick = dt.timedelta(seconds=1)
    assert [s.name for s in first.share_feeds(specs, T0)] == ["a", "b", "c"]  # alone: every feed
    assert second.share_feeds(specs, T0 + second_tick) == []  # all held; it announced itself
    assert first.share_feeds(specs, T0 + 2 * second_tick) == []  # two pollers: a share of 2, "c" handed over
    assert [s.name for s in second.share_feeds(specs, T0 + 3 * second_tick)] == ["c"]
    held = {name: lease.holder for name, lease in leases.current_leases(engine).items() if name in "abc"}
    assert held == {"a": "first", "b": "first", "c": "second"}
    later = T0 + 3 * second_tick + TTL + second_tick  # second died: neither its presence nor "c" renewed
    assert [s.name for s in first.share_feeds(specs, later)] == ["c"]
    assert "*poller:second" not in leases.current_leases(engine)  # its presence row is cleaned up


def test_cli_poll_once_skips_a_held_feed_and_status_names_its_poller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli import main

    database = f"sqlite:///{tmp_path / 'envmon.db'}"
    engine = make_engine(database)
    migrate(engine)
    config = tmp_path / "feeds.toml"
    config.write_text(
        """stations_file = ""
[[feed]]
name = "portal"
type = "http"
url = "http://127.0.0.1:9/never-fetched"
mapping = { station_id = "s", parameter = "p", value = "v", observed_at = "t" }
""",
        encoding="utf-8",
    )
    now = dt.datetime.now(dt.UTC)
    assert leases.try_acquire(engine, "portal", "machine-2:4242:abc", now, dt.timedelta(minutes=5))
    monkeypatch.setenv("DATABASE_URL", database)
    assert main(["feeds", "poll", "--once", "--config", str(config)]) == 0  # left to its holder: not a failure
    polled = json.loads(capsys.readouterr().out.splitlines()[-1])["portal"]
    assert polled["held_by"] == "machine-2:4242:abc" and polled["error"] is None
    assert main(["feeds", "status", "--config", str(config)]) == 0
    [status] = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert status["poller"] == "machine-2:4242:abc" and status["last_success_at"] is None  # never fetched here


def test_an_unreachable_database_is_logged_once_with_the_password_masked(caplog: pytest.LogCaptureFixture) -> None:
    keeper = LeaseKeeper(make_engine("postgresql+psycopg://envmon:pw-s3cret@127.0.0.1:1/envmon"), TTL, "p")
    with caplog.at_level(logging.INFO, logger="monitoring.poller"):
        assert not any(keeper.hold(name, T0) for name in ("a", "b", "a", "b"))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "cannot reach the database" in errors[0]
    assert "pw-s3cret" not in caplog.text and keeper.held == set()


# --- real processes ------------------------------------------------------------------------------------------

INTERVAL_SECONDS = 4.0
LEASE_SECONDS = 1.5
SERVE_DELAY = 0.3  # each answer takes this long, so overlapping fetches would be seen


class FeedServer(ThreadingHTTPServer):
    """A JSON feed with one reading per second since it started, up to 2 s ago, after ``?since=`` if given.

    Each request names its poller (``?poller=``); the server records start, end and poller of every request and
    the largest number of requests in flight at once.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FeedHandler)
        self.started = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.requests: list[tuple[float, float, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        query = parse_qs(urlparse(self.path).query)
        began = time.monotonic()
        with self.server.lock:
            self.server.in_flight += 1
            self.server.max_in_flight = max(self.server.max_in_flight, self.server.in_flight)
        try:
            time.sleep(SERVE_DELAY)
            since = (
                dt.datetime.fromisoformat(query["since"][0]).replace(microsecond=0)
                if "since" in query
                else self.server.started
            )
            until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
            seconds = pd.date_range(max(since, self.server.started), until, freq="s", inclusive="right")
            body = json.dumps(
                [{"station": "NAT1", "param": "PM2.5", "value": 25.0, "time": at.isoformat()} for at in seconds]
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except BrokenPipeError:
            pass  # the poller was killed while waiting for this answer
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
                self.server.requests.append((began, time.monotonic(), query["poller"][0]))

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database the poller processes can reach by URL (a fresh PostgreSQL database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pollers.db'}"
        migrate(make_engine(url))
        yield url
        return
    base = request.getfixturevalue("postgres_engine").url.render_as_string(hide_password=False)
    name = f"leases_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _poller(tmp_path: Path, database_url: str, port: int, name: str) -> subprocess.Popen[bytes]:
    config = tmp_path / f"feeds-{name}.toml"
    config.write_text(
        f"""stations_file = ""
after_poll = []

[[feed]]
name = "national-air"
type = "http"
url = "http://127.0.0.1:{port}/readings"
params = {{ poller = "{name}" }}
since_param = "since"
overlap_hours = 0.002
interval_minutes = {INTERVAL_SECONDS / 60}
stale_after_minutes = 10
retries = 0
mapping = {{ station_id = "station", parameter = "param", value = "value", observed_at = "time" }}
defaults = {{ unit = "µg/m³" }}
""",
        encoding="utf-8",
    )
    env = {**os.environ, "DATABASE_URL": database_url, "ENVMON_VAR_DIR": str(tmp_path / "var"),
           "ENVMON_POLLER_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONFAULTHANDLER": "1"}  # fmt: skip
    log = (tmp_path / f"poller-{name}.log").open("wb")
    argv = [sys.executable, "-m", "cli", "feeds", "run", "--config", str(config)]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _stopped_cleanly(process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait for a SIGTERMed poller to exit 0; if it hangs, SIGABRT makes it print every thread's stack to ``log``."""
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # PYTHONFAULTHANDLER=1: the stacks of all threads go to the log
        process.wait(10)
        pytest.fail(f"the poller did not stop within {timeout:.0f} s of SIGTERM; its log:\n{log.read_text()[-8000:]}")
    assert code == 0, log.read_text()[-8000:]


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_two_poller_processes_never_overlap_and_survive_kill_9(
    feed_server: FeedServer, database_url: str, tmp_path: Path
) -> None:
    port = feed_server.server_address[1]
    first = _poller(tmp_path, database_url, port, "A")
    second = None
    try:
        _wait_for(lambda: len(feed_server.requests) >= 2, 60, "the first poller's first two polls")
        second = _poller(tmp_path, database_url, port, "B")
        time.sleep(3 * INTERVAL_SECONDS)  # B is up and renewing: it must stay idle while A holds the feed
        assert {poller for _s, _e, poller in feed_server.requests} == {"A"}
        _wait_for(lambda: feed_server.in_flight == 1, 2 * INTERVAL_SECONDS, "A in the middle of a fetch")
        killed_at = time.monotonic()
        first.send_signal(signal.SIGKILL)  # mid-fetch: its batch is never committed
        first.wait(10)
        _wait_for(lambda: any(p == "B" for _s, _e, p in feed_server.requests), 30, "B taking over")
        takeover = min(start for start, _e, poller in feed_server.requests if poller == "B") - killed_at
        assert takeover <= INTERVAL_SECONDS, f"B took {takeover:.1f} s to take over (interval {INTERVAL_SECONDS} s)"
        count_b = sum(poller == "B" for _s, _e, poller in feed_server.requests)
        _wait_for(lambda: sum(p == "B" for _s, _e, p in feed_server.requests) >= count_b + 2, 30, "B's next polls")
        second.send_signal(signal.SIGTERM)
        _stopped_cleanly(second, tmp_path / "poller-B.log", 30)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
    assert feed_server.max_in_flight == 1  # never two fetches of the feed at once
    order = [poller for _s, _e, poller in sorted(feed_server.requests)]
    assert order == sorted(order)  # all of A's fetches, then all of B's: never interleaved
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            times = pd.to_datetime(
                pd.Series(conn.scalars(select(Reading.observed_at).where(Reading.station_id == "NAT1")).all()),
                utc=True,
            ).sort_values()
        assert len(times) > 10 and times.is_unique
        expected = pd.date_range(times.iloc[0], times.iloc[-1], freq="s")
        assert len(times) == len(expected)  # every second from the first to the last: nothing lost at the kill
        assert times.iloc[0] == pd.Timestamp(feed_server.started) + pd.Timedelta(seconds=1)
        assert _count(engine, QuarantineRow) == 0
        assert "national-air" not in leases.current_leases(engine)  # B gave its lease back on SIGTERM
        checkpoint = read_health(engine, "national-air").checkpoint["latest"]
        assert pd.Timestamp(checkpoint) == times.iloc[-1]
    finally:
        engine.dispose()
