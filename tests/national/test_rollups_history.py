"""History beyond one day is read from the roll-ups, never from the raw readings: every history reader of the pages,
the API and the corroboration report is run over a week or a month while the SQL it sends is recorded."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, event, insert

from data import queries
from data.corroboration_report import load_observations
from data.schema import Station
from data.station_hours import HOURLY_STATUS, station_averages, station_series
from monitoring.ingest import Batch, store_batch
from monitoring.rollups import drain_pending
from monitoring.schema import canonicalise

NOW = dt.datetime(2025, 3, 12, 0, 0, tzinfo=dt.UTC)
RAW_TABLE = re.compile(r"\b(FROM|JOIN)\s+\"?readings\"?(\s|$)", re.IGNORECASE)
LATEST_PROBE = re.compile(r"ORDER BY readings\.observed_at DESC\s+LIMIT", re.IGNORECASE)


@pytest.fixture
def week(engine: Engine) -> Engine:
    """One air station with 8 days of 5-minute PM2.5 (device errors for one hour a day), stored and drained."""
    with engine.begin() as conn:
        conn.execute(
            insert(Station),
            [{"id": "A1", "name": "A1", "kind": "air", "lat": 21.03, "lon": 105.85, "located": True,
              "set_name": "hanoi-2025", "ward_code": "00070"}],
        )  # fmt: skip
    times = pd.date_range(NOW - dt.timedelta(days=8), NOW, freq="5min", tz="UTC", inclusive="right")
    raw = pd.DataFrame(
        {"station_id": "A1", "parameter": "pm25", "unit": "µg/m³", "observed_at": times,
         "value": (40 + 20 * np.sin(np.arange(len(times)) / 50)).round(1),
         "status": np.where(times.hour == 3, "02", "00")}
    )  # fmt: skip
    readings, rejects = canonicalise(raw, source="test")
    assert not rejects
    with engine.begin() as conn:
        store_batch(conn, Batch("test", "air", readings, interval_minutes=5))
    drain_pending(engine)
    return engine


@pytest.fixture
def statements(week: Engine) -> Iterator[list[str]]:
    """The SQL sent to ``week`` while the test runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001 - SQLAlchemy's event signature
        sent.append(statement)

    event.listen(week, "before_cursor_execute", record)
    yield sent
    event.remove(week, "before_cursor_execute", record)


def _raw_scans(sent: list[str]) -> list[str]:
    """Statements reading the raw readings other than the one-row probe of the newest unit."""
    return [s for s in sent if RAW_TABLE.search(s) and not LATEST_PROBE.search(s)]


@pytest.mark.parametrize("days", [7, 30])
def test_a_station_chart_beyond_a_day_reads_hourly_means_only(week: Engine, statements: list[str], days: int) -> None:
    series = station_series(week, "A1", "pm25", NOW - dt.timedelta(days=days), NOW)
    assert statements and not _raw_scans(statements)
    assert len(series) == min(days, 8) * 24  # every stored hour (8 days) within the window, as hourly means
    assert set(series["status"]) == {HOURLY_STATUS} and set(series["unit"]) == {"µg/m³"}
    error_hours = series["observed_at"].dt.hour == 4  # the hour 03:00-04:00 had device errors (status 02)
    assert series.loc[error_hours, "value"].isna().all() and series.loc[~error_hours, "value"].notna().all()


def test_a_chart_of_one_day_still_shows_the_readings_with_their_device_status(week: Engine) -> None:
    series = station_series(week, "A1", "pm25", NOW - dt.timedelta(days=1), NOW)
    assert len(series) == 24 * 12 + 1 and set(series["status"]) == {"00", "02"}  # since included


def test_the_other_history_readers_do_not_touch_the_raw_readings(week: Engine, statements: list[str]) -> None:
    month = NOW - dt.timedelta(days=30)
    assert queries.station_parameters(week, "A1", month) == ["pm25"]
    rows, found = station_averages(week, "A1", NOW - dt.timedelta(days=7), limit=500, offset=0)  # the API's
    assert found == len(rows) == 7 * 24
    observations = load_observations(week, month, NOW, limits={"pm25": 50.0})  # corroboration by hourly limits
    assert len(observations[observations["parameter"] == "pm25"]) == 8 * 23  # the valid hours
    assert queries.public_aqi_series(week, "A1", "vn", "daily", month).shape[0] > 0  # published history: AQI
    assert statements and not _raw_scans(statements)


def test_the_check_catches_a_history_read_of_the_raw_readings(week: Engine, statements: list[str]) -> None:
    """The recorder is not blind: the raw readings read over a week are caught."""
    assert len(queries.reading_series(week, "A1", "pm25", NOW - dt.timedelta(days=7))) == 7 * 288 + 1
    assert len(_raw_scans(statements)) == 1


def test_the_api_serves_daily_and_ward_history_from_the_roll_ups(
    loaded_engine: Engine, week: Engine, statements: list[str]
) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from data.config import load_settings

    settings = load_settings(timezone="Asia/Ho_Chi_Minh", boundary_set="hanoi-2025")
    client = TestClient(create_app(week, settings, clock=lambda: NOW))
    client.get("/api/v1/stations")  # the public snapshot (newest readings, cached a minute) is built first
    statements.clear()
    month = {"since": (NOW - dt.timedelta(days=30)).isoformat(), "limit": 100}
    daily = client.get("/api/v1/stations/A1/daily", params=month).json()
    assert daily["meta"]["found"] == 9  # hours (NOW − 8 d, NOW] fall in the local days 4 … 12 March (UTC+7)
    hourly = station_series(week, "A1", "pm25", NOW - dt.timedelta(days=30), NOW)
    local_day = (hourly["observed_at"].dt.tz_convert("Asia/Ho_Chi_Minh") - dt.timedelta(hours=1)).dt.date
    full = daily["results"][3]  # 7 March: a whole day, its device-error hour not valid
    assert full["period"]["datetimeTo"]["local"] == "2025-03-08T00:00:00+07:00"
    assert full["coverage"] == {"expectedCount": 24, "observedCount": 23, "valid": True}
    day = hourly[local_day == dt.date(2025, 3, 7)]
    assert full["value"] == pytest.approx(day["value"].mean())
    assert daily["results"][-1]["coverage"]["valid"] is False  # 12 March: 7 hours so far
    ward = client.get("/api/v1/wards/00070/hourly", params={**month, "limit": 1000}).json()
    assert ward["meta"]["found"] == 8 * 24
    values = [np.nan if r["value"] is None else r["value"] for r in ward["results"]]  # null: no valid station
    assert values == pytest.approx(hourly["value"].tolist(), nan_ok=True)  # one station: the ward is its mean
    assert {r["stationKind"] for r in ward["results"]} == {"air"}
    assert client.get("/api/v1/wards/00070/daily", params=month).json()["meta"]["found"] == 9
    assert client.get("/api/v1/wards/99999/daily").status_code == 404
    assert client.get("/api/v1/stations/A1/daily", params={"since": "2020-01-01T00:00:00Z"}).status_code == 400
    assert statements and not _raw_scans(statements)
