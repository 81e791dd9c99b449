"""Leaders' page at city scale in the real server and browser: server time, bytes sent, memory, vs naive markers.

``python -m bench.bench_dashboard [--quick]``. Seeds a temporary SQLite database with the shipped Hà Nội wards,
200,000 SYNTHETIC complaint cases (20,000 with ``--quick``; placed around ward centres with weights by
population, seeded RNG) and 100 SYNTHETIC stations (70 air with a day of PM2.5 and hourly VN_AQI, 30
wastewater), then runs ``streamlit run dashboard/app.py`` in a subprocess and drives the leaders' page
(Tổng quan) with Playwright in Debian's Chromium (``/usr/bin/chromium``):

* cold: a leader logs in on a freshly started server (every query, Gi* and the spot search hit the database);
  timed from the login click, so it includes the Argon2id password check (about 0.2 CPU-seconds);
* warm: a second browser session logs in (the ``st.cache_data`` caches are filled: what the next leader sees);
* filter change: in that session the map metric switches from counts to rates (a new choropleth and Gi*; the
  page draws the other metric's map in the background after each render, so this finds it drawn);
* server time: from the browser's rerun request to the server's ``script_finished`` message on the
  websocket, plus the CPU seconds the server process spent (robust on a busy machine);
* bytes: the websocket payload the server sent for the page (uncompressed frames, as Playwright sees them);
* memory: the server's peak and current resident set (``VmHWM`` / ``VmRSS``) after those pages.

Baseline: the obvious page, a folium map with one marker per complaint, built and serialized on a sample
and extrapolated linearly to the full count (it is linear in the markers; building 200,000 takes minutes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import folium
import numpy as np
from sqlalchemy import Engine, insert

from bench._common import machine, timed, wait_until_healthy
from bench.bench_load import MAP_FRAME
from data.boundary_store import load_shipped_sets, wards_frame
from data.db import make_engine, migrate
from data.readings_store import rebuild_latest
from data.schema import AqiValue, ComplaintCase, Reading, ResponsibleUnit, Station
from data.users import create_user

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FULL_CASES = 200_000
QUICK_CASES = 20_000
AIR_STATIONS = 70
WASTEWATER_STATIONS = 30
NAIVE_SAMPLE = 5_000
QUICK_NAIVE_SAMPLE = 1_000
SEED = 20250701
STATUSES = ("resolved", "in_progress", "received", "assigned", "rejected")
STATUS_WEIGHTS = (0.70, 0.12, 0.08, 0.06, 0.04)
LEADER, PASSWORD = "bench-leader", "bench-password-123"
TIMEOUT_MS = 300_000


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


def seed_stations(engine: Engine, rng: np.random.Generator) -> None:
    """Insert 100 synthetic stations; air ones get a day of 5-minute PM2.5 and hourly VN_AQI values."""
    wards = wards_frame(engine)
    points = wards.geometry.representative_point()
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    stations, readings, aqi = [], [], []
    for i in range(AIR_STATIONS + WASTEWATER_STATIONS):
        kind = "air" if i < AIR_STATIONS else "wastewater"
        ward = i % len(wards)
        station_id = f"bench-{kind}-{i}"
        stations.append(
            {
                "id": station_id,
                "name": f"[synthetic] Trạm {i}",
                "kind": kind,
                "lat": float(points.y.iloc[ward]) + 0.002,
                "lon": float(points.x.iloc[ward]) + 0.002,
                "located": True,
                "set_name": "hanoi-2025",
                "ward_code": wards["code"].iloc[ward],
                "ward_name": wards["name"].iloc[ward],
                "district": wards["district"].iloc[ward],
                "parameters": ["pm25"],
                "synthetic": True,
            }
        )
        values = rng.gamma(4.0, 10.0, 288)
        readings += [
            {
                "station_id": station_id,
                "parameter": "pm25",
                "value": float(values[k]),
                "unit": "µg/m³",
                "observed_at": now - dt.timedelta(minutes=5 * k),
            }
            for k in range(288)
        ]
        if kind == "air":
            aqi += [
                {
                    "station_id": station_id,
                    "scale": "vn",
                    "period": "hourly",
                    "period_end": now - dt.timedelta(hours=h),
                    "aqi": int(values[12 * h] * 2),
                    "category": min(6, 1 + int(values[12 * h] * 2) // 50),
                    "dominant": "pm25",
                }
                for h in range(24)
            ]
    with engine.begin() as conn:
        conn.execute(insert(Station), stations)
        conn.execute(insert(Reading), readings)
        rebuild_latest(conn)  # readings inserted directly, not through store_batch
        conn.execute(insert(AqiValue), aqi)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_memory_mb(pid: int) -> dict[str, float]:
    """``VmHWM`` (peak) and ``VmRSS`` (current) resident memory of ``pid`` in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Server:
    """``streamlit run dashboard/app.py`` on a free local port over ``database_url``."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_url}
        env.pop("ENVMON_TILE_URL", None)
        command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(self.port)]
        command += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        self._log = log.open("w")
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(self.base, self.process, log, timeout=90)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self._log.close()


class _Session:
    """One browser tab on the server, recording websocket payloads and the server's ``script_finished``."""

    def __init__(self, browser: Any, server: _Server) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.server = server
        self.received = 0
        self.finished = 0
        self.page.on("websocket", self._websocket)

    def _websocket(self, socket_: Any) -> None:
        socket_.on("framereceived", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        self.received += len(data)
        message = ForwardMsg()
        try:
            message.ParseFromString(data)
        except Exception:  # noqa: BLE001 - a frame that is not a ForwardMsg is only counted
            return
        if (
            message.WhichOneof("type") == "script_finished"
            and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
        ):
            self.finished += 1  # a run stopped early for a rerun (the login's st.rerun) is not the page

    def measure(self, action: Callable[[], None]) -> dict[str, float]:
        """Run ``action`` (which makes the server rerun) and wait for the rerun to finish on the server."""
        before_bytes, before_finished = self.received, self.finished
        before_cpu = _cpu_seconds(self.server.process.pid)
        start = time.perf_counter()
        action()
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while self.finished == before_finished:
            if time.monotonic() > deadline:
                msg = "the server did not finish the page in time"
                raise TimeoutError(msg)
            self.page.wait_for_timeout(5)
        seconds = time.perf_counter() - start
        return {
            "server_s": round(seconds, 3),
            "server_cpu_s": round(_cpu_seconds(self.server.process.pid) - before_cpu, 3),
            "bytes": self.received - before_bytes,
        }

    def open_overview(self) -> None:
        self.page.goto(self.server.base + "/overview")
        self.page.get_by_label("Tên đăng nhập").wait_for(timeout=TIMEOUT_MS)
        self.page.get_by_label("Tên đăng nhập").fill(LEADER)
        self.page.get_by_label("Mật khẩu").fill(PASSWORD)
        self.page.wait_for_timeout(500)  # let the form settle so the click is the only rerun measured

    def login(self) -> None:
        self.page.get_by_role("button", name="Đăng nhập").click()

    def wait_for_map(self) -> None:
        frame = self.page.frame_locator(MAP_FRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=TIMEOUT_MS)

    def switch_to_rate(self) -> None:
        self.page.get_by_text("Tỷ lệ trên 1.000 dân").first.click()


def measure_in_browser(database_url: str, folder: Path) -> dict[str, Any]:
    """Cold, warm and filter-change renders of the leaders' page, websocket bytes and server memory."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        msg = f"the browser benchmark needs {CHROMIUM} (apt-get install chromium)"
        raise RuntimeError(msg)
    server = _Server(database_url, folder / "streamlit.log")
    try:
        started = _proc_memory_mb(server.process.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            first = _Session(browser, server)
            first.open_overview()
            cold = first.measure(first.login)
            first.wait_for_map()
            second = _Session(browser, server)
            second.open_overview()
            warm = second.measure(second.login)
            second.wait_for_map()
            change = second.measure(second.switch_to_rate)
            browser.close()
        memory = _proc_memory_mb(server.process.pid)
    finally:
        server.stop()
    return {
        "cold": cold,
        "warm": warm,
        "filter_change": change,
        "rss_at_start_mb": round(started["VmRSS"], 1),
        "peak_rss_mb": round(memory["VmHWM"], 1),
        "rss_after_mb": round(memory["VmRSS"], 1),
    }


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
    n = QUICK_CASES if quick else FULL_CASES
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        load_shipped_sets(engine)
        rng = np.random.default_rng(SEED)
        seed_seconds, _ = timed(lambda: (seed_cases(engine, n, rng), seed_stations(engine, rng)))
        create_user(engine, LEADER, PASSWORD, "leader")
        sample = min(QUICK_NAIVE_SAMPLE if quick else NAIVE_SAMPLE, n)
        naive_s, naive_bytes = _naive_map(engine, sample)
        engine.dispose()
        page = measure_in_browser(url, folder)
    scale = n / sample
    cold, warm, change = page["cold"], page["warm"], page["filter_change"]
    result = {
        "cases": n,
        "stations": AIR_STATIONS + WASTEWATER_STATIONS,
        "synthetic": True,
        "machine": machine(),
        "seed_s": round(seed_seconds, 1),
        **page,
        "naive_sample": sample,
        "naive_build_s_extrapolated": round(naive_s * scale, 1),
        "naive_bytes_extrapolated": int(naive_bytes * scale),
    }
    print(
        f"leaders' page, {n:,} SYNTHETIC complaint cases, 100 stations, 126 wards, SQLite "
        f"(seeded in {seed_seconds:.0f} s)"
    )
    for name, run in (("cold", cold), ("warm", warm), ("filter change", change)):
        print(
            f"  {name:<14} server {run['server_s']:.2f} s (CPU {run['server_cpu_s']:.2f} s), "
            f"sent {run['bytes'] / 1e6:.2f} MB over the websocket"
        )
    print(
        f"  server memory: peak {page['peak_rss_mb']:.0f} MB RSS, {page['rss_after_mb']:.0f} MB after "
        f"({page['rss_at_start_mb']:.0f} MB at start)"
    )
    print(
        f"  naive one-marker-per-complaint map: {naive_s * scale:.1f} s to build and "
        f"{naive_bytes * scale / 1e6:.1f} MB (extrapolated from {sample:,}) → "
        f"×{naive_s * scale / max(cold['server_s'], 1e-3):.0f} slower than our cold page, "
        f"×{naive_bytes * scale / max(cold['bytes'], 1):.0f} more bytes"
    )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CASES:,} cases instead of {FULL_CASES:,}")
    print(json.dumps(main(parser.parse_args().quick)))
