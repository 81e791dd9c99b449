"""National network bench (#19): monthly partitions vs one plain table on PostgreSQL, in the same run.

A SYNTHETIC network of air stations, 8 parameters each (pm25, pm10, o3, no2, so2, co, temp, rh) every 5 minutes,
for the 30 days up to now: 2,000 stations × 8 × 8,640 steps = 138 M readings at full size (the issue's "≈ 69 M"
is 2,000 × 8 × 288 × 15 days: half the 30 days it names), ``--quick`` 1/20 (100 stations, 6.9 M). Two scratch
schemas on the PostgreSQL server of ``TEST_DATABASE_URL`` (or ``DATABASE_URL``): one migrated as shipped
(``readings`` and ``averages`` partitioned by month, by week or day with ``--interval``), one converted back to
plain tables (``data.partitions.convert_to_plain``) that carry the same BRIN index on the time column, so the
comparison is partitioning alone. ``--days`` runs a shorter history. Measured, each on both and printed with the ratio:

1. ingest: half a day of every station per ``store_batch`` (the product's path: COPY of the new readings, 1-h/8-h/
   24-h averages computed meanwhile and COPY'd), schemas alternating; each day one half stored by one writer and
   the other by ``--writers`` processes at once (default: one per core), each a shard of the stations, as
   several pollers holding one feed each store them; rows/s of each; the server's settings are printed beside
   those of the shipped deploy/postgresql/envmon.conf;
2. ``refresh_aqi`` for the last two days (what the poller runs after its round); the daily and ward roll-ups of
   the backfill queued in ``pending_windows`` are dropped unmeasured (hours of Python AQI arithmetic here);
3. the stations map's queries: last reading time of every station (``public_stations``), its current AQI
   (``public_latest_aqi``) and device status (``station_device_status``); a station's 30-day hourly charts
   (``public_aqi_series``; ``station_hours.hourly_series`` when present) and the API's 30-day hourly answer
   (``station_hours.station_averages``, 8 parameters); the alert engine's station reads
   (``data.station_signal_queries``), and its last-reading times against grouping every stored reading; medians
   of 5;
4. a 60-day datalogger buffer flush of 100 new stations (5 at ``--quick``; ``store_batch(defer_later_windows=
   True)``, its roll-ups left queued, in another process) while the live stream stores every station's next
   5-minute step every ``LIVE_INTERVAL_S`` seconds (5 minutes compressed): whether each live batch finished
   within its interval;
5. disk bytes per reading (table + indexes, every partition), and the BRIN index's size against a b-tree on the
   time column of the newest month.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, create_engine, text

from bench._common import engine_in_schema, machine, scratch_postgres_engine
from bench.bench_ingest import backend_cpu_seconds
from data import partitions, queries
from data import station_signal_queries as signal_reads
from data.station_hours import hourly_series, station_averages
from monitoring.aqi_store import refresh_aqi
from monitoring.feeds.base import Batch
from monitoring.ingest import store_batch

PARAMETERS = ("pm25", "pm10", "o3", "no2", "so2", "co", "temp", "rh")
FULL = {"stations": 2000, "days": 30, "flush_stations": 100, "flush_days": 60}
QUICK = {"stations": 100, "days": 30, "flush_stations": 5, "flush_days": 60}
LIVE_INTERVAL_S = 5.0
STEP = pd.Timedelta(minutes=5)
TARGETS = {"ingest": 300_000, "map": 0.100, "chart": 0.050}
SHIPPED_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "postgresql" / "envmon.conf"
SERVER_SETTINGS = ("shared_buffers", "max_wal_size", "checkpoint_timeout", "fsync", "synchronous_commit")
GROUPED_LAST_TIMES = text("SELECT station_id, max(observed_at) FROM readings WHERE observed_at <= :now GROUP BY 1")


def _readings(stations: list[str], times: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    """Readings of ``stations`` × 8 parameters at ``times`` (SYNTHETIC, seeded), every station's step together."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product([times, stations, PARAMETERS], names=["observed_at", "station_id", "parameter"])
    frame = index.to_frame(index=False)
    frame["value"] = rng.gamma(3.0, 12.0, len(frame))
    frame["unit"] = "µg/m³"
    frame["status"] = "00"
    frame["source"] = "bench"
    return frame[["station_id", "parameter", "value", "unit", "observed_at", "status", "source"]]


def _store(engine: Engine, frame: pd.DataFrame, *, defer: bool = False) -> tuple[int, float]:
    """Store ``frame`` through ``store_batch``; rows stored and the CPU seconds of this process and its server
    backend (on a shared machine the steadier figure)."""
    started = time.process_time()
    with engine.begin() as conn:
        backend = backend_cpu_seconds(conn)
        backend_started = backend()
        batch = Batch("bench", "air", frame, [], interval_minutes=5)
        rows = store_batch(conn, batch, defer_later_windows=defer).accepted
        return rows, time.process_time() - started + backend() - backend_started


@contextmanager
def _schemas(
    url: str, now: dt.datetime, first: dt.datetime, interval: partitions.Interval
) -> Iterator[dict[str, Engine]]:
    """The partitioned and the plain scratch schema, partitions made for every month (or week, or day) from ``first``
    on."""
    with ExitStack() as stack:
        engines = {"partitioned": stack.enter_context(scratch_postgres_engine(url, "natp")),
                   "plain": stack.enter_context(scratch_postgres_engine(url, "natu"))}  # fmt: skip
        with engines["partitioned"].begin() as conn:
            for table in partitions.PARTITIONED_TABLES:
                partitions.repartition(conn, table.name, interval)  # the migration's months around today, re-cut
                partitions.ensure_periods(conn, table.name, first, now, interval)
        with engines["plain"].begin() as conn:
            for table in partitions.PARTITIONED_TABLES:
                partitions.convert_to_plain(conn, table.name)
                # the same BRIN on the time column as the partitioned design, so the comparison is
                # partitioning alone
                column = table.time_column
                conn.execute(
                    text(f"CREATE INDEX {partitions.BRIN_PREFIX}{table.name} ON {table.name} USING brin ({column})")
                )
        yield engines


def _ingest(
    engines: dict[str, Engine], stations: list[str], start: pd.Timestamp, days: int, writers: int
) -> dict[str, dict[int, dict[str, float]]]:
    """Store ``days`` days, each half a day per ``store_batch``: one half by one writer (this process), the other by
    ``writers`` processes at once, each a shard of the stations (as pollers holding one feed each do), schemas and
    which half goes first alternating by day. Rows/s and rows per CPU-s per schema and number of writers."""
    modes = [1, writers] if writers > 1 else [1]
    totals = {(name, mode): [0, 0.0, 0.0] for name in engines for mode in modes}  # rows, seconds, CPU-s
    context = multiprocessing.get_context("spawn")
    with context.Pool(writers) as pool:
        for day in range(days):
            halves = [start + day * pd.Timedelta(days=1) + half * pd.Timedelta(hours=12) for half in (0, 1)]
            order = list(engines) if day % 2 == 0 else list(reversed(engines))
            for name in order:
                for half, mode in enumerate(modes if day % 2 == 0 else list(reversed(modes))):
                    first, frame_seed = halves[half], day * 2 + half
                    if mode == 1:
                        stored, used, began, ended = _store_half_day(engines[name], stations, first, frame_seed)
                        seconds = ended - began
                    else:
                        stored, seconds, used = _store_sharded(pool, engines[name], stations, first, frame_seed, mode)
                    for position, amount in enumerate((stored, seconds, used)):
                        totals[name, mode][position] += amount
            if day % 5 == 4 or day == days - 1:
                done = ", ".join(
                    f"{name} {_writers(mode)} {rows / seconds:,.0f} rows/s"
                    for (name, mode), (rows, seconds, _) in totals.items()
                )
                print(f"  day {day + 1}/{days}: {done}; load average {os.getloadavg()[0]:.1f}", flush=True)
    return {name: {mode: {"rows_per_s": totals[name, mode][0] / totals[name, mode][1],
                          "rows_per_cpu_s": totals[name, mode][0] / totals[name, mode][2]} for mode in modes}
            for name in engines}  # fmt: skip


def _store_sharded(
    pool: Any, engine: Engine, stations: list[str], first: pd.Timestamp, seed: int, writers: int
) -> tuple[int, float, float]:
    """Half a day of ``stations`` stored by ``writers`` processes at once, one shard of stations each: rows stored,
    seconds from the first writer's start to the last one's end, CPU seconds of the writers and their backends."""
    schema = engine.dialect.identifier_preparer.quote(schema_of(engine))
    url = engine.url.render_as_string(hide_password=False)
    shards = [(url, schema, stations[shard::writers], first, seed * 100 + shard) for shard in range(writers)]
    rows, cpu, began, ended = zip(*pool.map(_store_shard, shards, chunksize=1), strict=True)
    return sum(rows), max(ended) - min(began), sum(cpu)


def _writers(count: int) -> str:
    return f"{count} writer{'s' if count > 1 else ''}"


_SHARD_ENGINES: dict[tuple[str, str], Engine] = {}


def _store_shard(task: tuple[str, str, list[str], pd.Timestamp, int]) -> tuple[int, float, float, float]:
    """One writer's shard, in a pool process: :func:`_store_half_day` on that process's engine of the schema."""
    url, schema, stations, first, seed = task
    key = (url, schema)
    if key not in _SHARD_ENGINES:
        _SHARD_ENGINES[key] = engine_in_schema(url, schema)
    return _store_half_day(_SHARD_ENGINES[key], stations, first, seed)


def _store_half_day(
    engine: Engine, stations: list[str], first: pd.Timestamp, seed: int
) -> tuple[int, float, float, float]:
    """Half a day of ``stations`` from ``first`` stored in one batch: rows stored, CPU seconds, and when the store
    began and ended (``time.perf_counter``, comparable across processes; the readings are made before it began)."""
    frame = _readings(stations, pd.date_range(first, periods=144, freq=STEP), seed)
    began = time.perf_counter()
    rows, used = _store(engine, frame)
    return rows, used, began, time.perf_counter()


def _median_seconds(work: Callable[[], object], repeat: int = 5) -> float:
    work()  # warm: plans and pages cached, as on a running server
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _queries(engine: Engine, station: str, now: dt.datetime) -> dict[str, float]:
    month_ago = now - dt.timedelta(days=30)

    def stations_map() -> None:  # what the Stations page and the public map load for every station
        queries.public_stations(engine)
        queries.public_latest_aqi(engine, "vn")
        queries.station_device_status(engine)

    found = {
        "map": _median_seconds(stations_map),
        "chart": _median_seconds(lambda: queries.public_aqi_series(engine, station, "vn", "hourly", month_ago)),
        "api_hourly": _median_seconds(lambda: station_averages(engine, station, month_ago, limit=100_000, offset=0)),
    }
    found["pm25_chart"] = _median_seconds(lambda: hourly_series(engine, station, "pm25", month_ago))

    def alert_reads() -> None:  # what one alert evaluation reads about the stations (monitoring.alert_signals)
        signal_reads.latest_readings(engine, None, now, measuring_only=False, lookback=dt.timedelta(hours=3))
        for period in ("1h", "24h"):
            signal_reads.latest_averages(engine, period, list(PARAMETERS), now)
        signal_reads.latest_aqi(engine, "vn", "hourly", now)
        signal_reads.last_reading_times(engine, now)

    def grouped_last_times() -> None:  # the obvious alternative to last_reading_times: group every stored reading
        with engine.connect() as conn:
            conn.execute(GROUPED_LAST_TIMES, {"now": now}).all()

    found["alert_reads"] = _median_seconds(alert_reads)
    found["grouped_last_times"] = _median_seconds(grouped_last_times, repeat=1)
    found["last_times"] = _median_seconds(lambda: signal_reads.last_reading_times(engine, now))
    return found


def _flush(url_and_schema: tuple[str, str], stations: list[str], end: pd.Timestamp, days: int, result: Any) -> None:
    """A datalogger buffer flush in a process of its own: ``days`` of ``stations`` ending at ``end``."""
    url, schema = url_and_schema
    engine = engine_in_schema(url, schema)

    frame = _readings(stations, pd.date_range(end=end, periods=288 * days, freq=STEP), 99)
    began = time.perf_counter()
    rows, _ = _store(engine, frame, defer=True)  # its roll-ups are left queued for the poller's drain
    result["rows"], result["seconds"] = rows, time.perf_counter() - began
    engine.dispose()


def _flush_during_live(
    engine: Engine, url: str, stations: list[str], scale: dict[str, Any], live_from: pd.Timestamp
) -> dict[str, float]:
    """Run the flush process; meanwhile store every station's next step each ``LIVE_INTERVAL_S``."""
    schema = engine.dialect.identifier_preparer.quote(schema_of(engine))
    flushing = [f"FLUSH_{n:04d}" for n in range(scale["flush_stations"])]
    context = multiprocessing.get_context("spawn")
    result = context.Manager().dict()
    process = context.Process(
        target=_flush, args=((url, schema), flushing, live_from - STEP, scale["flush_days"], result)
    )
    process.start()
    latencies = store_live_steps(engine, stations, live_from, process.is_alive, time.sleep)
    process.join()
    if process.exitcode != 0:
        msg = "the flush process failed (its traceback is above)"
        raise RuntimeError(msg)
    return {"flush_rows": result["rows"], "flush_rows_per_s": result["rows"] / result["seconds"],
            "flush_seconds": result["seconds"], "live_batches": len(latencies), "live_max_s": max(latencies),
            "live_median_s": statistics.median(latencies)}  # fmt: skip


def store_live_steps(
    engine: Engine,
    stations: list[str],
    first: pd.Timestamp,
    running: Callable[[], bool],
    pause: Callable[[float], object],
    interval: float = LIVE_INTERVAL_S,
) -> list[float]:
    """The live stream: every station's next 5-minute step from ``first``, one each ``interval`` seconds while
    ``running()`` (at least one), ``pause(seconds)`` between them; the seconds each step took to store."""
    latencies, at = [], first
    while running() or not latencies:
        due = time.perf_counter() + interval
        began = time.perf_counter()
        _store(engine, _readings(stations, pd.DatetimeIndex([at]), int(at.timestamp())))
        latencies.append(time.perf_counter() - began)
        at += STEP
        pause(max(0.0, due - time.perf_counter()))
    return latencies


def schema_of(engine: Engine) -> str:
    """The schema ``engine``'s connections use (a scratch schema of the bench)."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT current_schema()")).scalar_one()


def _disk(engine: Engine) -> dict[str, float]:
    """Bytes per reading (readings with indexes) and per stored average; BRIN vs b-tree on the newest month."""
    with engine.begin() as conn:
        sizes = {}
        for table in ("readings", "averages"):
            relations = partitions.partitions(conn, table) or [table]
            total = sum(
                conn.execute(text("SELECT pg_total_relation_size(to_regclass(:r))"), {"r": r}).scalar_one()
                for r in relations
            )
            rows = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            sizes[f"{table}_bytes_per_row"] = total / max(rows, 1)
            sizes[f"{table}_rows"] = rows
            sizes[f"{table}_bytes"] = total
        sizes["all_bytes"] = conn.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                "c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'"
            )
        ).scalar_one()
        timed = [found.name for found in partitions.partition_ranges(conn, "readings")]
        if timed:
            newest = max(timed, key=lambda name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
            brin = conn.execute(
                text(
                    "SELECT pg_relation_size(i.indexrelid) FROM pg_index i JOIN pg_am a ON a.oid = "
                    "(SELECT relam FROM pg_class WHERE oid = i.indexrelid) WHERE i.indrelid = to_regclass(:p) "
                    "AND a.amname = 'brin'"
                ),
                {"p": newest},
            ).scalar_one()
            conn.execute(text(f"CREATE INDEX bench_btree_time ON {newest} (observed_at)"))
            btree = conn.execute(text("SELECT pg_relation_size('bench_btree_time')")).scalar_one()
            conn.execute(text("DROP INDEX bench_btree_time"))
            sizes |= {"brin_bytes": brin, "btree_bytes": btree, "largest_partition": newest}
    return sizes


def main(
    quick: bool = False,
    stations: int | None = None,
    days: int | None = None,
    writers: int | None = None,
    interval: partitions.Interval = "month",
) -> dict[str, Any]:
    """Run every measurement on both schemas; print figures, ratios and targets; return them."""
    scale = dict(QUICK if quick else FULL) | {"writers": writers or os.cpu_count() or 1, "interval": interval}
    if stations:  # the flush stays 1/20 of the network, as at full size
        scale |= {"stations": stations, "flush_stations": max(1, stations // 20)}
    if days:
        scale["days"] = days
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    if not url.startswith("postgresql"):
        print("bench_national needs TEST_DATABASE_URL or DATABASE_URL naming a PostgreSQL server")
        return {}
    now = pd.Timestamp.now(tz="UTC").floor("5min")
    start = now - pd.Timedelta(days=scale["days"]) + STEP
    names = [f"NAT_{n:05d}" for n in range(scale["stations"])]
    total = scale["stations"] * len(PARAMETERS) * 288 * scale["days"]
    print(f"# National network — {machine()}")
    print(f"{scale['stations']:,} stations × {len(PARAMETERS)} parameters × 5 min × {scale['days']} days = "
          f"{total:,} readings per schema; flush {scale['flush_stations']} stations × "
          f"{scale['flush_days']} days; {_writers(scale['writers'])} for the sharded ingest; "
          f"partitions of one {interval}")  # fmt: skip
    results: dict[str, Any] = {"scale": scale, "server": _server_settings(url)}
    print("server: " + ", ".join(f"{name} {value}" for name, value in results["server"].items()))
    first_month = (now - pd.Timedelta(days=scale["flush_days"] + 1)).to_pydatetime()
    with _schemas(url, now.to_pydatetime(), first_month, interval) as engines:
        results["ingest"] = _ingest(engines, names, start, scale["days"], scale["writers"])
        results["aqi_refresh"] = {}
        for name, engine in engines.items():
            # the backfill's daily/ward roll-ups are not measured here (a month of them is hours of Python AQI
            # arithmetic on this box); the current AQI the map shows is refreshed as the poller's round does
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM pending_windows"))
            began = time.perf_counter()
            refresh_aqi(engine, since=(now - pd.Timedelta(days=2)).to_pydatetime())
            results["aqi_refresh"][name] = time.perf_counter() - began
        for engine in engines.values():
            with engine.begin() as conn:  # committed: statistics gathered in a rolled-back transaction are discarded
                conn.execute(text("ANALYZE"))
        results["queries"] = {n: _queries(e, names[len(names) // 2], now.to_pydatetime()) for n, e in engines.items()}
        results["disk"] = {name: _disk(engine) for name, engine in engines.items()}
        results["flush"] = {
            name: _flush_during_live(engine, url, names, scale, now + STEP) for name, engine in engines.items()
        }
    _report(results, scale["days"])
    results["measured_at"] = dt.datetime.now(dt.UTC).isoformat()
    return {"national": results}


def _server_settings(url: str) -> dict[str, str]:
    """The PostgreSQL settings bulk ingest depends on, as the server reports them, each with the value the shipped
    deploy/postgresql/envmon.conf sets (when it sets one)."""
    shipped = {}
    for line in SHIPPED_CONFIG.read_text(encoding="utf-8").splitlines():
        setting = line.split("#", 1)[0].strip()
        if "=" in setting:
            name, value = (part.strip() for part in setting.split("=", 1))
            shipped[name] = value
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {name: conn.exec_driver_sql(f"SHOW {name}").scalar_one() for name in SERVER_SETTINGS}
    engine.dispose()
    return {name: f"{value} (shipped: {shipped[name]})" if name in shipped else value for name, value in found.items()}


def _report(results: dict[str, Any], days: int) -> None:
    ingest, aqi, found, disk, flush = (results[k] for k in ("ingest", "aqi_refresh", "queries", "disk", "flush"))
    part, plain = "partitioned", "plain"
    hours = min(days, 30) * 24  # the charts ask for the last 30 days: a shorter run stores fewer of them
    for mode in ingest[part]:
        for key, unit in (("rows_per_s", "rows/s"), ("rows_per_cpu_s", "rows per CPU-s")):
            partitioned, unpartitioned = ingest[part][mode][key], ingest[plain][mode][key]
            target = f"; target ≥ {TARGETS['ingest']:,} rows/s" if key == "rows_per_s" else ""
            print(
                f"ingest (store_batch, half a day per batch, {_writers(mode)}): partitioned {partitioned:,.0f} "
                f"{unit}, plain {unpartitioned:,.0f} {unit}, ratio {partitioned / unpartitioned:.2f}{target}"
            )
    if len(ingest[part]) > 1:
        one, many = ingest[part]
        print(
            f"ingest partitioned, {_writers(many)} ÷ 1 writer: "
            f"×{ingest[part][many]['rows_per_s'] / ingest[part][one]['rows_per_s']:.2f}"
        )
    print(f"refresh_aqi (last 2 days; mostly Python's AQI arithmetic, not storage): partitioned "
          f"{aqi[part]:.1f} s, plain {aqi[plain]:.1f} s")  # fmt: skip
    labels = {"map": "stations map (last reading time, current AQI and device status of every station)",
              "chart": f"a station's 30-day hourly AQI chart ({hours} points)",
              "pm25_chart": f"a station's 30-day hourly PM2.5 chart from the roll-ups ({hours} points)",
              "api_hourly": f"API stations/{{id}}/hourly, 30 days × 8 parameters ({hours * 8:,} rows)",
              "alert_reads": "alert evaluation's station reads (latest readings, 1-h and 24-h averages, AQI, last "
                             "reading time of every station)",
              "last_times": "last reading time of every station, from latest_readings",
              "grouped_last_times": "the same by grouping every stored reading (the obvious alternative)"}  # fmt: skip
    for key, label in labels.items():
        if key not in found[part]:
            continue
        target = f"; target ≤ {TARGETS[key] * 1000:.0f} ms" if key in TARGETS else ""
        print(f"{label}: partitioned {found[part][key] * 1000:.1f} ms, plain {found[plain][key] * 1000:.1f} ms, "
              f"ratio {found[part][key] / found[plain][key]:.2f}{target}")  # fmt: skip
    for name in (part, plain):
        d = disk[name]
        brin = (f"; BRIN on {d['largest_partition']} {d['brin_bytes'] / 1024:.0f} KiB vs a b-tree on observed_at "
                f"{d['btree_bytes'] / 2**20:.1f} MiB") if "brin_bytes" in d else ""  # fmt: skip
        print(f"disk {name}: readings {d['readings_bytes_per_row']:.1f} bytes/reading ({d['readings_rows']:,} rows, "
              f"{d['readings_bytes'] / 2**30:.2f} GiB), averages {d['averages_bytes_per_row']:.1f} bytes/row "
              f"({d['averages_rows']:,} rows); every table {d['all_bytes'] / d['readings_rows']:.1f} bytes per reading"
              f"{brin}")  # fmt: skip
        f = flush[name]
        kept = "kept its interval" if f["live_max_s"] <= LIVE_INTERVAL_S else "MISSED its interval"
        print(f"buffer flush {name}: {f['flush_rows']:,} rows in {f['flush_seconds']:.1f} s "
              f"({f['flush_rows_per_s']:,.0f} rows/s); live stream {f['live_batches']} batches, median "
              f"{f['live_median_s']:.2f} s, max {f['live_max_s']:.2f} s per {LIVE_INTERVAL_S:.0f}-s interval: "
              f"{kept}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1/20 scale: 100 stations, 5-station flush")
    parser.add_argument("--stations", type=int, help="another number of stations")
    parser.add_argument("--days", type=int, help="another number of days of history (full size: 30)")
    parser.add_argument("--writers", type=int, help="processes of the sharded ingest (default: one per core)")
    parser.add_argument("--interval", choices=partitions.INTERVALS, default="month",
                        help="span of each partition of readings and averages (default: month)")  # fmt: skip
    arguments = parser.parse_args()
    main(arguments.quick, arguments.stations, arguments.days, arguments.writers, arguments.interval)
