"""``envmon serve``: dashboard and poller under one supervisor; a stop signal or one dying service stops all."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cli.serve import Service, Supervisor, services

SLEEPER = (sys.executable, "-c", "import time; time.sleep(120)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_one_service_exiting_stops_the_others() -> None:
    out = io.StringIO()
    supervisor = Supervisor(
        [Service("dashboard", SLEEPER), Service("poller", (sys.executable, "-c", "raise SystemExit(3)"))],
        out=out,
        grace_seconds=5,
    )
    assert supervisor.run() == 1
    assert all(child.returncode is not None for child in supervisor.children.values())
    assert not _alive(supervisor.children["dashboard"].pid)
    assert "The feed poller exited (code 3); stopping the others." in out.getvalue()


def test_children_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    script = (
        "import sys; from cli.serve import Service, Supervisor; "
        f"sys.exit(Supervisor([Service('dashboard', {SLEEPER!r}), Service('poller', {SLEEPER!r})]).run())"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    pids = [int(re.search(r"\(pid (\d+)\)", process.stdout.readline()).group(1)) for _ in range(2)]
    process.kill()  # SIGKILL: no chance to forward anything
    process.wait()
    assert _wait_for(lambda: not any(_alive(pid) for pid in pids), 10)


def test_service_list_runs_the_dashboard_and_the_poller(tmp_path: Path) -> None:
    specs = services(port=8600, address="127.0.0.1", feeds_config=tmp_path / "feeds.toml")
    assert [spec.name for spec in specs] == ["dashboard", "poller", "publisher"]
    assert specs[0].url == "http://127.0.0.1:8600" and Path(specs[0].argv[4]).is_file()
    assert specs[1].argv[-4:] == ("feeds", "run", "--config", str(tmp_path / "feeds.toml"))
    assert specs[2].argv[1:4] == ("-m", "publish", "--watch")
    assert [spec.name for spec in services(port=8600, address="127.0.0.1", poller=False)] == ["dashboard"]


@pytest.mark.slow
def test_serve_runs_dashboard_and_poller_and_sigint_stops_all(tmp_path: Path) -> None:
    from data.db import make_engine, migrate
    from monitoring.poller import read_health

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    migrate(engine)
    config = tmp_path / "feeds.toml"
    config.write_text('[[feed]]\nname = "demo-air"\ntype = "demo-air-replay"\ndays = 1\ninterval_minutes = 60\n')
    port, api_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVMON_VAR_DIR": str(tmp_path / "var"),
        "ENVMON_LANGUAGE": "en",
        "ENVMON_CONFIG": str(tmp_path / "absent.toml"),
    }
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port), "--feeds-config", str(config),
             "--api-port", str(api_port)],  # fmt: skip
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    return response.read() == b"ok"
            except OSError:
                return False

        assert _wait_for(healthy, 120), log.read_text()
        assert _wait_for(lambda: read_health(engine, "demo-air").last_success_at is not None, 60), log.read_text()
        text = log.read_text()
        assert f"Open the dashboard at http://127.0.0.1:{port}" in text
        pids = [int(pid) for pid in re.findall(r"\(pid (\d+)\)", text)]
        assert len(pids) == 4 and all(_alive(pid) for pid in pids)  # dashboard, poller, site publisher, API
        assert f"http://127.0.0.1:{api_port}/docs" in text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
    assert not any(_alive(pid) for pid in pids)
    assert "Everything stopped." in log.read_text()
    assert read_health(engine, "demo-air").consecutive_failures == 0
