"""Ward boundary files: read and validate them (CRS, repairs, overlaps, gaps) and derive former districts.

Pure geometry on files and frames; storing and loading the versioned sets in the database is
:mod:`data.boundary_store`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

WGS84 = "EPSG:4326"
METRIC_CRS = "EPSG:32648"  # UTM zone 48N, metric work for Hà Nội
OVERLAP_MIN_M2 = 1.0
GAP_MIN_M2 = 100.0


class BoundaryFileError(ValueError):
    """A boundary file that cannot be used as it is (no CRS, coordinates off the globe, missing fields)."""


@dataclass(frozen=True)
class ValidationReport:
    """What loading a boundary file found and repaired."""

    unit_count: int
    repaired: list[str] = field(default_factory=list)
    overlaps: list[tuple[str, str, float]] = field(default_factory=list)  # (code, code, m²)
    gaps_m2: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly summary."""
        return {
            "units": self.unit_count,
            "repaired": self.repaired,
            "overlaps": [{"a": a, "b": b, "area_m2": round(area, 1)} for a, b, area in self.overlaps],
            "gaps": {"count": len(self.gaps_m2), "total_m2": round(float(sum(self.gaps_m2)), 1)},
        }


def read_boundary_file(
    path: Path,
    *,
    code_field: str,
    name_field: str,
    district_field: str | None = None,
    unit_type_field: str | None = None,
    population_field: str | None = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read a GeoJSON, GeoPackage or Shapefile of units in any CRS into a validated EPSG:4326 frame.

    Returns the units (columns code, name, unit_type, district, districts, population, area_km2, geometry as
    MultiPolygon) and a report of repaired geometries, overlaps and gaps.

    Raises
    ------
    BoundaryFileError
        The file has no CRS, its coordinates fall outside the world after reprojection, a named field is
        missing, or codes are empty or repeated.
    """
    if not path.is_file():
        msg = f"boundary file not found: {path}"
        raise FileNotFoundError(msg)
    raw = gpd.read_file(path)
    if raw.crs is None:
        msg = f"{path.name}: the file declares no CRS; add one (e.g. a .prj file) or reproject to EPSG:4326"
        raise BoundaryFileError(msg)
    wanted = [f for f in (code_field, name_field, district_field, unit_type_field, population_field) if f]
    missing = [f for f in wanted if f not in raw.columns]
    if missing:
        available = sorted(c for c in raw.columns if c != "geometry")
        msg = f"{path.name}: missing field(s) {missing}; available: {available}"
        raise BoundaryFileError(msg)
    frame = raw.to_crs(WGS84)
    _check_world_bounds(frame, path.name)
    frame = frame[~(frame.geometry.is_empty | frame.geometry.isna())].copy()

    codes = frame[code_field].astype(str).str.strip()
    if (codes == "").any() or codes.duplicated().any():
        dupes = sorted(set(codes[codes.duplicated()]))
        msg = f"{path.name}: field {code_field!r} must be non-empty and unique (repeated: {dupes[:10]})"
        raise BoundaryFileError(msg)

    geometry, repaired = _repair(frame.geometry.to_numpy(), codes.to_numpy())
    units = gpd.GeoDataFrame(
        {
            "code": codes.to_numpy(),
            "name": frame[name_field].astype(str).str.strip().to_numpy(),
            "unit_type": frame[unit_type_field].astype(str).to_numpy() if unit_type_field else "",
            "district": frame[district_field].astype(str).to_numpy() if district_field else None,
            "population": _optional_int(frame[population_field]) if population_field else None,
        },
        geometry=geometry,
        crs=WGS84,
    )
    units["districts"] = [[d] if isinstance(d, str) else [] for d in units["district"]]
    units["area_km2"] = units.to_crs(METRIC_CRS).area.to_numpy() / 1e6
    report = ValidationReport(
        unit_count=len(units), repaired=repaired, overlaps=find_overlaps(units), gaps_m2=find_gaps(units)
    )
    return units.sort_values("code").reset_index(drop=True), report


def _check_world_bounds(frame: gpd.GeoDataFrame, label: str) -> None:
    minx, miny, maxx, maxy = frame.total_bounds
    if not (np.isfinite([minx, miny, maxx, maxy]).all() and -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        msg = (
            f"{label}: coordinates fall outside the world after reprojection to EPSG:4326 "
            f"(bounds {minx:.3f}, {miny:.3f}, {maxx:.3f}, {maxy:.3f}); the declared CRS is probably wrong"
        )
        raise BoundaryFileError(msg)


def _repair(geoms: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Make every geometry valid and a MultiPolygon; return the codes that needed repair."""
    invalid = ~shapely.is_valid(geoms)
    repaired = [str(c) for c in codes[invalid]]
    fixed = geoms.copy()
    if invalid.any():
        fixed[invalid] = shapely.make_valid(geoms[invalid])
    polygonal = [polygonal_part(g) for g in fixed]
    return np.asarray(polygonal, dtype=object), repaired


def polygonal_part(geom: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    if isinstance(geom, shapely.Polygon):
        return shapely.MultiPolygon([geom])
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polygons)


def _optional_int(values: pd.Series) -> list[int | None]:
    numbers = pd.to_numeric(values, errors="coerce")
    return [None if pd.isna(v) else int(v) for v in numbers]


def find_overlaps(units: gpd.GeoDataFrame) -> list[tuple[str, str, float]]:
    """Pairs of units whose interiors overlap by more than 1 m², with the overlap area."""
    metric = units.to_crs(METRIC_CRS)
    geoms = metric.geometry.to_numpy()
    left, right = metric.sindex.query(geoms, predicate="overlaps")
    keep = left < right
    left, right = left[keep], right[keep]
    areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    codes = units["code"].to_numpy()
    return [
        (str(codes[a]), str(codes[b]), float(area))
        for a, b, area in zip(left, right, areas, strict=True)
        if area > OVERLAP_MIN_M2
    ]


def find_gaps(units: gpd.GeoDataFrame) -> list[float]:
    """Areas (m²) of holes inside the union of all units that no unit covers."""
    union = shapely.union_all(units.to_crs(METRIC_CRS).geometry.to_numpy())
    holes = [shapely.Polygon(ring).area for polygon in shapely.get_parts(union) for ring in polygon.interiors]
    return [area for area in holes if area > GAP_MIN_M2]


def former_districts(crosswalk_path: Path, wards_path: Path) -> pd.DataFrame:
    """Former (pre-2025) district of each 2025 ward, from the old→new crosswalk and the old wards' districts.

    The primary district is the one that contributed the most old wards; ties go to the district that
    contributed more old wards whole, then to the alphabetically first name. Returns columns ``code``,
    ``district`` and ``districts`` (every contributing district, primary first).
    """
    mapping = pd.read_csv(crosswalk_path, dtype=str)
    old = pd.read_csv(wards_path, dtype=str)
    joined = mapping.merge(old[["ward_code", "district_name"]], left_on="old_ward_code", right_on="ward_code")
    joined["whole"] = (joined["relation"] == "whole").astype(int)
    tally = (
        joined.groupby(["new_ward_code", "district_name"])
        .agg(wards=("old_ward_code", "nunique"), whole=("whole", "sum"))
        .reset_index()
        .sort_values(["new_ward_code", "wards", "whole", "district_name"], ascending=[True, False, False, True])
    )
    grouped = tally.groupby("new_ward_code")["district_name"].agg(list)
    return pd.DataFrame(
        {"code": grouped.index, "district": [d[0] for d in grouped], "districts": grouped.to_list()}
    ).reset_index(drop=True)
