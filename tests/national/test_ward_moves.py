"""Ward roll-ups after stations change ward: a station moved by the registry file, a ward boundary redrawn. After
each change every stored ward roll-up must equal a cold recompute from the stations' stored means."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.boundary_store import read_shipped_set, store_boundary_set
from data.config import DEFAULT_BOUNDARY_SET
from data.rollups import WARD_ROW, read_ward_station_means, station_wards
from data.schema import Station, WardAverage
from monitoring.ingest import Batch, store_batch
from monitoring.rollups import drain_pending, ward_means
from monitoring.schema import canonicalise
from monitoring.stations import WardLocator, upsert_stations
from monitoring.ward_moves import rejoin_stations

START = pd.Timestamp("2025-03-10T00:00Z")
HOAN_KIEM = (105.8523, 21.0288)
CAU_GIAY = (105.7942, 21.0362)
FAR = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


def _stations(positions: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"id": sid, "name": sid, "kind": "air", "lon": lon, "lat": lat, "parameters": ["pm25"]}
         for sid, (lon, lat) in positions.items()]
    )  # fmt: skip


def _register(engine: Engine, positions: dict[str, tuple[float, float]]) -> None:
    with engine.begin() as conn:
        upsert_stations(conn, _stations(positions), WardLocator(engine), overwrite=True)


def _readings(engine: Engine, station: str, base: float, days: int = 2) -> None:
    times = pd.date_range(START, START + pd.Timedelta(days=days), freq="5min", inclusive="right")
    values = base + 10 * np.sin(np.arange(len(times)) / 40)
    raw = pd.DataFrame({"station_id": station, "parameter": "pm25", "unit": "µg/m³", "observed_at": times,
                        "value": values.round(1), "status": "00"})  # fmt: skip
    readings, rejects = canonicalise(raw, source="test")
    assert not rejects
    with engine.begin() as conn:
        store_batch(conn, Batch("test", "air", readings, interval_minutes=5))


def _stored(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(*(getattr(WardAverage, c) for c in WARD_ROW))).all()
    return _normalised(pd.DataFrame(rows, columns=list(WARD_ROW)))


def _cold(engine: Engine) -> pd.DataFrame:
    """Every ward roll-up computed from scratch from the stored station means and today's station wards."""
    with engine.connect() as conn:
        ids = list(conn.scalars(select(Station.id)))
        wards = station_wards(conn, ids)
        means = read_ward_station_means(conn, wards, ["pm25"], *FAR)
    return _normalised(ward_means(means)[list(WARD_ROW)])


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(
        period_end=pd.to_datetime(frame["period_end"], utc=True),
        value=frame["value"].astype("float64").round(6),
        n_valid=frame["n_valid"].astype("int64"),
        n_expected=frame["n_expected"].astype("int64"),
        valid=frame["valid"].astype(bool),
    )
    return frame.sort_values(list(WARD_ROW[:6])).reset_index(drop=True)


def _ward_of(engine: Engine, station: str) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(Station.ward_code).where(Station.id == station))


@pytest.fixture
def network(loaded_engine: Engine) -> Engine:
    """Stations A and B in Hoàn Kiếm's ward, C in Cầu Giấy's, two days of 5-minute PM2.5 each, drained."""
    _register(loaded_engine, {"A": HOAN_KIEM, "B": HOAN_KIEM, "C": CAU_GIAY})
    for station, base in (("A", 30.0), ("B", 60.0), ("C", 90.0)):
        _readings(loaded_engine, station, base)
    drain_pending(loaded_engine)
    assert _ward_of(loaded_engine, "A") != _ward_of(loaded_engine, "C")
    return loaded_engine


def test_the_drain_alone_equals_a_cold_recompute(network: Engine) -> None:
    stored = _stored(network)
    assert len(stored) > 0
    pd.testing.assert_frame_equal(stored, _cold(network))


def test_a_station_moved_to_another_ward_moves_its_means_with_it(network: Engine) -> None:
    old_ward, new_ward = _ward_of(network, "B"), _ward_of(network, "C")
    before = _stored(network)
    _register(network, {"B": CAU_GIAY})  # the registry file gives B a new position
    assert _ward_of(network, "B") == new_ward
    after = _stored(network)
    pd.testing.assert_frame_equal(after, _cold(network))
    hourly = after[after["period"] == "1h"].set_index(["ward_code", "period_end"])
    assert (hourly.loc[old_ward, "n_expected"] == 1).all()  # A alone
    assert (hourly.loc[new_ward, "n_expected"] == 2).all()  # B and C
    assert not before.equals(after)


def test_the_last_station_leaving_a_ward_leaves_no_roll_up_behind(network: Engine) -> None:
    old_ward = _ward_of(network, "A")
    _register(network, {"A": CAU_GIAY, "B": CAU_GIAY})
    after = _stored(network)
    assert old_ward not in set(after["ward_code"])
    pd.testing.assert_frame_equal(after, _cold(network))


def test_a_redrawn_ward_boundary_moves_stations_and_their_means(network: Engine) -> None:
    first, second = _ward_of(network, "A"), _ward_of(network, "C")
    units, _report = read_shipped_set()
    swapped = units.copy()  # the two wards trade their areas: every station of one now lies in the other
    swapped.loc[units["code"] == first, "code"] = second
    swapped.loc[units["code"] == second, "code"] = first
    store_boundary_set(network, swapped, name=DEFAULT_BOUNDARY_SET, valid_from=dt.date(2025, 7, 1), replace=True)
    moves = rejoin_stations(network, WardLocator(network))
    assert moves.stations_moved == 3 and moves.wards == 2
    assert (_ward_of(network, "A"), _ward_of(network, "C")) == (second, first)
    pd.testing.assert_frame_equal(_stored(network), _cold(network))
    assert rejoin_stations(network, WardLocator(network)).stations_moved == 0  # nothing left to move
