"""Complaints corroborated by sensors: smoke, dust and odour reports matched with nearby station exceedances.

A complaint of a corroborable category is *corroborated* when the nearest station within ``max_distance_m``
(default 3 km, measured in UTM 48N) had an exceedance within ``± window`` (default 3 h) of the report. An
exceedance is a row whose ``value`` is above its ``limit`` or whose AQI category is at least ``min_aqi_category``.
Pure matching on frames; reading complaints and observations from the database is :mod:`data.corroboration_report`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from geo.weights import METRIC_CRS

CORROBORABLE_CATEGORIES = frozenset({"burning_smoke", "odour"})  # data/config/categories.toml codes
MAX_DISTANCE_M = 3000.0
WINDOW = dt.timedelta(hours=3)
MIN_AQI_CATEGORY = 3  # VN_AQI 101–150 "Kém" (poor) and above
EXCEEDANCE_COLUMNS = ("station_id", "lat", "lon", "observed_at", "parameter", "value", "limit", "aqi_category")

_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def _metric_xy(frame: pd.DataFrame, what: str) -> np.ndarray:
    missing = [c for c in ("lat", "lon") if c not in frame.columns]
    if missing:
        msg = f"{what} frame lacks columns {missing}"
        raise KeyError(msg)
    x, y = _TO_METRIC.transform(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    return np.column_stack([x, y])


def exceeding(observations: pd.DataFrame, min_aqi_category: int = MIN_AQI_CATEGORY) -> pd.DataFrame:
    """Rows of ``observations`` that exceed: ``value > limit`` or ``aqi_category >= min_aqi_category``."""
    over_limit = pd.Series(False, index=observations.index)
    if {"value", "limit"} <= set(observations.columns):
        over_limit = pd.to_numeric(observations["value"], errors="coerce") > pd.to_numeric(
            observations["limit"], errors="coerce"
        )
    if "aqi_category" in observations.columns:
        over_limit |= pd.to_numeric(observations["aqi_category"], errors="coerce") >= min_aqi_category
    return observations[over_limit.fillna(False).astype(bool)]


def _station_table(observations: pd.DataFrame, stations: pd.DataFrame | None) -> pd.DataFrame:
    source = stations if stations is not None else observations
    table = source[["station_id", "lat", "lon"]].dropna().drop_duplicates("station_id").reset_index(drop=True)
    return table


def corroborate_complaints(
    complaints: pd.DataFrame,
    observations: pd.DataFrame,
    *,
    stations: pd.DataFrame | None = None,
    categories: Collection[str] = CORROBORABLE_CATEGORIES,
    max_distance_m: float = MAX_DISTANCE_M,
    window: dt.timedelta = WINDOW,
    min_aqi_category: int = MIN_AQI_CATEGORY,
) -> pd.DataFrame:
    """Corroboration of every complaint by its nearest station.

    Parameters
    ----------
    complaints
        Columns ``id``, ``lat``, ``lon``, ``category_code``, ``reported_at`` (tz-aware).
    observations
        Station rows with ``station_id``, ``lat``, ``lon``, ``observed_at``, ``parameter``, ``value`` and
        ``limit`` and/or ``aqi_category``; only exceeding rows count (see :func:`exceeding`).
    stations
        All stations (``station_id``, ``lat``, ``lon``) for the nearest-station search; defaults to the stations
        present in ``observations`` (pass it so a quiet nearer station is not skipped).
    categories
        Category codes that sensors can corroborate.

    Returns
    -------
    pandas.DataFrame
        Columns id, applicable, station_id, distance_m, corroborated, parameter, value, limit, aqi_category,
        observed_at (the exceedance closest in time), in the order of ``complaints``.
    """
    station_table = _station_table(observations, stations)
    result = pd.DataFrame({"id": complaints["id"].to_numpy()})
    result["applicable"] = complaints["category_code"].isin(list(categories)).to_numpy()
    located = result["applicable"].to_numpy() & complaints[["lat", "lon"]].notna().all(axis=1).to_numpy()
    result["station_id"] = None
    result["distance_m"] = np.nan
    if len(station_table) and located.any():
        distance, nearest = cKDTree(_metric_xy(station_table, "stations")).query(
            _metric_xy(complaints[located], "complaints"), distance_upper_bound=max_distance_m
        )
        within = np.isfinite(distance)
        rows = np.flatnonzero(located)[within]
        result.loc[rows, "station_id"] = station_table["station_id"].to_numpy()[nearest[within]]
        result.loc[rows, "distance_m"] = distance[within].round(1)
    evidence = _nearest_exceedance_in_time(result, complaints, exceeding(observations, min_aqi_category), window)
    result = result.join(evidence)
    result["corroborated"] = result["observed_at"].notna()
    return result[
        [
            "id",
            "applicable",
            "station_id",
            "distance_m",
            "corroborated",
            "parameter",
            "value",
            "limit",
            "aqi_category",
            "observed_at",
        ]
    ]


def _nearest_exceedance_in_time(
    result: pd.DataFrame, complaints: pd.DataFrame, exceedances: pd.DataFrame, window: dt.timedelta
) -> pd.DataFrame:
    evidence_columns = ["parameter", "value", "limit", "aqi_category", "observed_at"]
    evidence = pd.DataFrame(index=result.index, columns=evidence_columns, dtype=object)
    matched = result["station_id"].notna()
    if not matched.any() or exceedances.empty:
        return evidence
    left = pd.DataFrame(
        {
            "row": result.index[matched],
            "station_id": result.loc[matched, "station_id"].astype(str).to_numpy(),
            "reported_at": pd.to_datetime(complaints["reported_at"], utc=True).to_numpy()[matched.to_numpy()],
        }
    ).sort_values("reported_at")
    right = exceedances.reindex(columns=["station_id", *evidence_columns]).assign(
        station_id=lambda f: f["station_id"].astype(str),
        observed_at=lambda f: pd.to_datetime(f["observed_at"], utc=True),
        _time=lambda f: f["observed_at"],
    )
    right = right.sort_values("_time")
    left["reported_at"] = left["reported_at"].astype(right["_time"].dtype)
    joined = pd.merge_asof(
        left, right, left_on="reported_at", right_on="_time", by="station_id", tolerance=window, direction="nearest"
    )
    joined = joined.set_index("row")[evidence_columns]
    evidence.loc[joined.index, evidence_columns] = joined.to_numpy()
    evidence.loc[evidence["observed_at"].isna(), evidence_columns] = None
    return evidence
