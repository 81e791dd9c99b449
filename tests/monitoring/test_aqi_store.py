"""Stored AQI values recomputed from stored hourly averages, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from cli import main
from data.db import transaction
from data.schema import AqiValue, Average, Station
from monitoring.aqi_store import refresh_aqi

UTC = dt.UTC


def _seed(engine: Engine) -> None:
    # 8 March 2025 local (UTC+7): hours ending 01:00 … 24:00 local are 18:00Z on the 7th … 17:00Z on the 8th
    first = dt.datetime(2025, 3, 7, 18, tzinfo=UTC)
    with transaction(engine) as session:
        session.add(Station(id="HN1", name="Trạm 1", kind="air"))
        session.flush()
        for hour in range(24):
            end = first + dt.timedelta(hours=hour)
            session.add(
                Average(station_id="HN1", parameter="pm25", period="1h", period_end=end, value=55.7, valid=True)
            )
            session.add(Average(station_id="HN1", parameter="no2", period="1h", period_end=end, value=10.0, valid=True))
        # an invalid hour must be ignored even though its value is huge
        session.add(
            Average(station_id="HN1", parameter="no2", period="1h", period_end=first + dt.timedelta(hours=30),
                    value=5000.0, valid=False)
        )  # fmt: skip


def test_refresh_writes_vn_and_us_hourly_and_daily(engine: Engine) -> None:
    _seed(engine)
    written = refresh_aqi(engine)
    assert written > 0
    with engine.connect() as conn:
        daily_vn = conn.execute(select(AqiValue).where(AqiValue.scale == "vn", AqiValue.period == "daily")).one()
        assert daily_vn.period_end == dt.datetime(2025, 3, 8, 17, tzinfo=UTC)  # 24:00 local
        assert (daily_vn.aqi, daily_vn.category, daily_vn.dominant) == (110, 3, "pm25")
        assert daily_vn.sub_indices["pm25"]["aqi"] == 110
        daily_us = conn.execute(select(AqiValue).where(AqiValue.scale == "us", AqiValue.period == "daily")).one()
        assert daily_us.aqi == 151  # 55.7 → 55.7 truncated, 151 + 49/69.9 × 0.2 = 151.14
        hourly = conn.execute(
            select(func.count()).select_from(AqiValue).where(AqiValue.scale == "vn", AqiValue.period == "hourly")
        ).scalar_one()
        assert hourly == 23  # the first hour has only c1: NowCast needs 2 of c1–c3
        assert conn.execute(select(func.max(AqiValue.aqi))).scalar_one() < 500  # the invalid hour is unused


def test_refresh_is_idempotent_and_respects_since(engine: Engine) -> None:
    _seed(engine)
    first = refresh_aqi(engine)
    again = refresh_aqi(engine)
    assert first == again
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AqiValue)).scalar_one() == first
    since = dt.datetime(2025, 3, 8, 12, tzinfo=UTC)
    partial = refresh_aqi(engine, since=since)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AqiValue)).scalar_one() == first
        recent = conn.execute(
            select(func.count()).select_from(AqiValue).where(AqiValue.period_end >= since)
        ).scalar_one()
    assert partial == recent


def test_cli_refresh(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    _seed(sqlite_engine)
    assert main(["aqi", "refresh", "--since", "2025-03-08T00:00:00+07:00"]) == 0
    written = int(capsys.readouterr().out.split()[0])
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AqiValue)).scalar_one() == written > 0
    assert main(["aqi", "refresh", "--since", "2025-03-08T00:00:00"]) == 2
    assert "needs a UTC offset" in capsys.readouterr().err
