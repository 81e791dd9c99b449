"""deploy/nginx/envmon.conf on loopback: nginx (Debian package) in front of 2 Streamlit processes, the API and the
published site, started from the shipped files with only ports and paths changed (bench/_common's builder, the one
the load bench uses). Checks each of the three through nginx, the WebSocket upgrade on /_stcore/stream, and sticky
sessions by cookie: a browser's first answer sets the affinity cookie, and every request carrying a cookie reaches
one and the same Streamlit process (read from nginx's access log), while different browsers use both. Then Chromium
through the same set-up: leaders log in and see the overview map, citizens the air map."""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import bench_load
from bench._common import free_port, loopback_nginx_config
from bench.bench_staff_load import listening_pid
from data.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
COOKIE = "envmon_affinity"


def _get(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except OSError:
        return 0, b""


def _wait(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _get(url)[0] == 200:
            return True
        time.sleep(0.5)
    return False


def _upstreams_by_probe(log: Path) -> dict[str, set[str]]:
    """From nginx's access log: the upstream addresses that served each ``?probe=NAME`` request."""
    served: dict[str, set[str]] = collections.defaultdict(set)
    for line in log.read_text().splitlines():
        found = re.search(r"probe=(\w+)[^\s]*.* upstream=(\S+)", line)
        if found:
            served[found.group(1)].add(found.group(2))
    return served


@contextlib.contextmanager
def _deployment(folder: Path, database_url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """nginx from the shipped config in front of 2 Streamlit processes, the API and a one-page published site, all
    on loopback and ready: yields nginx's address and its process; everything is stopped after."""
    site = Path(tempfile.mkdtemp(prefix="envmon-site-"))  # readable by nginx's workers (pytest's tmp is 0700)
    site.chmod(0o755)
    (site / "index.html").write_text("<!doctype html><title>Chất lượng không khí</title>published")
    (site / "index.html").chmod(0o644)
    port, api, dashboards = free_port(), free_port(), (free_port(), free_port())
    config = loopback_nginx_config(folder, port, site, api, dashboards)
    env = {**os.environ, "DATABASE_URL": database_url, "ENVMON_VAR_DIR": str(folder / "var"),
           "ENVMON_CONFIG": str(folder / "absent.toml")}  # fmt: skip
    python = sys.executable
    commands = [
        [python, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(d),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        for d in dashboards
    ] + [[python, "-m", "cli", "api", "--host", "127.0.0.1", "--port", str(api)],
         [NGINX, "-p", str(folder), "-c", str(config)]]  # fmt: skip
    log = (folder / "services.log").open("w")
    processes = [subprocess.Popen(c, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT) for c in commands]
    try:
        for direct in [f"http://127.0.0.1:{d}/_stcore/health" for d in dashboards] + [
            f"http://127.0.0.1:{api}/api/v1/stations"
        ]:
            assert _wait(direct, 180), (folder / "services.log").read_text()[-3000:]
        yield f"http://127.0.0.1:{port}", processes[-1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        shutil.rmtree(site, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx (Debian package) is not installed")
def test_nginx_serves_site_api_and_two_dashboards(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deploy.db'}"
    migrate(make_engine(url))
    with _deployment(tmp_path, url) as (front, nginx):
        status, body = _get(f"{front}/air/")
        assert status == 200 and b"published" in body
        status, body = _get(f"{front}/api/v1/stations")
        assert status == 200 and b'"found":0' in body
        assert _get(f"{front}/open311/v2/services.json")[0] == 200
        status, body = _get(f"{front}/_stcore/health")
        assert status == 200 and body == b"ok"
        status, body = _get(f"{front}/")
        assert status == 200 and b"<noscript>" in body.lower()  # Streamlit's page shell
        with urllib.request.urlopen(f"{front}/", timeout=5) as response:
            assert response.headers["X-Frame-Options"] == "DENY"  # the included security headers
        port = int(front.rsplit(":", 1)[1])
        key = base64.b64encode(os.urandom(16)).decode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                (f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Protocol: streamlit\r\nOrigin: http://127.0.0.1\r\n\r\n").encode()
            )  # fmt: skip
            answer = conn.recv(1024).decode("latin-1")
        assert answer.startswith("HTTP/1.1 101"), answer
        _check_sticky_sessions(front, nginx, tmp_path / "access.log")
        _check_a_browser_moves_when_its_process_dies(front, tmp_path / "envmon.conf")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(900)
@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx (Debian package) is not installed")
def test_leaders_and_citizens_see_their_maps_in_chromium_through_nginx(tmp_path: Path) -> None:
    """Real browsers through nginx to 2 processes: leaders log in and see every ward of the overview map (a page
    served by URL from the process that drew it, reached through the affinity cookie), twice, and citizens the
    air map; no error, no exception block."""
    if not Path(bench_load.CHROMIUM).exists():
        pytest.skip(f"the browser test needs {bench_load.CHROMIUM}")
    url = bench_load.prepare_database(tmp_path, 300)
    with _deployment(tmp_path, url) as (front, _nginx):
        results = asyncio.run(bench_load.run_sessions(front, 4, 2))
    assert len(results) == 8
    assert [error for _page, _seconds, error in results if error] == []
    assert sorted(page for page, seconds, _error in results if seconds is not None) == ["air"] * 4 + ["overview"] * 4


def _affinity_cookie(url: str, cookie: str | None = None) -> str | None:
    """The affinity cookie's value nginx sets in its answer to ``url`` (None when it sets none)."""
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        cookies = [c for c in response.headers.get_all("Set-Cookie") or [] if c.startswith(f"{COOKIE}=")]
    if not cookies:
        return None
    [cookie_header] = cookies
    assert "HttpOnly" in cookie_header and "Path=/" in cookie_header
    return cookie_header.split(";")[0].split("=", 1)[1]


def _check_sticky_sessions(front: str, nginx: subprocess.Popen[bytes], log: Path) -> None:
    first = _affinity_cookie(f"{front}/?probe=first")
    assert first in {"a", "b"}  # the process that answered, by the name the config gives it
    assert _affinity_cookie(f"{front}/", cookie=first) is None  # set once
    assert _affinity_cookie(f"{front}/", cookie="forged-or-from-an-older-config") in {"a", "b"}  # replaced
    with urllib.request.urlopen(f"{front}/api/v1/stations", timeout=5) as api_answer:
        assert not api_answer.headers.get_all("Set-Cookie")  # the API never gets one
    for round_ in range(5):
        assert _get(f"{front}/_stcore/health?probe=first{round_}", cookie=first)[0] == 200
    browsers = [f"b{n}" for n in range(16)]
    given = {name: _affinity_cookie(f"{front}/_stcore/health?probe={name}") for name in browsers}
    for name in browsers:
        for round_ in range(3):
            assert _get(f"{front}/_stcore/health?probe={name}&r={round_}", cookie=given[name])[0] == 200
    nginx.send_signal(signal.SIGUSR1)  # reopen the log: the buffered lines are written
    time.sleep(1.5)
    served = _upstreams_by_probe(log)
    followed = served["first"] | set().union(*(served[f"first{r}"] for r in range(5)))
    assert len(followed) == 1, served  # the cookie set by the first answer keeps the browser on its process
    assert all(len(served[name]) == 1 for name in browsers), served  # each browser on one process
    per_process = collections.Counter(next(iter(served[name])) for name in browsers)
    assert sorted(per_process.values()) == [8, 8], served  # new browsers split evenly over both processes


def _check_a_browser_moves_when_its_process_dies(front: str, config: Path) -> None:
    """A browser pinned to a process that is down is answered by the other one and its cookie moves there."""
    port = int(re.search(r"^\s+a\s+127\.0\.0\.1:(\d+);", config.read_text(), re.MULTILINE).group(1))
    assert _affinity_cookie(f"{front}/_stcore/health", cookie="a") is None
    os.kill(listening_pid(port), signal.SIGKILL)
    for _ in range(50):  # the kill takes effect
        if _get(f"http://127.0.0.1:{port}/_stcore/health")[0] == 0:
            break
        time.sleep(0.1)
    assert _get(f"{front}/_stcore/health", cookie="a")[0] == 200
    assert _affinity_cookie(f"{front}/_stcore/health", cookie="a") == "b"


def test_nginx_lets_the_app_frame_the_paths_the_dashboard_lets_it_frame() -> None:
    """deploy/nginx/security-headers.conf replaces the app's framing headers: its SAMEORIGIN paths are the app's
    (a map page missing there stayed blank behind nginx: X-Frame-Options DENY)."""
    from dashboard.server import FRAMED_BY_SELF

    conf = (ROOT / "deploy" / "nginx" / "security-headers.conf").read_text(encoding="utf-8")
    [pattern] = re.findall(r"location ~ (\S+) \{", conf)
    assert all(re.match(pattern, f"{path}page.html") for path in FRAMED_BY_SELF), (pattern, FRAMED_BY_SELF)
    assert not any(re.match(pattern, page) for page in ("/", "/overview", "/_envmon/session", "/login"))
