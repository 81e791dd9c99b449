"""Station states for the station list: silence first (stale, offline since…), then the device status."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from monitoring.station_health import OFFLINE_AFTER, STALE_AFTER, station_health

NOW = dt.datetime(2026, 12, 4, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("age", "status", "state"),
    [
        (dt.timedelta(minutes=5), "00", "ok"),
        (dt.timedelta(minutes=5), "01", "calibrating"),
        (dt.timedelta(minutes=5), "02", "error"),
        (STALE_AFTER + dt.timedelta(minutes=1), "02", "stale"),  # silence wins over the last record
        (OFFLINE_AFTER + dt.timedelta(minutes=1), "00", "offline"),
        (STALE_AFTER, "00", "ok"),  # exactly at the threshold: not yet stale
    ],
)
def test_station_state(age: dt.timedelta, status: str, state: str) -> None:
    assert station_health(NOW - age, status, NOW).state == state


def test_offline_says_since_when_and_never_seen_is_no_data() -> None:
    last = NOW - dt.timedelta(days=3)
    health = station_health(pd.Timestamp(last), "00", NOW)
    assert health.state == "offline" and health.since == pd.Timestamp(last)
    assert station_health(pd.NaT, None, NOW).state == "no_data"
    assert station_health(None, None, NOW).state == "no_data"
