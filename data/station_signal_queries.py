"""Reads behind the station rule families (threshold, AQI, silent station, device error).

Each returns plain rows: the stations by id, the latest value per station and parameter (of the 5-minute
readings or of the stored averages), the latest stored AQI per station, the last reading per station and the
feeds' last errors. ``monitoring.alert_signals`` turns them into signals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Select, String, Subquery, and_, case, exists, func, literal, select, true, union_all

from data.dialect import is_postgresql
from data.redact import redact_text
from data.schema import AqiValue, Average, FeedState, LatestReading, Reading, Station

_RAW_LOOKBACK = dt.timedelta(days=1)
_RECENT_AVERAGES = dt.timedelta(days=2)
"""Where :func:`latest_averages` looks first (one or a few time partitions)."""


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


def latest_averages(engine: Engine, period: str, parameters: list[str], now: dt.datetime) -> list[LatestValue]:
    """The latest valid stored ``period`` average per station and parameter ending at or before ``now``.

    Per station and parameter, a backward scan of its primary-key range (station, parameter, period,
    period_end) stopped at the first such average: the work grows with the number of stations, not with the
    stored history, which grouping every stored average would read. The scan looks among the averages of the
    last :data:`_RECENT_AVERAGES` first. Only pairs it found nothing for that ever reported (a row in
    ``latest_readings``, kept for every stored reading; averages are made only from stored readings) are read
    again over all time, in a second query run only when there are some: on PostgreSQL a read over all time is
    planned and started in every time partition up to ``now`` (dozens with daily partitions) even where it never
    runs, and for a pair with no average at all (a water station asked for PM2.5) it probes every one of them.

    PostgreSQL: a ``LATERAL … LIMIT 1`` per pair brings the time and the value together; as correlated
    subqueries (SQLite's form) the planner's estimate for 16,000 pairs switched on JIT compilation, and the read
    took 720 ms instead of 220.
    """
    if not parameters:
        return []
    conditions = (
        Average.period == period,
        Average.valid.is_(True),
        Average.value.is_not(None),
        Average.period_end <= now,
    )
    asked = union_all(*(select(literal(name, String).label("parameter")) for name in parameters)).subquery("asked")
    pairs = select(Station.id.label("station_id"), asked.c.parameter).join(asked, true()).subquery("pairs")
    reported = exists().where(
        LatestReading.station_id == pairs.c.station_id, LatestReading.parameter == pairs.c.parameter
    )
    recent = _newest_average_per_pair(engine, pairs, *conditions, Average.period_end > now - _RECENT_AVERAGES)
    with engine.connect() as conn:
        rows = conn.execute(recent.add_columns(reported)).all()
        found = [
            LatestValue(station, parameter, at, value) for station, parameter, at, value, _ in rows if at is not None
        ]
        silent = {(station, parameter) for station, parameter, at, _, ever in rows if at is None and ever}
        if silent:
            stations = sorted({station for station, _ in silent})
            older = select(pairs.c.station_id, pairs.c.parameter).where(pairs.c.station_id.in_(stations))
            for station, parameter, at, value in conn.execute(
                _newest_average_per_pair(engine, older.subquery("older"), *conditions)
            ).all():
                if at is not None and (station, parameter) in silent:
                    found.append(LatestValue(station, parameter, at, value))
    return found


def _newest_average_per_pair(engine: Engine, pairs: Subquery, *conditions: Any) -> Select[Any]:
    """Per (station_id, parameter) of ``pairs``: its newest average meeting ``conditions`` (time and value, NULL
    where none), by a ``LATERAL … LIMIT 1`` on PostgreSQL and correlated subqueries on SQLite (no ``LATERAL``)."""
    of_pair = (Average.station_id == pairs.c.station_id, Average.parameter == pairs.c.parameter, *conditions)
    newest = select(Average.period_end, Average.value).where(*of_pair).order_by(Average.period_end.desc()).limit(1)
    if is_postgresql(engine):
        one = newest.lateral()
        return select(pairs.c.station_id, pairs.c.parameter, one.c.period_end, one.c.value).select_from(
            pairs.outerjoin(one, true())
        )
    return select(
        pairs.c.station_id,
        pairs.c.parameter,
        newest.with_only_columns(Average.period_end).scalar_subquery(),
        newest.with_only_columns(Average.value).scalar_subquery(),
    )


def latest_readings(
    engine: Engine,
    parameters: list[str] | None,
    now: dt.datetime,
    *,
    measuring_only: bool,
    lookback: dt.timedelta | None = None,
) -> list[LatestValue]:
    """The latest reading per station and parameter within ``lookback`` (default a day) before ``now``.

    Older readings would count as stale anyway, so rules pass their ``stale_after`` to keep the read short.
    ``measuring_only`` keeps status-00 readings with a value (calibration and device errors never count).
    Answered from ``latest_readings`` (one row per station parameter); where its newest reading does not qualify
    (after ``now``, or not measuring), a backward scan of that pair's primary-key range in ``readings`` finds
    the one that does.
    """
    since = now - (lookback or _RAW_LOOKBACK)
    conditions = [Reading.observed_at <= now, Reading.observed_at > since]
    usable = [LatestReading.observed_at <= now]
    if measuring_only:
        conditions += [Reading.status == "00", Reading.value.is_not(None)]
        usable += [LatestReading.status == "00", LatestReading.value.is_not(None)]

    def newest(column: Any) -> Any:
        found = (
            select(column)
            .where(Reading.station_id == LatestReading.station_id, Reading.parameter == LatestReading.parameter)
            .where(*conditions)
            .order_by(Reading.observed_at.desc())
            .limit(1)
            .scalar_subquery()
        )
        return case((and_(*usable), getattr(LatestReading, column.key)), else_=found)

    query = select(
        LatestReading.station_id,
        LatestReading.parameter,
        newest(Reading.observed_at),
        newest(Reading.value),
        newest(Reading.status),
    ).where(LatestReading.observed_at > since)
    if parameters is not None:
        query = query.where(LatestReading.parameter.in_(parameters))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [LatestValue(*row) for row in rows if row[2] is not None]


def newest_aqi_rows(bind: Engine, scale: str, period: str, now: dt.datetime | None = None) -> Subquery:
    """Per station, its newest stored AQI row of ``scale`` and ``period`` (ending at or before ``now`` when given):
    the columns of ``aqi_values``, by one backward probe of the primary key per station, never a grouping or scan of
    every stored AQI value (which grows by the hour at every station).

    PostgreSQL: a ``LATERAL … ORDER BY period_end DESC LIMIT 1`` per station, a plan the planner cannot turn around
    (with statistics not yet gathered after an AQI refresh it ran the join below as a scan of every stored value
    with the probe as a filter: 250 ms for 2,000 stations instead of 10). SQLite, which has no ``LATERAL``: each
    station's newest end by a correlated ``max``, joined back on the primary key.
    """
    conditions = [AqiValue.station_id == Station.id, AqiValue.scale == scale, AqiValue.period == period]
    if now is not None:
        conditions.append(AqiValue.period_end <= now)
    if is_postgresql(bind):
        newest = select(AqiValue).where(*conditions).order_by(AqiValue.period_end.desc()).limit(1).lateral()
        return select(newest).select_from(Station).join(newest, true()).subquery()
    newest_end = select(func.max(AqiValue.period_end)).where(*conditions).scalar_subquery()
    ends = select(Station.id.label("station_id"), newest_end.label("period_end")).subquery()
    return (
        select(AqiValue)
        .join(ends, and_(AqiValue.station_id == ends.c.station_id, AqiValue.period_end == ends.c.period_end))
        .where(AqiValue.scale == scale, AqiValue.period == period)
        .subquery()
    )


def latest_aqi(engine: Engine, scale: str, period: str, now: dt.datetime) -> list[Any]:
    """Per station, its latest stored AQI row of ``scale`` and ``period`` ending at or before ``now``."""
    with engine.connect() as conn:
        return list(conn.execute(select(newest_aqi_rows(engine, scale, period, now))).all())


def last_reading_times(engine: Engine, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """``(station_id, time of its last reading at or before now)`` for every station that ever reported.

    Read from ``latest_readings`` (one row per station parameter), not by grouping every stored reading. Station
    parameters whose newest reading is after ``now`` (an evaluation of a past moment, a clock ahead) are looked
    up in ``readings`` by their primary key, in a second query run only when there are some: a read of
    ``readings`` without a lower time bound is planned in every time partition even where it never runs.
    """
    by_now = (
        select(LatestReading.station_id, func.max(LatestReading.observed_at))
        .where(LatestReading.observed_at <= now)
        .group_by(LatestReading.station_id)
    )
    ahead = select(LatestReading.station_id, LatestReading.parameter).where(LatestReading.observed_at > now)
    with engine.connect() as conn:
        last = dict(conn.execute(by_now).all())
        if conn.execute(ahead.limit(1)).first() is not None:
            pairs = ahead.subquery("ahead")
            earlier = (
                select(pairs.c.station_id, func.max(Reading.observed_at))
                .join(Reading, and_(Reading.station_id == pairs.c.station_id, Reading.parameter == pairs.c.parameter))
                .where(Reading.observed_at <= now)
                .group_by(pairs.c.station_id)
            )
            for station, at in conn.execute(earlier).all():
                last[station] = max(at, last.get(station, at))
    return list(last.items())


def feed_errors(engine: Engine) -> dict[str, str]:
    """The last error of every feed that has one, secrets masked (alert labels reach pages and webhooks)."""
    with engine.connect() as conn:
        rows = conn.execute(select(FeedState.feed, FeedState.last_error)).all()
    return {feed: redact_text(error) for feed, error in rows if error}
