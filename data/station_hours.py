"""Stored averages of one station: for machine readers (the API's ``stations/{id}/hourly`` and ``…/daily``, a page
at a time) and the history charts of the pages (:func:`station_series`).

The same stored 1-hour averages the AQI is computed from (``averages``, period ``1h``, labelled by the hour's
END, UTC), so a value read through the API is the value behind the pages' AQI. History beyond
:data:`RAW_HISTORY` is read from them, never from the raw readings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import pandas as pd
from sqlalchemy import Engine, func, select

from data.frames import read_frame
from data.queries import reading_series
from data.schema import Average, Reading, Station

RAW_HISTORY: Final = dt.timedelta(days=1)
"""The longest span a page reads raw readings for; longer history comes from the hourly roll-ups."""
HOURLY_STATUS: Final = "hourly"
"""The ``status`` of a point of :func:`station_series` that is an hourly mean (raw readings carry the device's)."""


@dataclass(frozen=True)
class StoredAverage:
    """One parameter's average over the period (an hour or a local day) ending at ``period_end`` (UTC)."""

    parameter: str
    period_end: dt.datetime
    value: float | None
    valid: bool
    n_valid: int
    n_expected: int


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def station_exists(engine: Engine, station_id: str) -> bool:
    """Whether a station with this id is registered."""
    with engine.connect() as conn:
        return conn.execute(select(Station.id).where(Station.id == station_id)).first() is not None


def station_averages(
    engine: Engine, station_id: str, since: dt.datetime, *, period: str = "1h", limit: int, offset: int
) -> tuple[list[StoredAverage], int]:
    """Stored averages of ``station_id`` for ``period`` (``1h`` hourly, ``1d`` the daily roll-up) ending after
    ``since`` (oldest first, then by parameter), one page of ``limit`` rows from ``offset``, and how many there are
    in all."""
    where = (Average.station_id == station_id, Average.period == period, Average.period_end > since)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(Average).where(*where)).scalar_one()
        rows = conn.execute(
            select(Average.parameter, Average.period_end, Average.value, Average.valid, Average.n_valid,
                   Average.n_expected)
            .where(*where)
            .order_by(Average.period_end, Average.parameter)
            .limit(limit)
            .offset(offset)
        ).all()  # fmt: skip
    return [
        StoredAverage(r.parameter, _utc(r.period_end), None if r.value is None else float(r.value), bool(r.valid),
                      int(r.n_valid or 0), int(r.n_expected or 0))
        for r in rows
    ], int(found)  # fmt: skip


def hourly_series(engine: Engine, station_id: str, parameter: str, since: dt.datetime) -> pd.DataFrame:
    """Hourly means of one station parameter ending after ``since``, oldest first: ``observed_at`` (the hour's
    end), ``value`` (NaN for an hour short of the 75 % rule), ``n_valid``, ``n_expected``."""
    stmt = (
        select(Average.period_end, Average.value, Average.valid, Average.n_valid, Average.n_expected)
        .where(
            Average.station_id == station_id,
            Average.parameter == parameter,
            Average.period == "1h",
            Average.period_end > since,
        )
        .order_by(Average.period_end)
    )
    frame = read_frame(engine, stmt, ["observed_at", "value", "valid", "n_valid", "n_expected"])
    frame["value"] = frame["value"].astype("float64").where(frame["valid"].astype(bool))
    return frame.drop(columns="valid")


def latest_unit(engine: Engine, station_id: str, parameter: str) -> str:
    """The unit of the newest reading of one station parameter ("" when none): a one-row probe of the key."""
    stmt = (
        select(Reading.unit)
        .where(Reading.station_id == station_id, Reading.parameter == parameter)
        .order_by(Reading.observed_at.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one_or_none() or ""


def station_series(
    engine: Engine, station_id: str, parameter: str, since: dt.datetime, now: dt.datetime
) -> pd.DataFrame:
    """The chart series of one station parameter from ``since`` to ``now``: ``observed_at, value, unit, status``.

    Up to :data:`RAW_HISTORY` back, the raw readings with their device status; further back, the hourly means
    (status :data:`HOURLY_STATUS`, value NaN for an hour that is not valid), so a long chart never scans the
    raw readings.
    """
    if now - since <= RAW_HISTORY:
        return reading_series(engine, station_id, parameter, since)
    hourly = hourly_series(engine, station_id, parameter, since)
    unit = latest_unit(engine, station_id, parameter) if len(hourly) else ""
    return hourly[["observed_at", "value"]].assign(unit=unit, status=HOURLY_STATUS)
