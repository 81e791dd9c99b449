"""Tests for geo.weights: queen contiguity, islands, distance bands and generic sparse input."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import scipy.sparse as sp
from shapely.geometry import box

from geo.weights import distance_band_weights, from_sparse, queen_weights

WARDS_2025 = Path(__file__).resolve().parents[2] / "data" / "reference" / "hanoi_wards_2025.geojson"


def _grid(rows: int, cols: int) -> gpd.GeoDataFrame:
    cells = [box(c, r, c + 1, r + 1) for r in range(rows) for c in range(cols)]
    codes = [f"c{i:03d}" for i in range(rows * cols)]
    return gpd.GeoDataFrame({"code": codes}, geometry=cells, crs="EPSG:32648")


def test_queen_grid_counts_edges_and_corners() -> None:
    weights = queen_weights(_grid(3, 3))
    # centre touches all 8 others, corners 3, edge middles 5
    assert weights.cardinalities.tolist() == [3, 5, 3, 5, 8, 5, 3, 5, 3]
    dense = weights.matrix.toarray()
    assert np.array_equal(dense, dense.T)
    assert set(np.unique(dense)) == {0.0, 1.0}
    assert weights.islands == ()
    # the corner c000 neighbours c001 (edge), c003 (edge) and c004 (vertex only: queen, not rook)
    assert [weights.ids[j] for j in np.flatnonzero(dense[0])] == ["c001", "c003", "c004"]


def test_island_and_overlap() -> None:
    polygons = gpd.GeoDataFrame(
        {"code": ["a", "b", "far"]},
        geometry=[box(0, 0, 1, 1), box(0.999, 0, 2, 1), box(10, 10, 11, 11)],
        crs="EPSG:32648",
    )
    weights = queen_weights(polygons)
    assert weights.islands == ("far",)
    assert weights.cardinalities.tolist() == [1, 1, 0]


def test_tolerance_bridges_slivers() -> None:
    polygons = gpd.GeoDataFrame(
        {"code": ["a", "b"]}, geometry=[box(0, 0, 100, 100), box(100.5, 0, 200, 100)], crs="EPSG:32648"
    )
    assert queen_weights(polygons).islands == ("a", "b")
    assert queen_weights(polygons, tolerance_m=1.0).cardinalities.tolist() == [1, 1]


def test_shipped_2025_wards_have_no_islands() -> None:
    wards = gpd.read_file(WARDS_2025).rename(columns={"ward_code": "code"})
    weights = queen_weights(wards)
    assert weights.n == 126
    assert weights.islands == ()
    hoan_kiem = weights.ids.index("00070")
    neighbours = {weights.ids[j] for j in np.flatnonzero(weights.matrix.toarray()[hoan_kiem])}
    # Hoàn Kiếm (around the lake) borders Cửa Nam to the west and Hồng Hà along the river
    assert {"00082", "00097"} <= neighbours


def test_distance_band_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    points = rng.uniform(0, 100, size=(60, 2))
    weights = distance_band_weights(points, 20.0)
    distances = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    expected = (distances <= 20.0) & ~np.eye(60, dtype=bool)
    assert np.array_equal(weights.matrix.toarray() == 1, expected)


def test_from_sparse_drops_diagonal_and_checks_shape() -> None:
    weights = from_sparse(sp.csr_array(np.array([[1.0, 1.0], [1.0, 1.0]])), ["x", "y"])
    assert weights.matrix.diagonal().tolist() == [0.0, 0.0]
    assert weights.cardinalities.tolist() == [1, 1]
    with pytest.raises(ValueError, match="shape"):
        from_sparse(np.ones((2, 2)), ["x", "y", "z"])


def test_subset_keeps_internal_neighbours_only() -> None:
    weights = queen_weights(_grid(3, 3)).subset(["c000", "c001", "c008"])
    assert weights.cardinalities.tolist() == [1, 1, 0]
    assert weights.islands == ("c008",)
