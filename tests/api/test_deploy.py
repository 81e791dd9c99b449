"""deploy/nginx/envmon.conf on loopback: nginx (Debian package) in front of 2 Streamlit processes, the API and the
published site, started from the shipped files with only ports and paths changed. Checks each of the three
through nginx, and the WebSocket upgrade on /_stcore/stream."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from data.db import make_engine, migrate

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
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


def _nginx_config(tmp: Path, port: int, dashboards: tuple[int, int], api: int, site: Path) -> Path:
    shutil.copy(DEPLOY / "security-headers.conf", tmp / "security-headers.conf")
    text = (DEPLOY / "envmon.conf").read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"), ("127.0.0.1:8501", f"127.0.0.1:{dashboards[0]}"),
                     ("127.0.0.1:8511", f"127.0.0.1:{dashboards[1]}"), ("127.0.0.1:8502", f"127.0.0.1:{api}"),
                     ("/var/lib/envmon/site/", f"{site}/"),
                     ("/etc/nginx/envmon/security-headers.conf", str(tmp / "security-headers.conf"))):  # fmt: skip
        assert old in text, old
        text = text.replace(old, new)
    (tmp / "envmon.conf").write_text(text)
    temp = " ".join(f"{name}_temp_path {tmp / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    http = f"access_log off; {temp} include /etc/nginx/mime.types; include {tmp / 'envmon.conf'};"
    main = f"daemon off; pid {tmp / 'nginx.pid'}; error_log {tmp / 'error.log'};\nevents {{}}\nhttp {{ {http} }}\n"
    (tmp / "nginx.conf").write_text(main)
    return tmp / "nginx.conf"


@pytest.mark.slow
@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx (Debian package) is not installed")
def test_nginx_serves_site_api_and_two_dashboards(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deploy.db'}"
    migrate(make_engine(url))
    site = Path(tempfile.mkdtemp(prefix="envmon-site-"))  # readable by nginx's workers (pytest's tmp is 0700)
    site.chmod(0o755)
    (site / "index.html").write_text("<!doctype html><title>Chất lượng không khí</title>published")
    (site / "index.html").chmod(0o644)
    port, api, dashboards = _free_port(), _free_port(), (_free_port(), _free_port())
    config = _nginx_config(tmp_path, port, dashboards, api, site)
    env = {**os.environ, "DATABASE_URL": url, "ENVMON_VAR_DIR": str(tmp_path / "var"),
           "ENVMON_CONFIG": str(tmp_path / "absent.toml")}  # fmt: skip
    python = sys.executable
    commands = [
        [python, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(d),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
        for d in dashboards
    ] + [[python, "-m", "cli", "api", "--host", "127.0.0.1", "--port", str(api)],
         [NGINX, "-p", str(tmp_path), "-c", str(config)]]  # fmt: skip
    log = (tmp_path / "services.log").open("w")
    processes = [subprocess.Popen(c, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT) for c in commands]
    try:
        for direct in [f"http://127.0.0.1:{d}/_stcore/health" for d in dashboards] + [
            f"http://127.0.0.1:{api}/api/v1/stations"
        ]:
            assert _wait(direct, 180), (tmp_path / "services.log").read_text()[-3000:]
        front = f"http://127.0.0.1:{port}"
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
        key = base64.b64encode(os.urandom(16)).decode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                (f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                 "Sec-WebSocket-Protocol: streamlit\r\nOrigin: http://127.0.0.1\r\n\r\n").encode()
            )  # fmt: skip
            answer = conn.recv(1024).decode("latin-1")
        assert answer.startswith("HTTP/1.1 101"), answer
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
