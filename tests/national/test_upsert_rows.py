"""``data.readings_store.upsert_rows``: the one staged upsert behind ``latest_readings`` and ``averages``, on both
engines: new keys inserted, stored keys replaced (only by a newer row when asked), missing values stored as NULL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, select

from data.readings_store import AVERAGE_KEY, AVERAGE_ROW, LATEST_KEY, LATEST_ROW, upsert_rows
from data.schema import Average, LatestReading

T0 = dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)


def _times(*hours: int) -> pd.Series:
    return pd.Series([T0 + dt.timedelta(hours=h) for h in hours]).astype("datetime64[us, UTC]")


def _averages(values: list[float], valid: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {"station_id": ["s1", "s2"], "parameter": "PM2.5", "period": "1h", "period_end": _times(0, 0),
         "value": values, "n_valid": [12, 3], "n_expected": 12, "valid": valid}
    )[list(AVERAGE_ROW)]  # fmt: skip


def test_averages_are_inserted_then_replaced(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_rows(conn, "averages", _averages([40.5, float("nan")], [True, False]), key=AVERAGE_KEY)
        upsert_rows(conn, "averages", _averages([41.0, 7.0], [True, True]).iloc[1:], key=AVERAGE_KEY)
    with engine.connect() as conn:
        stored = conn.execute(select(Average.station_id, Average.value, Average.valid).order_by(Average.station_id))
        assert [tuple(row) for row in stored] == [("s1", 40.5, True), ("s2", 7.0, True)]


def test_latest_rows_are_replaced_only_by_newer_ones(engine: Engine) -> None:
    def latest(hours: tuple[int, int], values: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {"station_id": ["s1", "s2"], "parameter": "NO2", "observed_at": _times(*hours), "value": values,
             "unit": "µg/m³", "status": ["01", "00"]}
        )[list(LATEST_ROW)]  # fmt: skip

    with engine.begin() as conn:
        upsert_rows(conn, "latest_readings", latest((5, 5), [float("nan"), 20.0]), key=LATEST_KEY,
                    newer_only="observed_at")  # fmt: skip
        missing = conn.execute(select(LatestReading.value).where(LatestReading.station_id == "s1")).scalar_one()
        assert missing is None  # NaN stored as NULL
        upsert_rows(conn, "latest_readings", latest((6, 4), [30.0, 99.0]), key=LATEST_KEY, newer_only="observed_at")
    with engine.connect() as conn:
        rows = conn.execute(
            select(LatestReading.station_id, LatestReading.value, LatestReading.status).order_by(
                LatestReading.station_id
            )
        ).all()
    assert [tuple(row) for row in rows] == [("s1", 30.0, "01"), ("s2", 20.0, "00")]  # s2's 04:00 row is older
