"""Bulk storage of canonical readings: dedup by natural key, quarantine, station files, stored averages.

Everything for one batch happens in the caller's transaction (``store_batch(conn, …)``), so a crash leaves
no partial batch: readings, quarantine rows, the ingested-file ledger, averages and the feed checkpoint are
committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select, text

from data.schema import Average, ImportBatch, IngestedFile, QuarantineRow, Reading
from monitoring.averages import ROLLING_RULES, hourly_means, rolling_means
from monitoring.schema import NATURAL_KEY, READING_COLUMNS, Reject, empty_readings, validate_readings
from monitoring.stations import WardLocator, register_unknown, upsert_stations

_ROLLING_REACH = dt.timedelta(hours=max(hours for hours, _ in ROLLING_RULES.values()) - 1)


@dataclass
class SourceFile:
    """One parsed station file: its row rejects, or a whole-file ``error``.

    Its accepted readings travel in ``Batch.readings``, tagged with the file name in a ``file`` column.
    """

    name: str
    content_hash: str
    rows: int
    rejects: list[Reject] = field(default_factory=list)
    error: str | None = None


@dataclass
class Batch:
    """What one import or feed poll delivers: readings, rejects, station files and station metadata.

    ``interval_minutes`` is the sources' reporting interval (5 for station files, 60 for hourly feeds) used
    for the hourly-mean validity rule; ``checkpoint`` is the feed position to save with the batch.
    """

    source: str
    kind: str
    readings: pd.DataFrame = field(default_factory=empty_readings)
    rejects: list[Reject] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    stations: pd.DataFrame | None = None
    interval_minutes: int = 60
    checkpoint: dict[str, Any] = field(default_factory=dict)


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
        accepted = insert_readings(conn, unique, batch_id)
        summary.accepted += accepted
        summary.duplicates += len(unique) - accepted
        summary.latest_observed_at = unique["observed_at"].max().to_pydatetime()
        if accepted:
            refresh_averages(conn, unique, interval_minutes=batch.interval_minutes)
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

    Returns the names of files whose readings must not be stored: files already in the ledger (their rows
    count as duplicates) and refused files (their rows count as quarantined).
    """
    names = sorted({source_file.name for source_file in batch.files})
    known: set[tuple[str, str]] = set()
    for start in range(0, len(names), 500):
        query = select(IngestedFile.filename, IngestedFile.content_hash).where(
            IngestedFile.filename.in_(names[start : start + 500])
        )
        known.update((row.filename, row.content_hash) for row in conn.execute(query))
    skipped: set[str] = set()
    ledger = []
    for source_file in batch.files:
        key = (source_file.name, source_file.content_hash)
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
    ``COPY`` (CSV) into a temporary table followed by one ``INSERT … SELECT … ON CONFLICT DO NOTHING``.
    """
    columns = [*READING_COLUMNS, "batch_id"]
    if conn.dialect.name == "postgresql":
        return _copy_readings(conn, readings, batch_id, columns)
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
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO readings ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT DO NOTHING"
    return conn.exec_driver_sql(statement, rows).rowcount  # sqlite3 sums executemany rowcounts


def sqlite_times(times: pd.Series) -> list[str]:
    """UTC times as SQLAlchemy stores them in SQLite (``YYYY-MM-DD HH:MM:SS.ffffff``), vectorised."""
    utc = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    return np.char.replace(np.datetime_as_string(utc, unit="us"), "T", " ").tolist()


def _copy_readings(conn: Connection, readings: pd.DataFrame, batch_id: str, columns: list[str]) -> int:
    column_list = ", ".join(columns)
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE IF NOT EXISTS readings_incoming (station_id text, parameter text, "
            "value double precision, unit text, observed_at timestamptz, status text, source text, "
            "batch_id text) ON COMMIT DELETE ROWS"
        )
    )
    frame = readings[list(READING_COLUMNS)].assign(
        observed_at=np.datetime_as_string(
            readings["observed_at"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[us]"),
            unit="us",
        ),
        batch_id=batch_id,
    )
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False)
    driver_connection: Any = conn.connection.driver_connection
    with driver_connection.cursor() as cursor:
        cursor.execute("SET LOCAL TIME ZONE 'UTC'")
        not_null = "station_id, parameter, unit, status, source, batch_id"  # an empty unit ("-" for pH) is not NULL
        statement = f"COPY readings_incoming ({column_list}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({not_null}))"
        with cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())
    inserted = conn.execute(
        text(
            f"INSERT INTO readings ({column_list}) SELECT {column_list} FROM readings_incoming "
            "ON CONFLICT (station_id, parameter, observed_at) DO NOTHING"
        )
    ).rowcount
    conn.execute(text("DELETE FROM readings_incoming"))
    return inserted


def refresh_averages(conn: Connection, changed: pd.DataFrame, *, interval_minutes: int) -> int:
    """Recompute and store the 1-h, 8-h and 24-h means touched by ``changed`` readings; returns rows written.

    Hours touched are those containing a changed reading; rolling means are recomputed for every window that
    contains a touched hour (up to 23 hours later).
    """
    if changed.empty:
        return 0
    hours = changed["observed_at"].dt.ceil("h")
    first_hour = hours.min().to_pydatetime()
    last_hour = hours.max().to_pydatetime()
    stations = sorted(changed["station_id"].unique().tolist())
    parameters = sorted(changed["parameter"].unique().tolist())
    stored = _read_readings(conn, stations, parameters, first_hour - dt.timedelta(hours=1), last_hour)
    touched = pd.DataFrame(
        {"station_id": changed["station_id"], "parameter": changed["parameter"], "period_end": hours}
    ).drop_duplicates()
    hourly = hourly_means(stored, interval_minutes=interval_minutes).merge(touched, how="inner")
    written = _upsert_averages(conn, hourly, "1h")
    context = _read_hourly(conn, stations, parameters, first_hour - _ROLLING_REACH, last_hour + _ROLLING_REACH)
    pairs = touched[["station_id", "parameter"]].drop_duplicates()
    for period, (window, min_hours) in ROLLING_RULES.items():
        rolled = rolling_means(context, window, min_hours=min_hours).merge(pairs, how="inner")
        reach = dt.timedelta(hours=window - 1)
        in_range = (rolled["period_end"] >= first_hour) & (rolled["period_end"] <= last_hour + reach)
        written += _upsert_averages(conn, rolled[in_range], period)
    return written


def _read_readings(
    conn: Connection, stations: list[str], parameters: list[str], after: dt.datetime, until: dt.datetime
) -> pd.DataFrame:
    query = select(Reading.station_id, Reading.parameter, Reading.observed_at, Reading.value, Reading.status).where(
        Reading.station_id.in_(stations),
        Reading.parameter.in_(parameters),
        Reading.observed_at > after,
        Reading.observed_at <= until,
    )
    rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["station_id", "parameter", "observed_at", "value", "status"])
    frame["observed_at"] = pd.to_datetime(frame["observed_at"], utc=True)
    frame["value"] = frame["value"].astype("float64")
    return frame


def _read_hourly(
    conn: Connection, stations: list[str], parameters: list[str], start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    query = select(Average.station_id, Average.parameter, Average.period_end, Average.value, Average.valid).where(
        Average.period == "1h",
        Average.station_id.in_(stations),
        Average.parameter.in_(parameters),
        Average.period_end >= start,
        Average.period_end <= end,
    )
    frame = pd.DataFrame(conn.execute(query).all(), columns=["station_id", "parameter", "period_end", "value", "valid"])
    frame["period_end"] = pd.to_datetime(frame["period_end"], utc=True)
    frame["value"] = frame["value"].astype("float64")
    return frame


def _upsert_averages(conn: Connection, averages: pd.DataFrame, period: str) -> int:
    """Insert or replace stored averages in one prepared statement executed over all rows."""
    if averages.empty:
        return 0
    ends = averages["period_end"].dt.tz_convert("UTC")
    rows = list(
        zip(
            averages["station_id"].tolist(),
            averages["parameter"].tolist(),
            [period] * len(averages),
            sqlite_times(ends) if conn.dialect.name == "sqlite" else ends.tolist(),
            averages["value"].astype(object).where(averages["value"].notna(), None).tolist(),
            averages["n_valid"].astype(int).tolist(),
            averages["n_expected"].astype(int).tolist(),
            averages["valid"].astype(bool).tolist(),
            strict=True,
        )
    )
    placeholder = "?" if conn.dialect.name == "sqlite" else "%s"
    statement = (
        "INSERT INTO averages (station_id, parameter, period, period_end, value, n_valid, n_expected, valid) "
        f"VALUES ({', '.join([placeholder] * 8)}) "
        "ON CONFLICT (station_id, parameter, period, period_end) DO UPDATE SET value = excluded.value, "
        "n_valid = excluded.n_valid, n_expected = excluded.n_expected, valid = excluded.valid"
    )
    conn.exec_driver_sql(statement, rows)
    return len(rows)
