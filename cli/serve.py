"""``envmon serve``: the dashboard and the feed poller as one command (Ctrl-C stops them all).

Each service is a child process in its own process group. The supervisor forwards SIGINT / SIGTERM to every
child, stops all of them when one exits on its own, and returns only once every child is gone; on Linux a
child also receives SIGTERM if the supervisor itself is killed, so nothing is left running. A new process (the
API, the publisher) is one more :class:`Service` in :func:`services`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

from data.i18n import translate

DASHBOARD_APP: Final = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
PR_SET_PDEATHSIG: Final = 1  # linux/prctl.h
PUBLISH_CHECK_SECONDS: Final = 60  # the publisher rebuilds the public site within a minute of new AQI


@dataclass(frozen=True)
class Service:
    """One long-running child process: its name, command line and, for a web service, where to open it."""

    name: str
    argv: tuple[str, ...]
    url: str | None = None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon serve``."""
    parser = subparsers.add_parser(
        "serve", help="run the dashboard and the feed poller together until Ctrl-C (SIGINT) or SIGTERM"
    )
    parser.add_argument("--port", type=int, default=8501, help="dashboard port (default 8501)")
    parser.add_argument("--address", default="127.0.0.1", help="dashboard address (default 127.0.0.1)")
    parser.add_argument("--feeds-config", type=Path, default=None, help="feeds TOML (default: the configured one)")
    parser.add_argument("--no-poller", action="store_true", help="serve the dashboard only")
    parser.add_argument("--api-port", type=int, default=8502, help="HTTP API port (default 8502; 0: no API)")
    parser.set_defaults(handler=_serve)


def services(
    *, port: int, address: str, feeds_config: Path | None = None, poller: bool = True, api_port: int | None = None
) -> list[Service]:
    """The processes ``envmon serve`` runs, in start order."""
    python = sys.executable
    dashboard = Service(
        "dashboard",
        (
            python, "-m", "streamlit", "run", str(DASHBOARD_APP),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
        ),
        url=f"http://{address}:{port}",
    )  # fmt: skip
    result = [dashboard]
    if poller:
        config = ("--config", str(feeds_config)) if feeds_config is not None else ()
        result.append(Service("poller", (python, "-m", "cli", "feeds", "run", *config)))
        result.append(Service("publisher", (python, "-m", "publish", "--watch", str(PUBLISH_CHECK_SECONDS))))
    if api_port:
        argv = (python, "-m", "cli", "api", "--host", address, "--port", str(api_port))
        result.append(Service("api", argv, url=f"http://{address}:{api_port}/docs"))
    return result


def _child_setup() -> None:
    """In the child before exec: its own process group, and SIGTERM when the supervisor dies (Linux)."""
    os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """Starts services, forwards stop signals to them, and stops all when one exits."""

    def __init__(
        self,
        specs: Sequence[Service],
        *,
        out: TextIO = sys.stdout,
        say: Callable[..., str] = lambda key, **values: translate(key, "en", **values),
        grace_seconds: float = 15.0,
        tick_seconds: float = 0.2,
    ) -> None:
        self.specs = list(specs)
        self.out = out
        self.say = say
        self.grace_seconds = grace_seconds
        self.tick_seconds = tick_seconds
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.requested: signal.Signals | None = None

    def _print(self, key: str, **values: object) -> None:
        self.out.write(self.say(key, **values) + "\n")
        self.out.flush()

    def _name(self, service: str) -> str:
        return self.say(f"serve.service.{service}")

    def start(self) -> None:
        """Start every service (its output goes to this process's stdout and stderr)."""
        for spec in self.specs:
            self.children[spec.name] = subprocess.Popen(spec.argv, preexec_fn=_child_setup)
            self._print("serve.started", name=self._name(spec.name), pid=self.children[spec.name].pid)
        for spec in self.specs:
            if spec.url:
                self._print("serve.open", name=self._name(spec.name), url=spec.url)
        self._print("serve.stop_hint")

    def _request_stop(self, signum: int, _frame: object) -> None:
        self.requested = signal.Signals(signum)

    def _signal_all(self, signum: int) -> None:
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signum)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` to every running child, wait up to the grace period, then kill what is left."""
        self._signal_all(signum)
        deadline = time.monotonic() + self.grace_seconds
        while time.monotonic() < deadline and any(child.poll() is None for child in self.children.values()):
            time.sleep(self.tick_seconds / 2)
        self._signal_all(signal.SIGKILL)
        for child in self.children.values():
            child.wait()

    def run(self) -> int:
        """Run until a stop signal (exit 0) or until a service exits by itself (exit 1); every child is reaped."""
        previous = {sig: signal.signal(sig, self._request_stop) for sig in STOP_SIGNALS}
        try:
            self.start()
            ended: str | None = None
            while self.requested is None and ended is None:
                ended = next((name for name, child in self.children.items() if child.poll() is not None), None)
                if ended is None:
                    time.sleep(self.tick_seconds)
            if ended is not None:
                self._print("serve.ended", name=self._name(ended), code=self.children[ended].returncode)
            self.stop(self.requested or signal.SIGTERM)
            self._print("serve.stopped")
            return 0 if ended is None else 1
        except BaseException:
            self.stop(signal.SIGKILL)
            raise
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _serve(args: argparse.Namespace) -> int:
    from cli._common import engine, settings

    config = settings()
    engine(config).dispose()  # a clear error now rather than two failing children
    specs = services(
        port=args.port, address=args.address, feeds_config=args.feeds_config, poller=not args.no_poller,
        api_port=args.api_port,
    )  # fmt: skip
    return Supervisor(specs, say=lambda key, **values: translate(key, config.language, **values)).run()
