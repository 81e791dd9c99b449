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
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from bench._common import machine, scratch_postgres_engine
from data.db import make_engine, migrate
from data.readings_store import insert_readings
from data.schema import Reading
from data.station_registry import register_unknown
from monitoring.feeds.base import Batch
from monitoring.ingest import store_batch

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


def backend_cpu_seconds(conn: Connection) -> Callable[[], float]:
    """A reader of the CPU seconds used so far by the PostgreSQL backend serving ``conn`` (0 on SQLite).

    The server must run on this machine (``/proc``); otherwise its share is not counted.
    """
    if conn.dialect.name != "postgresql":
        return lambda: 0.0
    stat = Path(f"/proc/{conn.exec_driver_sql('SELECT pg_backend_pid()').scalar_one()}/stat")

    def read() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    return read


def _measured(engine: Engine, work: Callable[[Connection], object]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (this process + its PostgreSQL backend) of ``work`` in one transaction.

    Tables are emptied first (not timed). On a busy shared machine the CPU figure is the steadier one.
    """
    _clear(engine)
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        backend = backend_cpu_seconds(conn)
        start_backend = backend()
        work(conn)
    cpu = time.process_time() - start_cpu + backend() - start_backend
    return time.perf_counter() - start_wall, cpu


def _bulk(conn: Connection, readings: pd.DataFrame) -> None:
    insert_readings(conn, readings, uuid.uuid4().hex)


def _store(conn: Connection, readings: pd.DataFrame) -> None:
    store_batch(conn, Batch("bench", "wastewater", readings, interval_minutes=5))


def _orm_row_by_row(conn: Connection, readings: pd.DataFrame) -> None:
    with Session(bind=conn) as session:
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
    """Readings per second (wall and CPU) of the bulk insert, the full store and the ORM loop on ``engine``.

    ``store_batch`` runs on empty tables and then again with every reading already stored (all duplicates);
    the ORM loop runs on the first ``sample_rows`` readings.
    """
    _register(engine, readings)
    n_rows = len(readings)
    sample = readings.iloc[:sample_rows]
    runs = {
        "bulk": (n_rows, _measured(engine, lambda conn: _bulk(conn, readings))),
        "store_batch": (n_rows, _measured(engine, lambda conn: _store(conn, readings))),
    }
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        _store(conn, readings)
    runs["store_batch_duplicates"] = (n_rows, (time.perf_counter() - start_wall, time.process_time() - start_cpu))
    runs["orm"] = (sample_rows, _measured(engine, lambda conn: _orm_row_by_row(conn, sample)))
    result: dict[str, float] = {"rows": n_rows}
    for name, (rows, (wall, cpu)) in runs.items():
        result[f"{name}_rows_per_s"] = rows / wall
        result[f"{name}_rows_per_cpu_s"] = rows / cpu
    return result


@contextmanager
def _postgres_engine() -> Iterator[Engine | None]:
    """A scratch PostgreSQL engine when TEST_DATABASE_URL or DATABASE_URL names one, else None."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        yield None
        return
    with scratch_postgres_engine(url, "bench") as engine:
        yield engine


def _report(label: str, result: dict[str, float], target: int) -> None:
    def rates(name: str) -> str:
        return f"{result[f'{name}_rows_per_s']:,.0f}/s (per CPU-s {result[f'{name}_rows_per_cpu_s']:,.0f})"

    ratio = result["store_batch_rows_per_s"] / result["orm_rows_per_s"]
    print(
        f"{label}: {result['rows']:,} readings — bulk insert {rates('bulk')}; store_batch with averages "
        f"{rates('store_batch')}; re-store, all duplicates {rates('store_batch_duplicates')}; ORM row-by-row "
        f"{rates('orm')}; store_batch ×{ratio:.0f} the ORM; target ≥ {target:,}/s"
    )


def main(quick: bool = False, scale: tuple[int, int] | None = None) -> dict[str, Any]:
    """Run the benchmark; ``quick`` uses 20 stations × 1 day (46 k readings) instead of the full 6.9 M.

    ``scale`` = (stations, days) overrides both.
    """
    stations, days = scale or (QUICK if quick else FULL)
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
    parser.add_argument("--scale", type=int, nargs=2, metavar=("STATIONS", "DAYS"), help="another data size")
    arguments = parser.parse_args()
    main(arguments.quick, tuple(arguments.scale) if arguments.scale else None)
