"""Concurrent browser sessions on the leaders' and public pages of the real server while the poller ingests.

``python -m bench.bench_load [--quick]``: a seeded SQLite database (20,000 synthetic cases, one user per role),
``streamlit run dashboard/app.py`` on a free local port, ``envmon feeds poll --once`` repeated in a subprocess
with the demo feeds (the first poll backfills ≈ 85,000 readings), and one headless Debian Chromium with one
browser context per session. Half the sessions open the public air page, half log in as a leader and open the
overview. A page time is from navigation to the title and every ward polygon of the map being drawn; an error
is a Streamlit exception block, a timeout or a failed navigation.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench._common import wait_until_healthy

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
MAP_FRAME = 'iframe[data-testid="stIFrame"]'  # every map is an st.iframe (dashboard.components.show_map)
PASSWORD = "load-test-password"
FULL = {"sessions": 20, "rounds": 2, "cases": 20_000}
QUICK = {"sessions": 5, "rounds": 1, "cases": 2_000}
PAGE_TIMEOUT_MS = 300_000
SEED = 20251122
URL_PATHS = {"air": "", "overview": "overview"}  # the default page is served at "/" only
TITLES = {"air": "Chất lượng không khí Hà Nội", "overview": "Tổng quan"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def streamlit_server(database_url: str, log_path: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Base URL of ``streamlit run dashboard/app.py`` over ``database_url``; stdout and stderr go to ``log_path``.

    ``env`` adds or overrides environment variables of the server (e.g. ``ENVMON_BOUNDARY_SET``).
    """
    port = _free_port()
    server_env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    server_env.pop("ENVMON_TILE_URL", None)
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    base = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=server_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(base, process, log_path)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)


def prepare_database(folder: Path, cases: int, url: str | None = None) -> str:
    """URL of a migrated database (SQLite in ``folder`` unless an empty database's ``url`` is given): boundaries,
    ``cases`` synthetic cases, stations, a leader."""
    from bench.bench_dashboard import seed_cases
    from data.boundary_store import load_shipped_sets
    from data.config import PACKAGE_CONFIG_DIR
    from data.db import make_engine, migrate
    from data.users import create_user
    from monitoring.stations import load_station_file

    url = url or f"sqlite:///{folder / 'load.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_cases(engine, cases, np.random.default_rng(SEED))
    load_station_file(engine, PACKAGE_CONFIG_DIR / "stations.csv")  # stations known, their readings come by polls
    create_user(engine, "lead", PASSWORD, "leader")
    engine.dispose()
    return url


class Poller:
    """``envmon feeds poll --once`` run again and again in a subprocess until stopped; counts polls and failures.

    Stopping terminates a poll in progress (a killed poll leaves no partial batch; it is not counted).
    """

    def __init__(self, database_url: str, var_dir: Path, log_path: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": database_url, "ENVMON_VAR_DIR": str(var_dir)}
        self.log_path = log_path
        self.polls = 0
        self.failures = 0
        self._stop = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        command = [str(Path(sys.executable).with_name("envmon")), "feeds", "poll", "--once"]
        with self.log_path.open("a") as log:
            while not self._stop.is_set():
                self._process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log, stderr=log)
                code = self._process.wait()
                if self._stop.is_set():
                    break
                self.polls += 1
                self.failures += code != 0

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
        self._thread.join(timeout=60)


async def _session(browser: Any, base: str, index: int, rounds: int) -> list[tuple[str, float | None, str]]:
    """One browser context: ``rounds`` page loads, each (page, seconds or None, error text)."""
    leader = index % 2 == 1
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    results: list[tuple[str, float | None, str]] = []
    name = "overview" if leader else "air"
    try:
        for round_number in range(rounds):
            start = time.perf_counter()
            try:
                if not leader or round_number == 0:
                    await page.goto(f"{base}/{URL_PATHS[name]}", timeout=PAGE_TIMEOUT_MS)
                if leader and round_number == 0:  # a fresh session: log in once, the session keeps the user
                    await page.get_by_label("Tên đăng nhập").fill("lead", timeout=PAGE_TIMEOUT_MS)
                    await page.get_by_label("Mật khẩu").fill(PASSWORD)
                    await page.get_by_role("button", name="Đăng nhập").click()
                elif leader:
                    await page.get_by_role("link", name="Tổng quan", exact=True).click(timeout=PAGE_TIMEOUT_MS)
                await page.locator("h1", has_text=TITLES[name]).first.wait_for(timeout=PAGE_TIMEOUT_MS)
                frame = page.frame_locator(MAP_FRAME)
                await (
                    frame.locator("path.leaflet-interactive")
                    .nth(125)
                    .wait_for(state="attached", timeout=PAGE_TIMEOUT_MS)
                )
                seconds = time.perf_counter() - start
                exceptions = await page.locator('[data-testid="stException"]').count()
                results.append((name, seconds, f"{exceptions} exception block(s)" if exceptions else ""))
            except Exception as err:  # noqa: BLE001 - every failure of a page load is counted, never raised
                results.append((name, None, f"{type(err).__name__}: {str(err).splitlines()[0]}"))
            if leader and round_number + 1 < rounds:
                await page.get_by_role("link", name="Không khí", exact=True).click(timeout=PAGE_TIMEOUT_MS)
    finally:
        await context.close()
    return results


async def run_sessions(base: str, sessions: int, rounds: int) -> list[tuple[str, float | None, str]]:
    """Run ``sessions`` concurrent browser contexts of one Chromium against ``base``; every page load's result."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            done = await asyncio.gather(*(_session(browser, base, i, rounds) for i in range(sessions)))
        finally:
            await browser.close()
    return [result for session in done for result in session]


def _percentiles(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50": None, "p90": None, "max": None}
    values = np.asarray(seconds)
    return {
        "p50": round(float(np.percentile(values, 50)), 2),
        "p90": round(float(np.percentile(values, 90)), 2),
        "max": round(float(values.max()), 2),
    }


def main(quick: bool = False) -> dict[str, Any]:
    """Run the load scenario and print page-time percentiles and the error count; return them."""
    plan = QUICK if quick else FULL
    with tempfile.TemporaryDirectory(prefix="envmon-load-") as tmp:
        folder = Path(tmp)
        url = prepare_database(folder, plan["cases"])
        with streamlit_server(url, folder / "streamlit.log") as base:
            idle = asyncio.run(run_sessions(base, 2, 1))  # reference: one public and one leader session, no poller
            with Poller(url, folder, folder / "poll.log") as poll:
                started = time.perf_counter()
                results = asyncio.run(run_sessions(base, plan["sessions"], plan["rounds"]))
                wall = time.perf_counter() - started
        log = (folder / "streamlit.log").read_text(encoding="utf-8", errors="replace")
    errors = [f"{page}: {error}" for page, _seconds, error in [*idle, *results] if error]
    summary: dict[str, Any] = {
        "sessions": plan["sessions"],
        "page_loads": len(results),  # under load (the idle reference loads are not counted)
        "errors": len(errors),
        "error_details": errors[:10],
        "server_tracebacks": log.count("Traceback"),
        "polls": poll.polls,
        "poll_failures": poll.failures,
        "wall_seconds": round(wall, 1),
    }
    for name in ("air", "overview"):
        summary[name] = _percentiles([s for page, s, error in results if page == name and s is not None and not error])
        summary[f"{name}_idle"] = _percentiles([s for page, s, error in idle if page == name and s is not None])
    print(
        f"{plan['sessions']} concurrent sessions × {plan['rounds']} page loads, poller ingesting ({poll.polls} polls)"
    )
    print(f"{'page':<14}{'p50 s':>8}{'p90 s':>8}{'max s':>8}   (*_idle: 2 sessions before the poller starts)")
    for name in ("air", "overview", "air_idle", "overview_idle"):
        row = summary[name]
        print(f"{name:<14}" + "".join(f"{'–' if row[k] is None else row[k]:>8}" for k in ("p50", "p90", "max")))
    print(f"errors: {len(errors)}; server tracebacks: {summary['server_tracebacks']}; poll failures: {poll.failures}")
    for line in errors[:10]:
        print(f"  {line}")
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 sessions, one page load each")
    main(parser.parse_args().quick)
