"""Build the configured feeds from ``feeds.toml`` (see the shipped ``data/config/feeds.toml`` for every key)."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from monitoring.demo import DataloggerSimulator
from monitoring.feeds.base import Feed
from monitoring.feeds.generic_http import HttpFeed
from monitoring.feeds.openaq import OpenAQFeed
from monitoring.feeds.replay import AirReplayFeed
from monitoring.feeds.stationfiles import DropFolderFeed, FtpFeed
from monitoring.poller import AfterPoll, FeedSpec


@dataclass(frozen=True)
class FeedConfig:
    """The enabled feeds in file order, the station registry to load first, and the post-poll hooks."""

    feeds: list[FeedSpec]
    stations_file: Path | None
    after_poll: tuple[AfterPoll, ...] = ()


def resolve_hook(reference: str) -> AfterPoll:
    """The function named ``"package.module:function"``; it is called as ``hook(engine, now)`` after polls."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        msg = f"after_poll entry {reference!r} is not 'package.module:function'"
        raise ValueError(msg)
    hook = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(hook):
        msg = f"after_poll entry {reference!r}: {attribute!r} is not a function of {module_name}"
        raise ValueError(msg)
    return hook


def _folder(entry: Mapping[str, Any], var_dir: Path) -> Path:
    folder = Path(entry.get("folder", "dropbox"))
    return folder if folder.is_absolute() else var_dir / folder


def _timeout(entry: Mapping[str, Any]) -> tuple[float, float]:
    return (5.0, float(entry.get("timeout_seconds", 30)))


def build_feed(
    entry: Mapping[str, Any],
    *,
    var_dir: Path,
    openaq_api_key: str | None,
    session_factory: Callable[[], requests.Session],
) -> Feed:
    """One feed object from its ``[[feed]]`` table.

    Raises
    ------
    ValueError
        Naming the feed and the key that is missing or wrong.
    """
    name, kind = entry["name"], entry["type"]
    if kind == "openaq":
        if not openaq_api_key:
            msg = f"feed {name!r}: OpenAQ needs an API key (set ENVMON_OPENAQ_API_KEY)"
            raise ValueError(msg)
        return OpenAQFeed(
            name,
            session_factory(),
            api_key=openaq_api_key,
            location_ids=entry["location_ids"],
            overlap=dt.timedelta(hours=entry.get("overlap_hours", 3)),
            backfill=dt.timedelta(hours=entry.get("backfill_hours", 24)),
            timeout=_timeout(entry),
        )
    if kind == "http":
        return HttpFeed(
            name,
            session_factory(),
            url=entry["url"],
            mapping=entry["mapping"],
            kind=entry.get("kind", "air"),
            payload_format=entry.get("format", "json"),
            records_path=entry.get("records_path", ""),
            defaults=entry.get("defaults"),
            timezone=entry.get("timezone", "UTC"),
            params=entry.get("params"),
            headers=entry.get("headers"),
            since_param=entry.get("since_param"),
            overlap=dt.timedelta(hours=entry.get("overlap_hours", 3)),
            interval_minutes=int(entry.get("data_interval_minutes", 60)),
            timeout=_timeout(entry),
        )
    if kind == "tt10-dropbox":
        return DropFolderFeed(name, _folder(entry, var_dir), kind=entry.get("kind", "wastewater"))
    if kind == "tt10-ftp":
        return FtpFeed(
            name,
            entry["host"],
            port=int(entry.get("port", 21)),
            user=entry.get("user", "anonymous"),
            password=os.environ.get(entry.get("password_env", ""), ""),
            remote_dir=entry.get("remote_dir", "/"),
            timeout=float(entry.get("timeout_seconds", 30)),
            kind=entry.get("kind", "wastewater"),
        )
    if kind == "demo-air-replay":
        return AirReplayFeed(name, days=int(entry.get("days", 7)))
    if kind == "demo-dataloggers":
        return DataloggerSimulator(
            name,
            _folder(entry, var_dir),
            seed=int(entry.get("seed", 2025)),
            backfill=dt.timedelta(days=float(entry.get("backfill_days", 1))),
        )
    msg = f"feed {name!r}: unknown type {kind!r}"
    raise ValueError(msg)


def load_feed_config(
    path: Path,
    *,
    var_dir: Path,
    openaq_api_key: str | None = None,
    session_factory: Callable[[], requests.Session] = requests.Session,
    only: set[str] | None = None,
) -> FeedConfig:
    """Read ``path`` and build every enabled feed (or only those named in ``only``)."""
    with path.open("rb") as handle:
        config = tomllib.load(handle)
    specs = []
    names: set[str] = set()
    for entry in config.get("feed", []):
        name = entry.get("name")
        if not name or "type" not in entry:
            msg = f"{path}: every [[feed]] needs 'name' and 'type' (got {entry!r})"
            raise ValueError(msg)
        if name in names:
            msg = f"{path}: feed name {name!r} is used twice"
            raise ValueError(msg)
        names.add(name)
        if only is not None and name not in only:
            continue
        if only is None and not entry.get("enabled", True):
            continue
        feed = build_feed(entry, var_dir=var_dir, openaq_api_key=openaq_api_key, session_factory=session_factory)
        specs.append(
            FeedSpec(
                feed,
                interval=dt.timedelta(minutes=float(entry.get("interval_minutes", 60))),
                stale_after=dt.timedelta(minutes=float(entry.get("stale_after_minutes", 180))),
                retries=int(entry.get("retries", 2)),
                backoff_seconds=float(entry.get("backoff_seconds", 2.0)),
            )
        )
    stations = config.get("stations_file", "")
    stations_file = (path.parent / stations) if stations else None
    hooks = tuple(resolve_hook(reference) for reference in config.get("after_poll", []))
    return FeedConfig(specs, stations_file, hooks)
