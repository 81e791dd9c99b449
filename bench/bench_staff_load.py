"""The staff dashboard behind nginx with 2 Streamlit processes: 20 concurrent staff sessions against one session.

``python -m bench.bench_staff_load [--quick]``: a seeded SQLite database (bench.bench_load's: 20,000 synthetic
cases, a leader account), two ``streamlit run dashboard/app.py`` processes, and nginx (Debian package) running the
shipped deploy/nginx/envmon.conf on loopback (sticky sessions by cookie: each browser context keeps its process).
Each session is bench.bench_load's leader session in headless Chromium: log in, the overview with its ward map,
then back to it from another page; a page time runs from the click to the title and every ward polygon drawn.

Measured in one run: one session alone (the reference), N concurrent sessions through nginx (2 processes), and
the obvious alternative, the same N sessions on ONE Streamlit process directly. Target (issue 18): with 2
processes, p50 at 20 sessions ≤ 3 × one session's p50. The browsers run on the same 2 cores as the servers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._common import free_port, loopback_nginx_config, machine, serving

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
FULL = {"sessions": 20, "rounds": 2, "cases": 20_000}
QUICK = {"sessions": 5, "rounds": 1, "cases": 2_000}
TARGET_RATIO = 3.0


async def _staff_sessions(base: str, count: int, rounds: int) -> list[tuple[str, float | None, str]]:
    """``count`` concurrent leader sessions (bench_load's odd session indexes) against ``base``."""
    from playwright.async_api import async_playwright

    from bench.bench_load import CHROMIUM, CHROMIUM_ARGS, _session

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            done = await asyncio.gather(*(_session(browser, base, 2 * i + 1, rounds) for i in range(count)))
        finally:
            await browser.close()
    return [result for session in done for result in session]


def _p50(results: list[tuple[str, float | None, str]]) -> tuple[float | None, int]:
    """Median seconds of the good page loads, and how many loads failed (the first three failures printed)."""
    good = [seconds for _page, seconds, error in results if seconds is not None and not error]
    for page, _seconds, error in [r for r in results if r[1] is None or r[2]][:3]:
        print(f"  failed {page} load: {error[:160]}")
    return (statistics.median(good) if good else None), len(results) - len(good)


def main(quick: bool = False) -> dict[str, Any]:
    """Run the three scenarios, print p50s, the ratios and the target; return the figures."""
    from bench.bench_load import prepare_database, streamlit_server

    plan = QUICK if quick else FULL
    sessions, rounds = int(plan["sessions"]), int(plan["rounds"])
    print(f"machine: {machine()} (shared with other work); load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="envmon-staff-load-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        folder.chmod(0o755)
        url = prepare_database(folder, int(plan["cases"]))
        bases = [stack.enter_context(streamlit_server(url, folder / f"streamlit-{n}.log")) for n in range(2)]
        ports = (int(bases[0].rsplit(":", 1)[1]), int(bases[1].rsplit(":", 1)[1]))
        (folder / "site").mkdir(mode=0o755)
        port = free_port()
        config = loopback_nginx_config(folder, port, folder / "site", free_port(), ports)
        front = f"http://127.0.0.1:{port}"
        env = {**os.environ}
        stack.enter_context(serving([NGINX, "-p", str(folder), "-c", str(config)], env, f"{front}/_stcore/health",
                                    folder / "nginx.log"))  # fmt: skip
        asyncio.run(_staff_sessions(front, 4, 1))  # warm-up: both processes' first script runs and caches
        one, one_failed = _p50(asyncio.run(_staff_sessions(front, 1, rounds)))
        two_processes, two_failed = _p50(asyncio.run(_staff_sessions(front, sessions, rounds)))
        one_process, single_failed = _p50(asyncio.run(_staff_sessions(bases[0], sessions, rounds)))
    rows = [("1 session (through nginx)", one, one_failed),
            (f"{sessions} sessions, nginx + 2 Streamlit processes", two_processes, two_failed),
            (f"{sessions} sessions, 1 Streamlit process directly", one_process, single_failed)]  # fmt: skip
    print(f"\nstaff sessions (log in, overview with the ward map; {rounds} page load(s) each)")
    for name, p50, failed in rows:
        print(f"  {name:<48} p50 {'–' if p50 is None else f'{p50:.2f} s':>8}   failed loads {failed}")
    ratio = two_processes / one if one and two_processes else float("inf")
    alternative = one_process / two_processes if one_process and two_processes else float("nan")
    print(f"\nratio: {sessions} sessions on 2 processes ÷ 1 session = ×{ratio:.2f} (target ≤ ×{TARGET_RATIO:.0f}: "
          f"{'met' if ratio <= TARGET_RATIO else 'MISSED'})")  # fmt: skip
    print(f"ratio: 1 process ÷ 2 processes at {sessions} sessions = ×{alternative:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return {"one": one, "two_processes": two_processes, "one_process": one_process, "ratio": ratio,
            "failed": one_failed + two_failed + single_failed}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 sessions, 2,000 cases, one page load each")
    main(parser.parse_args().quick)
