"""``latest_readings``: the newest reading of each station parameter, kept by store_batch, so the map's latest value
of every station needs no scan of ``readings`` (national scale); same answers as computing it from ``readings``."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, insert, select

from data import queries
from data.schema import LatestReading, Reading
from monitoring.ingest import Batch, store_batch
from monitoring.schema import canonicalise
from tests.national.test_partitions import _alembic


def _batch(station: str, times: pd.DatetimeIndex, value: float, status: str = "00") -> Batch:
    frame = pd.DataFrame(
        {"station_id": station, "parameter": ["PM2.5", "NO2"] * len(times), "value": value, "unit": "µg/m³",
         "observed_at": times.repeat(2), "status": status}
    )  # fmt: skip
    readings, rejects = canonicalise(frame, source="test")
    return Batch("test", "air", readings, rejects, interval_minutes=5)


def _from_readings(engine: Engine) -> pd.DataFrame:
    """What the latest readings are, computed the slow way from every stored reading."""
    newest = (
        select(Reading.station_id, Reading.parameter, func.max(Reading.observed_at).label("observed_at"))
        .group_by(Reading.station_id, Reading.parameter)
        .subquery()
    )
    stmt = select(Reading.station_id, Reading.parameter, Reading.observed_at, Reading.value, Reading.status).join(
        newest,
        (newest.c.station_id == Reading.station_id)
        & (newest.c.parameter == Reading.parameter)
        & (newest.c.observed_at == Reading.observed_at),
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all()).sort_values(["station_id", "parameter"], ignore_index=True)


def _latest(engine: Engine) -> pd.DataFrame:
    stmt = select(LatestReading.station_id, LatestReading.parameter, LatestReading.observed_at, LatestReading.value,
                  LatestReading.status)  # fmt: skip
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all()).sort_values(["station_id", "parameter"], ignore_index=True)


def test_latest_readings_follow_new_data_and_ignore_an_older_buffer(engine: Engine) -> None:
    live = pd.date_range("2026-12-04T08:05Z", periods=6, freq="5min", tz="UTC")
    with engine.begin() as conn:
        store_batch(conn, _batch("A", live[:3], 10.0))
        store_batch(conn, _batch("B", live[:1], 20.0, status="02"))
    with engine.begin() as conn:  # a datalogger's old buffer for A, then A's next live step
        store_batch(conn, _batch("A", pd.date_range("2026-11-20T00:05Z", periods=50, freq="5min", tz="UTC"), 99.0))
        store_batch(conn, _batch("A", live[3:4], 11.0, status="01"))
    latest = _latest(engine)
    pd.testing.assert_frame_equal(latest, _from_readings(engine))
    assert latest.set_index("station_id").loc["A", "value"].tolist() == [11.0, 11.0]
    stations = queries.public_stations(engine).set_index("id")["last_reading_at"]
    assert stations.loc["A"] == live[3] and stations.loc["B"] == live[0]
    assert queries.public_latest_readings(engine, "A")["status"].tolist() == ["01", "01"]
    assert queries.station_device_status(engine).set_index("station_id")["status"].to_dict() == {"A": "01", "B": "02"}


def test_the_migration_fills_latest_readings_from_stored_readings(engine: Engine) -> None:
    _alembic(engine, "downgrade", "0012")
    times = pd.date_range("2026-12-01T00:05Z", periods=4, freq="5min", tz="UTC")
    rows = [
        {"station_id": station, "parameter": parameter, "value": float(i), "unit": "µg/m³", "observed_at": at,
         "status": "00", "source": "seed"}
        for station in ("A", "B") for parameter in ("pm25", "no2") for i, at in enumerate(times[: 2 + (station == "B")])
    ]  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Reading), rows)
    _alembic(engine, "upgrade", "head")
    pd.testing.assert_frame_equal(_latest(engine), _from_readings(engine))
    assert len(_latest(engine)) == 4
