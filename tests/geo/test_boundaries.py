"""Boundary files: CRS handling, repair, overlaps and gaps, former districts, versioned sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from data.boundary_store import (
    HANOI_2025,
    list_sets,
    load_shipped_sets,
    read_shipped_set,
    set_valid_on,
    store_boundary_set,
    wards_frame,
)
from geo.boundaries import BoundaryFileError, former_districts, read_boundary_file


def _write(frame: gpd.GeoDataFrame, path: Path, driver: str | None = None) -> Path:
    frame.to_file(path, driver=driver) if driver else frame.to_file(path)
    return path


def _units(crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    bowtie = shapely.Polygon([(105.80, 21.00), (105.82, 21.02), (105.82, 21.00), (105.80, 21.02)])
    return gpd.GeoDataFrame(
        {
            "ma": ["U1", "U2", "U3"],
            "ten": ["Một", "Hai", "Ba"],
            "quan": ["Q1", "Q1", "Q2"],
            "dan_so": [10, 20, 30],
        },
        geometry=[
            shapely.box(105.70, 21.00, 105.75, 21.05),
            shapely.box(105.74, 21.00, 105.79, 21.05),  # overlaps U1 by 0.01°
            bowtie,  # self-intersecting: repaired
        ],
        crs=crs,
    )


def test_reads_a_projected_geopackage_and_reprojects(tmp_path):
    path = _write(_units().to_crs("EPSG:32648"), tmp_path / "units.gpkg", "GPKG")
    units, report = read_boundary_file(
        path, code_field="ma", name_field="ten", district_field="quan", population_field="dan_so"
    )
    assert units.crs.to_epsg() == 4326
    assert units["code"].tolist() == ["U1", "U2", "U3"]
    assert units.loc[0, "geometry"].bounds == pytest.approx((105.70, 21.00, 105.75, 21.05), abs=1e-6)
    assert units["population"].tolist() == [10, 20, 30]
    assert units["districts"].tolist() == [["Q1"], ["Q1"], ["Q2"]]
    assert report.repaired == ["U3"]
    assert all(g.is_valid and g.geom_type == "MultiPolygon" for g in units.geometry)
    assert [(a, b) for a, b, _ in report.overlaps] == [("U1", "U2")]
    assert report.overlaps[0][2] == pytest.approx(0.01 * 0.05 * 111_320 * 103_900, rel=0.05)


def test_reads_a_shapefile(tmp_path):
    path = _write(_units(), tmp_path / "units.shp")
    units, _ = read_boundary_file(path, code_field="ma", name_field="ten")
    assert len(units) == 3


def test_refuses_a_file_without_crs(tmp_path):
    path = _write(_units(), tmp_path / "units.shp")
    path.with_suffix(".prj").unlink()
    with pytest.raises(BoundaryFileError, match="declares no CRS"):
        read_boundary_file(path, code_field="ma", name_field="ten")


def test_refuses_coordinates_outside_the_world(tmp_path):
    wrong = _units().to_crs("EPSG:32648").set_crs("EPSG:4326", allow_override=True)
    path = _write(wrong, tmp_path / "wrong.gpkg", "GPKG")
    with pytest.raises(BoundaryFileError, match="outside the world"):
        read_boundary_file(path, code_field="ma", name_field="ten")


def test_refuses_missing_fields_and_repeated_codes(tmp_path):
    path = _write(_units(), tmp_path / "u.gpkg", "GPKG")
    with pytest.raises(BoundaryFileError, match="missing field"):
        read_boundary_file(path, code_field="code", name_field="ten")
    repeated = _units().assign(ma=["U1", "U1", "U3"])
    path = _write(repeated, tmp_path / "r.gpkg", "GPKG")
    with pytest.raises(BoundaryFileError, match="unique"):
        read_boundary_file(path, code_field="ma", name_field="ten")


def test_reports_gaps_inside_the_union(tmp_path):
    ring = shapely.box(105.0, 21.0, 105.1, 21.1).difference(shapely.box(105.04, 21.04, 105.06, 21.06))
    frame = gpd.GeoDataFrame({"ma": ["R"], "ten": ["Ring"]}, geometry=[ring], crs=4326)
    _, report = read_boundary_file(_write(frame, tmp_path / "g.gpkg", "GPKG"), code_field="ma", name_field="ten")
    assert len(report.gaps_m2) == 1
    assert report.gaps_m2[0] == pytest.approx(0.02 * 0.02 * 111_320 * 103_900, rel=0.05)


def test_former_districts_take_the_district_that_contributed_most_wards():
    districts = former_districts(HANOI_2025.crosswalk_path, HANOI_2025.old_wards_path).set_index("code")
    assert len(districts) == 126
    assert districts.loc["00070", "district"] == "Quận Hoàn Kiếm"
    # Ba Đình (00004) took wards from Ba Đình, Hoàn Kiếm and Tây Hồ; Ba Đình contributed most
    assert districts.loc["00004", "district"] == "Quận Ba Đình"
    assert districts.loc["00004", "districts"][0] == "Quận Ba Đình"
    assert set(districts.loc["00004", "districts"]) == {"Quận Ba Đình", "Quận Hoàn Kiếm", "Quận Tây Hồ"}
    mapping = pd.read_csv(Path("data/reference/hanoi_ward_mapping_pre2025_to_2025.csv"), dtype=str)
    old = pd.read_csv(Path("data/reference/hanoi_wards_pre2025_gso.csv"), dtype=str)
    counts = mapping.merge(old, left_on="old_ward_code", right_on="ward_code").query("new_ward_code == '00004'")
    tally = counts.groupby("district_name")["old_ward_code"].nunique()
    assert tally.idxmax() == "Quận Ba Đình"


def test_shipped_set_has_126_wards_with_population_and_district():
    units, report = read_shipped_set()
    assert len(units) == 126
    assert units["district"].notna().all()
    assert units["population"].notna().all()
    assert (units["unit_type"].value_counts().to_dict()) == {"Xã": 75, "Phường": 51}
    assert report.unit_count == 126


def test_shipped_sets_load_once(engine):
    assert load_shipped_sets(engine) == ["hanoi-2025"]
    assert load_shipped_sets(engine) == []
    (boundary_set,) = list_sets(engine)
    assert (boundary_set.name, boundary_set.valid_from, boundary_set.unit_count) == (
        "hanoi-2025",
        dt.date(2025, 7, 1),
        126,
    )
    wards = wards_frame(engine)
    assert wards.loc[wards.code == "00070", "name"].item() == "Hoàn Kiếm"
    display = wards_frame(engine, display=True)
    assert sum(len(shapely.to_wkb(g)) for g in display.geometry) < sum(len(shapely.to_wkb(g)) for g in wards.geometry)


def test_sets_are_versioned(engine, tmp_path):
    units, _ = read_boundary_file(_write(_units(), tmp_path / "u.gpkg", "GPKG"), code_field="ma", name_field="ten")
    store_boundary_set(engine, units, name="old", valid_from=dt.date(2019, 1, 1), valid_to=dt.date(2025, 6, 30))
    store_boundary_set(engine, units, name="new", valid_from=dt.date(2025, 7, 1))
    assert set_valid_on(engine, dt.date(2024, 5, 1)) == "old"
    assert set_valid_on(engine, dt.date(2025, 7, 1)) == "new"
    assert set_valid_on(engine, dt.date(2018, 1, 1)) is None
    with pytest.raises(ValueError, match="already exists"):
        store_boundary_set(engine, units, name="new", valid_from=dt.date(2025, 7, 1))
    store_boundary_set(engine, units.iloc[:2], name="new", valid_from=dt.date(2025, 7, 1), replace=True)
    assert len(wards_frame(engine, "new")) == 2
    with pytest.raises(ValueError, match="before valid_from"):
        store_boundary_set(engine, units, name="x", valid_from=dt.date(2025, 7, 1), valid_to=dt.date(2025, 1, 1))
    with pytest.raises(LookupError, match="not loaded"):
        wards_frame(engine, "missing")


def test_multipolygons_holes_and_empty_geometries(tmp_path):
    islands = shapely.MultiPolygon([shapely.box(105.0, 21.0, 105.1, 21.1), shapely.box(105.2, 21.0, 105.3, 21.1)])
    holed = shapely.box(105.4, 21.0, 105.5, 21.1).difference(shapely.box(105.44, 21.04, 105.46, 21.06))
    frame = gpd.GeoDataFrame(
        {"ma": ["M", "H", "E"], "ten": ["Multi", "Holed", "Empty"]},
        geometry=[islands, holed, shapely.Polygon()],
        crs=4326,
    )
    units, report = read_boundary_file(_write(frame, tmp_path / "m.gpkg", "GPKG"), code_field="ma", name_field="ten")
    assert units["code"].tolist() == ["H", "M"]  # the empty geometry is not a unit
    assert len(units.set_index("code").loc["M", "geometry"].geoms) == 2
    # the hole is covered by no unit, so it is reported as a gap (e.g. a lake that belongs to no ward)
    assert report.gaps_m2 == [pytest.approx(0.02 * 0.02 * 111_320 * 103_900, rel=0.05)]
    from geo.join import assign_wards

    inside_hole = assign_wards([105.45], [21.05], units)["ward_code"].tolist()
    assert inside_hole == [None]


def test_geojson_in_a_projected_crs_is_reprojected(tmp_path):
    frame = _units().to_crs("EPSG:3405")  # VN-2000 / UTM zone 48N
    path = _write(frame, tmp_path / "vn2000.geojson", "GeoJSON")
    units, _ = read_boundary_file(path, code_field="ma", name_field="ten")
    assert units.crs.to_epsg() == 4326
    assert units.total_bounds[0] == pytest.approx(105.70, abs=1e-3)
