"""``envmon readings import``: historical readings CSVs and Circular 10/2021 station files into the database.

The parsers live in :mod:`monitoring.feeds.history` and :mod:`monitoring.feeds.stationfiles`; this module
walks the input, stores each CSV in a transaction of its own and station files ``chunk_files`` per
transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import Engine

from data.config import DEFAULT_TIMEZONE
from data.db import write_transaction
from monitoring.errors import FeedSchemaError
from monitoring.feeds.base import Batch, Reason, SourceFile
from monitoring.feeds.history import UnreadableReadingsFileError, read_history_csv
from monitoring.feeds.stationfiles import file_identity, read_station_files
from monitoring.ingest import IngestSummary, holds_late_data, store_batch
from monitoring.rollups import drain_all
from monitoring.stations import WardLocator

READINGS_SUFFIXES = frozenset({".csv", ".txt"})


def _rejected_file(path: Path, root: Path, reason: Reason) -> Batch:
    """A batch carrying one refused file, so it is quarantined whole with its data rows counted."""
    content = path.read_bytes()
    rows = max(len([line for line in content.splitlines() if line.strip()]) - 1, 0)
    refused = SourceFile(file_identity(path, root), hashlib.sha256(content).hexdigest(), rows, error=reason)
    return Batch(source=path.name, kind="air", files=[refused])


def import_readings(
    engine: Engine,
    path: Path,
    *,
    now: dt.datetime,
    locator: WardLocator | None = None,
    chunk_files: int = 500,
    timezone: str = DEFAULT_TIMEZONE,
) -> IngestSummary:
    """Import a readings CSV, a Circular 10/2021 ``.txt`` file, or a folder of them (searched recursively).

    Each CSV is one transaction; station files are stored ``chunk_files`` per transaction. A CSV in no known
    format is quarantined whole. Files are known by their path below the imported folder (a single file: its
    name) and their content hash, so files of the same name in different folders are each stored or
    quarantined on their own merits. Importing the same input twice stores nothing new (its rows come back
    as duplicates). Then the pending windows are drained: daily and ward roll-ups and the AQI of the imported
    hours (local days in ``timezone``).
    """
    root = path if path.is_dir() else path.parent
    if path.is_dir():
        inputs = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READINGS_SUFFIXES)
    elif path.is_file():
        inputs = [path]
    else:
        msg = f"no such file or folder: {path}"
        raise FileNotFoundError(msg)
    summary = IngestSummary()
    station_paths = [p for p in inputs if p.suffix.lower() == ".txt"]
    for csv_path in (p for p in inputs if p.suffix.lower() == ".csv"):
        try:
            batch = read_history_csv(csv_path, now=now)
        except UnreadableReadingsFileError as err:
            batch = _rejected_file(csv_path, root, err.reason)
        except FeedSchemaError as err:  # a format recognised by its header whose content is not
            reason = Reason("csv_unreadable", {"file": str(csv_path), "detail": str(err)})
            batch = _rejected_file(csv_path, root, reason)
        with write_transaction(engine) as conn:
            late = holds_late_data(batch, now)
            part = store_batch(conn, batch, locator=locator, filename=str(csv_path), defer_later_windows=late)
        part.files = 1
        summary += part
    for start in range(0, len(station_paths), chunk_files):
        chunk = station_paths[start : start + chunk_files]
        batch = read_station_files(chunk, now=now, source=chunk[0].parent.name or "tt10", root=root)
        with write_transaction(engine) as conn:
            late = holds_late_data(batch, now)
            summary += store_batch(conn, batch, locator=locator, filename=str(path), defer_later_windows=late)
    drain_all(engine, timezone=timezone)
    return summary
