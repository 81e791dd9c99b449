"""Point-in-ward join: known points, shared edges, points outside, CRS checks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from data.boundary_store import wards_frame
from geo.join import (
    CRSMismatchError,
    assign_wards,
    locate,
    swapped_candidates,
    ward_index,
)

HOAN_KIEM_LAKE = (21.0288, 105.8523)  # lat, lon
LUU_QUANG_VU_STATION = (21.0152, 105.80)  # 46 Lưu Quang Vũ air station: ward Yên Hòa
HAI_PHONG = (20.8449, 106.6881)


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Two unit squares sharing the edge x=1, codes deliberately out of order."""
    return gpd.GeoDataFrame(
        {"code": ["B", "A"], "name": ["Bee", "Ay"], "district": ["D2", "D1"]},
        geometry=[shapely.box(1, 0, 2, 1), shapely.box(0, 0, 1, 1)],
        crs="EPSG:4326",
    )


def test_points_inside_on_edge_and_outside(squares):
    lon = [0.5, 1.5, 1.0, 3.0, np.nan]
    lat = [0.5, 0.5, 0.5, 3.0, 0.5]
    joined = assign_wards(lon, lat, squares)
    assert joined["ward_code"].tolist() == ["A", "B", "A", None, None]
    assert joined["district"].tolist() == ["D1", "D2", "D1", None, None]
    assert len(joined) == 5  # nothing dropped


def test_edge_resolution_does_not_depend_on_row_order(squares):
    reversed_rows = squares.iloc[::-1].reset_index(drop=True)
    assert assign_wards([1.0], [0.5], reversed_rows)["ward_code"].tolist() == ["A"]


def test_crs_mismatch_raises(squares):
    with pytest.raises(CRSMismatchError, match="EPSG:4326"):
        ward_index([0.5], [0.5], squares.to_crs("EPSG:32648"))
    with pytest.raises(CRSMismatchError):
        ward_index([0.5], [0.5], squares.set_crs(None, allow_override=True))


def test_swapped_pairs_are_detected(squares):
    assert swapped_candidates([0.5, 5.0], [5.0, 5.0], squares).tolist() == [False, False]
    frame = gpd.GeoDataFrame(
        {"code": ["X"], "name": ["x"], "district": [None]},
        geometry=[shapely.box(105, 20, 106, 21.5)],
        crs=4326,
    )
    assert swapped_candidates([21.0, 105.5], [105.5, 21.0], frame).tolist() == [True, False]


def test_real_hanoi_points(loaded_engine):
    wards = wards_frame(loaded_engine)
    assert len(wards) == 126
    lat, lon = zip(HOAN_KIEM_LAKE, LUU_QUANG_VU_STATION, HAI_PHONG, strict=True)
    joined = assign_wards(lon, lat, wards)
    assert joined["ward_code"].tolist()[0] == "00070"
    assert joined["ward_name"].tolist()[:2] == ["Hoàn Kiếm", "Yên Hòa"]
    assert joined["district"].tolist()[0] == "Quận Hoàn Kiếm"
    assert joined["ward_code"].tolist()[2] is None


def test_locate_reports_swapped_coordinates(loaded_engine):
    wards = wards_frame(loaded_engine)
    answer = locate(HOAN_KIEM_LAKE[1], HOAN_KIEM_LAKE[0], wards, "hanoi-2025")
    assert answer["ward_code"] is None
    assert answer["swapped"]["ward_code"] == "00070"
    assert locate(*HAI_PHONG, wards, "hanoi-2025") == {
        "ward_code": None,
        "ward_name": None,
        "district": None,
        "set": "hanoi-2025",
    }


def test_vectorised_join_matches_geopandas_sjoin(loaded_engine):
    wards = wards_frame(loaded_engine)
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(105.3, 106.0, 5000), rng.uniform(20.6, 21.38, 5000)
    ours = assign_wards(lon, lat, wards)["ward_code"]
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    theirs = gpd.sjoin(points, wards[["code", "geometry"]], predicate="within", how="left")
    theirs = theirs[~theirs.index.duplicated()]["code"].astype(object)
    assert ours.tolist() == [None if isinstance(c, float) else c for c in theirs]
