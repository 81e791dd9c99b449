"""The long-running loops' stop request: set by SIGTERM/SIGINT without a lock, and ``wait`` wakes at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from monitoring.stop_signal import StopSignal, stop_on_signals

ROOT = Path(__file__).resolve().parents[2]


def test_a_signal_wakes_the_waiting_loop_at_once_and_the_old_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    with stop_on_signals() as stop:
        assert not stop.is_set()
        started = time.monotonic()
        timer.start()
        assert stop.wait(30)
        assert time.monotonic() - started < 10  # woken by the signal, not by the 30-s timeout
        assert stop.is_set() and stop.wait(30)  # stays set: later waits return at once
    assert signal.getsignal(signal.SIGTERM) is before


def test_another_thread_can_set_it_and_a_wait_without_a_stop_times_out() -> None:
    stop = StopSignal()
    try:
        assert not stop.wait(0.05) and not stop.wait(-1)
        threading.Timer(0.1, stop.set).start()
        assert stop.wait(30) and stop.is_set()
        for _ in range(100_000):  # far more wake-ups than the pipe holds: set() never blocks
            stop.set()
    finally:
        stop.close()


def test_sigterm_stops_a_process_spinning_on_wait_every_time(tmp_path: Path) -> None:
    """A handler calling ``threading.Event.set()`` can land inside ``Event.wait``'s lock and hang; this cannot."""
    script = tmp_path / "spin.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from monitoring.stop_signal import stop_on_signals

            with stop_on_signals() as stop:
                print("ready", flush=True)
                while not stop.is_set():
                    stop.wait(0)
            print("stopped", flush=True)
            """
        ),
        encoding="utf-8",
    )
    for _ in range(5):
        child = subprocess.Popen(
            [sys.executable, str(script)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert child.stdout is not None and child.stdout.readline() == "ready\n"
            child.send_signal(signal.SIGTERM)
            assert child.wait(20) == 0 and child.stdout.read() == "stopped\n"
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
