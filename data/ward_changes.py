"""Queries for recomputing ward roll-ups after stations change ward (:mod:`monitoring.ward_moves`).

Every function works inside the caller's transaction (``conn``).
"""

from __future__ import annotations

from typing import Final

import pandas as pd
from sqlalchemy import Connection, and_, delete, func, or_, select

from data.readings_store import utc_times
from data.schema import Average, Station, WardAverage

WARD_PERIODS: Final = ("1h", "1d")
SPAN: Final = ("station_id", "parameter", "period", "first", "last")
"""The columns of :func:`station_mean_spans`."""
_CHUNK = 500


def station_mean_spans(conn: Connection, stations: list[str]) -> pd.DataFrame:
    """Per station of ``stations``, parameter and ward period (``1h``, ``1d``): the first and last period end of its
    stored means, columns :data:`SPAN`."""
    rows = []
    for start in range(0, len(stations), _CHUNK):
        rows += conn.execute(
            select(
                Average.station_id,
                Average.parameter,
                Average.period,
                func.min(Average.period_end),
                func.max(Average.period_end),
            )
            .where(Average.station_id.in_(stations[start : start + _CHUNK]), Average.period.in_(WARD_PERIODS))
            .group_by(Average.station_id, Average.parameter, Average.period)
        ).all()
    frame = pd.DataFrame(rows, columns=list(SPAN))
    for column in ("first", "last"):
        frame[column] = utc_times(frame[column])
    return frame


def delete_ward_averages(conn: Connection, ranges: pd.DataFrame) -> int:
    """Delete the ward roll-ups of each ``ranges`` row (``set_name, ward_code, kind, parameter, period, first,
    last``: period ends in [first, last]); how many were deleted."""
    conditions = [
        and_(
            WardAverage.set_name == row.set_name,
            WardAverage.ward_code == row.ward_code,
            WardAverage.kind == row.kind,
            WardAverage.parameter == row.parameter,
            WardAverage.period == row.period,
            WardAverage.period_end >= row.first.to_pydatetime(),
            WardAverage.period_end <= row.last.to_pydatetime(),
        )
        for row in ranges.itertuples(index=False)
    ]
    deleted = 0
    for start in range(0, len(conditions), _CHUNK):
        deleted += conn.execute(delete(WardAverage).where(or_(*conditions[start : start + _CHUNK]))).rowcount
    return deleted


def located_stations(conn: Connection, set_name: str) -> pd.DataFrame:
    """``id, lon, lat`` of the located stations joined (or to be joined) to boundary set ``set_name``."""
    rows = conn.execute(
        select(Station.id, Station.lon, Station.lat).where(
            Station.located.is_(True),
            or_(Station.set_name == set_name, Station.set_name.is_(None)),
            Station.lon.is_not(None),
            Station.lat.is_not(None),
        )
    ).all()
    return pd.DataFrame(rows, columns=["id", "lon", "lat"])
