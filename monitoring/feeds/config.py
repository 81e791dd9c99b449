"""Build the configured feeds from ``feeds.toml`` (see the shipped ``data/config/feeds.toml`` for every key)."""

from __future__ import annotations

import datetime as dt
import importlib
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import requests

from monitoring.feeds.base import FEED_TYPES, AfterPoll, Feed, FeedContext, FeedSpec

FEED_MODULES: Final = (
    "monitoring.feeds.generic_http",
    "monitoring.feeds.openaq",
    "monitoring.feeds.replay",
    "monitoring.feeds.simulator",
    "monitoring.feeds.stationfiles",
)
"""Modules whose feed classes register themselves (``@register_feed``); a new feed type adds its module here."""

for _module in FEED_MODULES:
    importlib.import_module(_module)


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


def build_feed(entry: Mapping[str, Any], context: FeedContext) -> Feed:
    """One feed object from its ``[[feed]]`` table, built by the class registered for its ``type``.

    Raises
    ------
    ValueError
        Naming the feed and the type or key that is missing or wrong.
    """
    name, kind = entry["name"], entry["type"]
    feed_class = FEED_TYPES.get(kind)
    if feed_class is None:
        msg = f"feed {name!r}: unknown type {kind!r} (known: {', '.join(sorted(FEED_TYPES))})"
        raise ValueError(msg)
    try:
        return feed_class.from_config(name, entry, context)
    except KeyError as err:
        msg = f"feed {name!r} (type {kind!r}) needs the key {err.args[0]!r}"
        raise ValueError(msg) from None
    except (TypeError, ValueError) as err:
        if str(err).startswith(f"feed {name!r}"):
            raise
        msg = f"feed {name!r} (type {kind!r}): {err}"
        raise ValueError(msg) from err


def load_feed_config(
    path: Path,
    *,
    var_dir: Path,
    openaq_api_key: str | None = None,
    session_factory: Callable[[], requests.Session] = requests.Session,
    only: set[str] | None = None,
) -> FeedConfig:
    """Read ``path`` and build every enabled feed (or only those named in ``only``)."""
    context = FeedContext(var_dir=var_dir, session_factory=session_factory, openaq_api_key=openaq_api_key)
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
        feed = build_feed(entry, context)
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
