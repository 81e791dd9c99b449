"""Leaders' page at city scale: server time (cold and warm cache) and bytes sent, vs one marker per complaint.

``python -m bench.bench_dashboard [--quick]``. Seeds a temporary SQLite database with the shipped Hà Nội
wards and 200,000 SYNTHETIC complaint cases (20,000 with ``--quick``; placed around ward centres with weights
by population, seeded RNG), then runs the real ``dashboard/app.py`` overview page headless with Streamlit's
AppTest:

* cold: first render in a fresh process cache (every query and the Gi* run hit the database);
* warm: a second session with the ``st.cache_data`` caches filled (what the next leader sees);
* bytes: serialized size of every element the page sends (the map payload dominates).

Baseline: the obvious page, a folium map with one marker per complaint, built and serialized on a sample
and extrapolated linearly to the full count (it is linear in the markers; building 200,000 takes minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import folium
import numpy as np
from sqlalchemy import Engine, insert

from bench._common import timed
from data.db import make_engine, migrate
from data.schema import ComplaintCase, ResponsibleUnit
from geo.boundaries import load_shipped_sets, wards_frame

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
FULL_CASES = 200_000
QUICK_CASES = 20_000
NAIVE_SAMPLE = 5_000
SEED = 20250701
STATUSES = ("resolved", "in_progress", "received", "assigned", "rejected")
STATUS_WEIGHTS = (0.70, 0.12, 0.08, 0.06, 0.04)


def seed_cases(engine: Engine, n: int, rng: np.random.Generator) -> None:
    """Insert ``n`` synthetic cases (labelled by title) spread over the wards by population."""
    wards = wards_frame(engine)
    population = wards["population"].astype("float64").fillna(1000.0).to_numpy()
    points = wards.geometry.representative_point()
    pick = rng.choice(len(wards), size=n, p=population / population.sum())
    now = dt.datetime.now(dt.UTC)
    opened = [now - dt.timedelta(hours=float(h)) for h in rng.uniform(0, 365 * 24, n)]
    status = rng.choice(STATUSES, size=n, p=STATUS_WEIGHTS)
    handling = rng.exponential(30.0, n)
    lat = points.y.to_numpy()[pick] + rng.normal(0, 0.004, n)
    lon = points.x.to_numpy()[pick] + rng.normal(0, 0.004, n)
    codes, names, districts = (wards[c].to_numpy()[pick] for c in ("code", "name", "district"))
    with engine.begin() as conn:
        conn.execute(insert(ResponsibleUnit), [{"id": i, "code": f"u{i}", "name": f"Đơn vị {i}"} for i in range(1, 31)])
    rows = []
    for i in range(n):
        resolved = opened[i] + dt.timedelta(hours=float(handling[i])) if status[i] == "resolved" else None
        rows.append(
            {
                "category_code": ("waste", "burning_smoke", "odour", "noise")[i % 4],
                "lat": float(lat[i]),
                "lon": float(lon[i]),
                "set_name": "hanoi-2025",
                "ward_code": codes[i],
                "ward_name": names[i],
                "district": districts[i],
                "unit_id": 1 + i % 30,
                "status": str(status[i]),
                "title": f"[synthetic] phản ánh #{i}",
                "opened_at": opened[i],
                "due_at": opened[i] + dt.timedelta(hours=48),
                "resolved_at": resolved,
                "last_report_at": opened[i],
            }
        )
        if len(rows) == 20_000:
            _flush(engine, rows)
    _flush(engine, rows)


def _flush(engine: Engine, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(ComplaintCase), rows)
        rows.clear()


def _page_bytes(node: Any) -> int:
    """Serialized size of every element under an AppTest node."""
    proto = getattr(node, "proto", None)
    size = proto.ByteSize() if proto is not None and hasattr(proto, "ByteSize") else 0
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        size += sum(_page_bytes(child) for child in children.values())
    return size


def _overview_session() -> Any:
    """An AppTest session logged in as a leader and switched to the overview (not yet rendered there)."""
    from streamlit.testing.v1 import AppTest

    from dashboard import state

    at = AppTest.from_file(APP, default_timeout=600)
    at.run()  # the public start page; registers the navigation
    at.session_state[state.USER] = {"username": "bench", "role": "leader"}
    at.switch_page("views/overview.py")
    return at


def _render(at: Any) -> tuple[int, int]:
    """Render the overview in ``at``; return (bytes sent, map payload bytes)."""
    at.run()
    if at.exception:
        msg = f"overview page failed: {at.exception[0].value}"
        raise RuntimeError(msg)
    payloads = [el.proto.json_args for el in at.get("component_instance")]
    return _page_bytes(at._tree), sum(len(p.encode("utf-8")) for p in payloads)


def _harness_seconds() -> float:
    """AppTest's own per-run overhead (a one-line script), reported so it can be subtracted."""
    from streamlit.testing.v1 import AppTest

    seconds, _ = timed(lambda: AppTest.from_string("import streamlit as st\nst.write(1)").run(), repeat=3)
    return seconds


def _naive_map(engine: Engine, sample: int) -> tuple[float, int]:
    """Seconds and bytes of a folium map with one marker per complaint, for ``sample`` complaints."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT lat, lon, title FROM complaint_cases LIMIT {int(sample)}").all()

    def build() -> str:
        fmap = folium.Map(location=(21.03, 105.8), zoom_start=10, tiles=None)
        for lat, lon, title in rows:
            folium.Marker((lat, lon), popup=title).add_to(fmap)
        return fmap.get_root().render()

    seconds, html = timed(build)
    return seconds, len(html.encode("utf-8"))


def main(quick: bool = False) -> dict[str, Any]:
    """Seed, measure, print a table with ratios, and return the numbers."""
    import streamlit as st

    n = QUICK_CASES if quick else FULL_CASES
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = url
        try:
            engine = make_engine(url)
            migrate(engine)
            load_shipped_sets(engine)
            seed_seconds, _ = timed(lambda: seed_cases(engine, n, np.random.default_rng(SEED)))
            session = _overview_session()
            st.cache_data.clear()
            st.cache_resource.clear()
            cold_s, (cold_bytes, map_bytes) = timed(lambda: _render(session))
            warm_s = min(timed(lambda: _render(_overview_session()))[0] for _ in range(3))
            harness_s = _harness_seconds()
            sample = min(NAIVE_SAMPLE, n)
            naive_s, naive_bytes = _naive_map(engine, sample)
            engine.dispose()
        finally:
            if previous is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = previous
    scale = n / sample
    result = {
        "cases": n,
        "synthetic": True,
        "seed_s": round(seed_seconds, 1),
        "cold_s": round(cold_s, 2),
        "warm_s": round(warm_s, 3),
        "harness_s": round(harness_s, 3),
        "page_bytes": cold_bytes,
        "map_payload_bytes": map_bytes,
        "naive_sample": sample,
        "naive_build_s_extrapolated": round(naive_s * scale, 1),
        "naive_bytes_extrapolated": int(naive_bytes * scale),
    }
    print(f"dashboard overview, {n:,} SYNTHETIC complaint cases (seeded in {seed_seconds:.0f} s), SQLite")
    print(
        f"  server time cold {cold_s:.2f} s | warm {warm_s:.3f} s (×{cold_s / warm_s:.0f} faster warm); "
        f"includes AppTest overhead {harness_s:.3f} s per run"
    )
    print(f"  sent to the browser {cold_bytes / 1e6:.2f} MB (map payload {map_bytes / 1e6:.2f} MB)")
    print(
        f"  naive one-marker-per-complaint map: {naive_s * scale:.1f} s to build and "
        f"{naive_bytes * scale / 1e6:.1f} MB (extrapolated from {sample:,}) → "
        f"×{naive_s * scale / warm_s:.0f} slower than warm, ×{naive_bytes * scale / cold_bytes:.0f} more bytes"
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES:,} cases instead of {FULL_CASES:,}")
    print(json.dumps(main(parser.parse_args().quick)))
