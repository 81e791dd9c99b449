"""Bulk storage of canonical readings: dedup by natural key, quarantine, station files, stored averages.

Everything for one batch happens in the caller's transaction (``store_batch(conn, …)``), so a crash leaves
no partial batch: readings, quarantine rows, the ingested-file ledger, averages and the feed checkpoint are
committed together or not at all. This module decides what is new and what to recompute; the reads and
writes are :mod:`data.readings_store`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from data.readings_store import (
    HOUR_READING,
    StoredAverages,
    add_to_ledger,
    finish_import_batch,
    insert_new_readings,
    ledger_name,
    ledgered_files,
    quarantine_rows,
    read_readings,
    read_stored_averages,
    remember_latest,
    start_import_batch,
    utc_times,
    write_averages,
)
from data.rollups import queue_pending
from data.station_registry import register_unknown
from monitoring.averages import ROLLING_RULES, refreshed_averages, rolling_after
from monitoring.feeds.base import Batch, Reject
from monitoring.schema import NATURAL_KEY, validate_readings
from monitoring.stations import WardLocator, upsert_stations

__all__ = ["IngestSummary", "holds_late_data", "pending_runs", "refresh_rolling_after", "store_batch"]

_ROLLING_REACH = dt.timedelta(hours=max(hours for hours, _ in ROLLING_RULES.values()) - 1)
_HOUR = dt.timedelta(hours=1)
_SERIES = ["station_id", "parameter"]
PENDING_HOURS = 24
"""The longest run of hours one pending window holds."""
LATE_AFTER = dt.timedelta(days=1)
"""Readings older than this before the time of ingest are late data (a datalogger flushing its buffer)."""


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


def holds_late_data(batch: Batch, now: dt.datetime) -> bool:
    """Whether ``batch`` holds readings older than :data:`LATE_AFTER` before ``now``: stored with
    ``store_batch(…, defer_later_windows=True)`` it never holds up the live stream."""
    if batch.readings.empty:
        return False
    return bool(utc_times(batch.readings["observed_at"]).min() < pd.Timestamp(now - LATE_AFTER))


def store_batch(
    conn: Connection,
    batch: Batch,
    *,
    locator: WardLocator | None = None,
    filename: str = "",
    defer_later_windows: bool = False,
) -> IngestSummary:
    """Store ``batch`` inside the caller's transaction and refresh the affected stored averages.

    Files already in the ledger (same name and content hash) are skipped and their rows count as duplicates;
    a rejected file is recorded in the ledger and quarantined whole. Readings repeating a stored
    (station, parameter, observed_at) are duplicates; late readings for earlier hours are accepted and their
    hourly, 8-h and 24-h means recomputed.

    The runs of hours with new readings are queued in ``pending_windows`` (same transaction), for the drain of
    :mod:`monitoring.rollups` to recompute the daily and ward roll-ups and the AQI of those hours only.

    ``defer_later_windows`` (a datalogger flushing its buffer): the 8-h and 24-h windows ending after each
    series' last new hour, the ones the live stream writes too, are left to that drain (a short transaction
    after this one commits), so the live stream never waits on the long flush.
    """
    validate_readings(batch.readings)
    batch_id = uuid.uuid4().hex
    now = dt.datetime.now(dt.UTC)
    start_import_batch(
        conn, batch_id, kind=f"readings-{batch.kind}", source=batch.source, filename=filename, started_at=now
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
        unique = unique.assign(observed_at=utc_times(unique["observed_at"]))
        accepted = _store_new_readings(
            conn, unique, batch_id, interval_minutes=batch.interval_minutes, defer=defer_later_windows
        )
        summary.accepted += accepted
        summary.duplicates += len(unique) - accepted
        summary.latest_observed_at = unique["observed_at"].max().to_pydatetime()
    _quarantine(conn, batch_id, rejects)
    summary.quarantined += sum(1 for reject in rejects if reject.row_number is not None)
    summary.rows = summary.accepted + summary.duplicates + summary.quarantined
    finish_import_batch(conn, batch_id, summary.as_dict())
    return summary


def _ledger_files(
    conn: Connection, batch: Batch, batch_id: str, rejects: list[Reject], summary: IngestSummary
) -> set[str]:
    """Record the batch's new files in the ledger and collect their rejects.

    Files are known by path and content hash (``SourceFile.name`` is a path; paths longer than the ledger
    column keep their last characters). Returns the names of files whose readings must not be stored: files
    already in the ledger (their rows count as duplicates) and refused files (their rows count as quarantined).
    """
    known = ledgered_files(conn, (ledger_name(source_file.name) for source_file in batch.files))
    skipped: set[str] = set()
    ledger = []
    for source_file in batch.files:
        key = (ledger_name(source_file.name), source_file.content_hash)
        if key in known:
            summary.duplicates += source_file.rows
            skipped.add(source_file.name)
            continue
        known.add(key)
        status = "quarantined" if source_file.error else "ingested"
        ledger.append({"filename": key[0], "content_hash": key[1], "batch_id": batch_id, "status": status})
        if source_file.error:
            rejects.append(Reject(source_file.name, None, "file", (source_file.error,), {"file": source_file.name}))
            summary.quarantined += source_file.rows
            skipped.add(source_file.name)
        else:
            rejects.extend(source_file.rejects)
    add_to_ledger(conn, ledger)
    return skipped


def _quarantine(conn: Connection, batch_id: str, rejects: list[Reject]) -> None:
    quarantine_rows(
        conn,
        [
            {
                "batch_id": batch_id,
                "row_number": reject.row_number,
                "field": reject.field,
                "reason": f"{reject.source}: {reject.reason}",
                **reject.stored_reason(),
                "raw": reject.raw,
            }
            for reject in rejects
        ],
    )


def _store_new_readings(
    conn: Connection, unique: pd.DataFrame, batch_id: str, *, interval_minutes: int, defer: bool
) -> int:
    """Insert the readings of ``unique`` (no repeated key) not stored yet, refresh their averages; returns rows stored.

    One range read of the touched hours before the insert finds the keys already stored, so only new rows are
    written. The averages come from that read plus the new rows in memory; on PostgreSQL they are computed
    while the server stores the readings. Should another transaction store one of the keys in between, the
    hours are read again.
    """
    span = _span(unique)
    stored = read_readings(conn, *span)
    fresh = _unstored(unique, stored)
    if fresh.empty:
        return 0
    context = _read_context(conn, *span)

    def averages_with_fresh() -> pd.DataFrame:
        readings = pd.concat([stored, fresh[list(HOUR_READING)]], ignore_index=True)
        return refreshed_averages(unique, readings, context.hourly, interval_minutes=interval_minutes)

    accepted, averages = insert_new_readings(conn, fresh, batch_id, averages_with_fresh)
    if averages is None or accepted < len(fresh):
        context = _read_context(conn, *span)
        readings = read_readings(conn, *span)
        averages = refreshed_averages(unique, readings, context.hourly, interval_minutes=interval_minutes)
    runs = pending_runs(fresh, deferred=defer)
    if defer:  # rolling means after each series' last changed hour: the drain writes them after this commits
        last = runs.groupby(["station_id", "parameter"], as_index=False)["last_hour"].max()
        ends = averages.merge(last, on=["station_id", "parameter"], how="left")["last_hour"].to_numpy()
        averages = averages[(averages["period"] == "1h").to_numpy() | (averages["period_end"].to_numpy() <= ends)]
    write_averages(conn, averages, context.keys)
    queue_pending(conn, runs, dt.datetime.now(dt.UTC))
    remember_latest(conn, fresh)
    return accepted


def refresh_rolling_after(conn: Connection, series: pd.DataFrame, last_hour: dt.datetime) -> int:
    """Write the 8-h and 24-h means of ``series`` (``station_id, parameter``) ending after ``last_hour`` that still
    contain it: what a ``store_batch(…, defer_later_windows=True)`` left out for series whose changed hours end at
    ``last_hour`` (call it in its own transaction after that one committed; the drain of
    :mod:`monitoring.rollups` does). Returns the rows written."""
    stations, parameters = sorted(series["station_id"].unique()), sorted(series["parameter"].unique())
    context = _read_context(conn, stations, parameters, last_hour - _HOUR, last_hour)
    hourly = context.hourly.merge(series, on=["station_id", "parameter"])
    rolled = rolling_after(hourly, pd.Timestamp(last_hour))
    write_averages(conn, rolled, context.keys)
    return len(rolled)


def pending_runs(readings: pd.DataFrame, *, deferred: bool) -> pd.DataFrame:
    """Runs of consecutive hours touched by ``readings`` per station and parameter, cut into pieces of at most
    :data:`PENDING_HOURS`: ``station_id, parameter, after_hour, last_hour, deferred`` (the hours (after_hour,
    last_hour]; with ``deferred`` the last piece of each series is marked, its later rolling means left to the
    drain). Pieces keep each drain small: a 60-day flush is recomputed a few days per poll round."""
    station, stations = pd.factorize(readings["station_id"])
    parameter, parameters = pd.factorize(readings["parameter"])
    series = station.astype("int64") * len(parameters) + parameter
    micros = readings["observed_at"].to_numpy(dtype="datetime64[us]").view("int64")
    hour_us = 3_600_000_000
    hours = -(-micros // hour_us)  # the hour-ending label of each reading, in hours since 1970
    span = int(hours.max() - hours.min()) + 2
    keys = np.unique(series * span + (hours - hours.min()))
    key_series, key_hour = keys // span, keys % span + hours.min()
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = (key_series[1:] != key_series[:-1]) | (key_hour[1:] != key_hour[:-1] + 1)
    run = np.cumsum(starts) - 1
    position = np.arange(len(keys)) - np.flatnonzero(starts)[run]
    piece_starts = starts | (position % PENDING_HOURS == 0)
    first = np.flatnonzero(piece_starts)
    last = np.append(first[1:], len(keys)) - 1
    owner = key_series[first]
    last_of_series = np.append(key_series[first][1:] != key_series[first][:-1], True)
    return pd.DataFrame(
        {
            "station_id": np.asarray(stations)[owner // len(parameters)],
            "parameter": np.asarray(parameters)[owner % len(parameters)],
            "after_hour": pd.to_datetime((key_hour[first] - 1) * hour_us, unit="us", utc=True),
            "last_hour": pd.to_datetime(key_hour[last] * hour_us, unit="us", utc=True),
            "deferred": last_of_series & deferred,
        }
    )


def _read_context(
    conn: Connection, stations: list[str], parameters: list[str], after: dt.datetime, until: dt.datetime
) -> StoredAverages:
    """Stored averages of ``stations`` × ``parameters`` within the rolling reach of the hours (after, until]: the
    hourly means behind every window holding one of them, and the keys of the longer ones that can change."""
    return read_stored_averages(
        conn, stations, parameters, after + _HOUR - _ROLLING_REACH, until + _ROLLING_REACH, longer_since=after + _HOUR
    )


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
