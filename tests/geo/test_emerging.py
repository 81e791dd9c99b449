"""Tests for geo.emerging: weekly bins, pattern rules (ArcGIS definitions) and planted space-time patterns."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo.emerging import (
    PATTERNS,
    classify_pattern,
    emerging_hotspots,
    space_time_weights,
    week_bins,
    weekly_counts,
)
from geo.hotspots import TooFewUnitsError
from geo.weights import queen_weights

UTC = dt.UTC
NOW = dt.datetime(2026, 7, 1, 3, tzinfo=UTC)  # Wednesday 10:00 in Hà Nội
SIDE = 10
TZ = "Asia/Ho_Chi_Minh"


def _series(flags: str) -> tuple[np.ndarray, np.ndarray]:
    """'H' hot bin, 'C' cold bin, '.' not significant → (significant, z)."""
    significant = np.array([c != "." for c in flags])
    z = np.array([3.0 if c == "H" else -3.0 if c == "C" else 0.5 for c in flags])
    return significant, z


@pytest.mark.parametrize(
    ("flags", "trend_z", "trend_p", "expected"),
    [
        ("...........H", 0.0, 1.0, "new_hot"),
        ("........HHHH", 0.0, 1.0, "consecutive_hot"),
        ("HHHHHHHHHHHH", 3.0, 0.001, "intensifying_hot"),
        ("HHHHHHHHHHHH", 0.2, 0.8, "persistent_hot"),
        ("HHHHHHHHHHHH", -3.0, 0.001, "diminishing_hot"),
        ("..H..H...H.H", 0.0, 1.0, "sporadic_hot"),
        ("..C..H...H.H", 0.0, 1.0, "oscillating_hot"),
        ("HHHHHHHHHHHHHHHHHHH.", 0.0, 1.0, "historical_hot"),
        ("...........C", 0.0, 1.0, "new_cold"),
        ("CCCCCCCCCCCC", -3.0, 0.001, "intensifying_cold"),
        ("CCCCCCCCCCCC", 3.0, 0.001, "diminishing_cold"),
        ("..C..C...C.C", 0.0, 1.0, "sporadic_cold"),
        ("..H..C...C.C", 0.0, 1.0, "oscillating_cold"),
        ("CCCCCCCCCCCCCCCCCCC.", 0.0, 1.0, "historical_cold"),
        ("....H.......", 0.0, 1.0, "no_pattern"),
        ("H.H.H.H.H...", 0.0, 1.0, "no_pattern"),
    ],
)
def test_pattern_rules(flags: str, trend_z: float, trend_p: float, expected: str) -> None:
    significant, z = _series(flags)
    assert classify_pattern(significant, z, trend_z, trend_p, 0.05) == expected
    assert expected in PATTERNS


def test_consecutive_needs_no_earlier_hot_bin() -> None:
    significant, z = _series("H.......HHHH")
    assert classify_pattern(significant, z, 0.0, 1.0, 0.05) == "sporadic_hot"


def test_week_bins_are_local_mondays_before_the_current_week() -> None:
    edges = week_bins(NOW, 3, TZ)
    # the week containing Wed 1 July 2026 starts Mon 29 June 00:00 +07 = 28 June 17:00 UTC
    assert edges[-1] == dt.datetime(2026, 6, 28, 17, tzinfo=UTC)
    assert edges[0] == dt.datetime(2026, 6, 7, 17, tzinfo=UTC)
    assert len(edges) == 4
    # the same moment in New York (Tue 30 June 23:00 EDT): that week starts Mon 29 June 00:00 -04
    assert week_bins(NOW, 1, "America/New_York")[-1] == dt.datetime(2026, 6, 29, 4, tzinfo=UTC)


def test_weekly_counts_place_cases_in_bins() -> None:
    edges = week_bins(NOW, 2, TZ)
    cases = pd.DataFrame(
        {
            "ward_code": ["a", "a", "b", None, "zzz", "a"],
            "opened_at": [
                edges[0],  # first bin, inclusive start
                edges[1] - dt.timedelta(seconds=1),
                edges[1],
                edges[1],
                edges[1],
                edges[2],  # current week: excluded
            ],
        }
    )
    counts = weekly_counts(cases, ["a", "b"], edges)
    assert counts.tolist() == [[2, 0], [0, 1]]


def _lattice_weights():
    cells = [box(c * 500, r * 500, (c + 1) * 500, (r + 1) * 500) for r in range(SIDE) for c in range(SIDE)]
    frame = gpd.GeoDataFrame({"code": [f"w{i:03d}" for i in range(SIDE * SIDE)]}, geometry=cells, crs="EPSG:32648")
    return queen_weights(frame)


def _cases_from_counts(counts: np.ndarray, edges: list[dt.datetime], ids: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for ward, week in zip(*np.nonzero(counts), strict=True):
        when = edges[week] + dt.timedelta(days=2)
        rows.extend([(ids[ward], when)] * int(counts[ward, week]))
    return pd.DataFrame(rows, columns=["ward_code", "opened_at"])


def _block(row: int, col: int) -> list[int]:
    return [(row + r) * SIDE + col + c for r in range(3) for c in range(3)]


def _run(counts: np.ndarray) -> pd.DataFrame:
    weights = _lattice_weights()
    edges = week_bins(NOW, counts.shape[1], TZ)
    cases = _cases_from_counts(counts, edges, weights.ids)
    result = emerging_hotspots(cases, weights, NOW, timezone=TZ, weeks=counts.shape[1])
    np.testing.assert_array_equal(result.values, counts)
    return result.to_frame().set_index("ward_code")


def _code(index: int) -> str:
    return f"w{index:03d}"


def test_planted_rising_ward_is_intensifying() -> None:
    counts = np.random.default_rng(7).poisson(3, (SIDE * SIDE, 16)).astype(float)
    rising = _block(1, 1)
    counts[rising] += np.linspace(8, 30, 16).round()  # hot all along and getting hotter
    frame = _run(counts)
    assert frame.loc[_code(rising[4]), "pattern"] == "intensifying_hot"
    assert frame.loc[_code(rising[4]), "trend_z"] > 0
    assert (frame.loc[[_code(i) for i in _block(6, 6)], "pattern"] == "no_pattern").all()


def test_planted_new_block_is_consecutive() -> None:
    counts = np.random.default_rng(8).poisson(3, (SIDE * SIDE, 16)).astype(float)
    emerging = _block(6, 6)
    counts[emerging, -4:] += 20  # quiet, then hot for the last four weeks
    frame = _run(counts)
    assert frame.loc[_code(emerging[4]), "pattern"] == "consecutive_hot"
    assert frame.loc[_code(emerging[4]), "hot_weeks"] == 4
    assert (frame.loc[[_code(i) for i in _block(0, 0)], "pattern"] == "no_pattern").all()


def test_noise_cube_is_mostly_no_pattern() -> None:
    weights = _lattice_weights()
    weeks = 12
    edges = week_bins(NOW, weeks, TZ)
    counts = np.random.default_rng(3).poisson(4, (SIDE * SIDE, weeks)).astype(float)
    result = emerging_hotspots(_cases_from_counts(counts, edges, weights.ids), weights, NOW, timezone=TZ, weeks=weeks)
    assert (result.patterns == "no_pattern").mean() >= 0.9


def test_rates_and_guards() -> None:
    weights = _lattice_weights()
    with pytest.raises(ValueError, match="at least 10 weekly bins"):
        emerging_hotspots(pd.DataFrame(columns=["ward_code", "opened_at"]), weights, NOW, timezone=TZ, weeks=4)
    district = weights.subset([f"w{i:03d}" for i in range(25)])
    with pytest.raises(TooFewUnitsError, match="at least 30 wards"):
        emerging_hotspots(pd.DataFrame(columns=["ward_code", "opened_at"]), district, NOW, timezone=TZ)
    population = pd.Series(1000.0, index=list(weights.ids))
    population.iloc[3] = 0
    with pytest.raises(ValueError, match="w003"):
        emerging_hotspots(
            pd.DataFrame(columns=["ward_code", "opened_at"]), weights, NOW, timezone=TZ, population=population
        )


def test_space_time_neighbourhood() -> None:
    weights = _lattice_weights()
    cube = space_time_weights(weights, weeks=12, neighbourhood_weeks=1)
    n = SIDE * SIDE
    row = cube.matrix[[2 * n + 11]].toarray().ravel()  # ward w011 (8 queen neighbours) in week 2
    neighbours = {cube.ids[j] for j in np.flatnonzero(row)}
    spatial = {"w000", "w001", "w002", "w010", "w011", "w012", "w020", "w021", "w022"}
    assert neighbours == ({f"2:{c}" for c in spatial} | {f"1:{c}" for c in spatial}) - {"2:w011"}
    assert cube.cardinalities[11] == 8  # week 0 has no earlier week
    same_week = space_time_weights(weights, weeks=12, neighbourhood_weeks=0)
    assert same_week.cardinalities[2 * n + 11] == 8
    with pytest.raises(ValueError, match="neighbourhood_weeks"):
        space_time_weights(weights, weeks=12, neighbourhood_weeks=12)
