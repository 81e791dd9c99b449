"""A datalogger flushing its 60-day buffer while the live stream continues: the durable queue of pending windows
records what changed, the drain recomputes exactly the affected windows (rolling means, daily and ward roll-ups,
AQI), the result equals a cold recompute and nothing is doubled; a crash before the drain loses nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, insert, select, text

from data.rollups import count_pending
from data.schema import AqiValue, Average, Reading, Station, WardAverage
from monitoring import rollups
from monitoring.aqi_store import refresh_aqi
from monitoring.ingest import Batch, store_batch
from monitoring.rollups import drain_all, drain_pending
from monitoring.schema import canonicalise

T0 = pd.Timestamp("2025-03-12T00:00Z")  # the datalogger is back: its live stream resumes, its buffer follows
HOUR = pd.Timedelta(hours=1)
WARDS = {"LIVE1": "W1", "LOGGER1": "W1", "LIVE2": "W2", "LOGGER2": "W2"}
LIVE, LOGGERS = ["LIVE1", "LIVE2"], ["LOGGER1", "LOGGER2"]
PARAMETERS = ("pm25", "pm10")


def _batch(stations: list[str], times: pd.DatetimeIndex) -> Batch:
    frames = []
    for station in stations:
        offset = list(WARDS).index(station)
        for parameter in PARAMETERS:
            minutes = (times - T0).total_seconds().to_numpy() / 60
            values = 30 + 10 * offset + 20 * np.sin(minutes / 600) + (15 if parameter == "pm10" else 0)
            frames.append(
                pd.DataFrame(
                    {
                        "station_id": station,
                        "parameter": parameter,
                        "value": values.round(1),
                        "unit": "µg/m³",
                        "observed_at": times,
                        "status": "00",
                    }
                )  # fmt: skip
            )
    readings, rejects = canonicalise(pd.concat(frames, ignore_index=True), source="test")
    assert not rejects
    return Batch("test", "air", readings, interval_minutes=5)


def _minutes(first: pd.Timestamp, last: pd.Timestamp) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="5min", tz="UTC")


HISTORY = _minutes(T0 - pd.Timedelta(days=2) + pd.Timedelta(minutes=5), T0)  # the live stations before T0
BUFFER = _minutes(T0 - pd.Timedelta(days=60) + pd.Timedelta(minutes=5), T0)  # the loggers' 60 days offline
POLL_A = _minutes(T0 + pd.Timedelta(minutes=5), T0 + pd.Timedelta(minutes=5))  # the live stream, before the flush
POLL_B = _minutes(T0 + pd.Timedelta(minutes=10), T0 + HOUR)  # and after it: the rest of the hour


def _stations(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Station),
            [
                {"id": s, "name": s, "kind": "air", "set_name": "hanoi-2025", "ward_code": w, "located": True,
                 "lat": 21.0, "lon": 105.8}
                for s, w in WARDS.items()
            ],
        )  # fmt: skip


def _table(engine: Engine, model: type, order: list[str]) -> pd.DataFrame:
    columns = [c.name for c in model.__table__.columns]
    with engine.connect() as conn:
        rows = conn.execute(select(model.__table__).order_by(*(model.__table__.c[c] for c in order))).all()
    frame = pd.DataFrame(rows, columns=columns)
    for column in frame.columns:
        if column == "period_end":
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.drop(columns=[c for c in ("sub_indices",) if c in frame.columns])


def _averages(engine: Engine) -> pd.DataFrame:
    return _table(engine, Average, ["station_id", "parameter", "period", "period_end"])


def _wards(engine: Engine) -> pd.DataFrame:
    return _table(engine, WardAverage, ["ward_code", "parameter", "period", "period_end"])


def _aqi(engine: Engine) -> pd.DataFrame:
    return _table(engine, AqiValue, ["station_id", "scale", "period", "period_end"])


def _live_then_flush(engine: Engine) -> None:
    """The live stations' history (drained), then poll A, the loggers' buffer flush, poll B: not drained yet."""
    _stations(engine)
    with engine.begin() as conn:
        store_batch(conn, _batch(LIVE, HISTORY))
    drain_pending(engine)
    with engine.begin() as conn:
        store_batch(conn, _batch(LIVE + LOGGERS, POLL_A))
    with engine.begin() as conn:
        assert store_batch(conn, _batch(LOGGERS, BUFFER), defer_later_windows=True).accepted == 2 * 2 * len(BUFFER)
    with engine.begin() as conn:
        store_batch(conn, _batch(LIVE + LOGGERS, POLL_B))


def test_a_buffer_flush_recomputes_exactly_the_affected_windows_and_matches_a_cold_recompute(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _live_then_flush(engine)
    with engine.connect() as conn:
        assert count_pending(conn) == 8 + 4 * 60 + 8  # poll A, the flush (a window a day per series), poll B
    written: list[dict] = []
    replace = rollups.replace_station_aqi

    def recording(conn, ranges, rows):  # noqa: ANN001, ANN202 - same signature as the spied function
        written.extend(rows)
        return replace(conn, ranges, rows)

    monkeypatch.setattr(rollups, "replace_station_aqi", recording)
    summary = drain_pending(engine)
    assert summary.windows == 256
    assert summary.rolling == 2 * 2 * 2  # per logger series the 8-h and 24-h means ending at T0+1h, deferred
    days = 61  # (T0 − 60 d, T0] in hour-ending local days (UTC+7): 11 January … 12 March
    assert summary.station_days == 2 * 2 * days + 2 * 2 * 1
    assert summary.ward_hours == 2 * 2 * (60 * 24 + 1)  # 2 wards × 2 parameters × (buffer hours + T0+1h)
    assert summary.ward_days == 2 * 2 * days
    with engine.connect() as conn:
        assert count_pending(conn) == 0
        stored = conn.execute(select(func.count()).select_from(Reading)).scalar_one()
    assert stored == 2 * 2 * (len(HISTORY) + 12) + 2 * 2 * (len(BUFFER) + 12)

    drained = _aqi(engine)
    averages, wards = _averages(engine), _wards(engine)
    assert refresh_aqi(engine, since=None) == len(drained)  # a cold recompute of every AQI gives the same rows
    pd.testing.assert_frame_equal(_aqi(engine), drained)

    # exactly the AQI windows whose inputs hold a changed hour were recomputed
    ends = pd.to_datetime(pd.Series([row["period_end"] for row in written]), utc=True)
    recomputed = pd.DataFrame({"station_id": [r["station_id"] for r in written],
                               "period": [r["period"] for r in written], "period_end": ends})  # fmt: skip
    first = {s: T0 + HOUR if s in LIVE else T0 - pd.Timedelta(days=60) + HOUR for s in WARDS}
    reach = {"hourly": pd.Timedelta(hours=24), "daily": pd.Timedelta(hours=31)}
    affected = drained[
        [
            first[s] <= end <= T0 + reach[p]
            for s, p, end in zip(drained["station_id"], drained["period"], drained["period_end"], strict=True)
        ]
    ]
    assert len(recomputed) == len(affected) == summary.aqi_hours + summary.aqi_days
    assert (
        recomputed.sort_values(list(recomputed.columns))
        .reset_index(drop=True)
        .equals(
            affected[["station_id", "period", "period_end"]]
            .sort_values(list(recomputed.columns))
            .reset_index(drop=True)
        )
    )
    assert set(affected["station_id"]) == set(WARDS)  # the live stations' newest hours, the loggers' 60 days

    # the same readings stored in one go and drained give the same averages and roll-ups: nothing doubled
    with engine.begin() as conn:
        for table in ("aqi_values", "ward_averages", "averages", "readings"):
            conn.execute(text(f"DELETE FROM {table}"))
        store_batch(conn, _batch(LIVE, HISTORY.append(POLL_A).append(POLL_B)))
        store_batch(conn, _batch(LOGGERS, BUFFER.append(POLL_A).append(POLL_B)))
    drain_pending(engine)
    pd.testing.assert_frame_equal(_averages(engine), averages)
    pd.testing.assert_frame_equal(_wards(engine), wards)
    pd.testing.assert_frame_equal(_aqi(engine), drained)


def test_flushing_the_same_buffer_again_stores_and_queues_nothing(engine: Engine) -> None:
    _live_then_flush(engine)
    drain_pending(engine)
    before = _averages(engine)
    with engine.begin() as conn:
        summary = store_batch(conn, _batch(LOGGERS, BUFFER), defer_later_windows=True)
    assert (summary.accepted, summary.duplicates) == (0, 2 * 2 * len(BUFFER))
    with engine.connect() as conn:
        assert count_pending(conn) == 0
    assert drain_pending(engine).windows == 0
    pd.testing.assert_frame_equal(_averages(engine), before)


def test_a_crash_before_the_drain_completes_loses_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _live_then_flush(engine)
    wards = _wards(engine)

    def crash(*_args: object) -> None:
        raise RuntimeError("killed mid-drain")

    with monkeypatch.context() as patched:
        patched.setattr(rollups, "replace_station_aqi", crash)
        with pytest.raises(RuntimeError):
            drain_pending(engine)
    with engine.connect() as conn:  # the drain rolled back whole: every window still queued, no roll-up written
        assert count_pending(conn) == 256
    pd.testing.assert_frame_equal(_wards(engine), wards)
    assert drain_pending(engine).windows == 256
    drained = _aqi(engine)
    refresh_aqi(engine, since=None)
    pd.testing.assert_frame_equal(_aqi(engine), drained)


def test_a_bounded_drain_takes_the_newest_hours_first_and_the_next_ones_catch_up(engine: Engine) -> None:
    _live_then_flush(engine)
    first = drain_pending(engine, limit=16)
    assert (first.windows, first.left) == (16, True)
    assert (first.rolling, first.station_days) == (0, 8)  # the live hour of all 8 series; no flush day yet
    rest = drain_all(engine, limit=50)
    assert (rest.windows, rest.left, rest.rolling) == (4 * 60, False, 2 * 2 * 2)
    with engine.connect() as conn:
        assert count_pending(conn) == 0
    drained = _aqi(engine)
    refresh_aqi(engine, since=None)
    pd.testing.assert_frame_equal(_aqi(engine), drained)
