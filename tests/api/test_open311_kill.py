"""A real ``envmon api`` killed with SIGKILL after accepting Open311 posts loses none of them and imports each
once when the next API process starts (its intake worker drains the queue the dead one left)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from sqlalchemy import func, select

from bench._common import free_port, wait_for_ok
from data.api_keys import add_key
from data.db import make_engine
from data.intake_queue import pending_count
from data.schema import ComplaintReport

ROOT = Path(__file__).resolve().parents[2]


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cli", "api", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
    wait_for_ok(f"http://127.0.0.1:{port}/open311/v2/services.json", process)
    return process


def _token_state(port: int, token: str) -> str | None:
    with urlopen(f"http://127.0.0.1:{port}/open311/v2/tokens/{token}.json", timeout=5) as answer:  # noqa: S310
        return json.load(answer)[0]["service_request_id"]


def test_sigkill_after_accepting_loses_nothing_and_imports_each_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'envmon.db'}"
    env = {**os.environ, "DATABASE_URL": url, "ENVMON_VAR_DIR": str(tmp_path), "ENVMON_API_INTAKE_WORKER": "false"}
    subprocess.run([sys.executable, "-m", "cli", "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    engine = make_engine(url)
    key = add_key(engine, "ward-app")
    port, log = free_port(), tmp_path / "api.log"

    accepting = _start(env, port, log)  # this process only accepts: its intake worker is off
    tokens = []
    for i in range(5):
        body = urlencode({"api_key": key, "service_code": "waste", "lat": f"21.02{i}", "long": "105.852",
                          "description": f"rác tồn đọng {i}"}).encode()  # fmt: skip
        request = Request(f"http://127.0.0.1:{port}/open311/v2/requests.json", data=body, method="POST")
        with urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback server
            tokens.append(json.load(answer)[0]["token"])
    assert [_token_state(port, t) for t in tokens] == [None] * 5 and pending_count(engine) == 5
    os.killpg(accepting.pid, signal.SIGKILL)
    accepting.wait(10)

    importing = _start({**env, "ENVMON_API_INTAKE_WORKER": "true"}, port, log)
    try:
        deadline = time.monotonic() + 60
        while (states := [_token_state(port, t) for t in tokens]).count(None) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        os.killpg(importing.pid, signal.SIGTERM)
        importing.wait(20)
    assert all(s and s.isdigit() for s in states), (states, log.read_text(errors="replace")[-2000:])
    with engine.connect() as conn:
        reports = conn.execute(select(func.count(), func.count(func.distinct(ComplaintReport.external_id)))).one()
    assert tuple(reports) == (5, 5) and pending_count(engine) == 0
