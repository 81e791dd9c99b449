"""Reads and writes of the roll-ups and of the durable queue of pending windows (``pending_windows``).

Every function works inside the caller's transaction (``conn``). What to recompute, and how, is
:mod:`monitoring.rollups`; the daily station roll-ups are rows of ``averages`` (period ``1d``) written through
:func:`data.readings_store.write_averages`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
from sqlalchemy import Connection, Engine, String, and_, delete, func, insert, or_, select, tuple_, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from data.copy_in import copy_frame
from data.dialect import is_postgresql
from data.frames import rows_frame
from data.readings_store import utc_times
from data.schema import AqiValue, Average, BoundarySet, BoundaryUnit, PendingWindow, Station, WardAverage
from data.station_hours import StoredAverage

PENDING_COLUMNS: Final = ("id", "station_id", "parameter", "after_hour", "last_hour", "deferred")
WARD_KEY: Final = ("set_name", "ward_code", "kind", "parameter", "period", "period_end")
WARD_ROW: Final = (*WARD_KEY, "value", "n_valid", "n_expected", "valid")
STATION_MEAN: Final = ("station_id", "set_name", "ward_code", "kind", "parameter", "period", "period_end", "value",
                       "valid")  # fmt: skip
"""The columns of :func:`read_ward_station_means`."""
AQI_HOURLY: Final = ("station_id", "parameter", "period_end", "value")
_CHUNK = 500


def queue_pending(conn: Connection, windows: pd.DataFrame, queued_at: dt.datetime) -> None:
    """Store pending windows (columns ``station_id, parameter, after_hour, last_hour, deferred``): one ``COPY`` on
    PostgreSQL (a national poll queues a window per station parameter), one prepared insert on SQLite."""
    if windows.empty:
        return
    frame = windows[["station_id", "parameter", "after_hour", "last_hour", "deferred"]]
    if is_postgresql(conn):
        copy_frame(conn, "pending_windows", frame, constants={"queued_at": queued_at.isoformat()})
        return
    rows = [
        {"station_id": station, "parameter": parameter, "after_hour": after.to_pydatetime(),
         "last_hour": last.to_pydatetime(), "deferred": bool(deferred), "queued_at": queued_at}
        for station, parameter, after, last, deferred in frame.itertuples(index=False, name=None)
    ]  # fmt: skip
    conn.execute(insert(PendingWindow), rows)


def take_pending(conn: Connection, limit: int) -> pd.DataFrame:
    """``limit`` pending windows, the newest hours first (the live stream's before a flush's older days), columns
    :data:`PENDING_COLUMNS`; on PostgreSQL they stay locked until the transaction ends and windows another drain
    holds are skipped (``FOR UPDATE SKIP LOCKED``)."""
    query = (
        select(*(getattr(PendingWindow, name) for name in PENDING_COLUMNS))
        .order_by(PendingWindow.last_hour.desc(), PendingWindow.id)
        .limit(limit)
    )
    if is_postgresql(conn):
        query = query.with_for_update(skip_locked=True)
    frame = rows_frame(conn.execute(query).all(), list(PENDING_COLUMNS))
    for column in ("after_hour", "last_hour"):
        frame[column] = pd.to_datetime(frame[column], utc=True).astype("datetime64[us, UTC]")
    return frame


def count_pending(conn: Connection) -> int:
    """How many pending windows are queued."""
    return conn.execute(select(func.count()).select_from(PendingWindow)).scalar_one()


def delete_pending(conn: Connection, ids: Iterable[int]) -> None:
    """Remove the pending windows ``ids`` (recomputed)."""
    wanted = [int(i) for i in ids]
    for start in range(0, len(wanted), _CHUNK):
        conn.execute(delete(PendingWindow).where(PendingWindow.id.in_(wanted[start : start + _CHUNK])))


def read_ward_station_means(
    conn: Connection, wards: pd.DataFrame, parameters: list[str], since: dt.datetime, until: dt.datetime
) -> pd.DataFrame:
    """Stored hourly and daily means (periods ``1h``, ``1d``) ending in [since, until] of every station joined to
    one of ``wards`` (columns ``set_name, ward_code, kind``), columns :data:`STATION_MEAN`."""
    frames = []
    keys = list(wards[["set_name", "ward_code", "kind"]].drop_duplicates().itertuples(index=False, name=None))
    for start in range(0, len(keys), _CHUNK):
        query = (
            select(
                Average.station_id,
                Station.set_name,
                Station.ward_code,
                Station.kind,
                Average.parameter,
                Average.period,
                type_coerce(Average.period_end, String),
                Average.value,
                Average.valid,
            )
            .join(Station, Station.id == Average.station_id)
            .where(
                tuple_(Station.set_name, Station.ward_code, Station.kind).in_(keys[start : start + _CHUNK]),
                Average.parameter.in_(parameters),
                Average.period.in_(["1h", "1d"]),
                Average.period_end >= since,
                Average.period_end <= until,
            )
        )
        frames.append(rows_frame(conn.execute(query).all(), list(STATION_MEAN)))
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(STATION_MEAN))
    frame["period_end"] = utc_times(frame["period_end"])
    frame["value"] = frame["value"].astype("float64")
    frame["valid"] = frame["valid"].astype(bool)
    return frame


def station_wards(conn: Connection, stations: list[str]) -> pd.DataFrame:
    """``station_id, set_name, ward_code, kind`` of the ``stations`` joined to a ward."""
    rows = []
    for start in range(0, len(stations), _CHUNK):
        rows += conn.execute(
            select(Station.id, Station.set_name, Station.ward_code, Station.kind).where(
                Station.id.in_(stations[start : start + _CHUNK]),
                Station.ward_code.is_not(None),
                Station.set_name.is_not(None),
            )
        ).all()
    return rows_frame(rows, ["station_id", "set_name", "ward_code", "kind"])


def write_ward_averages(conn: Connection, frame: pd.DataFrame) -> None:
    """Insert or replace ward roll-ups (columns :data:`WARD_ROW`) in one bulk statement."""
    if frame.empty:
        return
    records = [
        {
            **dict(zip(WARD_ROW, row, strict=True)),
            "period_end": row[5].to_pydatetime(),
            "value": None if pd.isna(row[6]) else float(row[6]),
            "n_valid": int(row[7]),
            "n_expected": int(row[8]),
            "valid": bool(row[9]),
        }
        for row in frame[list(WARD_ROW)].itertuples(index=False, name=None)
    ]
    dialect = postgresql if is_postgresql(conn) else sqlite
    statement = dialect.insert(WardAverage)
    statement = statement.on_conflict_do_update(
        index_elements=list(WARD_KEY),
        set_={name: statement.excluded[name] for name in ("value", "n_valid", "n_expected", "valid")},
    )
    conn.execute(statement, records)


def read_valid_hourly(
    conn: Connection, stations: list[str], parameters: Iterable[str], since: dt.datetime, until: dt.datetime
) -> pd.DataFrame:
    """Valid, non-missing hourly means of ``stations`` × ``parameters`` ending in [since, until], columns
    :data:`AQI_HOURLY` (the input of the AQI)."""
    query = select(Average.station_id, Average.parameter, type_coerce(Average.period_end, String), Average.value).where(
        Average.station_id.in_(stations),
        Average.parameter.in_(list(parameters)),
        Average.period == "1h",
        Average.valid.is_(True),
        Average.value.is_not(None),
        Average.period_end >= since,
        Average.period_end <= until,
    )
    frame = rows_frame(conn.execute(query).all(), list(AQI_HOURLY))
    frame["period_end"] = utc_times(frame["period_end"])
    frame["value"] = frame["value"].astype("float64")
    return frame


def replace_station_aqi(conn: Connection, ranges: pd.DataFrame, rows: list[dict[str, Any]]) -> None:
    """Delete the stored AQI of each ``ranges`` row (``station_id, period, first, last``: period ends in
    [first, last], both scales), then store ``rows`` (``aqi_values`` rows)."""
    conditions = [
        and_(
            AqiValue.station_id == row.station_id,
            AqiValue.period == row.period,
            AqiValue.period_end >= row.first.to_pydatetime(),
            AqiValue.period_end <= row.last.to_pydatetime(),
        )
        for row in ranges.itertuples(index=False)
    ]
    for start in range(0, len(conditions), _CHUNK):
        conn.execute(delete(AqiValue).where(or_(*conditions[start : start + _CHUNK])))
    if rows:
        conn.execute(insert(AqiValue), rows)


@dataclass(frozen=True)
class WardRollup(StoredAverage):
    """One ward roll-up: the mean over the ward's ``kind`` stations of their valid means of one parameter for the
    period ending at ``period_end``; ``n_valid`` of ``n_expected`` stations had one."""

    kind: str


def ward_exists(engine: Engine, set_name: str, ward_code: str) -> bool:
    """Whether ``ward_code`` is a ward of the boundary set ``set_name``."""
    query = (
        select(BoundaryUnit.code)
        .join(BoundarySet, BoundarySet.id == BoundaryUnit.set_id)
        .where(BoundarySet.name == set_name, BoundaryUnit.code == ward_code)
    )
    with engine.connect() as conn:
        return conn.execute(query).first() is not None


def ward_rollups(
    engine: Engine, set_name: str, ward_code: str, since: dt.datetime, *, period: str, limit: int, offset: int
) -> tuple[list[WardRollup], int]:
    """Ward roll-ups of ``period`` (``1h`` or ``1d``) ending after ``since`` (oldest first, then by kind and
    parameter), one page of ``limit`` rows from ``offset``, and how many there are in all."""
    where = (
        WardAverage.set_name == set_name,
        WardAverage.ward_code == ward_code,
        WardAverage.period == period,
        WardAverage.period_end > since,
    )
    columns = (WardAverage.kind, WardAverage.parameter, WardAverage.period_end, WardAverage.value,
               WardAverage.valid, WardAverage.n_valid, WardAverage.n_expected)  # fmt: skip
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(WardAverage).where(*where)).scalar_one()
        rows = conn.execute(
            select(*columns)
            .where(*where)
            .order_by(WardAverage.period_end, WardAverage.kind, WardAverage.parameter)
            .limit(limit)
            .offset(offset)
        ).all()
    return [
        WardRollup(r.parameter, r.period_end, None if r.value is None else float(r.value), bool(r.valid),
                   int(r.n_valid), int(r.n_expected), r.kind)
        for r in rows
    ], int(found)  # fmt: skip
