"""A stop request that SIGINT/SIGTERM can set safely, for the long-running loops (the poller, the site publisher).

Python runs a signal handler in the main thread between two bytecodes, possibly while that thread holds a lock.
``threading.Event.set()`` takes the event's lock, so a handler calling it while the main thread is inside
``Event.wait()``'s locked part waits for itself forever, and later signals cannot end it either (a poller in CI
once ignored SIGTERM this way). :class:`StopSignal` takes no lock: ``set()`` stores a flag and writes one byte to
a pipe that ``wait()`` watches.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from collections.abc import Iterator, Sequence
from typing import Protocol


class StopRequest(Protocol):
    """What a loop needs of its stop request (``threading.Event`` has it too)."""

    def is_set(self) -> bool:
        """True once a stop was requested."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds or until a stop is requested; whether one was."""
        ...


class StopSignal:
    """A stop request set by a signal handler or by any thread; ``wait`` wakes at once when it is set."""

    def __init__(self) -> None:
        self._requested = False
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)

    def set(self) -> None:
        """Request the stop: a plain attribute and a pipe write, both safe inside a signal handler."""
        self._requested = True
        with contextlib.suppress(BlockingIOError):  # the pipe is full of earlier wake-ups: already awake
            os.write(self._wake_write, b"\0")

    def is_set(self) -> bool:
        """True once a stop was requested."""
        return self._requested

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds (None: until set) or until the stop is requested; whether it was."""
        if not self._requested:
            # a signal interrupting select runs its handler, then select is resumed and sees the handler's byte
            select.select([self._wake_read], [], [], None if timeout is None else max(timeout, 0.0))
        return self._requested

    def close(self) -> None:
        """Close the wake-up pipe."""
        os.close(self._wake_read)
        os.close(self._wake_write)


@contextlib.contextmanager
def stop_on_signals(signals: Sequence[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[StopSignal]:
    """A :class:`StopSignal` that each of ``signals`` sets within the block; the previous handlers come back after."""
    stop = StopSignal()
    previous = {signum: signal.signal(signum, lambda _signum, _frame: stop.set()) for signum in signals}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop.close()
