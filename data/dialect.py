"""What differs between the two database engines, SQLite and PostgreSQL/PostGIS, in one place.

Code elsewhere asks :func:`is_postgresql` (bulk paths such as ``COPY``, ``unnest`` joins, ``ON CONFLICT`` staging,
PostGIS geometry columns) or uses the SQL expressions below, which are written once per engine here. On
PostgreSQL the migration installs PostGIS, so PostgreSQL here always means PostgreSQL with PostGIS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, Engine, Float, String, Table, cast, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement, Insert
from sqlalchemy.types import TypeEngine


def is_postgresql(bind: Engine | Connection | Dialect) -> bool:
    """True on PostgreSQL/PostGIS, False on SQLite (the two engines the product supports)."""
    dialect = bind if isinstance(bind, Dialect) else bind.dialect
    return dialect.name == "postgresql"


def hours_between(bind: Engine | Connection, start: ColumnElement[Any], end: ColumnElement[Any]) -> ColumnElement[Any]:
    """Hours from ``start`` to ``end`` (two timestamp columns) as a float expression."""
    if is_postgresql(bind):
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def epoch_seconds(bind: Engine | Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Seconds since 1970-01-01 UTC of a stored timestamp ``column`` as a float: a number per row fetches and
    converts (``pd.to_datetime(..., unit="s")``) much faster in bulk than a timestamp per row."""
    if is_postgresql(bind):
        return cast(func.extract("epoch", column), Float)  # numeric otherwise: a Decimal per row
    return (func.julianday(column) - 2440587.5) * 86400.0


def local_day(bind: Engine | Connection, column: ColumnElement[Any], timezone: str) -> ColumnElement[Any]:
    """The calendar date of a UTC timestamp ``column`` in ``timezone``.

    PostgreSQL converts with the zone's rules; SQLite has no time-zone database and adds the zone's offset of
    1 January 2025, which is right for zones without daylight saving time (such as Asia/Ho_Chi_Minh).
    """
    if is_postgresql(bind):
        return func.date(func.timezone(timezone, column))
    offset = ZoneInfo(timezone).utcoffset(dt.datetime(2025, 1, 1)) or dt.timedelta()
    return func.date(column, f"{int(offset.total_seconds()):+d} seconds")


def driver_time_type(bind: Engine | Connection) -> TypeEngine[Any]:
    """The type a stored timestamp arrives in from the driver without conversion (``type_coerce`` target).

    SQLite stores ISO text, PostgreSQL ``timestamptz``; reading the raw value and converting a whole column at
    once in pandas is much faster than a conversion per row.
    """
    return DateTime(timezone=True) if is_postgresql(bind) else String()


def insert_if_absent(bind: Engine | Connection, table: Table) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``table``: a row whose key exists already is left as it is."""
    if is_postgresql(bind):
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def greatest(bind: Engine | Connection | Dialect, first: ColumnElement[Any], second: Any) -> ColumnElement[Any]:
    """The larger of two values: ``greatest`` on PostgreSQL, the two-argument scalar ``max`` on SQLite."""
    return func.greatest(first, second) if is_postgresql(bind) else func.max(first, second)
