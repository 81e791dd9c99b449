"""``envmon feeds``: run the configured feeds, poll them once, and show their status.

``run`` and ``poll --once`` lease each feed through the database, so several pollers (processes or machines on
one database) never poll the same feed at once and take over the feeds of one that died.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from cli import _common


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon feeds run``, ``envmon feeds poll --once`` and ``envmon feeds status``."""
    parser = subparsers.add_parser("feeds", help="poll air and wastewater feeds")
    commands = parser.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    for name, help_text, handler in (
        ("run", "poll every enabled feed on its interval until stopped (Ctrl-C / SIGTERM)", _run),
        ("poll", "poll every enabled feed once (with --once)", _poll),
        ("status", "per-feed status OK / STALE / UNAVAILABLE, last success and last error", _status),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--config", type=Path, default=None, help="feeds TOML (default: the configured one)")
        command.add_argument("--feed", action="append", default=None, help="only this feed (repeatable)")
        command.set_defaults(handler=handler)
        if name == "poll":
            command.add_argument("--once", action="store_true", required=True, help="poll each feed once")


def _setup(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    from monitoring.feeds.config import load_feed_config
    from monitoring.stations import WardLocator, load_station_file

    config = _common.settings()
    engine = _common.engine(config)
    feeds = load_feed_config(
        args.config or config.config_path("feeds"),
        var_dir=config.var_dir,
        openaq_api_key=config.openaq_api_key,
        only=set(args.feed) if args.feed else None,
    )
    if feeds.stations_file is not None and args.feeds_command != "status":
        load_station_file(engine, feeds.stations_file, set_name=config.boundary_set)
    return config, engine, feeds, WardLocator(engine, config.boundary_set)


def _keeper(config: Any, engine: Any) -> Any:
    from monitoring.poller import LeaseKeeper

    return LeaseKeeper(engine, dt.timedelta(seconds=config.poller_lease_seconds))


def _status_rows(engine: Any, specs: list[Any], now: dt.datetime) -> list[dict[str, Any]]:
    from data.leases import current_leases
    from data.redact import redact_text
    from monitoring.poller import feed_status, read_health

    held = current_leases(engine)
    rows = []
    for spec in specs:
        lease = held.get(spec.name)
        health = read_health(engine, spec.name)
        rows.append(
            {
                "feed": spec.name,
                "status": feed_status(health, now, spec.interval, spec.stale_after).value,
                "last_success_at": health.last_success_at,
                "last_data_at": health.last_data_at,
                "last_error": redact_text(health.last_error) if health.last_error else None,  # also older rows
                "last_error_at": health.last_error_at,
                "consecutive_failures": health.consecutive_failures,
                "poller": lease.holder if lease is not None and lease.expires_at > now else None,
            }
        )
    return rows


def _poll(args: argparse.Namespace) -> int:
    from monitoring.poller import run_once

    config, engine, feeds, locator = _setup(args)
    now = dt.datetime.now(dt.UTC)
    results = run_once(engine, feeds.feeds, now, feeds.after_poll, locator=locator, keeper=_keeper(config, engine))
    statuses = {row["feed"]: row["status"] for row in _status_rows(engine, feeds.feeds, now)}
    _common.emit_json(
        {
            name: {
                "ok": result.ok,
                "error": result.error,
                "status": statuses[name],
                "held_by": result.held_by,
                **result.summary.as_dict(),
            }
            for name, result in results.items()
        }
    )
    return 0 if all(result.ok or result.held_by for result in results.values()) else 1


def _run(args: argparse.Namespace) -> int:
    from monitoring.poller import run_forever
    from monitoring.stop_signal import stop_on_signals

    config, engine, feeds, locator = _setup(args)
    with stop_on_signals() as stop:
        polls = run_forever(
            engine, feeds.feeds, stop, feeds.after_poll, locator=locator, keeper=_keeper(config, engine)
        )
    _common.emit_json({"stopped": True, "polls": polls})
    return 0


def _status(args: argparse.Namespace) -> int:
    _config, engine, feeds, _locator = _setup(args)
    _common.emit_json(_status_rows(engine, feeds.feeds, dt.datetime.now(dt.UTC)))
    return 0
