"""Readings ingest benchmark: bulk store vs. row-by-row ORM inserts, on SQLite and (when configured) PostgreSQL.

Seeded synthetic 5-minute readings, full run at the issue's scale (100 stations × 8 parameters × 30 days =
6.9 M rows). Measured per back end: ``insert_readings`` alone (one prepared INSERT … ON CONFLICT DO NOTHING on
SQLite; COPY into a staging table + one INSERT … SELECT … ON CONFLICT DO NOTHING on PostgreSQL), ``store_batch``
end to end (dedup, station registration, quarantine and the 1-h / 8-h / 24-h averages refresh) into empty tables
and again with everything already stored, and the obvious alternative: one ORM ``session.add`` + flush per
reading, on a sample. PostgreSQL runs when ``TEST_DATABASE_URL`` or ``DATABASE_URL`` names a PostgreSQL server,
in a scratch schema dropped afterwards. Targets: ≥ 100 k readings/s on SQLite, ≥ 200 k/s on PostgreSQL."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from bench._common import machine, timed
from data.db import make_engine, migrate
from data.schema import Reading
from monitoring.ingest import Batch, insert_readings, store_batch
from monitoring.stations import register_unknown

PARAMETERS = ("temp", "ph", "color", "cod", "bod5", "tss", "nh4", "flow")
FULL = (100, 30)
"""The issue's scale: 100 stations × 8 parameters × 30 days of 5-minute readings = 6,912,000 rows."""
QUICK = (20, 1)


def synthetic_readings(
    stations: int, days: int, *, seed: int = 2025, start: str = "2025-03-01T00:05:00Z"
) -> pd.DataFrame:
    """5-minute readings (SYNTHETIC, seeded) of ``stations`` × 8 parameters over ``days``, in delivery order."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, periods=288 * days, freq="5min", tz="UTC")
    index = pd.MultiIndex.from_product([times, [f"BENCH_{n:04d}" for n in range(stations)], PARAMETERS])
    frame = index.to_frame(index=False, name=["observed_at", "station_id", "parameter"])
    frame["value"] = rng.gamma(4.0, 10.0, len(frame))
    frame["unit"] = "mg/L"
    frame["status"] = rng.choice(["00", "01", "02"], len(frame), p=[0.96, 0.03, 0.01])
    frame["source"] = "bench"
    return frame[["station_id", "parameter", "value", "unit", "observed_at", "status", "source"]]


def _register(engine: Engine, readings: pd.DataFrame) -> None:
    with engine.begin() as conn:
        register_unknown(conn, readings["station_id"].unique().tolist(), kind="wastewater", source="bench")


def _clear(engine: Engine) -> None:
    tables = ("averages", "quarantine", "readings", "import_batches")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


def _timed_on_empty(engine: Engine, work: Callable[[], object]) -> float:
    """Seconds ``work`` takes on emptied tables (emptying not timed)."""
    _clear(engine)
    seconds, _ = timed(work)
    return seconds


def _bulk(engine: Engine, readings: pd.DataFrame) -> None:
    with engine.begin() as conn:
        insert_readings(conn, readings, uuid.uuid4().hex)


def _end_to_end(engine: Engine, readings: pd.DataFrame) -> None:
    with engine.begin() as conn:
        store_batch(conn, Batch("bench", "wastewater", readings, interval_minutes=5))


def _orm_row_by_row(engine: Engine, readings: pd.DataFrame) -> None:
    with Session(engine) as session, session.begin():
        for row in readings.itertuples(index=False):
            session.add(
                Reading(
                    station_id=row.station_id,
                    parameter=row.parameter,
                    value=float(row.value),
                    unit=row.unit,
                    observed_at=row.observed_at.to_pydatetime(),
                    status=row.status,
                    source=row.source,
                )
            )
            session.flush()


def measure(engine: Engine, readings: pd.DataFrame, sample_rows: int) -> dict[str, float]:
    """Readings per second of the bulk insert, the full store and the ORM loop (on a sample) on ``engine``."""
    sample = readings.iloc[:sample_rows]
    _register(engine, readings)
    n_rows = len(readings)
    bulk_s = _timed_on_empty(engine, lambda: _bulk(engine, readings))
    store_s = _timed_on_empty(engine, lambda: _end_to_end(engine, readings))
    again_s, _ = timed(lambda: _end_to_end(engine, readings))  # everything already stored: all duplicates
    orm_s = _timed_on_empty(engine, lambda: _orm_row_by_row(engine, sample))
    return {
        "rows": n_rows,
        "bulk_rows_per_s": n_rows / bulk_s,
        "store_batch_rows_per_s": n_rows / store_s,
        "store_batch_duplicates_rows_per_s": n_rows / again_s,
        "orm_rows_per_s": sample_rows / orm_s,
    }


@contextmanager
def _postgres_engine() -> Iterator[Engine | None]:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        yield None
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {schema}, public")
        dbapi_connection.commit()

    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _report(label: str, result: dict[str, float], target: int) -> None:
    ratio = result["bulk_rows_per_s"] / result["orm_rows_per_s"]
    print(
        f"{label}: {result['rows']:,} readings — bulk insert {result['bulk_rows_per_s']:,.0f}/s, "
        f"store_batch with averages {result['store_batch_rows_per_s']:,.0f}/s "
        f"(re-store, all duplicates {result['store_batch_duplicates_rows_per_s']:,.0f}/s), "
        f"ORM row-by-row {result['orm_rows_per_s']:,.0f}/s (bulk ×{ratio:.0f}); target ≥ {target:,}/s"
    )


def main(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; ``quick`` uses 20 stations × 1 day (46 k readings) instead of the full 6.9 M."""
    stations, days = QUICK if quick else FULL
    sample_rows = 2_000 if quick else 5_000
    readings = synthetic_readings(stations, days)
    print(f"# Readings ingest — {machine()}")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        results["sqlite"] = measure(engine, readings, sample_rows)
        engine.dispose()
    _report("SQLite", results["sqlite"], 100_000)
    with _postgres_engine() as postgres:
        if postgres is None:
            print("PostgreSQL: skipped (set TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server)")
        else:
            results["postgresql"] = measure(postgres, readings, sample_rows)
            _report("PostgreSQL", results["postgresql"], 200_000)
    results["measured_at"] = dt.datetime.now(dt.UTC).isoformat()
    return {"ingest": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="46 k readings instead of 6.9 M")
    main(parser.parse_args().quick)
