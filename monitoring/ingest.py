"""Bulk storage of canonical readings: dedup by natural key, quarantine, station files, stored averages.

Everything for one batch happens in the caller's transaction (``store_batch(conn, …)``), so a crash leaves
no partial batch: readings, quarantine rows, the ingested-file ledger, averages and the feed checkpoint are
committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import Connection, String, select, text, type_coerce

from data.bulk import sqlite_times
from data.copy_in import copy_frame, copy_in_background
from data.dialect import is_postgresql
from data.schema import Average, ImportBatch, IngestedFile, QuarantineRow, Reading
from monitoring.averages import AVERAGE_COLUMNS, ROLLING_RULES, refreshed_averages
from monitoring.feeds.base import Batch, Reject
from monitoring.schema import NATURAL_KEY, READING_COLUMNS, validate_readings
from monitoring.stations import WardLocator, register_unknown, upsert_stations

_ROLLING_REACH = dt.timedelta(hours=max(hours for hours, _ in ROLLING_RULES.values()) - 1)
_HOUR = dt.timedelta(hours=1)
_AVERAGE_KEY = ("station_id", "parameter", "period", "period_end")
_HOUR_READING = ("station_id", "parameter", "observed_at", "value", "status")
_READING_ROW = (*READING_COLUMNS, "batch_id")
_AVERAGE_ROW = ("station_id", "parameter", "period", "period_end", "value", "n_valid", "n_expected", "valid")
_STAGING = {
    "readings_incoming": "station_id text, parameter text, value double precision, unit text, "
    "observed_at timestamptz, status text, source text, batch_id text",
    "averages_incoming": "station_id text, parameter text, period text, period_end timestamptz, "
    "value double precision, n_valid integer, n_expected integer, valid boolean",
}


@dataclass
class IngestSummary:
    """Counts of one or more batches; ``rows`` = accepted + duplicates + quarantined."""

    files: int = 0
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    stations_registered: list[str] = field(default_factory=list)
    latest_observed_at: dt.datetime | None = None

    def __iadd__(self, other: IngestSummary) -> IngestSummary:
        self.files += other.files
        self.rows += other.rows
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.stations_registered += other.stations_registered
        if other.latest_observed_at is not None and (
            self.latest_observed_at is None or other.latest_observed_at > self.latest_observed_at
        ):
            self.latest_observed_at = other.latest_observed_at
        return self

    def as_dict(self) -> dict[str, int]:
        """The JSON summary printed by ``envmon readings import``."""
        return {
            "files": self.files,
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


def store_batch(
    conn: Connection, batch: Batch, *, locator: WardLocator | None = None, filename: str = ""
) -> IngestSummary:
    """Store ``batch`` inside the caller's transaction and refresh the affected stored averages.

    Files already in the ledger (same name and content hash) are skipped and their rows count as duplicates;
    a rejected file is recorded in the ledger and quarantined whole. Readings repeating a stored
    (station, parameter, observed_at) are duplicates; late readings for earlier hours are accepted and their
    hourly, 8-h and 24-h means recomputed.
    """
    validate_readings(batch.readings)
    batch_id = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC)
    conn.execute(
        ImportBatch.__table__.insert().values(
            id=batch_id, kind=f"readings-{batch.kind}", source=batch.source, filename=filename, started_at=now
        )
    )
    summary = IngestSummary(files=len(batch.files))
    rejects = list(batch.rejects)
    readings = batch.readings
    skipped = _ledger_files(conn, batch, batch_id, rejects, summary)
    if skipped and "file" in readings.columns:
        readings = readings[~readings["file"].isin(skipped)]
    unique = readings.drop_duplicates(list(NATURAL_KEY), keep="first")
    summary.duplicates += len(readings) - len(unique)
    if batch.stations is not None and not batch.stations.empty:
        upsert_stations(conn, batch.stations, locator, overwrite=False)
    summary.stations_registered = register_unknown(
        conn, unique["station_id"].unique().tolist(), kind=batch.kind, source=batch.source
    )
    if not unique.empty:
        unique = unique.assign(observed_at=_utc(unique["observed_at"]))
        accepted = _store_new_readings(conn, unique, batch_id, interval_minutes=batch.interval_minutes)
        summary.accepted += accepted
        summary.duplicates += len(unique) - accepted
        summary.latest_observed_at = unique["observed_at"].max().to_pydatetime()
    _quarantine(conn, batch_id, rejects)
    summary.quarantined += sum(1 for reject in rejects if reject.row_number is not None)
    summary.rows = summary.accepted + summary.duplicates + summary.quarantined
    conn.execute(
        ImportBatch.__table__.update()
        .where(ImportBatch.id == batch_id)
        .values(finished_at=dt.datetime.now(dt.UTC), status="done", summary=summary.as_dict())
    )
    return summary


def _ledger_files(
    conn: Connection, batch: Batch, batch_id: str, rejects: list[Reject], summary: IngestSummary
) -> set[str]:
    """Record the batch's new files in the ledger and collect their rejects.

    Files are known by path and content hash (``SourceFile.name`` is a path; paths longer than the ledger
    column keep their last characters). Returns the names of files whose readings must not be stored: files
    already in the ledger (their rows count as duplicates) and refused files (their rows count as quarantined).
    """
    names = sorted({_ledger_name(source_file.name) for source_file in batch.files})
    known: set[tuple[str, str]] = set()
    for start in range(0, len(names), 500):
        query = select(IngestedFile.filename, IngestedFile.content_hash).where(
            IngestedFile.filename.in_(names[start : start + 500])
        )
        known.update((row.filename, row.content_hash) for row in conn.execute(query))
    skipped: set[str] = set()
    ledger = []
    for source_file in batch.files:
        key = (_ledger_name(source_file.name), source_file.content_hash)
        if key in known:
            summary.duplicates += source_file.rows
            skipped.add(source_file.name)
            continue
        known.add(key)
        status = "quarantined" if source_file.error else "ingested"
        ledger.append({"filename": key[0], "content_hash": key[1], "batch_id": batch_id, "status": status})
        if source_file.error:
            rejects.append(Reject(source_file.name, None, "file", source_file.error, {"file": source_file.name}))
            summary.quarantined += source_file.rows
            skipped.add(source_file.name)
        else:
            rejects.extend(source_file.rejects)
    if ledger:
        conn.execute(IngestedFile.__table__.insert(), ledger)
    return skipped


def _ledger_name(name: str) -> str:
    """``name`` as stored in the ledger: whole, or its last characters when longer than the column."""
    width = IngestedFile.__table__.c.filename.type.length
    return name if len(name) <= width else name[-width:]


def _quarantine(conn: Connection, batch_id: str, rejects: list[Reject]) -> None:
    if rejects:
        conn.execute(
            QuarantineRow.__table__.insert(),
            [
                {
                    "batch_id": batch_id,
                    "row_number": reject.row_number,
                    "field": reject.field,
                    "reason": f"{reject.source}: {reject.reason}",
                    "raw": reject.raw,
                }
                for reject in rejects
            ],
        )


def insert_readings(conn: Connection, readings: pd.DataFrame, batch_id: str) -> int:
    """Bulk-insert canonical readings, skipping rows whose natural key is already stored; returns rows stored.

    SQLite gets one prepared ``INSERT … ON CONFLICT DO NOTHING`` executed over all rows; PostgreSQL gets a
    ``COPY`` (CSV) into a temporary staging table followed by one ``INSERT … SELECT … ON CONFLICT DO NOTHING``.
    Rows go in primary-key order.
    """
    order = _key_order(readings)
    if not is_postgresql(conn):
        return _sqlite_insert(conn, readings.iloc[order], batch_id)
    _stage(conn, "readings_incoming", readings[list(READING_COLUMNS)], order=order, constants={"batch_id": batch_id})
    columns = ", ".join(_READING_ROW)
    inserted = conn.execute(
        text(
            f"INSERT INTO readings ({columns}) SELECT {columns} FROM readings_incoming "
            "ON CONFLICT (station_id, parameter, observed_at) DO NOTHING"
        )
    ).rowcount
    conn.execute(text("DELETE FROM readings_incoming"))
    return inserted


def _store_new_readings(conn: Connection, unique: pd.DataFrame, batch_id: str, *, interval_minutes: int) -> int:
    """Insert the readings of ``unique`` (no repeated key) not stored yet, refresh their averages; returns rows stored.

    One range read of the touched hours before the insert finds the keys already stored, so only new rows are
    written (PostgreSQL: one ``COPY`` straight into ``readings``, no staging table). The averages come from that
    read plus the new rows in memory; on PostgreSQL they are computed while the server stores the readings.
    Should another transaction store one of the keys in between, the insert falls back to
    :func:`insert_readings` (which skips them) and the hours are read again.
    """
    span = _span(unique)
    stored = _read_readings(conn, *span)
    fresh = _unstored(unique, stored)
    if fresh.empty:
        return 0
    context = _read_stored_averages(conn, *span)
    order = _key_order(fresh)

    def averages_with_fresh() -> pd.DataFrame:
        readings = pd.concat([stored, fresh[list(_HOUR_READING)]], ignore_index=True)
        return refreshed_averages(unique, readings, context.hourly, interval_minutes=interval_minutes)

    if is_postgresql(conn):
        try:
            rows = fresh[list(READING_COLUMNS)]
            copy = copy_in_background(conn, "readings", rows, order=order, constants={"batch_id": batch_id})
            with conn.begin_nested(), copy as copied:
                averages = averages_with_fresh()
            accepted = copied.rows
        except psycopg.errors.UniqueViolation:
            accepted = insert_readings(conn, fresh, batch_id)
            averages = None
    else:
        accepted = _sqlite_insert(conn, fresh.iloc[order], batch_id)
        averages = averages_with_fresh() if accepted == len(fresh) else None
    if averages is None or accepted < len(fresh):
        context = _read_stored_averages(conn, *span)
        readings = _read_readings(conn, *span)
        averages = refreshed_averages(unique, readings, context.hourly, interval_minutes=interval_minutes)
    _write_averages(conn, averages, context.keys)
    return accepted


def _span(readings: pd.DataFrame) -> tuple[list[str], list[str], dt.datetime, dt.datetime]:
    """Stations, parameters and the (after, until] time range of the whole hours holding ``readings``."""
    hours = readings["observed_at"].dt.ceil("h")
    return (
        sorted(readings["station_id"].unique().tolist()),
        sorted(readings["parameter"].unique().tolist()),
        hours.min().to_pydatetime() - _HOUR,
        hours.max().to_pydatetime(),
    )


def _unstored(readings: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``readings`` whose natural key is not in ``stored`` (only rows at a stored time are compared)."""
    at_stored_time = readings["observed_at"].isin(stored["observed_at"].unique())
    if not at_stored_time.any():
        return readings
    key = list(NATURAL_KEY)
    positions = np.flatnonzero(at_stored_time.to_numpy())
    candidates = pd.MultiIndex.from_frame(readings[key].iloc[positions])
    repeated = np.zeros(len(readings), dtype=bool)
    repeated[positions] = candidates.isin(pd.MultiIndex.from_frame(stored[key]))
    return readings[~repeated]


def _key_order(readings: pd.DataFrame) -> np.ndarray:
    """Positions of ``readings`` in primary-key order: the b-tree is filled in order (about twice as fast)."""
    station = pd.factorize(readings["station_id"], sort=True)[0].astype(np.int64)
    parameter = pd.factorize(readings["parameter"], sort=True)[0]
    series = station * (parameter.max(initial=0) + 1) + parameter
    return np.lexsort((readings["observed_at"].to_numpy(dtype="datetime64[us]"), series))


def _sqlite_insert(conn: Connection, readings: pd.DataFrame, batch_id: str) -> int:
    rows = list(
        zip(
            readings["station_id"].tolist(),
            readings["parameter"].tolist(),
            readings["value"].astype(object).where(readings["value"].notna(), None).tolist(),
            readings["unit"].tolist(),
            sqlite_times(readings["observed_at"]),
            readings["status"].tolist(),
            readings["source"].tolist(),
            [batch_id] * len(readings),
            strict=True,
        )
    )
    placeholders = ", ".join("?" for _ in _READING_ROW)
    statement = f"INSERT INTO readings ({', '.join(_READING_ROW)}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"
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


def _utc(values: pd.Series) -> pd.Series:
    """Times (tz-aware, or SQLite's stored UTC strings) as ``datetime64[us, UTC]``, keeping the index."""
    return pd.to_datetime(values, utc=True, format="ISO8601").astype("datetime64[us, UTC]")


def _read_readings(
    conn: Connection, stations: list[str], parameters: list[str], after: dt.datetime, until: dt.datetime
) -> pd.DataFrame:
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
    frame = pd.DataFrame(conn.execute(query).all(), columns=list(_HOUR_READING))
    frame["observed_at"] = _utc(frame["observed_at"])
    frame["value"] = frame["value"].astype("float64")
    return frame


@dataclass
class _StoredAverages:
    """Stored averages around a batch: the hourly means (rolling context) and the keys of every stored row."""

    hourly: pd.DataFrame
    keys: pd.MultiIndex


def _read_stored_averages(
    conn: Connection, stations: list[str], parameters: list[str], after: dt.datetime, until: dt.datetime
) -> _StoredAverages:
    """Stored averages of ``stations`` × ``parameters`` within the rolling reach of the hours (after, until]."""
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
        Average.period_end >= after + _HOUR - _ROLLING_REACH,
        Average.period_end <= until + _ROLLING_REACH,
    )
    frame = pd.DataFrame(conn.execute(query).all(), columns=list(_AVERAGE_KEY + AVERAGE_COLUMNS[3:]))
    frame["period_end"] = _utc(frame["period_end"])
    hourly = frame[frame["period"] == "1h"].drop(columns="period").reset_index(drop=True)
    hourly["value"] = hourly["value"].astype("float64")
    hourly["valid"] = hourly["valid"].astype(bool)
    return _StoredAverages(hourly, pd.MultiIndex.from_frame(frame[list(_AVERAGE_KEY)]))


def _write_averages(conn: Connection, averages: pd.DataFrame, stored_keys: pd.MultiIndex) -> None:
    """Insert new averages and replace stored ones (``stored_keys``: the keys already stored).

    SQLite: one prepared ``INSERT … ON CONFLICT DO UPDATE`` executed over all rows. PostgreSQL: new keys go by
    one ``COPY`` straight into ``averages``; stored keys by ``COPY`` into a staging table and one
    ``INSERT … SELECT … ON CONFLICT DO UPDATE`` (also the path for everything if another transaction stored one
    of the new keys in between).
    """
    if averages.empty:
        return
    frame = averages[list(_AVERAGE_ROW)].assign(
        n_valid=averages["n_valid"].astype("int64"), n_expected=averages["n_expected"].astype("int64")
    )
    if not is_postgresql(conn):
        _upsert_averages(conn, frame)
        return
    new = ~pd.MultiIndex.from_frame(frame[list(_AVERAGE_KEY)]).isin(stored_keys)
    try:
        with conn.begin_nested():
            copy_frame(conn, "averages", frame[new])
    except psycopg.errors.UniqueViolation:
        new[:] = False
    _upsert_averages(conn, frame[~new])


def _upsert_averages(conn: Connection, frame: pd.DataFrame) -> None:
    """Insert or replace the averages of ``frame`` (columns :data:`_AVERAGE_ROW`) in one bulk statement."""
    if frame.empty:
        return
    columns = ", ".join(_AVERAGE_ROW)
    upsert = (
        "ON CONFLICT (station_id, parameter, period, period_end) DO UPDATE SET value = excluded.value, "
        "n_valid = excluded.n_valid, n_expected = excluded.n_expected, valid = excluded.valid"
    )
    if is_postgresql(conn):
        _stage(conn, "averages_incoming", frame)
        conn.execute(
            text(
                f"INSERT INTO averages ({columns}) SELECT {columns} FROM averages_incoming "
                f"ORDER BY station_id, parameter, period, period_end {upsert}"
            )
        )
        conn.execute(text("DELETE FROM averages_incoming"))
        return
    rows = list(
        zip(
            frame["station_id"].tolist(),
            frame["parameter"].tolist(),
            frame["period"].tolist(),
            sqlite_times(frame["period_end"]),
            frame["value"].astype(object).where(frame["value"].notna(), None).tolist(),
            frame["n_valid"].tolist(),
            frame["n_expected"].tolist(),
            frame["valid"].astype(bool).tolist(),
            strict=True,
        )
    )
    conn.exec_driver_sql(f"INSERT INTO averages ({columns}) VALUES ({', '.join(['?'] * 8)}) {upsert}", rows)
