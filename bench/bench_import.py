"""Complaint import benchmark: a 200,000-row vn-channel CSV through the real importer, target ≥ 20,000 rows/s.

``python -m bench.bench_import [--quick]``. Writes a seeded SYNTHETIC vn-channel export (``;``-separated,
Excel BOM, Vietnamese headers) in a temporary folder: points inside the 126 wards weighted by population, mixed
day-first and ISO 8601 times, decimal commas, ~8 % address-only rows naming a ward, ~5 % repeats of an
earlier report within 50 m / 72 h (another resident, another channel), ~3 % bad rows of varied kinds
(unparseable, missing or future times, non-numeric or out-of-range latitudes, a lone latitude, empty reports,
a reused id with other content, a few records with a stray separator), ~0.2 % exact repeats of the previous
row (duplicates), and swapped and zero coordinates (flagged, kept).
It is imported with ``import_complaints`` into a fresh SQLite database (and into PostgreSQL when
``TEST_DATABASE_URL`` or ``DATABASE_URL`` names one), then imported again (every row is then a duplicate).
A per-stage breakdown calls the pipeline's stage functions directly, timed with ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine

from bench._common import machine, timed
from bench.bench_ingest import _postgres_engine
from data.boundary_store import load_shipped_sets
from data.cases import cluster_reports
from data.config import load_settings
from data.db import make_engine, migrate
from data.demo_complaints import CATEGORY_SHARES, CHANNELS, TEMPLATES, ward_streets
from data.importers.normalise import normalise
from data.importers.pipeline import ImportContext, import_complaints, locate
from data.importers.profiles import VN_CHANNEL, detect_profile, to_canonical
from data.importers.readers import read_table
from data.routing import seed_routing

TARGET_ROWS_PER_S = 20_000
FULL_ROWS, QUICK_ROWS = 200_000, 20_000
SEED = 20250801
NOW = dt.datetime(2025, 8, 1, tzinfo=dt.UTC)
LOCAL_TZ = VN_CHANNEL.timezone  # the generated file is a vn-channel export
HEADER = (
    "Mã phản ánh",
    "Thời gian",
    "Nội dung",
    "Địa chỉ",
    "Vĩ độ",
    "Kinh độ",
    "Kênh",
    "Loại phản ánh",
    "Họ tên",
    "Số điện thoại",
)
REPEAT_SHARE, ADDRESS_ONLY_SHARE, BAD_SHARE, MALFORMED_PER_100K = 0.05, 0.08, 0.03, 10


def _points(wards: pd.DataFrame, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lon, lat and ward row of ``count`` points inside the wards, wards weighted by population."""
    population = wards["population"].astype(float).fillna(wards["population"].astype(float).median())
    rows = rng.choice(len(wards), count, p=(population / population.sum()).to_numpy())
    lons, lats = np.empty(count), np.empty(count)
    for row in np.unique(rows):
        members = np.flatnonzero(rows == row)
        geometry = wards["geometry"].iloc[row]
        minx, miny, maxx, maxy = shapely.bounds(geometry)
        xs, ys = np.empty(0), np.empty(0)
        while len(xs) < len(members):
            cx, cy = rng.uniform(minx, maxx, len(members) * 3), rng.uniform(miny, maxy, len(members) * 3)
            inside = shapely.contains_xy(geometry, cx, cy)
            xs, ys = np.concatenate([xs, cx[inside]]), np.concatenate([ys, cy[inside]])
        lons[members], lats[members] = xs[: len(members)], ys[: len(members)]
    return lons, lats, rows


def synthetic_frame(wards: pd.DataFrame, n_rows: int, seed: int = SEED) -> pd.DataFrame:
    """``n_rows`` SYNTHETIC vn-channel rows (text cells, header :data:`HEADER`), seeded."""
    rng = np.random.default_rng(seed)
    n_repeats = int(n_rows * REPEAT_SHARE)
    n_base = n_rows - n_repeats
    lons, lats, ward_rows = _points(wards, n_base, rng)
    local_start = pd.Timestamp(NOW).tz_convert(LOCAL_TZ) - pd.Timedelta(days=365)
    minutes = np.sort(rng.integers(0, 365 * 24 * 60 - 24 * 60, n_base))
    times = local_start + pd.to_timedelta(minutes, "min")
    labels = rng.choice(list(CATEGORY_SHARES), n_base, p=np.array(list(CATEGORY_SHARES.values())))
    full_names = (wards["unit_type"].astype(str) + " " + wards["name"].astype(str)).to_numpy()
    named = np.where(rng.random(n_base) < 0.8, full_names[ward_rows], "")
    base = pd.DataFrame({"lon": lons, "lat": lats, "at": times, "label": labels, "ward": named})
    source = rng.choice(n_base, n_repeats, replace=False)
    repeats = base.iloc[source].copy()
    repeats["at"] += pd.to_timedelta(rng.uniform(0.1, 48, n_repeats), "h").floor("min")
    repeats["lat"] += rng.uniform(-20, 20, n_repeats) / 110_574
    repeats["lon"] += rng.uniform(-20, 20, n_repeats) / 103_900
    frame = pd.concat([base, repeats]).sort_values("at", kind="stable").reset_index(drop=True)
    return _as_export(frame, rng)


def _as_export(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Format the rows as a channel export, with address-only rows and the usual defects."""
    count = len(frame)
    all_streets = sorted({street for streets in ward_streets().values() for street in streets})
    streets, lanes = rng.choice(all_streets, count), rng.integers(1, 300, count)
    texts = [
        TEMPLATES[label][choice].format(place=f"ngõ {lane} phố {street}")
        for label, choice, lane, street in zip(frame["label"], rng.integers(0, 2, count), lanes, streets, strict=True)
    ]
    day_first = rng.random(count) < 0.7
    local = frame["at"]
    when = np.where(day_first, local.dt.strftime("%d/%m/%Y %H:%M"), local.dt.strftime("%Y-%m-%dT%H:%M:%S+07:00"))
    comma = rng.random(count) < 0.1
    lat_text = np.char.mod("%.6f", frame["lat"].to_numpy()).astype(object)
    lon_text = np.char.mod("%.6f", frame["lon"].to_numpy()).astype(object)
    lat_text[comma] = [value.replace(".", ",") for value in lat_text[comma]]
    lon_text[comma] = [value.replace(".", ",") for value in lon_text[comma]]
    address_only = rng.random(count) < ADDRESS_ONLY_SHARE
    lat_text[address_only], lon_text[address_only] = "", ""
    export = pd.DataFrame(
        {
            "Mã phản ánh": [f"SYN-{index + 1:07d}" for index in range(count)],
            "Thời gian": when,
            "Nội dung": texts,
            "Địa chỉ": [
                f"Ngõ {lane} {street}, {ward + ', ' if ward else ''}Hà Nội"
                for lane, street, ward in zip(lanes, streets, frame["ward"], strict=True)
            ],
            "Vĩ độ": lat_text,
            "Kinh độ": lon_text,
            "Kênh": rng.choice(list(CHANNELS), count, p=np.array(list(CHANNELS.values()))),
            "Loại phản ánh": frame["label"],
            "Họ tên": "Người dân (tổng hợp)",
            "Số điện thoại": [f"09{number:08d}" for number in rng.integers(0, 10**8, count)],
        }
    )
    _spoil(export, rng)
    return export


def _spoil(export: pd.DataFrame, rng: np.random.Generator) -> None:
    """Turn ~3 % of the rows into bad rows of varied kinds, and swap or zero some coordinates (flagged, kept)."""
    count = len(export)
    chosen = rng.choice(np.arange(1, count), int(count * BAD_SHARE) + int(count * 0.006), replace=False)
    kinds = np.array_split(chosen, 11)
    export.loc[kinds[0], "Thời gian"] = "32/13/2025 25:00"
    export.loc[kinds[1], "Thời gian"] = ""
    export.loc[kinds[2], "Thời gian"] = "15/03/2030 11:00"
    export.loc[kinds[3], "Vĩ độ"] = "abc"
    export.loc[kinds[4], "Vĩ độ"] = "95.0"
    export.loc[kinds[5], "Kinh độ"] = ""
    export.loc[kinds[6], ["Nội dung", "Loại phản ánh"]] = ""
    export.loc[kinds[7], "Mã phản ánh"] = export.loc[kinds[7] - 1, "Mã phản ánh"].to_numpy()
    export.loc[kinds[8], ["Vĩ độ", "Kinh độ"]] = export.loc[kinds[8], ["Kinh độ", "Vĩ độ"]].to_numpy()
    export.loc[kinds[9], ["Vĩ độ", "Kinh độ"]] = "0"
    export.loc[kinds[10]] = export.loc[kinds[10] - 1].to_numpy()


def write_csv(frame: pd.DataFrame, path: Path, seed: int = SEED) -> int:
    """Write ``frame`` as a ``;``-separated UTF-8 (BOM) CSV with a few malformed records; returns the rows."""
    rng = np.random.default_rng(seed + 1)
    lines = frame.to_csv(sep=";", index=False, lineterminator="\n").splitlines()
    malformed = rng.choice(np.arange(1, len(lines)), max(1, len(frame) * MALFORMED_PER_100K // 100_000), replace=False)
    for number in malformed:
        lines[number] = lines[number].replace(", Hà Nội", "; Hà Nội", 1)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return len(frame)


def _prepare(engine: Engine) -> ImportContext:
    migrate(engine)
    load_shipped_sets(engine)
    seed_routing(engine)
    return ImportContext.from_settings(engine, load_settings())


def stage_seconds(path: Path, context: ImportContext) -> dict[str, float]:
    """Seconds of the import's in-memory stages, each called directly in pipeline order."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    table = read_table(path)
    seconds["read/parse"] = time.perf_counter() - start
    start = time.perf_counter()
    profile = detect_profile([str(column) for column in table.frame.columns])
    canonical, used = to_canonical(table.frame, profile)
    clean, _ = normalise(canonical, used, table.frame, table.row_numbers, profile, NOW, context.wards)
    clean["category_code"] = context.taxonomy.classify(profile.name, clean["category_raw"], clean["description"])
    seconds["normalise"] = time.perf_counter() - start
    start = time.perf_counter()
    located = locate(clean.reset_index(drop=True), context)
    seconds["ward join"] = time.perf_counter() - start
    start = time.perf_counter()
    existing = pd.DataFrame({"case_id": [], "lat": [], "lon": [], "category_code": [], "last_report_at": []})
    existing["last_report_at"] = pd.to_datetime(existing["last_report_at"], utc=True)
    cluster_reports(located, existing, context.radius_m, context.window_hours)
    seconds["dedup"] = time.perf_counter() - start
    return seconds


def measure(engine: Engine, path: Path, n_rows: int) -> dict[str, Any]:
    """Rows/s of a first import and of a re-import of ``path`` into the empty database behind ``engine``."""
    context = _prepare(engine)
    cpu_start = time.process_time()
    first_s, summary = timed(lambda: import_complaints(engine, path, context, now=NOW))
    cpu_s = time.process_time() - cpu_start
    again_s, repeat = timed(lambda: import_complaints(engine, path, context, now=NOW))
    stages = stage_seconds(path, context)
    stages["store (routing, SLA, inserts)"] = max(first_s - sum(stages.values()), 0.0)
    return {
        "rows": n_rows,
        "seconds": first_s,
        "cpu_seconds": cpu_s,
        "rows_per_s": n_rows / first_s,
        "reimport_rows_per_s": n_rows / again_s,
        "summary": summary.as_dict(),
        "reimport_duplicates": repeat.duplicates,
        "stages_s": stages,
    }


def _report(label: str, result: dict[str, Any]) -> None:
    summary = result["summary"]
    ratio = result["rows_per_s"] / TARGET_ROWS_PER_S
    print(
        f"{label}: {result['rows']:,} rows in {result['seconds']:.2f} s = {result['rows_per_s']:,.0f} rows/s "
        f"(×{ratio:.2f} of the {TARGET_ROWS_PER_S:,} rows/s target); re-import {result['reimport_rows_per_s']:,.0f} "
        f"rows/s ({result['reimport_duplicates']:,} duplicates)"
    )
    print(
        f"  this process used {result['cpu_seconds']:.2f} CPU-s for the first import "
        f"({result['rows'] / result['cpu_seconds']:,.0f} rows per CPU-second of the importing process)"
    )
    print(
        f"  accepted {summary['accepted']:,}, duplicates {summary['duplicates']:,}, "
        f"quarantined {summary['quarantined']:,}, unassigned {summary['unassigned']:,}"
    )
    print("  stages: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result["stages_s"].items()))


def main(quick: bool = False) -> dict[str, Any]:
    """Run the benchmark; ``quick`` imports 20,000 rows instead of 200,000."""
    n_rows = QUICK_ROWS if quick else FULL_ROWS
    print(f"# Complaint import (SYNTHETIC vn-channel CSV, seed {SEED}) — {machine()}")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        context = _prepare(engine)
        path = Path(folder) / "complaints_synthetic.csv"
        write_csv(synthetic_frame(context.wards, n_rows), path)
        engine.dispose()
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench_import.db'}")
        results["sqlite"] = measure(engine, path, n_rows)
        engine.dispose()
        _report("SQLite", results["sqlite"])
        with _postgres_engine() as postgres:
            if postgres is None:
                print("PostgreSQL: skipped (set TEST_DATABASE_URL or DATABASE_URL to a PostgreSQL server)")
            else:
                results["postgresql"] = measure(postgres, path, n_rows)
                _report("PostgreSQL", results["postgresql"])
    results["measured_at"] = dt.datetime.now(dt.UTC).isoformat()
    return {"import": results}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows instead of 200,000")
    main(parser.parse_args().quick)
