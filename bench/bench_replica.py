"""Read replica bench: does reading from the replica spare the primary's ingest? (ratios in one run)

A throwaway PostgreSQL 15 primary and its streaming replica on loopback (``bench._pg_pair``). The primary ingests
SYNTHETIC 5-minute readings through ``monitoring.ingest.store_batch`` (one batch = every station's 8 parameters
at one 5-minute step, as a national poller round stores them) for a fixed time in three phases, interleaved over
several rounds (medians reported):

1. alone;
2. while reader processes run the dashboard's station queries (latest readings, a day's series) on the
   **replica** through ``data.db.read_engine``;
3. while the same readers run them on the **primary** (what happens without ``DATABASE_READ_URL``).

Printed: ingest rows/s of each phase, the primary server's CPU time per 1,000 ingested rows (its postmaster and
every backend, from /proc: what the primary spends, whatever else runs on the machine), reads/s, replica lag at
the end of each phase, and the ratios phase 2 ÷ 1 and phase 2 ÷ 3; the latency (p50, p99) of each read — the
Stations page's latest readings and day series, the API's ``stations/{id}/hourly`` page — served by the replica
and by the primary while the primary ingests; and the cost of the lag check itself: a check (``ReadRouter.check``,
two queries on kept connections) made afresh and answered from the last one, the checkout hook, and the same reads
through the routed read engine against a plain engine on the replica, interleaved. Unless ``--no-pin`` (and with
CPUs 0 and 1) the primary's server processes and the ingest run on CPU 0, the replica's and the readers on CPU 1,
as if the replica had a machine of its own; without it everything shares every core, so reads anywhere take CPU
time from the ingest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import time
from multiprocessing.synchronize import Event
from typing import Any

import numpy as np
import pandas as pd

from bench._common import machine
from bench._pg_pair import postgres_pair
from bench.bench_ingest import PARAMETERS
from data import db, queries
from data.config import load_settings
from data.read_routing import router_of
from data.station_hours import station_averages
from monitoring.feeds.base import Batch
from monitoring.ingest import store_batch

FULL = {"stations": 2000, "seconds": 20.0, "readers": 2, "history_hours": 24, "rounds": 3}
QUICK = {"stations": 200, "seconds": 6.0, "readers": 2, "history_hours": 6, "rounds": 2}
READS = ("latest readings", "day series", "API hourly page")
CHECKS = {"fresh": 200, "cached": 20_000, "reads": 300}
START = pd.Timestamp("2026-11-01T00:05:00Z")


def _step(stations: int, at: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """One 5-minute step of every station's 8 parameters (SYNTHETIC)."""
    index = pd.MultiIndex.from_product([[f"NAT_{n:05d}" for n in range(stations)], PARAMETERS])
    frame = index.to_frame(index=False, name=["station_id", "parameter"])
    frame["value"] = rng.gamma(4.0, 10.0, len(frame))
    frame["unit"], frame["observed_at"], frame["status"], frame["source"] = "mg/L", at, "00", "bench"
    return frame[["station_id", "parameter", "value", "unit", "observed_at", "status", "source"]]


def _ingest(primary: Any, stations: int, first: pd.Timestamp, seconds: float) -> tuple[int, float, pd.Timestamp]:
    """Store consecutive steps for ``seconds``; (rows stored, elapsed seconds, the next step's time)."""
    rng = np.random.default_rng(int(first.timestamp()))
    rows, at = 0, first
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        frame = _step(stations, at, rng)
        with db.write_transaction(primary) as conn:
            rows += store_batch(conn, Batch("bench", "wastewater", frame, [], interval_minutes=5)).accepted
        at += pd.Timedelta(minutes=5)
    return rows, time.perf_counter() - began, at


def _reads(engine: Any, station: str, since: dt.datetime, hours: int) -> tuple[list[float], dt.datetime]:
    """The page's and the API's reads of one station (:data:`READS`): seconds each, and the next series start."""
    times = []
    began = time.perf_counter()
    queries.public_latest_readings(engine, station)
    times.append(time.perf_counter() - began)
    began = time.perf_counter()
    frame = queries.reading_series(engine, station, "cod", since)
    times.append(time.perf_counter() - began)
    began = time.perf_counter()
    station_averages(engine, station, since, limit=100, offset=0)
    times.append(time.perf_counter() - began)
    newest = frame["observed_at"].max() if not frame.empty else since
    return times, max(since, newest - dt.timedelta(hours=hours))


def _reader(
    primary_url: str, read_url: str, scale: dict[str, Any], stop: Event, ready: Any, counter: Any, out: Any, cpus: Any
) -> None:
    """Loop the Stations page's and the API's reads for random stations on the read engine until ``stop``; the
    latencies of each read go to ``out``."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    settings = load_settings(database_url=primary_url, database_read_url=read_url)
    engine = db.read_engine(settings)
    rng = np.random.default_rng()
    since = START.to_pydatetime() - dt.timedelta(hours=1)
    latencies: list[list[float]] = [[] for _ in READS]
    with ready.get_lock():
        ready.value += 1
    while not stop.is_set():
        times, since = _reads(engine, f"NAT_{int(rng.integers(scale['stations'])):05d}", since, scale["history_hours"])
        for kept, seconds in zip(latencies, times, strict=True):
            kept.append(seconds)
        with counter.get_lock():
            counter.value += 1
    out.put(latencies)
    engine.dispose()


def _phase(
    pair: Any, primary: Any, scale: dict[str, Any], at: pd.Timestamp, read_url: str | None, *, pin: bool
) -> dict[str, Any]:
    """Ingest for the phase's time, with readers on ``read_url`` (None: no readers)."""
    context = multiprocessing.get_context("spawn")
    stop, ready, counter, out = context.Event(), context.Value("q", 0), context.Value("q", 0), context.Queue()
    readers = [
        context.Process(
            target=_reader,
            args=(pair.primary_url, read_url, scale, stop, ready, counter, out, {1} if pin else None),
        )
        for _ in range(scale["readers"] if read_url else 0)
    ]
    for process in readers:
        process.start()
    while ready.value < len(readers):  # readers import and connect before the clock starts
        if any(process.exitcode is not None for process in readers):
            stop.set()
            raise RuntimeError("a reader process failed (its traceback is above)")
        time.sleep(0.1)
    with counter.get_lock():
        counter.value = 0
    cpu_before = pair.cpu_seconds("primary")
    rows, elapsed, next_at = _ingest(primary, scale["stations"], at, scale["seconds"])
    primary_cpu = pair.cpu_seconds("primary") - cpu_before
    reads = counter.value
    lag = db.replica_lag(db.make_engine(pair.replica_url))
    stop.set()
    latencies: list[list[float]] = [[] for _ in READS]
    for _ in readers:  # before joining: a process that has put to a queue ends once it is read
        for kept, found in zip(latencies, out.get(timeout=120), strict=True):
            kept += found
    for process in readers:
        process.join(60)
    return {"rows": rows, "seconds": elapsed, "rows_per_s": rows / elapsed, "reads_per_s": reads / elapsed,
            "primary_cpu_per_krow": 1000 * primary_cpu / max(rows, 1), "latencies": latencies,
            "lag": lag, "next": next_at}  # fmt: skip


def _lag_check_cost(pair: Any, stations: int) -> dict[str, float]:
    """Seconds per lag check made afresh and answered from the last one, per checkout hook, and per read of
    :data:`READS` through the routed read engine and through a plain engine on the replica (interleaved)."""
    settings = load_settings(database_url=pair.primary_url, database_read_url=pair.replica_url)
    routed, plain = db.read_engine(settings), db.make_engine(pair.replica_url)
    router = router_of(routed)
    if router is None:
        msg = "the read engine has no replica router"
        raise RuntimeError(msg)
    router.check(force=True)  # check connections opened
    began = time.perf_counter()
    for _ in range(CHECKS["fresh"]):
        router.check(force=True)
    fresh = (time.perf_counter() - began) / CHECKS["fresh"]
    began = time.perf_counter()
    for _ in range(CHECKS["cached"]):
        router.check()
    cached = (time.perf_counter() - began) / CHECKS["cached"]
    with routed.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        began = time.perf_counter()
        for _ in range(CHECKS["cached"]):
            router.on_checkout(dbapi, None, None)
        hook = (time.perf_counter() - began) / CHECKS["cached"]
    rng = np.random.default_rng(7)
    since = START.to_pydatetime() - dt.timedelta(hours=1)
    per_engine: dict[str, list[float]] = {"routed": [], "plain": []}
    for engine in (routed, plain):  # warm: pools and plans
        _reads(engine, "NAT_00000", since, 24)
    for _ in range(CHECKS["reads"]):
        station = f"NAT_{int(rng.integers(stations)):05d}"
        for name, engine in (("routed", routed), ("plain", plain)):
            times, _ = _reads(engine, station, since, 24)
            per_engine[name].append(sum(times))
    routed.dispose()
    plain.dispose()
    router.close()
    return {"fresh": fresh, "cached": cached, "hook": hook, "routed_read": float(np.median(per_engine["routed"])),
            "plain_read": float(np.median(per_engine["plain"]))}  # fmt: skip


def main(quick: bool = False, pin: bool | None = None) -> dict[str, list[dict[str, Any]]]:
    """Run the three phases, interleaved over several rounds; print rows/s, reads/s, medians and ratios.

    ``pin`` defaults to pinning whenever this process may use CPUs 0 and 1.
    """
    scale = QUICK if quick else FULL
    pin = {0, 1} <= os.sched_getaffinity(0) if pin is None else pin
    print(machine())
    print("pinned: primary and ingest on CPU 0, replica and readers on CPU 1" if pin else "not pinned")
    if pin:
        os.sched_setaffinity(0, {0})
    print(f"{scale['stations']} stations × {len(PARAMETERS)} parameters per 5-minute step, "
          f"{scale['seconds']:.0f} s per phase, {scale['readers']} reader processes "
          f"(latest readings, a {scale['history_hours']}-h series, the API's hourly page)")  # fmt: skip
    with postgres_pair(primary_cpus="0" if pin else None, replica_cpus="1" if pin else None) as pair:
        primary = db.make_engine(pair.primary_url)
        warm = _ingest(primary, scale["stations"], START, min(3.0, scale["seconds"]))  # stations registered, caches
        at = warm[2]
        phases = {"alone": None, "reads on replica": pair.replica_url, "reads on primary": pair.primary_url}
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in phases}
        for round_number in range(1, scale["rounds"] + 1):  # interleaved: a busy spell hits every phase alike
            for name, url in phases.items():
                found = _phase(pair, primary, scale, at, url, pin=pin)
                results[name].append(found)
                at = found["next"]
                lag = "" if found["lag"] is None else f", replica lag at the end {found['lag'].total_seconds():.2f} s"
                print(f"round {round_number} {name:>17}: ingest {found['rows_per_s']:>9,.0f} rows/s "
                      f"({found['rows']:,} rows in {found['seconds']:.1f} s), primary server "
                      f"{found['primary_cpu_per_krow']:.3f} CPU-s per 1,000 rows, "
                      f"reads {found['reads_per_s']:>6,.1f}/s{lag}")  # fmt: skip
        cost = _lag_check_cost(pair, scale["stations"])
        primary.dispose()

    def median(name: str, key: str) -> float:
        return float(np.median([run[key] for run in results[name]]))

    for name in phases:
        print(f"median {name:>17}: ingest {median(name, 'rows_per_s'):>9,.0f} rows/s, primary server "
              f"{median(name, 'primary_cpu_per_krow'):.3f} CPU-s per 1,000 rows, "
              f"reads {median(name, 'reads_per_s'):>6,.1f}/s")  # fmt: skip
    alone, replica, on_primary = (median(name, "rows_per_s") for name in phases)
    cpu_alone, cpu_replica, cpu_primary = (median(name, "primary_cpu_per_krow") for name in phases)
    print(f"ratio ingest rows/s, reads on the replica ÷ alone: {replica / alone:.2f}; "
          f"÷ the same reads on the primary: {replica / on_primary:.2f}")  # fmt: skip
    print(f"ratio primary CPU per ingested row, reads on the replica ÷ alone: {cpu_replica / cpu_alone:.2f}; "
          f"reads on the primary ÷ alone: {cpu_primary / cpu_alone:.2f}")  # fmt: skip
    _print_latencies(results)
    _print_cost(cost)
    return results


def _print_latencies(results: dict[str, list[dict[str, Any]]]) -> None:
    """p50 and p99 of each read, every round pooled, on the replica and on the primary while the primary ingests."""
    for index, read in enumerate(READS):
        found = {}
        for name in ("reads on replica", "reads on primary"):
            pooled = [seconds for run in results[name] for seconds in run["latencies"][index]]
            found[name] = (np.percentile(pooled, 50) * 1000, np.percentile(pooled, 99) * 1000, len(pooled))
        (r50, r99, rn), (p50, p99, pn) = found["reads on replica"], found["reads on primary"]
        print(f"{read:>15} while the primary ingests: replica p50 {r50:.2f} ms p99 {r99:.2f} ms ({rn:,} reads), "
              f"primary p50 {p50:.2f} ms p99 {p99:.2f} ms ({pn:,}); replica ÷ primary p50 {r50 / p50:.2f}, "
              f"p99 {r99 / p99:.2f}")  # fmt: skip


def _print_cost(cost: dict[str, float]) -> None:
    every = load_settings().read_lag_check_seconds
    print(f"lag check made afresh (primary WAL position, replica replay position and age): "
          f"{cost['fresh'] * 1e3:.3f} ms, at most once every {every:g} s per process; answered from the last check "
          f"{cost['cached'] * 1e6:.2f} µs; checkout hook {cost['hook'] * 1e6:.2f} µs per checkout")  # fmt: skip
    print(f"the {len(READS)} reads of one station, median of {CHECKS['reads']}, idle primary: through the routed "
          f"read engine {cost['routed_read'] * 1e3:.2f} ms, a plain engine on the replica "
          f"{cost['plain_read'] * 1e3:.2f} ms, ratio {cost['routed_read'] / cost['plain_read']:.3f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 stations, 6 s per phase, 2 rounds")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the primary and the replica to CPUs 0 and 1")
    arguments = parser.parse_args()
    main(arguments.quick, False if arguments.no_pin else None)
