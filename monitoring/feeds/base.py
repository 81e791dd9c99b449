"""The Feed protocol every connector implements, so the poller and the CLI treat all feeds alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from monitoring.ingest import Batch


class Feed(Protocol):
    """A source of canonical readings.

    ``fetch`` returns everything new since ``checkpoint`` (the value the previous batch carried in
    ``Batch.checkpoint``, empty on the first run) and raises a :class:`~monitoring.errors.FeedError` when the
    source cannot be read. ``acknowledge`` runs after the batch is committed (e.g. moves files out of a drop
    folder); it must be safe to skip, because a crash between commit and acknowledge is possible.
    A feed holding credentials lists them in ``secrets`` (optional attribute): the poller masks them in every
    error it logs or stores.
    """

    name: str
    kind: str

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """New data since ``checkpoint``, as of ``now``."""
        ...

    def acknowledge(self, batch: Batch) -> None:
        """Called once ``batch`` is committed."""
        ...
