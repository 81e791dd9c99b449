"""Ward join benchmark: 1,000,000 points to the 126-ward and a 584-unit set.

Baselines measured in the same run: ``geopandas.sjoin`` (predicate "within"), PostGIS ``ST_Contains`` with a GiST
index (when ``TEST_DATABASE_URL`` or a PostgreSQL ``DATABASE_URL`` is set), and a per-point shapely loop on a
sample, extrapolated. Target: ≤ 2 s per million points and no slower than sjoin.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from bench._common import machine, pre2025_units, timed
from data.boundary_store import read_shipped_set
from geo.join import assign_wards


def _points(n: int, bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2025)
    minx, miny, maxx, maxy = bounds
    return rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)


def _per_point_loop(lon: np.ndarray, lat: np.ndarray, wards: gpd.GeoDataFrame) -> list[str | None]:
    geoms = list(wards.geometry)
    codes = list(wards["code"])
    found: list[str | None] = []
    for x, y in zip(lon, lat, strict=True):
        point = shapely.Point(x, y)
        found.append(next((c for c, g in zip(codes, geoms, strict=True) if g.contains(point)), None))
    return found


def _postgis_seconds(url: str, wards: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> float:
    """Load wards and points into temporary tables and time an ST_Contains join with GiST indexes."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE bw (code text, geom geometry(MultiPolygon, 4326))")
        with cur.copy("COPY bw (code, geom) FROM STDIN") as copy:
            for code, geom in zip(wards["code"], wards.geometry, strict=True):
                multi = geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])
                copy.write_row((code, shapely.to_wkb(shapely.set_srid(multi, 4326), hex=True, include_srid=True)))
        cur.execute("CREATE TEMP TABLE bp (id int, x float8, y float8)")
        with cur.copy("COPY bp (id, x, y) FROM STDIN") as copy:
            for i, (x, y) in enumerate(zip(lon, lat, strict=True)):
                copy.write_row((i, float(x), float(y)))
        cur.execute("ALTER TABLE bp ADD COLUMN geom geometry(Point, 4326)")
        cur.execute("UPDATE bp SET geom = ST_SetSRID(ST_MakePoint(x, y), 4326)")
        cur.execute(
            "CREATE INDEX ON bw USING gist (geom); CREATE INDEX ON bp USING gist (geom); ANALYZE bw; ANALYZE bp"
        )
        start = time.perf_counter()
        cur.execute("SELECT count(*) FROM bp JOIN bw ON ST_Contains(bw.geom, bp.geom)")
        cur.fetchone()
        return time.perf_counter() - start


def run_set(label: str, wards: gpd.GeoDataFrame, n: int, sample: int) -> dict[str, Any]:
    """Time our join and the baselines for ``n`` points over ``wards``."""
    lon, lat = _points(n, tuple(wards.total_bounds))
    ours_s, ours = timed(lambda: assign_wards(lon, lat, wards), repeat=2)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    sjoin_s, _ = timed(lambda: gpd.sjoin(points, wards[["code", "geometry"]], predicate="within", how="left"))
    loop_s, loop = timed(lambda: _per_point_loop(lon[:sample], lat[:sample], wards))
    assert loop == ours["ward_code"].iloc[:sample].tolist(), "per-point loop disagrees with the vectorised join"
    result: dict[str, Any] = {
        "set": label,
        "units": len(wards),
        "points": n,
        "ours_s": ours_s,
        "sjoin_s": sjoin_s,
        "loop_s_extrapolated": loop_s * n / sample,
        "assigned_share": float(ours["ward_code"].notna().mean()),
    }
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        result["postgis_s"] = _postgis_seconds(url, wards, lon, lat)
    return result


def main(quick: bool = False) -> dict[str, Any]:
    """Run the join benchmark and print a table; return the measurements."""
    n = 100_000 if quick else 1_000_000
    sample = 2_000 if quick else 5_000
    wards_2025 = read_shipped_set()[0]
    units_584, label_584 = pre2025_units()
    rows = [run_set("hanoi-2025 (126)", wards_2025, n, sample), run_set(label_584, units_584, n, sample)]
    print(f"# Ward join — {machine()}")
    for row in rows:
        line = (
            f"{row['set']}: {row['points']:,} points → {row['units']} units: ours {row['ours_s']:.2f} s | "
            f"sjoin {row['sjoin_s']:.2f} s (×{row['sjoin_s'] / row['ours_s']:.1f}) | "
            f"per-point loop ≈{row['loop_s_extrapolated']:.0f} s "
            f"(×{row['loop_s_extrapolated'] / row['ours_s']:.0f})"
        )
        if "postgis_s" in row:
            line += f" | PostGIS ST_Contains {row['postgis_s']:.2f} s (×{row['postgis_s'] / row['ours_s']:.1f})"
        print(line)
    return {"join": rows}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 points instead of 1,000,000")
    main(parser.parse_args().quick)
