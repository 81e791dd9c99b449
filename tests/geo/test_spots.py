"""Tests for geo.spots: recurring complaint spots found by space-time density clustering."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from sqlalchemy import Engine

from data.case_points import load_complaint_cases
from geo.spots import find_spots, label_spots

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 30, 12, tzinfo=UTC)
TO_WGS84 = Transformer.from_crs("EPSG:32648", "EPSG:4326", always_xy=True)
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)


def _planted(
    lat: float,
    lon: float,
    count: int,
    start: dt.datetime,
    every: dt.timedelta,
    spread_m: float,
    seed: int,
    **extra,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x0, y0 = TO_UTM.transform(lon, lat)
    angle, distance = rng.uniform(0, 2 * np.pi, count), rng.uniform(0, spread_m, count)
    lons, lats = TO_WGS84.transform(x0 + distance * np.cos(angle), y0 + distance * np.sin(angle))
    return pd.DataFrame({"lat": lats, "lon": lons, "opened_at": [start + i * every for i in range(count)], **extra})


def _background(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "lat": rng.uniform(20.95, 21.08, n),
            "lon": rng.uniform(105.75, 105.90, n),
            "opened_at": NOW - pd.to_timedelta(rng.uniform(0, 180, n), unit="D"),
            "category_code": "other",
            "unit_id": None,
        }
    )


@pytest.fixture
def complaints() -> pd.DataFrame:
    day = dt.timedelta(days=1)
    return pd.concat(
        [
            # active: 8 reports at Chợ Long Biên in the last 16 days, mostly waste, mostly unit 7
            _planted(
                21.0405,
                105.8505,
                8,
                NOW - 16 * day,
                2 * day,
                40,
                1,
                category_code="waste",
                unit_id=[7, 7, 7, 7, 7, 3, 3, None],
            ),
            # historical: 6 reports in February, odour, unit 4
            _planted(
                21.0030,
                105.8200,
                6,
                dt.datetime(2026, 2, 1, tzinfo=UTC),
                3 * day,
                30,
                2,
                category_code="odour",
                unit_id=4,
            ),
            # same place every 40 days: never 5 inside one 30-day window
            _planted(
                21.0200,
                105.8700,
                5,
                dt.datetime(2026, 1, 1, tzinfo=UTC),
                40 * day,
                20,
                3,
                category_code="waste",
                unit_id=5,
            ),
            _background(3000, 4),
        ],
        ignore_index=True,
    )


def test_planted_spots_come_out(complaints: pd.DataFrame) -> None:
    spots = find_spots(complaints, NOW)
    assert len(spots) == 2
    market, old = spots.iloc[0], spots.iloc[1]
    assert market["count"] == 8 and old["count"] == 6
    assert market["lat"] == pytest.approx(21.0405, abs=0.0005) and market["lon"] == pytest.approx(105.8505, abs=0.0005)
    assert market["radius_m"] <= 80
    assert market["categories"] == {"waste": 8}
    assert market["unit_id"] == 7
    assert market["active"] and not old["active"]
    assert old["categories"] == {"odour": 6} and old["unit_id"] == 4
    assert old["first_report"] == pd.Timestamp("2026-02-01", tz="UTC")
    assert old["last_report"] == pd.Timestamp("2026-02-16", tz="UTC")


def test_thresholds_are_parameters(complaints: pd.DataFrame) -> None:
    loose = find_spots(complaints, NOW, min_reports=5, window=dt.timedelta(days=200))
    # with a 200-day window the five reports 40 days apart (rows 14-18) become one spot
    long_window = label_spots(complaints, window=dt.timedelta(days=200))
    assert long_window[14] >= 0 and (long_window[14:19] == long_window[14]).all()
    assert len(loose) > len(find_spots(complaints, NOW))
    strict = find_spots(complaints, NOW, min_reports=7)
    assert strict["count"].tolist() == [8]
    tight = find_spots(complaints, NOW, radius_m=5)
    assert tight.empty


def test_labels_mark_noise_and_are_dense(complaints: pd.DataFrame) -> None:
    labels = label_spots(complaints)
    assert set(np.unique(labels)) == {-1, 0, 1}
    assert (labels[:8] == labels[0]).all() and labels[0] >= 0
    assert (labels[14:19] == -1).all()


def test_border_report_joins_the_spot() -> None:
    start = dt.datetime(2026, 6, 1, tzinfo=UTC)
    spot = _planted(21.03, 105.85, 5, start, dt.timedelta(days=1), 10, 9, category_code="waste")
    x, y = TO_UTM.transform(105.85, 21.03)
    lon, lat = TO_WGS84.transform(x + 90, y)
    border = pd.DataFrame(
        {"lat": [lat], "lon": [lon], "opened_at": [start - dt.timedelta(days=2)], "category_code": ["noise"]}
    )
    spots = find_spots(pd.concat([spot, border], ignore_index=True), NOW)
    assert spots["count"].tolist() == [6]
    assert spots.iloc[0]["categories"] == {"waste": 5, "noise": 1}
    assert spots.iloc[0]["unit_id"] is None


def test_missing_coordinates_are_refused_with_rows() -> None:
    frame = pd.DataFrame({"lat": [21.0, None], "lon": [105.8, 105.8], "opened_at": [NOW, NOW]})
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        label_spots(frame)


def test_demo_planted_spots_come_out(sqlite_engine: Engine) -> None:
    from data.boundary_store import load_shipped_sets
    from data.demo_complaints import PLANTED_SPOTS, build_demo_complaints
    from data.routing import seed_routing

    load_shipped_sets(sqlite_engine)
    seed_routing(sqlite_engine)
    build_demo_complaints(sqlite_engine, now=NOW, n_reports=1500)
    cases = load_complaint_cases(sqlite_engine, until=NOW).dropna(subset=["lat", "lon"])
    spots = find_spots(cases, NOW)
    for planted in PLANTED_SPOTS:
        distance = np.hypot(spots["lat"] - planted.lat, (spots["lon"] - planted.lon) * np.cos(np.radians(21)))
        nearest = spots.loc[distance.idxmin()]
        assert distance.min() * 111_000 < 50, f"planted spot {planted.name} not found"
        assert nearest["count"] >= 5 and nearest["active"]
        assert max(nearest["categories"], key=nearest["categories"].get) == planted.category_code
