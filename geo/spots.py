"""Recurring spots ("điểm nóng"): places where complaints keep coming back, by space-time density clustering.

A report is a *core* report when at least ``min_reports`` reports (itself included) lie within ``radius_m``
metres of it and within the ``window`` ending at its own time, i.e. ``min_reports`` reports in one window at
one place. Core reports and the reports they counted are linked; each connected group is one spot (DBSCAN
with a trailing time window). Distances are measured in UTM 48N (EPSG:32648).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.weights import METRIC_CRS

MIN_REPORTS = 5
RADIUS_M = 100.0
WINDOW = dt.timedelta(days=30)
LOOKBACK = dt.timedelta(days=90)  # recurring spots are searched among the cases of about the last 90 days
SPOT_COLUMNS = (
    "spot_id",
    "lat",
    "lon",
    "radius_m",
    "count",
    "categories",
    "first_report",
    "last_report",
    "unit_id",
    "ward_code",
    "active",
)

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_TO_WGS84 = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _checked_points(points: pd.DataFrame, time_column: str) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in ("lat", "lon", time_column) if c not in points.columns]
    if missing:
        msg = f"points frame lacks columns {missing} (has {list(points.columns)})"
        raise KeyError(msg)
    lat = points["lat"].to_numpy(dtype=float)
    lon = points["lon"].to_numpy(dtype=float)
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        bad = np.flatnonzero(~(np.isfinite(lat) & np.isfinite(lon)))[:5].tolist()
        msg = f"points need lat and lon; missing at rows {bad} (drop unlocated cases first)"
        raise ValueError(msg)
    times = pd.to_datetime(points[time_column], utc=True)
    if times.isna().any():
        msg = f"points have missing {time_column} at rows {np.flatnonzero(times.isna())[:5].tolist()}"
        raise ValueError(msg)
    x, y = _TO_METRIC.transform(lon, lat)
    seconds = times.astype("int64").to_numpy() // 10**9 if len(times) else np.zeros(0, dtype=np.int64)
    return np.column_stack([x, y]), seconds.astype(np.int64)


def label_spots(
    points: pd.DataFrame,
    *,
    min_reports: int = MIN_REPORTS,
    radius_m: float = RADIUS_M,
    window: dt.timedelta = WINDOW,
    time_column: str = "opened_at",
) -> np.ndarray:
    """Spot label of every point (0, 1, …), or -1 for reports that belong to no recurring spot.

    Parameters
    ----------
    points
        Columns ``lat``, ``lon`` (WGS 84) and ``time_column`` (tz-aware).
    min_reports, radius_m, window
        At least ``min_reports`` reports within ``radius_m`` metres inside one ``window``.
    """
    xy, seconds = _checked_points(points, time_column)
    return _labels(xy, seconds, min_reports, radius_m, window)


def _labels(xy: np.ndarray, seconds: np.ndarray, min_reports: int, radius_m: float, window: dt.timedelta) -> np.ndarray:
    n = len(xy)
    labels = np.full(n, -1, dtype=int)
    if n < min_reports:
        return labels
    pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
    # orient each pair from the later report (the anchor of the trailing window) to the earlier one
    later_first = seconds[pairs[:, 0]] >= seconds[pairs[:, 1]]
    anchor = np.where(later_first, pairs[:, 0], pairs[:, 1])
    earlier = np.where(later_first, pairs[:, 1], pairs[:, 0])
    in_window = (seconds[anchor] - seconds[earlier]) <= window.total_seconds()
    anchor, earlier = anchor[in_window], earlier[in_window]
    core = np.bincount(anchor, minlength=n) + 1 >= min_reports
    linked = core[anchor]
    anchor, earlier = anchor[linked], earlier[linked]
    graph = sp.coo_array((np.ones(anchor.size), (anchor, earlier)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    member = core.copy()
    member[earlier] = True
    # renumber the components that hold a member 0, 1, … by first appearance
    _, first_index, dense = np.unique(component[member], return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first_index))
    labels[member] = order[dense]
    return labels


def find_spots(
    points: pd.DataFrame,
    now: dt.datetime,
    *,
    min_reports: int = MIN_REPORTS,
    radius_m: float = RADIUS_M,
    window: dt.timedelta = WINDOW,
    time_column: str = "opened_at",
) -> pd.DataFrame:
    """Recurring spots with centroid, radius, count, categories, first/last report, unit and activity.

    Parameters
    ----------
    points
        Columns ``lat``, ``lon``, ``time_column``, ``category_code``; optionally ``unit_id``, ``ward_code``.
    now
        Reference time: a spot is ``active`` when its last report is within ``window`` before ``now``.

    Returns
    -------
    pandas.DataFrame
        One row per spot (columns :data:`SPOT_COLUMNS`), largest first. ``radius_m`` is the largest distance
        from the centroid to a member; ``categories`` maps category code to count; ``unit_id`` is the most
        common responsible unit of its cases (None when none is assigned).
    """
    xy, seconds = _checked_points(points, time_column)
    return _summarize(points, xy, _labels(xy, seconds, min_reports, radius_m, window), now, window, time_column)


def summarize_spots(
    points: pd.DataFrame,
    labels: np.ndarray,
    now: dt.datetime,
    *,
    window: dt.timedelta = WINDOW,
    time_column: str = "opened_at",
) -> pd.DataFrame:
    """The spots of :func:`find_spots` from spot labels already known (:func:`label_spots`, any numbering).

    ``spot_id`` is the given label, so spots found part by part (see :func:`spot_regions`) keep their ids.
    """
    xy, _ = _checked_points(points, time_column)
    return _summarize(points, xy, np.asarray(labels), now, window, time_column)


def _summarize(
    points: pd.DataFrame, xy: np.ndarray, labels: np.ndarray, now: dt.datetime, window: dt.timedelta, time_column: str
) -> pd.DataFrame:
    if (labels < 0).all():
        return pd.DataFrame(columns=list(SPOT_COLUMNS))
    keep = labels >= 0
    members = pd.DataFrame(
        {
            "spot_id": labels[keep],
            "x": xy[keep, 0],
            "y": xy[keep, 1],
            "time": pd.to_datetime(points[time_column], utc=True).array[keep],  # stays datetime64, no objects
            "category": points["category_code"].astype(str).to_numpy()[keep],
        }
    )
    groups = members.groupby("spot_id", sort=True)
    spots = groups.agg(
        cx=("x", "mean"),
        cy=("y", "mean"),
        count=("x", "size"),
        first_report=("time", "min"),
        last_report=("time", "max"),
    )
    offsets = np.hypot(
        members["x"] - spots["cx"].loc[members["spot_id"]].to_numpy(),
        members["y"] - spots["cy"].loc[members["spot_id"]].to_numpy(),
    )
    spots["radius_m"] = offsets.groupby(members["spot_id"]).max().round(1)
    lon, lat = _TO_WGS84.transform(spots["cx"].to_numpy(), spots["cy"].to_numpy())
    spots["lat"], spots["lon"] = np.round(lat, 6), np.round(lon, 6)
    category_counts = members.groupby(["spot_id", "category"]).size().sort_values(ascending=False, kind="stable")
    per_spot: dict[object, dict[str, int]] = {spot: {} for spot in spots.index}
    for (spot, code), n in category_counts.items():  # one pass over (spot, category) pairs, largest first
        per_spot[spot][code] = int(n)
    spots["categories"] = [per_spot[spot] for spot in spots.index]
    for column in ("unit_id", "ward_code"):
        spots[column] = _most_common_per_spot(labels, points.get(column), spots.index)
    spots["active"] = is_active(spots["last_report"], now, window)
    spots = spots.reset_index()[list(SPOT_COLUMNS)]
    return spots.sort_values(["count", "last_report"], ascending=False, ignore_index=True)


def spot_regions(points: pd.DataFrame, radius_m: float = RADIUS_M, *, time_column: str = "opened_at") -> np.ndarray:
    """A region number per point such that two points within ``radius_m`` always share a region.

    Regions are the connected groups of occupied ``radius_m`` grid cells (8 neighbours), so no spot spans two
    regions: labelling the points of one region alone gives that region's spots exactly, and a change in one
    region leaves the spots of the others as they were. Linear in the number of points.
    """
    xy, _ = _checked_points(points, time_column)
    if len(xy) == 0:
        return np.zeros(0, dtype=int)
    cells = np.floor(xy / radius_m).astype(np.int64)
    cells -= cells.min(axis=0)
    stride = int(cells[:, 1].max()) + 3  # room for the neighbour offsets of every row without wrapping
    keys, cell_of = np.unique(cells[:, 0] * stride + cells[:, 1] + 1, return_inverse=True)
    rows, cols = [], []
    for offset in (dx * stride + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
        position = np.clip(np.searchsorted(keys, keys + offset), 0, len(keys) - 1)
        neighbour = keys[position] == keys + offset
        rows.append(np.flatnonzero(neighbour))
        cols.append(position[neighbour])
    row, col = np.concatenate(rows), np.concatenate(cols)
    graph = sp.coo_array((np.ones(row.size), (row, col)), shape=(len(keys), len(keys)))
    _, region_of_cell = connected_components(graph, directed=False)
    return region_of_cell[cell_of.ravel()]


def lookback_start(now: dt.datetime, lookback: dt.timedelta = LOOKBACK) -> dt.datetime:
    """Start of the spot search at ``now``: ``lookback`` earlier, floored to midnight UTC.

    The search (the costly part) then depends on ``now`` only once a day, so its result can be reused between
    evaluations while the complaint data stay the same; the map and the alerts use the same start.
    """
    return (now - lookback).replace(hour=0, minute=0, second=0, microsecond=0)


def is_active(last_report: pd.Series, now: dt.datetime, window: dt.timedelta = WINDOW) -> pd.Series:
    """Whether each spot is active at ``now``: its last report lies within ``window`` before ``now``."""
    return (last_report >= now - window) & (last_report <= now)


def _most_common_per_spot(labels: np.ndarray, values: pd.Series | None, spot_ids: pd.Index) -> list[object]:
    """The most frequent non-missing value per spot (ties: smallest), None where a spot has none."""
    if values is None:
        return [None] * len(spot_ids)
    frame = pd.DataFrame({"spot_id": labels, "value": values.to_numpy()})
    frame = frame[(frame["spot_id"] >= 0) & frame["value"].notna()]
    tallies = frame.groupby(["spot_id", "value"]).size().reset_index(name="n")
    best = tallies.sort_values(["spot_id", "n", "value"], ascending=[True, False, True]).drop_duplicates("spot_id")
    winner = dict(zip(best["spot_id"], best["value"], strict=True))
    return [_plain(winner[spot]) if spot in winner else None for spot in spot_ids]


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
