"""Late data through the real entry points: ``envmon readings import`` and a poll round store history with the
later rolling means deferred and drain the pending windows, so roll-ups and AQI reach hours far older than the
post-poll AQI refresh (two days)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from data.config import DEFAULT_TIMEZONE, REFERENCE_DIR
from data.rollups import count_pending
from data.schema import AqiValue, Average
from monitoring import pipeline, poller
from monitoring.aqi_store import refresh_aqi
from monitoring.feeds.base import Batch, FeedSpec
from monitoring.poller import run_once
from monitoring.readings_import import import_readings
from monitoring.rollups import day_ends
from monitoring.schema import canonicalise

OPENAQ = REFERENCE_DIR / "air_quality" / "openaq_hanoi_4stations_2025-04_hourly.csv"
NOW = dt.datetime(2025, 5, 20, 0, 0, tzinfo=dt.UTC)


def _aqi(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(AqiValue.station_id, AqiValue.scale, AqiValue.period, AqiValue.period_end, AqiValue.aqi,
                   AqiValue.dominant).order_by(AqiValue.station_id, AqiValue.scale, AqiValue.period,
                                               AqiValue.period_end)
        ).all()  # fmt: skip
    return pd.DataFrame(rows, columns=["station_id", "scale", "period", "period_end", "aqi", "dominant"])


def _daily_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Average).where(Average.period == "1d")) or 0


def _expected_days(engine: Engine) -> int:
    """(station, parameter, local day) holding at least one stored hourly mean."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Average.station_id, Average.parameter, Average.period_end).where(Average.period == "1h")
        ).all()
    hours = pd.DataFrame(rows, columns=["station_id", "parameter", "period_end"])
    return len(hours.assign(day=day_ends(hours["period_end"], DEFAULT_TIMEZONE)).drop_duplicates(
        ["station_id", "parameter", "day"]))  # fmt: skip


def test_importing_a_month_of_history_drains_its_roll_ups_and_aqi(engine: Engine) -> None:
    summary = import_readings(engine, OPENAQ, now=NOW)
    assert summary.accepted > 0
    with engine.connect() as conn:
        assert count_pending(conn) == 0
    assert _daily_rows(engine) == _expected_days(engine) > 0
    drained = _aqi(engine)
    assert len(drained) > 0 and drained["period_end"].min() < NOW - dt.timedelta(days=30)
    refresh_aqi(engine, since=None)
    pd.testing.assert_frame_equal(_aqi(engine), drained)


class Datalogger:
    """A station back after ten days offline: the first poll returns its buffer and the current readings."""

    name = "logger"
    kind = "air"

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        first = pd.Timestamp(checkpoint.get("last", now - dt.timedelta(days=10)))
        times = pd.date_range(first, now, freq="5min", tz="UTC", inclusive="right")
        raw = pd.concat(
            [
                pd.DataFrame({"observed_at": times, "parameter": parameter, "station_id": "LOG1", "unit": "µg/m³",
                              "status": "00", "value": (base + 15 * np.sin(np.arange(len(times)) / 40)).round(1)})
                for parameter, base in (("PM2.5", 35.0), ("PM10", 60.0))
            ],
            ignore_index=True,
        )  # fmt: skip
        readings, rejects = canonicalise(raw, source=self.name)
        return Batch(self.name, "air", readings, rejects, checkpoint={"last": now.isoformat()}, interval_minutes=5)

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to acknowledge."""


def test_a_poll_round_defers_a_buffer_flush_and_drains_it(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    deferred: list[bool] = []
    store = poller.store_batch

    def recording(conn, batch, **options):  # noqa: ANN001, ANN003, ANN202 - same signature as the spied function
        deferred.append(options["defer_later_windows"])
        return store(conn, batch, **options)

    monkeypatch.setattr(poller, "store_batch", recording)
    spec = FeedSpec(Datalogger(), interval=dt.timedelta(minutes=5), stale_after=dt.timedelta(hours=1))
    results = run_once(engine, [spec], NOW, after_poll=[pipeline.after_poll])
    assert results["logger"].ok and results["logger"].summary.accepted == 2 * 10 * 288
    later = NOW + dt.timedelta(minutes=5)
    assert run_once(engine, [spec], later, after_poll=[pipeline.after_poll])["logger"].summary.accepted == 2
    assert deferred == [True, False]  # the buffer is late data; the next poll is the live stream
    with engine.connect() as conn:
        assert count_pending(conn) == 0
    assert _daily_rows(engine) == _expected_days(engine) == 2 * 11  # ten days plus the one begun, both parameters
    drained = _aqi(engine)
    assert drained["period_end"].min() < NOW - dt.timedelta(days=9)  # beyond the post-poll refresh's two days
    refresh_aqi(engine, since=None)
    pd.testing.assert_frame_equal(_aqi(engine), drained)
