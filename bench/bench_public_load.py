"""The public air page under concurrent clients: the published site through nginx vs the Streamlit page; the API.

``python -m bench.bench_public_load [--quick]``: a seeded SQLite database (boundaries, stations, one
``envmon feeds poll --once`` of the demo feeds), ``envmon publish`` into a temporary folder, nginx (Debian package)
on a free loopback port running the shipped deploy/nginx/envmon.conf, and Debian's ``wrk`` (2 threads, every run
bounded by ``-d``) at 10, 50, 200 and 500 connections. A whole page view is the index HTML and every asset and JSON
it references (the map iframe, its vendored Leaflet files, the stations.json the "near me" button fetches): a Lua
script cycles each connection's thread through that URL list with ``Accept-Encoding: gzip``, so page views per
second = requests per second ÷ URLs per view; latency percentiles are per request.

The API is ``envmon api --workers N`` (uvicorn) with the rate limits raised through the ``api_*`` settings, so the
server and not the per-client limiter's refusals is measured: ``GET /api/v1/aqi/stations`` at 50 connections with 1
worker and with 2, and with 2 and no rate limiter at all (bench.api_without_rate_limits: the difference is what the
shared buckets' bookkeeping costs; the answer is serialised once per public snapshot; wrk sends no If-None-Match, so
every answer is a full 200), and ``POST /open311/v2/requests.json`` with a key made by ``envmon apikeys add`` (a
distinct description and point per request, so none is a duplicate): requests accepted per second, then how long the
intake worker takes to import them all (batches), against importing posted requests one per pipeline run (the former
request path) in the same run. The Streamlit page is measured with bench.bench_load's browser sessions (headless
Chromium, public page only) at 1–5 sessions: 200 or 500 Streamlit sessions are not feasible on 2 cores, so the ratio
uses the best of those figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bench._common import free_port, loopback_nginx_config, machine, scratch_postgres_database, serving

REPO = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
CONNECTIONS = (10, 50, 200, 500)
FULL = {"seconds": 5, "sessions": (1, 3, 5), "rounds": 2}
QUICK = {"seconds": 3, "sessions": (1, 3), "rounds": 1}
SITE_PREFIX = "/air/"
TARGET_P99_MS = 100.0
TARGET_RATIO = 1000.0
TARGET_API_P50_MS = 50.0
TARGET_POST_RPS = 200.0


class _References(HTMLParser):
    """Collects what a browser fetches for a page: script/img/iframe ``src``, stylesheets, ``data-src`` JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "img", "iframe") and values.get("src"):
            self.found.append(values["src"] or "")
        if tag == "link" and (values.get("rel") or "").lower() == "stylesheet" and values.get("href"):
            self.found.append(values["href"] or "")
        if values.get("data-src"):
            self.found.append(values["data-src"] or "")


def page_view_paths(site: Path, page: str = "index.html", prefix: str = SITE_PREFIX) -> list[str]:
    """URL paths of one whole view of ``page`` in the published ``site``: the page, then each resource it (and any
    HTML frame it embeds) references, each once, in the order a browser meets them. External URLs are an error:
    the site must work offline."""
    paths: list[str] = []
    pending = [page]
    while pending:
        relative = pending.pop(0)
        if relative in paths:
            continue
        paths.append(relative)
        if not relative.endswith(".html"):
            continue
        parser = _References()
        parser.feed((site / relative).read_text(encoding="utf-8"))
        base = Path(relative).parent
        for reference in parser.found:
            if re.match(r"^[a-z][a-z0-9+.-]*:|^//", reference, re.IGNORECASE):
                raise ValueError(f"{relative}: external resource {reference!r}")
            resolved = os.path.normpath(base / reference.split("#")[0].split("?")[0])
            if not (site / resolved).is_file():
                raise ValueError(f"{relative}: {reference!r} is not in the site")
            pending.append(resolved)
    return [prefix + path for path in paths]


_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"seconds":%.3f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d,"sockets":%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def cycling_get_script(paths: list[str]) -> str:
    """A wrk Lua script sending GETs (gzip accepted) for ``paths`` in turn, and printing a JSON summary line."""
    listed = ", ".join(json.dumps(path) for path in paths)
    return (
        f"local paths = {{{listed}}}\nlocal i = 0\n"
        "request = function()\n  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"})\nend\n' + _DONE
    )


def open311_post_script(api_key: str, service_code: str) -> str:
    """A wrk Lua script posting Open311 form bodies: a distinct description and point in Hà Nội per request."""
    return (
        f"local key, code = {json.dumps(api_key)}, {json.dumps(service_code)}\nlocal n = 0\n"
        "local tag = tostring(math.random(1, 1000000000))\n"
        "request = function()\n  n = n + 1\n"
        '  local body = string.format("api_key=%s&service_code=%s&lat=%.6f&long=%.6f&description=bench+%s+%d",\n'
        "    key, code, 21.0 + math.random() * 0.06, 105.78 + math.random() * 0.08, tag, n)\n"
        '  return wrk.format("POST", "/open311/v2/requests.json",\n'
        '    {["Content-Type"] = "application/x-www-form-urlencoded"}, body)\nend\n' + _DONE
    )


def run_wrk(base: str, script: str, connections: int, seconds: int, folder: Path) -> dict[str, float]:
    """One bounded wrk run (2 threads, ``-d seconds``) of ``script`` against ``base``; its summary line as a dict."""
    lua = folder / f"wrk-{connections}.lua"
    lua.write_text(script, encoding="utf-8")
    threads = min(2, connections)
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(lua), base]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=True)
    line = next((row for row in done.stdout.splitlines() if row.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary: {done.stdout[-500:]} {done.stderr[-500:]}")
    summary = json.loads(line[4:])
    summary["rps"] = summary["requests"] / summary["seconds"]
    return summary


UNLIMITED = {"ENVMON_API_KEY_PER_MINUTE": "1000000000", "ENVMON_API_ADDRESS_PER_MINUTE": "1000000000",
             "ENVMON_API_BURST": "1000000000"}  # fmt: skip


def _api(port: int, workers: int, env: dict[str, str], folder: Path) -> contextlib.AbstractContextManager[None]:
    """``envmon api --workers N`` on ``port`` with the rate limits out of the way, until the block ends."""
    command = [str(Path(sys.executable).with_name("envmon")), "api", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers)]  # fmt: skip
    ready = f"http://127.0.0.1:{port}/open311/v2/services.json"
    return serving(command, {**env, **UNLIMITED}, ready, folder / f"api-{workers}.log")


def _api_without_rate_limits(
    port: int, workers: int, env: dict[str, str], folder: Path
) -> contextlib.AbstractContextManager[None]:
    """The same API with no rate limiter at all (bench.api_without_rate_limits), until the block ends."""
    command = [sys.executable, "-m", "bench.api_without_rate_limits", "--port", str(port), "--workers", str(workers)]
    ready = f"http://127.0.0.1:{port}/open311/v2/services.json"
    return serving(command, env, ready, folder / f"api-no-limiter-{workers}.log")


def _pending(url: str) -> int:
    from data.db import make_engine
    from data.intake_queue import pending_count

    engine = make_engine(url)
    try:
        return pending_count(engine)
    finally:
        engine.dispose()


def _wait_drained(url: str, limit_seconds: float = 300) -> float:
    """Seconds until the intake queue is empty (the API's worker imports it)."""
    started = time.perf_counter()
    while _pending(url) and time.perf_counter() - started < limit_seconds:
        time.sleep(0.2)
    return time.perf_counter() - started


def one_row_imports(url: str, count: int) -> float:
    """Posted requests imported per second when each is its own pipeline run (the former request path)."""
    from data.config import load_settings
    from data.db import make_engine
    from data.importers.pipeline import ImportContext
    from data.intake_queue import enqueue, process_queue
    from data.open311_server import NewRequest

    engine = make_engine(url)
    context = ImportContext.from_settings(engine, load_settings(database_url=url))
    now = dt.datetime.now(dt.UTC)
    for n in range(count):
        request = NewRequest("noise", 21.0 + n * 1e-3, 105.8, None, f"one-row {n}", None, None, None)
        enqueue(engine, request, client="bench-load", now=now)
    started = time.perf_counter()
    while process_queue(engine, context, now=now, limit=1):
        pass
    seconds = time.perf_counter() - started
    engine.dispose()
    return count / seconds


def _envmon(args: list[str], env: dict[str, str]) -> str:
    command = [str(Path(sys.executable).with_name("envmon")), *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=True).stdout


def _streamlit_page_views(url: str, folder: Path, sessions: tuple[int, ...], rounds: int) -> dict[int, float]:
    """Public-page views per second of the Streamlit app at each number of concurrent browser sessions."""
    from bench.bench_load import _session, streamlit_server

    async def public_sessions(base: str, count: int) -> list[tuple[str, float | None, str]]:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless",
                                                      "--no-sandbox", "--disable-gpu"])  # fmt: skip
            try:  # even session indexes open the public page (bench_load's convention)
                done = await asyncio.gather(*(_session(browser, base, 2 * i, rounds) for i in range(count)))
            finally:
                await browser.close()
        return [result for session in done for result in session]

    views: dict[int, float] = {}
    with streamlit_server(url, folder / "streamlit.log") as base:
        asyncio.run(public_sessions(base, 1))  # warm-up: first script run, caches
        for count in sessions:
            started = time.perf_counter()
            results = asyncio.run(public_sessions(base, count))
            wall = time.perf_counter() - started
            good = sum(1 for _page, seconds, error in results if seconds is not None and not error)
            views[count] = good / wall
            print(f"streamlit public page, {count} session(s) × {rounds}: {good}/{len(results)} views in "
                  f"{wall:.1f} s → {views[count]:.3f} page views/s")  # fmt: skip
    return views


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(quick: bool = False, streamlit_page: bool = True, postgres: str | None = None) -> dict[str, Any]:
    """Run every load scenario, print the tables, the ratios and the targets; return the figures.

    ``postgres``: a PostgreSQL server URL; the product then runs on a scratch database there instead of SQLite.
    """
    from bench.bench_load import prepare_database

    plan = QUICK if quick else FULL
    seconds = int(plan["seconds"])
    engine_name = "PostgreSQL" if postgres else "SQLite"
    print(f"machine: {machine()}; database: {engine_name}; load average before the run: {os.getloadavg()[0]:.2f}")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="envmon-public-load-")))
        folder.chmod(0o755)  # nginx's workers read the site
        scratch = stack.enter_context(scratch_postgres_database(postgres, "public_load")) if postgres else None
        url = prepare_database(folder, 200, scratch)
        env = {**os.environ, "DATABASE_URL": url, "ENVMON_VAR_DIR": str(folder / "var")}
        env.pop("ENVMON_TILE_URL", None)
        _envmon(["feeds", "poll", "--once"], env)
        site = folder / "site"
        _envmon(["publish", "--out", str(site)], env)
        site = site.resolve()
        paths = page_view_paths(site)
        print(f"one page view = {len(paths)} requests: {', '.join(paths)}")
        port, api = free_port(), free_port()
        config = loopback_nginx_config(folder, port, site, api, (free_port(), free_port()))
        front = f"http://127.0.0.1:{port}"
        site_rows: dict[int, dict[str, float]] = {}
        with serving([NGINX, "-p", str(folder), "-c", str(config)], env, f"{front}{SITE_PREFIX}", folder / "n.log"):
            for connections in CONNECTIONS:
                row = run_wrk(front, cycling_get_script(paths), connections, seconds, folder)
                row["views"] = row["rps"] / len(paths)
                site_rows[connections] = row
        print(f"\npublished site through nginx (wrk -t2 -d{seconds}s, gzip)")
        print(f"{'clients':>8}{'req/s':>10}{'views/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
        for connections, row in site_rows.items():
            errors = int(row["non2xx"] + row["sockets"])
            print(f"{connections:>8}{row['rps']:>10.0f}{row['views']:>10.0f}{row['p50_ms']:>9.2f}"
                  f"{row['p99_ms']:>9.2f}{errors:>8}")  # fmt: skip

        key = _envmon(["apikeys", "add", "bench-load"], env).split()[-1]
        api_base = f"http://127.0.0.1:{api}"
        stations: dict[int, dict[str, float]] = {}
        for workers in (1, 2):
            with _api(api, workers, env, folder):
                for _ in range(20):  # each worker builds its snapshot once a minute; measure the steady state
                    urllib.request.urlopen(f"{api_base}/api/v1/aqi/stations", timeout=30).close()  # noqa: S310
                stations[workers] = run_wrk(api_base, cycling_get_script(["/api/v1/aqi/stations"]), 50, seconds, folder)
        with _api_without_rate_limits(api, 2, env, folder):  # the control: what the shared buckets cost
            for _ in range(20):
                urllib.request.urlopen(f"{api_base}/api/v1/aqi/stations", timeout=30).close()  # noqa: S310
            unlimited = run_wrk(api_base, cycling_get_script(["/api/v1/aqi/stations"]), 50, seconds, folder)
        with _api(api, 2, env, folder):
            with urllib.request.urlopen(f"{api_base}/open311/v2/services.json", timeout=5) as response:  # noqa: S310
                service = json.load(response)[0]["service_code"]
            posts = run_wrk(api_base, open311_post_script(key, service), 50, seconds, folder)
            drained = _wait_drained(url)
        accepted = posts["requests"] - posts["non2xx"]
        posts["imported_per_s"] = accepted / (posts["seconds"] + drained)
        one_row = one_row_imports(url, 10 if quick else 30)
        print("\nAPI: envmon api --workers N (rate limits raised; wrk -t2 -c50)")
        for workers, row in stations.items():
            print(f"  GET /api/v1/aqi/stations, {workers} worker(s) {row['rps']:>8.0f} req/s  p50 "
                  f"{row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms  non-2xx {int(row['non2xx'])}")  # fmt: skip
        print(f"  POST /open311/v2/requests.json, 2 workers {posts['rps']:>5.0f} req/s accepted  p50 "
              f"{posts['p50_ms']:.1f} ms  p99 {posts['p99_ms']:.1f} ms  non-2xx {int(posts['non2xx'])}  socket "
              f"errors {int(posts['sockets'])}")  # fmt: skip
        print(f"  intake worker: queue empty {drained:.1f} s after the load → {posts['imported_per_s']:.0f} requests "
              f"imported/s end to end (batches) vs {one_row:.1f}/s one pipeline run per request "
              f"(×{posts['imported_per_s'] / one_row:.1f})")  # fmt: skip
        stations_ratio = stations[1]["p50_ms"] / stations[2]["p50_ms"] if stations[2]["p50_ms"] else float("inf")
        print(f"  aqi/stations p50: 1 worker ÷ 2 workers = ×{stations_ratio:.2f}")
        print(
            f"  GET /api/v1/aqi/stations, 2 workers, no rate limiter (control) {unlimited['rps']:>6.0f} req/s  p50 "
            f"{unlimited['p50_ms']:.1f} ms  p99 {unlimited['p99_ms']:.1f} ms  non-2xx {int(unlimited['non2xx'])}"
        )
        print(f"  rate limiter's cost at 50 clients, 2 workers: req/s ×{stations[2]['rps'] / unlimited['rps']:.2f} of "
              f"no limiter, p50 ×{stations[2]['p50_ms'] / unlimited['p50_ms']:.2f}, p99 "
              f"×{stations[2]['p99_ms'] / unlimited['p99_ms']:.2f}")  # fmt: skip

        print()
        streamlit = (
            _streamlit_page_views(url, folder, tuple(plan["sessions"]), int(plan["rounds"])) if streamlit_page else {}
        )
    best_streamlit = max(streamlit.values(), default=0.0)
    site_500 = site_rows[500]
    ratio = site_500["views"] / best_streamlit if best_streamlit else float("inf")
    api_ok = stations[2]["p50_ms"] <= TARGET_API_P50_MS and stations[2]["non2xx"] == 0
    post_ok = posts["rps"] >= TARGET_POST_RPS and posts["non2xx"] == 0
    if streamlit:
        print(f"\nratio: published site at 500 clients {site_500['views']:.0f} page views/s ÷ Streamlit page's best "
              f"{best_streamlit:.3f} (at {max(streamlit, key=streamlit.get)} session(s)) = {ratio:,.0f}×")  # fmt: skip
    print("targets:")
    print(
        f"  site p99 ≤ {TARGET_P99_MS:.0f} ms at 500 clients: {site_500['p99_ms']:.1f} ms — "
        f"{_verdict(site_500['p99_ms'] <= TARGET_P99_MS)}"
    )
    ratio_verdict = f"{ratio:,.0f}× — {_verdict(ratio >= TARGET_RATIO)}" if streamlit else "not measured here"
    print(f"  site ≥ {TARGET_RATIO:,.0f}× Streamlit page views/s: {ratio_verdict}")
    print(
        f"  aqi/stations p50 ≤ {TARGET_API_P50_MS:.0f} ms at 50 clients (2 workers): {stations[2]['p50_ms']:.1f} ms — "
        f"{_verdict(api_ok)}"
    )
    print(f"  Open311 POST ≥ {TARGET_POST_RPS:.0f} req/s accepted: {posts['rps']:.0f} req/s — {_verdict(post_ok)}")
    print(f"load average after the run: {os.getloadavg()[0]:.2f}")
    return {"site": site_rows, "aqi_stations": stations, "aqi_stations_no_limiter": unlimited, "open311_post": posts,
            "streamlit_views": streamlit,
            "ratio": ratio, "requests_per_view": len(paths)}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3-second wrk runs; Streamlit at 1 and 3 sessions")
    parser.add_argument("--no-streamlit", action="store_true", help="skip the Streamlit page (no ratio)")
    parser.add_argument(
        "--postgres", action="store_true", help="run on a scratch database of TEST_DATABASE_URL's server"
    )
    arguments = parser.parse_args()
    server = (os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")) if arguments.postgres else None
    if arguments.postgres and not server:
        parser.error("--postgres needs TEST_DATABASE_URL or DATABASE_URL (a PostgreSQL server)")
    main(arguments.quick, streamlit_page=not arguments.no_streamlit, postgres=server)
