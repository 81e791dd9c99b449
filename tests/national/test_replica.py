"""A real primary and a real streaming replica on loopback: writes go to one, pages and the API read the other.

The module starts its own PostgreSQL 15 pair in temporary folders (``initdb``, then ``pg_basebackup -R`` for the
replica, run as the ``postgres`` user when the tests run as root, as ``.ci/pg.sh`` does), writes readings through
the ingest path on the primary and reads them back through ``data.db.read_engine``: the public snapshot (the
page's and the site's data), the HTTP API. It pauses the replica's replay to check that lag shows as an older data
time rather than an error, and stops the replica to check that reads fall back to the primary, logged once with
the password masked.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.exc import DBAPIError

from api.app import create_app
from bench._pg_pair import PostgresPair, postgres_pair, server_binaries_present
from data import db, read_routing
from data.config import Settings, load_settings
from data.schema import Station
from monitoring.aqi_store import refresh_aqi
from monitoring.feeds.base import Batch
from monitoring.ingest import store_batch
from monitoring.public_snapshot import build_snapshot
from monitoring.schema import canonicalise

PASSWORD = "replica-s3cret"  # trust authentication ignores it; it must never reach a log line
TIMEZONE = "Asia/Ho_Chi_Minh"
STATION = "NAT-HN1"
CHECK_SECONDS = 0.2


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresPair]:
    """A primary with the schema, and a streaming replica of it made with ``pg_basebackup -R``."""
    if not server_binaries_present():
        reason = "the replica test needs the PostgreSQL 15 server tools (.ci/run installs them)"
        if os.environ.get("ENVMON_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with postgres_pair() as pair:
        yield pair


@pytest.fixture(scope="module")
def settings(cluster: PostgresPair) -> Settings:
    """Settings naming the primary and, as ``database_read_url``, the replica (with a password to be masked); lag
    is tolerated (reads stay on a lagging replica), the replica checked every 0.2 s."""
    return load_settings(
        database_url=cluster.primary_url,
        database_read_url=cluster.url(cluster.replica_port, password=PASSWORD),
        timezone=TIMEZONE,
        read_max_lag_seconds=0,
        read_lag_check_seconds=CHECK_SECONDS,
    )


@pytest.fixture(scope="module")
def engines(settings: Settings) -> Iterator[tuple[Engine, Engine]]:
    """(primary, read engine) as the product makes them."""
    primary = db.engine(settings)
    reader = db.read_engine(settings, primary=primary)
    yield primary, reader
    reader.dispose()
    primary.dispose()


def _import_hours(primary: Engine, last_hour: dt.datetime, hours: int, value: float) -> None:
    """Store 5-minute PM2.5 readings of ``hours`` hours ending at ``last_hour`` through the ingest path, then AQI."""
    ends = pd.date_range(last_hour - dt.timedelta(hours=hours), last_hour, freq="5min", inclusive="right")
    raw = pd.DataFrame({"observed_at": ends, "parameter": "PM2.5", "value": value, "station_id": STATION,
                        "unit": "µg/m³", "status": "00"})  # fmt: skip
    readings, rejects = canonicalise(raw, source="national-test")
    with db.write_transaction(primary) as conn:
        store_batch(conn, Batch("national-test", "air", readings, rejects, interval_minutes=5), filename="national")
    refresh_aqi(primary, since=last_hour - dt.timedelta(days=2), timezone=TIMEZONE)


def _wait(condition: Callable[[], Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _snapshot(reader: Engine, now: dt.datetime) -> Any:
    return build_snapshot(reader, now=now, timezone=TIMEZONE, boundary_set="hanoi-2025")


NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def test_reading_imported_on_the_primary_is_served_from_the_replica(
    engines: tuple[Engine, Engine], settings: Settings
) -> None:
    primary, reader = engines
    with primary.begin() as conn:
        station = {"id": STATION, "name": "Trạm quốc gia HN1", "kind": "air", "lat": 21.0288, "lon": 105.8523,
                   "located": True, "source": "test", "parameters": ["pm25"]}  # fmt: skip
        conn.execute(insert(Station), [station])
    _import_hours(primary, NOW - dt.timedelta(hours=1), hours=3, value=35.0)
    with reader.connect() as conn:
        assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar() is True  # reads really go to the replica
        with pytest.raises(DBAPIError, match="read-only"):
            conn.execute(text("DELETE FROM stations"))
    _wait(lambda: _snapshot(reader, NOW).station(STATION) is not None, "the station on the replica")
    assert _snapshot(reader, NOW).data_time == NOW - dt.timedelta(hours=1)
    client = TestClient(create_app(primary, settings, read_engine=reader, clock=lambda: NOW))
    answer = client.get("/api/v1/aqi/stations").json()
    assert STATION in str(answer)
    hourly = client.get(
        f"/api/v1/stations/{STATION}/hourly", params={"since": (NOW - dt.timedelta(hours=6)).isoformat()}
    )
    assert hourly.status_code == 200 and len(hourly.json()["results"]) >= 3


def test_replica_lag_shows_an_older_data_time_never_an_error(
    cluster: PostgresPair, engines: tuple[Engine, Engine]
) -> None:
    primary, reader = engines
    replica_admin = create_engine(cluster.replica_url, isolation_level="AUTOCOMMIT")
    try:
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))
        _import_hours(primary, NOW, hours=1, value=80.0)  # a newer hour, not yet replayed on the replica
        _wait(lambda: (db.replica_lag(reader) or dt.timedelta()) > dt.timedelta(0), "the replica to lag")
        behind = _snapshot(reader, NOW)  # the page still draws, from the replica's older data
        assert behind.data_time == NOW - dt.timedelta(hours=1)
        assert _snapshot(primary, NOW).data_time == NOW
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        _wait(lambda: db.replica_lag(reader) == dt.timedelta(0), "the replica to catch up")
        assert _snapshot(reader, NOW).data_time == NOW
    finally:
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        replica_admin.dispose()


def test_reads_fall_back_to_the_primary_while_the_replica_is_down(
    cluster: PostgresPair, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    cluster.stop("replica")
    primary = db.engine(settings)
    reader = db.read_engine(settings, primary=primary)
    try:
        caplog.set_level(logging.INFO, logger="data.read_routing")
        for _ in range(3):  # three pages, each opening connections: still one log line
            assert _snapshot(reader, NOW).station(STATION) is not None
            reader.dispose()
        assert db.replica_lag(reader) is None  # answered by the primary
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "unavailable" in warnings[0] and "reading from the primary" in warnings[0]
        assert PASSWORD not in caplog.text and "***" in warnings[0]
        cluster.start("replica")
        _wait(lambda: _reads_replica(reader), "reads back on the replica")  # within a check or two
        assert [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    finally:
        reader.dispose()
        primary.dispose()


def _reads_replica(reader: Engine) -> bool:
    with reader.connect() as conn:
        return bool(conn.execute(text("SELECT pg_is_in_recovery()")).scalar())


def test_reads_go_to_the_primary_while_the_replica_lags_more_than_allowed(
    cluster: PostgresPair, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    strict = settings.model_copy(update={"read_max_lag_seconds": 1.0})
    primary = db.engine(strict)
    reader = db.read_engine(strict, primary=primary)
    router = read_routing.router_of(reader)
    replica_admin = create_engine(cluster.replica_url, isolation_level="AUTOCOMMIT")
    caplog.set_level(logging.INFO, logger="data.read_routing")
    try:
        assert router is not None
        _wait(lambda: router.check().lag == dt.timedelta(0), "the replica restarted by the last test to catch up")
        time.sleep(1.5)  # an idle primary is no lag: still on the replica after more than the allowed lag
        assert _reads_replica(reader) and router.check().lag == dt.timedelta(0)
        caplog.clear()
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_pause()"))
        newer = NOW + dt.timedelta(hours=1)
        _import_hours(primary, newer, hours=1, value=60.0)
        assert _snapshot(reader, newer).data_time == NOW  # within the allowed lag: the replica's older data
        _wait(lambda: not _reads_replica(reader), "reads to move to the primary", timeout=10)
        assert router.check().reason == "lagging" and router.check().lag > dt.timedelta(seconds=1)
        assert _snapshot(reader, newer).data_time == newer  # the primary's data, no error, pooled replica
        lagging = [r.getMessage() for r in caplog.records if "behind" in r.getMessage()]
        assert len(lagging) == 1 and "reading from the primary" in lagging[0] and PASSWORD not in caplog.text
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        _wait(lambda: _reads_replica(reader), "reads back on the replica", timeout=10)
        assert _snapshot(reader, newer).data_time == newer
        assert [r.getMessage() for r in caplog.records if "caught up" in r.getMessage()]
    finally:
        with replica_admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        replica_admin.dispose()
        reader.dispose()
        primary.dispose()
