"""Corroboration of stored complaints: reads the cases, station observations and air stations it needs from the
database and matches them with :func:`geo.corroboration.corroborate_complaints`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from data.schema import AqiValue, Average, ComplaintCase, Station
from geo.corroboration import (
    CORROBORABLE_CATEGORIES,
    EXCEEDANCE_COLUMNS,
    MAX_DISTANCE_M,
    WINDOW,
    corroborate_complaints,
)


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
    ``limits`` maps parameters to hourly limits in the stored unit, the valid hourly means of those parameters
    (the roll-ups, labelled by the hour's end: a limit on hourly means is compared with hourly means, and a
    month of history never scans the raw readings).
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
                select(Station.id, Station.lat, Station.lon, Average.period_end, Average.parameter, Average.value)
                .join(Station, Station.id == Average.station_id)
                .where(Average.period == "1h", Average.valid.is_(True), Average.value.is_not(None))
                .where(Average.parameter.in_(list(limits)))
                .where(Average.period_end >= since, Average.period_end <= until)
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
