"""Backfill roll-up drain bench (#19): how long the poller's drain takes after a national buffer flush.

On PostgreSQL (a scratch schema of ``TEST_DATABASE_URL`` or ``DATABASE_URL``), SYNTHETIC air stations × 8
parameters every 5 minutes, joined to wards (10 stations a ward):

1. the live network (``--quick``: 100 stations, full: 2,000) has one day of history, drained;
2. ``flush_stations`` dataloggers (``--quick``: 5, full: 100) flush their 60-day buffer through
   ``store_batch(defer_later_windows=True)``: readings and hourly means stored, the daily and ward roll-ups, the
   deferred 8-h/24-h means and the AQI of those hours left queued in ``pending_windows``;
3. the drain (``monitoring.rollups.drain_pending`` in the poller's pieces) runs until no window of a flushing
   station is left, timed: windows/s, roll-up rows/s, seconds; meanwhile another process stores every live
   station's next 5-minute step every ``LIVE_INTERVAL_S`` seconds (5 minutes compressed 60×; ``--live-interval
   300`` is the real pace), and each step's time is checked against it;
4. the obvious alternative, in the same run: the roll-ups of the same stations and hours deleted and recomputed
   cold in one pass (``monitoring.rollups.recompute_rollups``: one window per series over the 60 days), timed;
   and the drained roll-ups compared with the cold ones (they must be equal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import time
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, text

from bench._common import engine_in_schema, machine, scratch_postgres_engine
from bench.bench_national import LIVE_INTERVAL_S, PARAMETERS, STEP, _readings, schema_of, store_live_steps
from data.rollups import queue_pending, take_pending
from data.schema import Station
from monitoring.feeds.base import Batch
from monitoring.ingest import store_batch
from monitoring.pipeline import DRAIN_BUDGET
from monitoring.rollups import DrainSummary, drain_all, drain_pending, recompute_rollups

FULL = {"stations": 2000, "flush_stations": 100, "flush_days": 60}
QUICK = {"stations": 100, "flush_stations": 5, "flush_days": 60}
STATIONS_PER_WARD = 10
POLL_DRAIN_LIMIT = 5_000  # windows per transaction in the poller's round (monitoring.pipeline)
ROLLUP_ROWS = ("rolling", "station_days", "ward_hours", "ward_days", "aqi_hours", "aqi_days")
DRAIN_BOUND_S = 25 * 60  # the timed drain gives up after this long (it then reports the flush windows left)


def _store(engine: Engine, frame: pd.DataFrame, *, defer: bool = False) -> int:
    with engine.begin() as conn:
        return store_batch(
            conn, Batch("bench", "air", frame, [], interval_minutes=5), defer_later_windows=defer
        ).accepted


def _ward(station: str) -> str:
    """The ward of a bench station: ``STATIONS_PER_WARD`` stations of one kind (live or flushing) a ward."""
    kind, number = station.split("_")
    return f"{kind[0]}{int(number) // STATIONS_PER_WARD:04d}"


def _register(engine: Engine, stations: list[str]) -> None:
    """The stations, each joined to its ward (so ward roll-ups are computed)."""
    with engine.begin() as conn:
        conn.execute(
            insert(Station),
            [{"id": s, "name": s, "kind": "air", "set_name": "bench", "ward_code": _ward(s),
              "located": True, "lat": 21.0, "lon": 105.8, "synthetic": True} for s in stations],
        )  # fmt: skip


def _live(
    url_and_schema: tuple[str, str], stations: list[str], first: pd.Timestamp, interval: float, stop: Any, out: Any
) -> None:
    """The live stream, in a process of its own: every station's next step each ``interval`` s until ``stop``."""
    engine = engine_in_schema(*url_and_schema)
    out["latencies"] = store_live_steps(engine, stations, first, lambda: not stop.is_set(), stop.wait, interval)
    engine.dispose()


def _rollups(engine: Engine, stations: list[str], after: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The daily roll-ups, ward roll-ups and AQI values of ``stations`` for periods ending after ``after``."""
    wards = sorted({_ward(s) for s in stations})
    where = {"station": {"s": stations, "t": after.to_pydatetime()}, "ward": {"w": wards, "t": after.to_pydatetime()}}
    sql = {
        "daily": ("SELECT station_id, parameter, period_end, value, n_valid, valid FROM averages WHERE period = '1d' "
                  "AND station_id = ANY(:s) AND period_end > :t ORDER BY 1, 2, 3", "station"),
        "ward": ("SELECT ward_code, parameter, period, period_end, value, n_valid, n_expected FROM ward_averages "
                 "WHERE ward_code = ANY(:w) AND period_end > :t ORDER BY 1, 2, 3, 4", "ward"),
        "aqi": ("SELECT station_id, scale, period, period_end, aqi, dominant FROM aqi_values "
                "WHERE station_id = ANY(:s) AND period_end > :t ORDER BY 1, 2, 3, 4", "station"),
    }  # fmt: skip
    with engine.connect() as conn:
        return {name: pd.DataFrame(conn.execute(text(query), where[kind]).mappings().all())
                for name, (query, kind) in sql.items()}  # fmt: skip


def _delete_rollups(engine: Engine, stations: list[str], after: pd.Timestamp) -> None:
    wards = sorted({_ward(s) for s in stations})
    t = after.to_pydatetime()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM averages WHERE period = '1d' AND station_id = ANY(:s) AND period_end > :t"),
                     {"s": stations, "t": t})  # fmt: skip
        conn.execute(
            text("DELETE FROM ward_averages WHERE ward_code = ANY(:w) AND period_end > :t"), {"w": wards, "t": t}
        )
        conn.execute(
            text("DELETE FROM aqi_values WHERE station_id = ANY(:s) AND period_end > :t"), {"s": stations, "t": t}
        )


def _same(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> dict[str, bool]:
    """Per roll-up, whether both hold the same rows (values equal to 1e-9, the order of a float sum aside)."""
    found = {}
    for name, frame in left.items():
        try:
            pd.testing.assert_frame_equal(frame, right[name], check_exact=False, rtol=1e-9)
            found[name] = True
        except AssertionError:
            found[name] = False
    return found


def _flush_windows_left(engine: Engine, flushing: list[str]) -> int:
    with engine.connect() as conn:
        query = text("SELECT count(*) FROM pending_windows WHERE station_id = ANY(:s)")
        return conn.execute(query, {"s": flushing}).scalar_one()


def _drain_beside_live(
    engine: Engine, url: str, live: list[str], flushing: list[str], now: pd.Timestamp, interval: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The poller's drain (``drain_pending``, ``POLL_DRAIN_LIMIT`` windows a transaction, newest hours first) timed
    while another process stores the live stream's steps, until no window of a flushing station is left or
    ``DRAIN_BOUND_S`` has passed; drain and live figures.

    The live stream stores a 5-minute step every ``interval`` seconds; compressed (``LIVE_INTERVAL_S``) it queues
    its windows 60 times faster than a real network, so the drain is timed to the last flush window, not until
    the live queue is empty (which at full scale it would chase for ever).
    """
    context = multiprocessing.get_context("spawn")
    stop, out = context.Event(), context.Manager().dict()
    stream = context.Process(target=_live, args=((url, schema_of(engine)), live, now + STEP, interval, stop, out))
    stream.start()
    time.sleep(LIVE_INTERVAL_S)  # the live stream's first step alone, for reference
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    drained = DrainSummary()
    while _flush_windows_left(engine, flushing) and time.perf_counter() - began < DRAIN_BOUND_S:
        drained.add(drain_pending(engine, limit=POLL_DRAIN_LIMIT))
    seconds = time.perf_counter() - began
    flush_left = _flush_windows_left(engine, flushing)
    stop.set()
    stream.join()
    with engine.connect() as conn:
        live_left = conn.execute(text("SELECT count(*) FROM pending_windows")).scalar_one() - flush_left
    latencies = list(out.get("latencies", []))
    drain = {"windows": drained.windows, "rows": _rows(drained), "seconds": seconds, "flush_left": flush_left,
             "live_left": live_left, "load": (load_before, os.getloadavg()[0]), **vars(drained)}  # fmt: skip
    return drain, {"batches": len(latencies), "max_s": max(latencies), "median_s": statistics.median(latencies),
                   "interval_s": interval}  # fmt: skip


def _rows(summary: DrainSummary) -> int:
    return sum(getattr(summary, name) for name in ROLLUP_ROWS)


def main(
    quick: bool = False, flush_stations: int | None = None, live_interval: float = LIVE_INTERVAL_S
) -> dict[str, Any]:
    """Flush, drain beside the live stream, cold recompute; print figures and ratios; return them."""
    scale = dict(QUICK if quick else FULL)
    if flush_stations:
        scale["flush_stations"] = flush_stations
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        print("bench_backfill needs TEST_DATABASE_URL or DATABASE_URL naming a PostgreSQL server")
        return {}
    now = pd.Timestamp.now(tz="UTC").floor("h")
    live = [f"LIVE_{n:05d}" for n in range(scale["stations"])]
    flushing = [f"FLUSH_{n:04d}" for n in range(scale["flush_stations"])]
    flush_times = pd.date_range(end=now, periods=288 * scale["flush_days"], freq=STEP)
    print(f"# Backfill drain — {machine()}")
    print(f"{scale['stations']:,} live stations; flush {scale['flush_stations']} stations × {len(PARAMETERS)} "
          f"parameters × {scale['flush_days']} days = {len(flushing) * len(PARAMETERS) * len(flush_times):,} "
          f"readings; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    results: dict[str, Any] = {"scale": scale}
    after = (flush_times[0] - pd.Timedelta(hours=1)).floor("h")
    with scratch_postgres_engine(url, "bkf") as engine:
        _register(engine, live + flushing)
        _store(engine, _readings(live, pd.date_range(end=now, periods=288, freq=STEP), 1))
        drain_all(engine)
        began = time.perf_counter()
        flushed = _store(engine, _readings(flushing, flush_times, 99), defer=True)
        results["flush"] = {"rows": flushed, "seconds": time.perf_counter() - began}
        with engine.connect() as conn:
            queued = take_pending(conn, 10**9)
        print(f"flush: {flushed:,} readings in {results['flush']['seconds']:.1f} s; {len(queued):,} windows queued")
        results["drain"], results["live"] = _drain_beside_live(engine, url, live, flushing, now, live_interval)
        drain_all(engine)  # the live stream's last steps, stored after the timed drain ended
        kept = _rollups(engine, flushing, after)

        _delete_rollups(engine, flushing, after)  # the same windows again, drained with no live stream
        with engine.begin() as conn:
            queue_pending(conn, queued, now.to_pydatetime())
        began = time.perf_counter()
        alone = drain_all(engine, limit=POLL_DRAIN_LIMIT)
        results["alone"] = {"seconds": time.perf_counter() - began, "windows": alone.windows, "rows": _rows(alone)}
        results["alone_equal"] = _same(kept, _rollups(engine, flushing, after))

        _delete_rollups(engine, flushing, after)  # the alternative: one cold pass over the flushed span
        began = time.perf_counter()
        cold = recompute_rollups(engine, flushing, list(PARAMETERS), after.to_pydatetime(), now.to_pydatetime())
        results["cold"] = {"seconds": time.perf_counter() - began, "rows": _rows(cold)}
        results["cold_equal"] = _same(kept, _rollups(engine, flushing, after))
        results["rows_compared"] = {name: len(frame) for name, frame in kept.items()}
    _report(results)
    results["measured_at"] = dt.datetime.now(dt.UTC).isoformat()
    return {"backfill": results}


def _report(results: dict[str, Any]) -> None:
    drain, cold, live = results["drain"], results["cold"], results["live"]
    print(f"drain: {drain['windows']:,} windows in {drain['seconds']:.1f} s = "
          f"{drain['windows'] / drain['seconds']:,.1f} windows/s; {drain['rows']:,} roll-up rows = "
          f"{drain['rows'] / drain['seconds']:,.0f} rows/s "
          f"(rolling {drain['rolling']:,}, station days {drain['station_days']:,}, ward hours "
          f"{drain['ward_hours']:,}, ward days {drain['ward_days']:,}, AQI hourly {drain['aqi_hours']:,}, "
          f"daily {drain['aqi_days']:,}); {drain['seconds'] / DRAIN_BUDGET.total_seconds():.1f} poll rounds' drain "
          f"budget; flush windows left {drain['flush_left']:,}, live windows left {drain['live_left']:,}; "
          f"load average {drain['load'][0]:.2f} → {drain['load'][1]:.2f}")  # fmt: skip
    kept = "kept its interval" if live["max_s"] <= live["interval_s"] else "MISSED its interval"
    print(f"live stream during the drain: {live['batches']} steps, median {live['median_s']:.2f} s, max "
          f"{live['max_s']:.2f} s per {live['interval_s']:.0f}-s interval: {kept}")  # fmt: skip
    alone = results["alone"]
    print(f"the same {alone['windows']:,} flush windows drained again with no live stream: {alone['rows']:,} rows in "
          f"{alone['seconds']:.1f} s = {alone['windows'] / alone['seconds']:,.1f} windows/s, "
          f"{alone['rows'] / alone['seconds']:,.0f} rows/s")  # fmt: skip
    print(f"cold recompute of the same stations' roll-ups in one pass: {cold['rows']:,} rows in "
          f"{cold['seconds']:.1f} s = {cold['rows'] / cold['seconds']:,.0f} rows/s; drain ÷ cold time "
          f"{alone['seconds'] / cold['seconds']:.2f}")  # fmt: skip
    for label, key in (("drained again", "alone_equal"), ("the cold recompute", "cold_equal")):
        same = ", ".join(f"{name} {results['rows_compared'][name]:,} rows {'equal' if ok else 'DIFFER'}"
                         for name, ok in results[key].items())  # fmt: skip
        print(f"roll-ups drained beside the live stream vs {label}: {same}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 live stations, a 5-station flush")
    parser.add_argument("--flush-stations", type=int, help="another number of flushing stations")
    parser.add_argument("--live-interval", type=float, default=LIVE_INTERVAL_S,
                        help=f"seconds between live steps (default {LIVE_INTERVAL_S:.0f}: 5 minutes compressed; "
                        "300: the real pace)")  # fmt: skip
    arguments = parser.parse_args()
    main(arguments.quick, arguments.flush_stations, arguments.live_interval)
