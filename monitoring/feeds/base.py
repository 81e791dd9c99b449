"""The feed contract: what a feed delivers (Batch, SourceFile, Reject), the Feed protocol, and the feed registry.

Parsing a payload needs only this module (pandas), never the database driver: the storage side
(:mod:`monitoring.ingest`) imports these types, not the other way round. Each feed class registers under its
``type`` in ``feeds.toml`` with :func:`register_feed` and builds itself from its ``[[feed]]`` table with
``from_config``; :mod:`monitoring.feeds.config` looks the type up in :data:`FEED_TYPES`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

import pandas as pd
from sqlalchemy import Engine

from data.i18n import translate

AfterPoll = Callable[[Engine, dt.datetime], None]
"""A function run after each round of polls as ``hook(engine, now)`` (AQI refresh, alert evaluation)."""


@dataclass(frozen=True)
class Reason:
    """Why input was refused, in any language: the message ``quarantine.<code>`` of :mod:`data.i18n`."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str = "en") -> str:
        """The reason as a sentence in ``language``."""
        return translate(f"quarantine.{self.code}", language, **self.params)

    def stored(self) -> dict[str, Any]:
        """``reason_code`` and ``reason_params`` of a quarantine row."""
        return {"reason_code": self.code, "reason_params": dict(self.params)}


@dataclass(frozen=True)
class Reject:
    """One refused input row (or whole file when ``row_number`` is None): the fields at fault and why."""

    source: str
    row_number: int | None
    field: str  # the fields at fault, comma-separated
    reasons: tuple[Reason, ...]
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Every reason in English, for logs and the CLI."""
        return "; ".join(reason.text("en") for reason in self.reasons)

    def stored_reason(self) -> dict[str, Any]:
        """``reason_code`` and ``reason_params`` of its quarantine row (``several`` lists more than one)."""
        if len(self.reasons) == 1:
            return self.reasons[0].stored()
        return {"reason_code": "several", "reason_params": {"reasons": [r.stored() for r in self.reasons]}}


def empty_readings() -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes."""
    return pd.DataFrame(
        {
            "station_id": pd.Series(dtype="object"),
            "parameter": pd.Series(dtype="object"),
            "value": pd.Series(dtype="float64"),
            "unit": pd.Series(dtype="object"),
            "observed_at": pd.Series(dtype="datetime64[us, UTC]"),
            "status": pd.Series(dtype="object"),
            "source": pd.Series(dtype="object"),
        }
    )


@dataclass
class SourceFile:
    """One parsed station file: its row rejects, or a whole-file ``error``.

    ``name`` identifies the file by its path (relative to a drop folder, absolute for an import, the remote
    path on an FTP server), never by its base name alone: two folders may hold files of the same name. The
    ingested-file ledger keys on ``name`` and ``content_hash``. Its accepted readings travel in
    ``Batch.readings``, tagged with ``name`` in a ``file`` column.
    """

    name: str
    content_hash: str
    rows: int
    rejects: list[Reject] = field(default_factory=list)
    error: Reason | None = None

    @property
    def basename(self) -> str:
        """The file name without its folders (what Circular 10/2021 prescribes)."""
        return self.name.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass
class Batch:
    """What one import or feed poll delivers: readings, rejects, station files and station metadata.

    ``interval_minutes`` is the sources' reporting interval (5 for station files, 60 for hourly feeds) used
    for the hourly-mean validity rule; ``checkpoint`` is the feed position to save with the batch.
    """

    source: str
    kind: str
    readings: pd.DataFrame = field(default_factory=empty_readings)
    rejects: list[Reject] = field(default_factory=list)
    files: list[SourceFile] = field(default_factory=list)
    stations: pd.DataFrame | None = None
    interval_minutes: int = 60
    checkpoint: dict[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class FeedContext:
    """What a feed may need beyond its own ``[[feed]]`` table: folders, keys, an HTTP session factory."""

    var_dir: Path
    session_factory: Callable[[], Any]
    openaq_api_key: str | None = None

    def folder(self, entry: Mapping[str, Any], default: str = "dropbox") -> Path:
        """The entry's ``folder``, relative to ``var_dir`` unless absolute."""
        folder = Path(entry.get("folder", default))
        return folder if folder.is_absolute() else self.var_dir / folder


class ConfigurableFeed(Feed, Protocol):
    """A feed class that builds itself from its ``[[feed]]`` table."""

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> Self:
        """The feed ``name`` configured by ``entry``; raises ``KeyError``/``ValueError`` naming a bad key."""
        ...


@dataclass(frozen=True)
class FeedSpec:
    """A configured feed with its schedule and retry policy."""

    feed: Feed
    interval: dt.timedelta
    stale_after: dt.timedelta
    retries: int = 2
    backoff_seconds: float = 2.0

    @property
    def name(self) -> str:
        return self.feed.name


FEED_TYPES: dict[str, type[ConfigurableFeed]] = {}
"""Feed classes by their ``type`` in ``feeds.toml``, filled by :func:`register_feed`."""

_F = TypeVar("_F", bound=type)


def register_feed(type_name: str) -> Callable[[_F], _F]:
    """Class decorator: make the feed class available as ``type = "<type_name>"`` in ``feeds.toml``."""

    def register(cls: _F) -> _F:
        if FEED_TYPES.get(type_name, cls) is not cls:
            msg = f"feed type {type_name!r} is registered twice ({FEED_TYPES[type_name].__name__}, {cls.__name__})"
            raise ValueError(msg)
        FEED_TYPES[type_name] = cls
        return cls

    return register


def timeout_from(entry: Mapping[str, Any]) -> tuple[float, float]:
    """(connect, read) seconds for an HTTP feed: 5 s to connect, ``timeout_seconds`` (default 30) to read."""
    return (5.0, float(entry.get("timeout_seconds", 30)))
