"""Hotspot benchmark: Gi* with 999 permutations over the 126- and a 584-unit set, and recurring spots on 200,000 points.

Baselines measured in the same run: ``esda.G_Local(y, w, transform="B", star=True, permutations=999)`` on the same
weights (a warm second call, so import and first-call costs are left out), and scikit-learn's ``DBSCAN`` (space
only, same radius and minimum) on the same points in UTM 48N. The counts and points are seeded synthetic data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from bench._common import machine, pre2025_units, timed
from data.boundary_store import read_shipped_set
from geo.hotspots import gi_star
from geo.spots import find_spots
from geo.weights import SpatialWeights, queen_weights

NOW = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


def _esda_seconds(y: np.ndarray, weights: SpatialWeights, permutations: int) -> tuple[float, float] | None:
    """Seconds of a warm esda.G_Local run and the largest |z| difference from ours, or None without esda."""
    try:
        import esda
        from libpysal.weights import WSP
    except ImportError:
        return None
    w = WSP(weights.matrix.tocsr(), id_order=list(weights.ids)).to_W(silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda.G_Local(y, w, transform="B", star=True, permutations=permutations, seed=1)  # warm-up
        seconds, oracle = timed(lambda: esda.G_Local(y, w, transform="B", star=True, permutations=permutations, seed=1))
    ours = gi_star(y, weights, permutations=0, min_units=0)
    return seconds, float(np.max(np.abs(ours.z - oracle.Zs)))


def run_gi(label: str, units: gpd.GeoDataFrame, permutations: int) -> dict[str, Any]:
    """Time queen weights and Gi* over ``units`` against esda."""
    rng = np.random.default_rng(len(units))
    y = rng.poisson(4, len(units)).astype(float)
    weights_s, weights = timed(lambda: queen_weights(units, "code"))
    gi_s, _ = timed(lambda: gi_star(y, weights, permutations=permutations, seed=1), repeat=3)
    row: dict[str, Any] = {
        "set": label,
        "units": len(units),
        "islands": len(weights.islands),
        "weights_s": weights_s,
        "gi_s": gi_s,
    }
    esda_result = _esda_seconds(y, weights, permutations)
    if esda_result is not None:
        row["esda_s"], row["max_z_difference"] = esda_result
    return row


def _points(n: int) -> pd.DataFrame:
    """Seeded synthetic complaints over urban Hà Nội (~870 km², one year): uniform background, 200 planted spots."""
    rng = np.random.default_rng(200_000)
    planted = 200
    per_spot = 12
    background = n - planted * per_spot
    south, north, west, east = 20.90, 21.15, 105.70, 106.00
    centres_lat = rng.uniform(south, north, planted)
    centres_lon = rng.uniform(west, east, planted)
    lat = np.concatenate([rng.uniform(south, north, background), np.repeat(centres_lat, per_spot)])
    lon = np.concatenate([rng.uniform(west, east, background), np.repeat(centres_lon, per_spot)])
    lat[background:] += rng.normal(0, 0.0002, planted * per_spot)  # about 20 m
    lon[background:] += rng.normal(0, 0.0002, planted * per_spot)
    days = np.concatenate([rng.uniform(0, 365, background), rng.uniform(0, 20, planted * per_spot)])
    return pd.DataFrame(
        {
            "lat": lat,
            "lon": lon,
            "opened_at": pd.Timestamp(NOW) - pd.to_timedelta(days, unit="D"),
            "category_code": rng.choice(["waste", "odour", "burning_smoke"], n),
            "unit_id": rng.integers(1, 30, n),
        }
    )


def run_spots(n: int) -> dict[str, Any]:
    """Time recurring-spot clustering of ``n`` points against scikit-learn DBSCAN (space only)."""
    points = _points(n)
    ours_s, spots = timed(lambda: find_spots(points, NOW), repeat=2)
    row: dict[str, Any] = {"points": n, "ours_s": ours_s, "spots": len(spots), "active": int(spots["active"].sum())}
    try:
        from pyproj import Transformer
        from sklearn.cluster import DBSCAN
    except ImportError:
        return row
    x, y = Transformer.from_crs(4326, 32648, always_xy=True).transform(points["lon"], points["lat"])
    xy = np.column_stack([x, y])
    row["dbscan_s"], labels = timed(lambda: DBSCAN(eps=100.0, min_samples=5).fit_predict(xy))
    row["dbscan_clusters"] = int(labels.max() + 1)
    return row


def main(quick: bool = False) -> dict[str, Any]:
    """Run the hotspot benchmark and print a table; return the measurements."""
    permutations = 999
    wards_2025 = read_shipped_set()[0]
    units_584, label_584 = pre2025_units()
    gi_rows = [run_gi("hanoi-2025 (126)", wards_2025, permutations), run_gi(label_584, units_584, permutations)]
    spots_row = run_spots(50_000 if quick else 200_000)
    print(f"# Hotspots — {machine()}")
    for row in gi_rows:
        line = (
            f"Gi* {permutations} permutations, {row['set']}: {row['units']} units ({row['islands']} islands): "
            f"weights {row['weights_s']:.3f} s, ours {row['gi_s']:.3f} s"
        )
        if "esda_s" in row:
            line += (
                f" | esda.G_Local {row['esda_s']:.3f} s (×{row['esda_s'] / row['gi_s']:.1f}), "
                f"max |Δz| {row['max_z_difference']:.1e}"
            )
        print(line)
    line = (
        f"recurring spots, {spots_row['points']:,} points: ours {spots_row['ours_s']:.2f} s "
        f"({spots_row['spots']} spots, {spots_row['active']} active)"
    )
    if "dbscan_s" in spots_row:
        line += (
            f" | sklearn DBSCAN space-only {spots_row['dbscan_s']:.2f} s "
            f"(×{spots_row['dbscan_s'] / spots_row['ours_s']:.1f}, {spots_row['dbscan_clusters']} clusters, "
            "no time window: a year of reports is one snapshot)"
        )
    print(line)
    return {"gi_star": gi_rows, "spots": spots_row}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 points instead of 200,000")
    main(parser.parse_args().quick)
