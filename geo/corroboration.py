"""Complaints corroborated by sensors: smoke, dust and odour reports matched with nearby station exceedances.

A complaint of a corroborable category is *corroborated* when the nearest station within ``max_distance_m``
(default 3 km, measured in UTM 48N) had an exceedance within ``± window`` (default 3 h) of the report. An
exceedance is a row whose ``value`` is above its ``limit`` or whose AQI category is at least ``min_aqi_category``.
Conversely every exceedance lists the corroborable complaints within the same distance and time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree
from sqlalchemy import Engine, select

from data.schema import AqiValue, ComplaintCase, Reading, Station
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


def complaints_near_exceedances(
    complaints: pd.DataFrame,
    observations: pd.DataFrame,
    *,
    categories: Collection[str] = CORROBORABLE_CATEGORIES,
    max_distance_m: float = MAX_DISTANCE_M,
    window: dt.timedelta = WINDOW,
    min_aqi_category: int = MIN_AQI_CATEGORY,
) -> pd.DataFrame:
    """Every exceedance with the corroborable complaints within ``max_distance_m`` and ``± window``.

    Returns the exceeding rows of ``observations`` with two more columns: ``complaint_ids`` (list, nearest
    first) and ``complaint_count``.
    """
    exceedances = exceeding(observations, min_aqi_category).reset_index(drop=True)
    relevant = complaints[complaints["category_code"].isin(list(categories))].dropna(subset=["lat", "lon"])
    relevant = relevant.reset_index(drop=True)
    lists: list[list[object]] = [[] for _ in range(len(exceedances))]
    if len(exceedances) and len(relevant):
        tree = cKDTree(_metric_xy(relevant, "complaints"))
        station_xy = _metric_xy(exceedances, "exceedances")
        reported = pd.to_datetime(relevant["reported_at"], utc=True)
        observed = pd.to_datetime(exceedances["observed_at"], utc=True)
        for row, nearby in enumerate(tree.query_ball_point(station_xy, max_distance_m)):
            if not nearby:
                continue
            close_in_time = (reported.iloc[nearby] - observed.iloc[row]).abs() <= window
            chosen = np.asarray(nearby)[close_in_time.to_numpy()]
            distance = np.hypot(*(tree.data[chosen] - station_xy[row]).T)
            lists[row] = relevant["id"].to_numpy()[chosen[np.argsort(distance, kind="stable")]].tolist()
    exceedances["complaint_ids"] = lists
    exceedances["complaint_count"] = [len(ids) for ids in lists]
    return exceedances


def load_observations(
    engine: Engine,
    since: dt.datetime,
    until: dt.datetime,
    *,
    scale: str = "vn",
    limits: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Station observations for corroboration from the database, columns :data:`EXCEEDANCE_COLUMNS`.

    Hourly AQI values of ``scale`` (parameter ``aqi``, value the AQI, ``aqi_category`` its category) and, when
    ``limits`` maps parameters to hourly limits in the stored unit, the raw readings of those parameters.
    Only located stations are returned.
    """
    frames = []
    with engine.connect() as connection:
        aqi_rows = connection.execute(
            select(Station.id, Station.lat, Station.lon, AqiValue.period_end, AqiValue.aqi, AqiValue.category)
            .join(Station, Station.id == AqiValue.station_id)
            .where(AqiValue.scale == scale, AqiValue.period == "hourly")
            .where(AqiValue.period_end >= since, AqiValue.period_end <= until)
        ).all()
        aqi = pd.DataFrame(aqi_rows, columns=["station_id", "lat", "lon", "observed_at", "value", "aqi_category"])
        frames.append(aqi.assign(parameter="aqi", limit=np.nan))
        if limits:
            reading_rows = connection.execute(
                select(Station.id, Station.lat, Station.lon, Reading.observed_at, Reading.parameter, Reading.value)
                .join(Station, Station.id == Reading.station_id)
                .where(Reading.parameter.in_(list(limits)))
                .where(Reading.observed_at >= since, Reading.observed_at <= until)
            ).all()
            readings = pd.DataFrame(
                reading_rows, columns=["station_id", "lat", "lon", "observed_at", "parameter", "value"]
            )
            frames.append(readings.assign(limit=readings["parameter"].map(limits), aqi_category=np.nan))
    non_empty = [frame for frame in frames if len(frame)]
    observations = pd.concat(non_empty, ignore_index=True) if non_empty else frames[0]
    observations = observations.reindex(columns=list(EXCEEDANCE_COLUMNS)).dropna(subset=["lat", "lon"])
    observations["observed_at"] = pd.to_datetime(observations["observed_at"], utc=True)
    return observations.reset_index(drop=True)


def load_corroborable_complaints(
    engine: Engine, since: dt.datetime, until: dt.datetime, categories: Collection[str] = CORROBORABLE_CATEGORIES
) -> pd.DataFrame:
    """Located cases of ``categories`` opened in ``[since, until)``: id, lat, lon, category_code, reported_at."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                ComplaintCase.id,
                ComplaintCase.lat,
                ComplaintCase.lon,
                ComplaintCase.category_code,
                ComplaintCase.opened_at,
            )
            .where(ComplaintCase.category_code.in_(list(categories)))
            .where(ComplaintCase.opened_at >= since, ComplaintCase.opened_at < until)
            .where(ComplaintCase.lat.is_not(None), ComplaintCase.lon.is_not(None))
        ).all()
    frame = pd.DataFrame(rows, columns=["id", "lat", "lon", "category_code", "reported_at"])
    frame["reported_at"] = pd.to_datetime(frame["reported_at"], utc=True)
    return frame


def load_air_stations(engine: Engine) -> pd.DataFrame:
    """Located air stations: station_id, lat, lon (the candidates of the nearest-station search)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Station.id, Station.lat, Station.lon).where(
                Station.kind == "air", Station.lat.is_not(None), Station.lon.is_not(None)
            )
        ).all()
    return pd.DataFrame(rows, columns=["station_id", "lat", "lon"])


def corroboration_report(
    engine: Engine,
    since: dt.datetime,
    until: dt.datetime,
    *,
    categories: Collection[str] = CORROBORABLE_CATEGORIES,
    max_distance_m: float = MAX_DISTANCE_M,
    window: dt.timedelta = WINDOW,
    limits: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Corroboration of the complaints opened in ``[since, until)``, with their category and report time.

    Observations are read ``window`` beyond both ends so a complaint near the edge still finds its evidence;
    every located air station takes part in the nearest-station search, also the quiet ones.
    """
    complaints = load_corroborable_complaints(engine, since, until, categories)
    observations = load_observations(engine, since - window, until + window, limits=limits)
    result = corroborate_complaints(
        complaints,
        observations,
        stations=load_air_stations(engine),
        categories=categories,
        max_distance_m=max_distance_m,
        window=window,
    )
    return result.merge(complaints[["id", "category_code", "reported_at"]], on="id")
