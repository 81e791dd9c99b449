"""Bulk reads and writes of readings and stored averages, the import-batch record, the file ledger, quarantine.

Every function works inside the caller's transaction (``conn``). The fast paths differ per engine: SQLite gets
one prepared statement executed over all rows, PostgreSQL ``COPY`` (straight into the table, or into a
temporary staging table followed by one ``INSERT … SELECT … ON CONFLICT``). The decisions (which rows are new,
which averages to recompute) belong to :mod:`monitoring.ingest`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import Connection, String, or_, select, text, type_coerce

from data.bulk import sqlite_times
from data.copy_in import copy_frame, copy_in_background
from data.copy_out import TIME, select_frame
from data.dialect import is_postgresql
from data.frames import rows_frame
from data.schema import Average, ImportBatch, IngestedFile, LatestReading, QuarantineRow, Reading

T = TypeVar("T")

READING_ROW: Final = ("station_id", "parameter", "value", "unit", "observed_at", "status", "source")
"""The columns of a reading written by a batch (besides ``batch_id``)."""
HOUR_READING: Final = ("station_id", "parameter", "observed_at", "value", "status")
"""The columns of :func:`read_readings`."""
AVERAGE_KEY: Final = ("station_id", "parameter", "period", "period_end")
AVERAGE_ROW: Final = (*AVERAGE_KEY, "value", "n_valid", "n_expected", "valid")
_STAGING = {  # the session's staging tables, named <table>_incoming
    "readings_incoming": "station_id text, parameter text, value double precision, unit text, "
    "observed_at timestamptz, status text, source text, batch_id text",
    "averages_incoming": "station_id text, parameter text, period text, period_end timestamptz, "
    "value double precision, n_valid integer, n_expected integer, valid boolean",
    "latest_readings_incoming": "station_id text, parameter text, observed_at timestamptz, value double precision, "
    "unit text, status text",
}
LATEST_KEY: Final = ("station_id", "parameter")
LATEST_ROW: Final = (*LATEST_KEY, "observed_at", "value", "unit", "status")
"""The columns of ``latest_readings``."""


def start_import_batch(
    conn: Connection, batch_id: str, *, kind: str, source: str, filename: str, started_at: dt.datetime
) -> None:
    """Record the start of an import batch (``import_batches``)."""
    conn.execute(
        ImportBatch.__table__.insert().values(
            id=batch_id, kind=kind, source=source, filename=filename, started_at=started_at
        )
    )


def finish_import_batch(conn: Connection, batch_id: str, summary: Mapping[str, int]) -> None:
    """Mark the import batch done, with its summary counts."""
    conn.execute(
        ImportBatch.__table__.update()
        .where(ImportBatch.id == batch_id)
        .values(finished_at=dt.datetime.now(dt.UTC), status="done", summary=dict(summary))
    )


def ledger_name(name: str) -> str:
    """``name`` as stored in the file ledger: whole, or its last characters when longer than the column."""
    width = IngestedFile.__table__.c.filename.type.length
    return name if len(name) <= width else name[-width:]


def ledgered_files(conn: Connection, names: Iterable[str]) -> set[tuple[str, str]]:
    """The (ledger name, content hash) pairs stored in the file ledger for ``names`` (ledger names)."""
    wanted = sorted(set(names))
    known: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), 500):
        query = select(IngestedFile.filename, IngestedFile.content_hash).where(
            IngestedFile.filename.in_(wanted[start : start + 500])
        )
        known.update((row.filename, row.content_hash) for row in conn.execute(query))
    return known


def add_to_ledger(conn: Connection, entries: list[dict[str, str]]) -> None:
    """Store file-ledger rows (``filename``, ``content_hash``, ``batch_id``, ``status``)."""
    if entries:
        conn.execute(IngestedFile.__table__.insert(), entries)


def quarantine_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Store quarantine rows (``batch_id``, ``row_number``, ``field``, ``reason``, ``raw``)."""
    if rows:
        conn.execute(QuarantineRow.__table__.insert(), rows)


def insert_readings(conn: Connection, readings: pd.DataFrame, batch_id: str) -> int:
    """Bulk-insert canonical readings, skipping rows whose natural key is already stored; returns rows stored.

    SQLite gets one prepared ``INSERT … ON CONFLICT DO NOTHING`` executed over all rows; PostgreSQL gets a
    ``COPY`` into a temporary staging table followed by one ``INSERT … SELECT … ON CONFLICT DO NOTHING``.
    Rows go in primary-key order.
    """
    order = key_order(readings)
    if not is_postgresql(conn):
        return _sqlite_insert(conn, readings.iloc[order], batch_id)
    _stage(conn, "readings_incoming", readings[list(READING_ROW)], order=order, constants={"batch_id": batch_id})
    columns = ", ".join((*READING_ROW, "batch_id"))
    inserted = conn.execute(
        text(
            f"INSERT INTO readings ({columns}) SELECT {columns} FROM readings_incoming "
            "ON CONFLICT (station_id, parameter, observed_at) DO NOTHING"
        )
    ).rowcount
    conn.execute(text("DELETE FROM readings_incoming"))
    return inserted


def insert_new_readings(
    conn: Connection, fresh: pd.DataFrame, batch_id: str, meanwhile: Callable[[], T]
) -> tuple[int, T | None]:
    """Insert ``fresh`` (keys believed unstored) and run ``meanwhile()``; returns (rows stored, its result).

    PostgreSQL: one ``COPY`` straight into ``readings`` while ``meanwhile`` runs; should another transaction
    have stored one of the keys in between, falls back to :func:`insert_readings` (which skips them) and
    returns no result. SQLite: the insert, then ``meanwhile`` only when every row was stored.
    """
    order = key_order(fresh)
    if is_postgresql(conn):
        try:
            rows = fresh[list(READING_ROW)]
            copy = copy_in_background(conn, "readings", rows, order=order, constants={"batch_id": batch_id})
            with conn.begin_nested(), copy as copied:
                result = meanwhile()
            return copied.rows, result
        except psycopg.errors.UniqueViolation:
            return insert_readings(conn, fresh, batch_id), None
    accepted = _sqlite_insert(conn, fresh.iloc[order], batch_id)
    return accepted, (meanwhile() if accepted == len(fresh) else None)


def remember_latest(conn: Connection, readings: pd.DataFrame) -> None:
    """Keep ``latest_readings`` current after storing ``readings`` (``observed_at`` as ``datetime64[…, UTC]``).

    Each station parameter's newest row of ``readings`` replaces the stored one only when it is newer; rows that
    are not newer are not written at all, so a datalogger's old buffer takes no row lock the live stream of the
    same station would have to wait for.
    """
    if readings.empty:
        return
    newest_at = readings.groupby(["station_id", "parameter"], sort=False)["observed_at"].idxmax()
    newest = readings.loc[newest_at.to_numpy(), list(LATEST_ROW)].reset_index(drop=True)
    stations = newest["station_id"].unique().tolist()
    query = select(LatestReading.station_id, LatestReading.parameter, type_coerce(LatestReading.observed_at, String))
    stored = rows_frame(
        conn.execute(query.where(LatestReading.station_id.in_(stations))).all(), ["station_id", "parameter", "stored"]
    )
    if not stored.empty:
        stored["stored"] = utc_times(stored["stored"])
        newest = newest.merge(stored, on=["station_id", "parameter"], how="left")
        newest = newest[newest["stored"].isna() | (newest["observed_at"] > newest["stored"])].drop(columns="stored")
    if newest.empty:
        return
    upsert_rows(conn, "latest_readings", newest[list(LATEST_ROW)], key=LATEST_KEY, newer_only="observed_at")


def rebuild_latest(conn: Connection) -> None:
    """Fill ``latest_readings`` afresh from every stored reading (the migration that made it; seeds that insert
    readings without :func:`monitoring.ingest.store_batch`)."""
    conn.execute(LatestReading.__table__.delete())
    conn.execute(
        text(
            f"INSERT INTO latest_readings ({', '.join(LATEST_ROW)}) "
            "SELECT r.station_id, r.parameter, r.observed_at, r.value, r.unit, r.status FROM readings r JOIN "
            "(SELECT station_id, parameter, max(observed_at) AS newest FROM readings GROUP BY station_id, parameter) n "
            "ON n.station_id = r.station_id AND n.parameter = r.parameter AND n.newest = r.observed_at"
        )
    )


def key_order(readings: pd.DataFrame) -> np.ndarray:
    """Positions of ``readings`` in primary-key order: the b-tree is filled in order (about twice as fast)."""
    station = pd.factorize(readings["station_id"], sort=True)[0].astype(np.int64)
    parameter = pd.factorize(readings["parameter"], sort=True)[0]
    series = station * (parameter.max(initial=0) + 1) + parameter
    return np.lexsort((readings["observed_at"].to_numpy(dtype="datetime64[us]"), series))


def _sqlite_insert(conn: Connection, readings: pd.DataFrame, batch_id: str) -> int:
    rows = list(zip(*(_sqlite_values(readings[column]) for column in READING_ROW), [batch_id] * len(readings),
                    strict=True))  # fmt: skip
    columns = (*READING_ROW, "batch_id")
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO readings ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"
    return conn.exec_driver_sql(statement, rows).rowcount  # sqlite3 sums executemany rowcounts


def _stage(
    conn: Connection,
    staging: str,
    frame: pd.DataFrame,
    order: np.ndarray | None = None,
    constants: dict[str, str] | None = None,
) -> None:
    """``COPY`` ``frame`` into the session's temporary ``staging`` table (emptied at commit).

    ``order`` and ``constants`` as in :func:`data.copy_in.copy_frame`.
    """
    conn.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({_STAGING[staging]}) ON COMMIT DELETE ROWS"))
    copy_frame(conn, staging, frame, order=order, constants=constants)


def utc_times(values: pd.Series) -> pd.Series:
    """Times (tz-aware, or SQLite's stored UTC strings) as ``datetime64[us, UTC]``, keeping the index."""
    return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[us, UTC]")


_READING_TYPES: Final = {"station_id": "text", "parameter": "text", "observed_at": TIME, "value": "float",
                          "status": "text"}  # fmt: skip


def read_readings(
    conn: Connection, stations: list[str], parameters: list[str], after: dt.datetime, until: dt.datetime
) -> pd.DataFrame:
    """Stored readings of ``stations`` × ``parameters`` observed in (after, until], columns :data:`HOUR_READING`.

    PostgreSQL: read through ``COPY`` parsed by Arrow (a live step of 2,000 stations reads back the hour's
    176,000 stored readings; as Python rows that was most of a second).
    """
    if is_postgresql(conn):
        return select_frame(
            conn,
            f"SELECT {', '.join(HOUR_READING)} FROM readings WHERE station_id = ANY(%s) AND parameter = ANY(%s) "
            "AND observed_at > %s AND observed_at <= %s",
            [stations, parameters, after, until],
            _READING_TYPES,
        )
    query = select(
        Reading.station_id,
        Reading.parameter,
        type_coerce(Reading.observed_at, String),  # raw stored value, parsed vectorised below
        Reading.value,
        Reading.status,
    ).where(
        Reading.station_id.in_(stations),
        Reading.parameter.in_(parameters),
        Reading.observed_at > after,
        Reading.observed_at <= until,
    )
    frame = rows_frame(conn.execute(query).all(), list(HOUR_READING))
    frame["observed_at"] = utc_times(frame["observed_at"])
    frame["value"] = frame["value"].astype("float64")
    return frame


_AVERAGE_TYPES: Final = {"station_id": "text", "parameter": "text", "period": "text", "period_end": TIME,
                          "value": "float", "n_valid": "int", "n_expected": "int", "valid": "bool"}  # fmt: skip


@dataclass
class StoredAverages:
    """Stored averages around a batch: the hourly means (rolling context) and the keys of every stored row."""

    hourly: pd.DataFrame
    keys: pd.MultiIndex


def read_stored_averages(
    conn: Connection,
    stations: list[str],
    parameters: list[str],
    since: dt.datetime,
    until: dt.datetime,
    *,
    longer_since: dt.datetime | None = None,
) -> StoredAverages:
    """Stored averages of ``stations`` × ``parameters`` whose period ends in [since, until].

    ``longer_since``: averages over more than an hour (8 h, 24 h, a day) only when they end at or after it. Callers
    read those only for their keys, to write new rows by ``COPY``; the ones ending before the first hour they
    write cannot be written, and at national scale they were two thirds of a live step's read.
    """
    longer_since = since if longer_since is None else max(since, longer_since)
    if is_postgresql(conn):
        frame = select_frame(
            conn,
            f"SELECT {', '.join(AVERAGE_ROW)} FROM averages WHERE station_id = ANY(%s) AND parameter = ANY(%s) "
            "AND period_end >= %s AND period_end <= %s AND (period = '1h' OR period_end >= %s)",
            [stations, parameters, since, until, longer_since],
            _AVERAGE_TYPES,
        )
    else:
        query = select(
            Average.station_id,
            Average.parameter,
            Average.period,
            type_coerce(Average.period_end, String),
            Average.value,
            Average.n_valid,
            Average.n_expected,
            Average.valid,
        ).where(
            Average.station_id.in_(stations),
            Average.parameter.in_(parameters),
            Average.period_end >= since,
            Average.period_end <= until,
            or_(Average.period == "1h", Average.period_end >= longer_since),
        )
        frame = rows_frame(conn.execute(query).all(), list(AVERAGE_ROW))
        frame["period_end"] = utc_times(frame["period_end"])
    hourly = frame[frame["period"] == "1h"].drop(columns="period").reset_index(drop=True)
    hourly["value"] = hourly["value"].astype("float64")
    hourly["valid"] = hourly["valid"].astype(bool)
    return StoredAverages(hourly, pd.MultiIndex.from_frame(frame[list(AVERAGE_KEY)]))


def write_averages(conn: Connection, averages: pd.DataFrame, stored_keys: pd.MultiIndex) -> None:
    """Insert new averages and replace stored ones (``stored_keys``: the keys already stored).

    SQLite: one prepared ``INSERT … ON CONFLICT DO UPDATE`` executed over all rows. PostgreSQL: new keys go by
    one ``COPY`` straight into ``averages``; stored keys by ``COPY`` into a staging table and one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` (also the path for everything if another transaction stored one
    of the new keys in between).
    """
    if averages.empty:
        return
    frame = averages[list(AVERAGE_ROW)].assign(
        n_valid=averages["n_valid"].astype("int64"), n_expected=averages["n_expected"].astype("int64")
    )
    if not is_postgresql(conn):
        upsert_rows(conn, "averages", frame, key=AVERAGE_KEY)
        return
    new = ~pd.MultiIndex.from_frame(frame[list(AVERAGE_KEY)]).isin(stored_keys)
    try:
        with conn.begin_nested():
            copy_frame(conn, "averages", frame[new])
    except psycopg.errors.UniqueViolation:
        new[:] = False
    upsert_rows(conn, "averages", frame[~new], key=AVERAGE_KEY)


def upsert_rows(
    conn: Connection, table: str, frame: pd.DataFrame, *, key: tuple[str, ...], newer_only: str | None = None
) -> None:
    """Insert the rows of ``frame`` into ``table``, replacing the non-key columns of rows whose ``key`` is stored.

    ``newer_only``: a column; a stored row is then replaced only when the new row's value of it is greater.
    PostgreSQL: ``COPY`` into the session's staging table ``<table>_incoming`` and one ``INSERT … SELECT …
    ON CONFLICT DO UPDATE`` in key order. SQLite: one prepared ``INSERT … ON CONFLICT DO UPDATE`` executed over
    all rows.
    """
    if frame.empty:
        return
    columns = list(frame.columns)
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column not in key)
    upsert = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    if newer_only is not None:
        upsert += f" WHERE {table}.{newer_only} < excluded.{newer_only}"
    if is_postgresql(conn):
        staging = f"{table}_incoming"
        _stage(conn, staging, frame)
        conn.execute(
            text(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {staging} "
                f"ORDER BY {', '.join(key)} {upsert}"
            )
        )
        conn.execute(text(f"DELETE FROM {staging}"))
        return
    rows = list(zip(*(_sqlite_values(frame[column]) for column in columns), strict=True))
    placeholders = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) {upsert}", rows)


def _sqlite_values(values: pd.Series) -> list[Any]:
    """A column as values sqlite3 binds: times as SQLAlchemy's UTC text, booleans as bool, None for missing."""
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
        return sqlite_times(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(bool).tolist()
    return values.astype(object).where(values.notna(), None).tolist()
