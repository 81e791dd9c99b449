"""Point-in-ward join: vectorised, explicit about CRS, deterministic on shared edges, never dropping a point.

Rules:
- Points are lon/lat in EPSG:4326; a frame in another CRS raises :class:`CRSMismatchError`.
- A point strictly inside a ward gets that ward. A point exactly on an edge shared by several wards gets the
  one with the lowest code.
- The join runs here, in Python, on both database engines: it is 3-4 times faster than PostGIS ``ST_Contains``
  with a GiST index on the same machine (``bench/bench_join.py``), and one code path gives one answer.
- A point outside every ward (or with missing coordinates) is kept, with ``ward_code`` None (unassigned).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from pyproj import CRS

WGS84 = CRS.from_epsg(4326)
JOIN_COLUMNS = ["ward_code", "ward_name", "district"]


class CRSMismatchError(ValueError):
    """Points and wards are not in the same coordinate reference system."""


def _require_wgs84(frame_crs: object, what: str) -> None:
    if frame_crs is None or not CRS.from_user_input(frame_crs).equals(WGS84):
        msg = f"{what} must be in EPSG:4326 (lon/lat), got {frame_crs}; reproject with to_crs(4326) first"
        raise CRSMismatchError(msg)


def ward_index(lon: ArrayLike, lat: ArrayLike, wards: object) -> np.ndarray:
    """Row position in ``wards`` of the ward containing each point, or -1 when outside every ward.

    Loops over wards (a few hundred), never over points: each ward tests only the points inside its
    bounding box with a prepared ``contains_xy``; points left over are tried again boundary-inclusive, in
    ward-code order, so edge points resolve to the lowest code.
    """
    _require_wgs84(getattr(wards, "crs", None), "wards")
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    result = np.full(x.shape[0], -1, dtype=np.int64)
    geoms = np.asarray(wards.geometry.to_numpy(), dtype=object)  # type: ignore[attr-defined]
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    order = np.argsort(np.asarray(wards["code"], dtype=str), kind="stable")  # type: ignore[index]
    finite = np.isfinite(x) & np.isfinite(y)
    for predicate in (shapely.contains_xy, shapely.intersects_xy):
        pending = np.flatnonzero(finite & (result < 0))
        if pending.size == 0:
            break
        # sort pending points by x so each ward's bounding box selects a contiguous slice
        pending = pending[np.argsort(x[pending], kind="stable")]
        px, py = x[pending], y[pending]
        for position in order:
            minx, miny, maxx, maxy = bounds[position]
            lo, hi = np.searchsorted(px, minx, side="left"), np.searchsorted(px, maxx, side="right")
            in_box = lo + np.flatnonzero((py[lo:hi] >= miny) & (py[lo:hi] <= maxy))
            candidates = in_box[result[pending[in_box]] < 0]
            if candidates.size == 0:
                continue
            hits = candidates[predicate(geoms[position], px[candidates], py[candidates])]
            result[pending[hits]] = position
    return result


def assign_wards(lon: ArrayLike, lat: ArrayLike, wards: object) -> pd.DataFrame:
    """Ward code, name and former district for each lon/lat point (None where unassigned).

    The result has one row per input point, in input order, indexed 0..n-1.
    """
    index = ward_index(lon, lat, wards)
    found = index >= 0
    out = pd.DataFrame({column: pd.Series([None] * len(index), dtype=object) for column in JOIN_COLUMNS})
    for column, source in zip(JOIN_COLUMNS, ("code", "name", "district"), strict=True):
        values = np.asarray(wards[source], dtype=object)  # type: ignore[index]
        out.loc[found, column] = values[index[found]]
    return out


def swapped_candidates(lon: ArrayLike, lat: ArrayLike, wards: object) -> np.ndarray:
    """True where a point lies outside every ward but would lie inside one with lat and lon swapped."""
    outside = ward_index(lon, lat, wards) < 0
    swapped_inside = ward_index(lat, lon, wards) >= 0
    return outside & swapped_inside


def locate(lat: float, lon: float, wards: object, set_name: str) -> dict[str, object]:
    """The ``envmon locate`` answer for one point: ward code, name, former district and set name.

    When the point is outside but the swapped pair is inside, the answer says so under ``swapped``.
    """
    row = assign_wards([lon], [lat], wards).iloc[0]
    answer: dict[str, object] = {
        "ward_code": row["ward_code"],
        "ward_name": row["ward_name"],
        "district": row["district"],
        "set": set_name,
    }
    if row["ward_code"] is None:
        swapped = assign_wards([lat], [lon], wards).iloc[0]
        if swapped["ward_code"] is not None:
            answer["swapped"] = {
                "note": "lat/lon look swapped: the point is inside a ward with the two values exchanged",
                "lat": lon,
                "lon": lat,
                "ward_code": swapped["ward_code"],
                "ward_name": swapped["ward_name"],
            }
    return answer
