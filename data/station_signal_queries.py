"""Reads behind the station rule families (threshold, AQI, silent station, device error).

Each returns plain rows: the stations by id, the latest value per station and parameter (of the 5-minute
readings or of the stored averages), the latest stored AQI per station, the last reading per station and the
feeds' last errors. ``monitoring.alert_signals`` turns them into signals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, func, literal, select

from data.redact import redact_text
from data.schema import AqiValue, Average, FeedState, Reading, Station

_RAW_LOOKBACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class LatestValue:
    """The latest value of one station and parameter."""

    station_id: str
    parameter: str
    observed_at: dt.datetime
    value: float | None
    status: str = "00"


def stations_by_id(engine: Engine) -> dict[str, Any]:
    """Every station row (``id, name, kind, ward_code, district, source, limit_profile`` …) by id."""
    with engine.connect() as conn:
        return {row.id: row for row in conn.execute(select(Station)).all()}


def _latest_rows(engine: Engine, model: Any, time_column: Any, conditions: list[Any]) -> list[LatestValue]:
    """Per (station, parameter), the row of ``model`` with the largest ``time_column`` among ``conditions``."""
    last = (
        select(model.station_id, model.parameter, func.max(time_column).label("last"))
        .where(*conditions)
        .group_by(model.station_id, model.parameter)
        .subquery()
    )
    status = model.status if model is Reading else literal("00")
    query = (
        select(model.station_id, model.parameter, time_column.label("at"), model.value, status.label("status"))
        .join(
            last,
            and_(
                model.station_id == last.c.station_id,
                model.parameter == last.c.parameter,
                time_column == last.c["last"],
            ),
        )
        .where(*conditions)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [LatestValue(r.station_id, r.parameter, r.at, r.value, r.status) for r in rows]


def latest_averages(engine: Engine, period: str, parameters: list[str], now: dt.datetime) -> list[LatestValue]:
    """The latest valid stored ``period`` average per station and parameter ending at or before ``now``."""
    conditions = [
        Average.period == period,
        Average.valid.is_(True),
        Average.value.is_not(None),
        Average.parameter.in_(parameters),
        Average.period_end <= now,
    ]
    return _latest_rows(engine, Average, Average.period_end, conditions)


def latest_readings(
    engine: Engine,
    parameters: list[str] | None,
    now: dt.datetime,
    *,
    measuring_only: bool,
    lookback: dt.timedelta | None = None,
) -> list[LatestValue]:
    """The latest reading per station and parameter within ``lookback`` (default a day) before ``now``.

    Older readings would count as stale anyway, so rules pass their ``stale_after`` to keep the scan short.
    ``measuring_only`` keeps status-00 readings with a value (calibration and device errors never count).
    """
    conditions = [Reading.observed_at <= now, Reading.observed_at > now - (lookback or _RAW_LOOKBACK)]
    if parameters is not None:
        conditions.append(Reading.parameter.in_(parameters))
    if measuring_only:
        conditions += [Reading.status == "00", Reading.value.is_not(None)]
    return _latest_rows(engine, Reading, Reading.observed_at, conditions)


def latest_aqi(engine: Engine, scale: str, period: str, now: dt.datetime) -> list[Any]:
    """Per station, its latest stored AQI row of ``scale`` and ``period`` ending at or before ``now``."""
    conditions = (AqiValue.scale == scale, AqiValue.period == period, AqiValue.period_end <= now)
    last = (
        select(AqiValue.station_id, func.max(AqiValue.period_end).label("period_end"))
        .where(*conditions)
        .group_by(AqiValue.station_id)
        .subquery()
    )
    query = (
        select(AqiValue)
        .join(last, and_(AqiValue.station_id == last.c.station_id, AqiValue.period_end == last.c.period_end))
        .where(*conditions)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).all())


def last_reading_times(engine: Engine, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """``(station_id, time of its last reading at or before now)`` for every station that ever reported."""
    query = (
        select(Reading.station_id, func.max(Reading.observed_at).label("last"))
        .where(Reading.observed_at <= now)
        .group_by(Reading.station_id)
    )
    with engine.connect() as conn:
        return [(station_id, last) for station_id, last in conn.execute(query).all()]


def feed_errors(engine: Engine) -> dict[str, str]:
    """The last error of every feed that has one, secrets masked (alert labels reach pages and webhooks)."""
    with engine.connect() as conn:
        rows = conn.execute(select(FeedState.feed, FeedState.last_error)).all()
    return {feed: redact_text(error) for feed, error in rows if error}
