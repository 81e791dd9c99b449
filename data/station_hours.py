"""Hourly averages of one station for machine readers (the API's ``stations/{id}/hourly``), a page at a time.

The same stored 1-hour averages the AQI is computed from (``averages``, period ``1h``, labelled by the hour's
END, UTC), so a value read through the API is the value behind the pages' AQI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from data.schema import Average, Station


@dataclass(frozen=True)
class HourlyAverage:
    """One parameter's average over the hour ending at ``period_end`` (UTC)."""

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


def hourly_averages(
    engine: Engine, station_id: str, since: dt.datetime, *, limit: int, offset: int
) -> tuple[list[HourlyAverage], int]:
    """Hourly averages of ``station_id`` ending after ``since`` (oldest first, then by parameter), one page of
    ``limit`` rows from ``offset``, and how many there are in all."""
    where = (Average.station_id == station_id, Average.period == "1h", Average.period_end > since)
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
        HourlyAverage(r.parameter, _utc(r.period_end), None if r.value is None else float(r.value), bool(r.valid),
                      int(r.n_valid or 0), int(r.n_expected or 0))
        for r in rows
    ], int(found)  # fmt: skip
