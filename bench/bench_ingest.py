"""Readings ingest benchmark: bulk store vs. row-by-row ORM inserts, on SQLite and (when configured) PostgreSQL.

Seeded synthetic 5-minute readings (stations × 7 wastewater parameters). Three measurements per back end:
``insert_readings`` (one prepared INSERT … ON CONFLICT DO NOTHING over all rows on SQLite, COPY + one
INSERT … SELECT on PostgreSQL), ``store_batch`` end to end (dedup count, station registration, quarantine and the
1-h / 8-h / 24-h averages refresh), and the obvious alternative: one ORM ``session.add`` + flush per reading,
on a sample. PostgreSQL runs when ``TEST_DATABASE_URL`` or ``DATABASE_URL`` names a PostgreSQL server, in a
scratch schema dropped afterwards. Targets: ≥ 100 k readings/s on SQLite, ≥ 200 k/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator
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

PARAMETERS = ("temp", "ph", "color", "cod", "tss", "nh4", "flow")


def synthetic_readings(n_rows: int, *, seed: int = 2025, start: str = "2025-03-01T00:05:00Z") -> pd.DataFrame:
    """``n_rows`` canonical 5-minute readings (SYNTHETIC, seeded) spread over stations of 7 parameters."""
    rng = np.random.default_rng(seed)
    per_station = 288 * len(PARAMETERS)  # one day per station
    stations = max(1, -(-n_rows // per_station))
    times = pd.date_range(start, periods=288, freq="5min", tz="UTC")
    index = pd.MultiIndex.from_product([[f"BENCH_{n:04d}" for n in range(stations)], times, PARAMETERS])
    frame = index.to_frame(index=False, name=["station_id", "observed_at", "parameter"]).iloc[:n_rows]
    frame["value"] = rng.gamma(4.0, 10.0, len(frame))
    frame["unit"] = "mg/L"
    frame["status"] = rng.choice(["00", "01", "02"], len(frame), p=[0.96, 0.03, 0.01])
    frame["source"] = "bench"
    return frame[["station_id", "parameter", "value", "unit", "observed_at", "status", "source"]]


def _register(engine: Engine, readings: pd.DataFrame) -> None:
    with engine.begin() as conn:
        register_unknown(conn, readings["station_id"].unique().tolist(), kind="wastewater", source="bench")


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM averages"))
        conn.execute(text("DELETE FROM quarantine"))
        conn.execute(text("DELETE FROM readings"))
        conn.execute(text("DELETE FROM import_batches"))


def _bulk(engine: Engine, readings: pd.DataFrame) -> None:
    _clear(engine)
    with engine.begin() as conn:
        insert_readings(conn, readings, uuid.uuid4().hex)


def _end_to_end(engine: Engine, readings: pd.DataFrame) -> None:
    _clear(engine)
    with engine.begin() as conn:
        store_batch(conn, Batch("bench", "wastewater", readings, interval_minutes=5))


def _orm_row_by_row(engine: Engine, readings: pd.DataFrame) -> None:
    _clear(engine)
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


def measure(engine: Engine, n_rows: int, sample_rows: int) -> dict[str, float]:
    """Readings per second of the bulk insert, the full store and the ORM loop on ``engine``."""
    readings = synthetic_readings(n_rows)
    sample = readings.iloc[:sample_rows]
    _register(engine, readings)
    bulk_s, _ = timed(lambda: _bulk(engine, readings), repeat=2)
    store_s, _ = timed(lambda: _end_to_end(engine, readings), repeat=1)
    orm_s, _ = timed(lambda: _orm_row_by_row(engine, sample), repeat=1)
    return {
        "rows": n_rows,
        "bulk_rows_per_s": n_rows / bulk_s,
        "store_batch_rows_per_s": n_rows / store_s,
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


def _report(label: str, result: dict[str, float]) -> None:
    ratio = result["bulk_rows_per_s"] / result["orm_rows_per_s"]
    print(
        f"{label}: {result['rows']:,} readings — bulk insert {result['bulk_rows_per_s']:,.0f}/s, "
        f"store_batch with averages {result['store_batch_rows_per_s']:,.0f}/s, "
        f"ORM row-by-row {result['orm_rows_per_s']:,.0f}/s (bulk ×{ratio:.0f})"
    )


def main(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; ``quick`` uses 50 k readings instead of 500 k."""
    n_rows, sample_rows = (50_000, 2_000) if quick else (500_000, 5_000)
    print(f"# Readings ingest — {machine()}")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        migrate(engine)
        results["sqlite"] = measure(engine, n_rows, sample_rows)
        engine.dispose()
    _report("SQLite", results["sqlite"])
    with _postgres_engine() as postgres:
        if postgres is None:
            print("PostgreSQL: skipped (set TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server)")
        else:
            results["postgresql"] = measure(postgres, n_rows, sample_rows)
            _report("PostgreSQL", results["postgresql"])
    results["measured_at"] = dt.datetime.now(dt.UTC).isoformat()
    return {"ingest": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50 k readings instead of 500 k")
    main(parser.parse_args().quick)
