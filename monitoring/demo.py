"""Demo monitoring data: the real Hà Nội air series replayed to the present, and SYNTHETIC wastewater stations.

The two demo feeds are :class:`~monitoring.feeds.replay.AirReplayFeed` and
:class:`~monitoring.feeds.simulator.DataloggerSimulator` (see there; the simulator's incidents, anchored on the
moment the demo is built, keep its live alert states true whenever the demo is opened). This module runs them
once to fill a fresh database, and replays the alert evaluations over the backfilled week, as the poller would
have made them, so that the alerts have a history.

The air replay is aligned so that the demo's "now" falls two days into the longest PM2.5 episode of the real
series (218 hours above the QCVN 05:2023 24-hour limit at one station or more, from 2025-04-01 10:00 UTC).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine

from data.alert_queries import last_evaluation_at
from data.config import DEFAULT_BOUNDARY_SET, PACKAGE_CONFIG_DIR, Settings, load_settings
from data.db import write_transaction
from data.feed_state import write_health
from monitoring.alert_engine import BuiltinProvider, evaluate_alerts
from monitoring.alert_rules import load_alert_rules
from monitoring.aqi_store import refresh_aqi
from monitoring.feeds.base import FeedSpec
from monitoring.feeds.replay import AirReplayFeed
from monitoring.feeds.simulator import STEP, DataloggerSimulator
from monitoring.pipeline import all_providers
from monitoring.poller import read_health, run_once
from monitoring.stations import WardLocator, load_station_file

HOUR: Final = dt.timedelta(hours=1)
#: the real hour the air replay puts on the demo's "now": 50 h into the 218-hour PM2.5 episode of April 2025
AIR_ALIGN: Final = dt.datetime(2025, 4, 3, 12, tzinfo=dt.UTC)
#: complaint rule families (hotspot, SLA) change slowly: the history replay evaluates them this often
SLOW_FAMILIES_EVERY: Final = dt.timedelta(hours=6)


def demo_feeds(dropbox: Path, *, seed: int = 2025, days: int = 7) -> list[FeedSpec]:
    """The demo feeds as in the shipped ``feeds.toml``: air replay and the simulated wastewater dataloggers."""
    return [
        FeedSpec(
            AirReplayFeed("demo-air", days=days, align_to=AIR_ALIGN), dt.timedelta(hours=1), dt.timedelta(hours=3)
        ),
        FeedSpec(
            DataloggerSimulator("demo-wastewater", dropbox, seed=seed, backfill=dt.timedelta(days=days)),
            dt.timedelta(minutes=5),
            dt.timedelta(minutes=30),
        ),
    ]


def evaluation_times(since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, bool]]:
    """When the poller would have evaluated the alerts in (since, until): hourly, then every 5 minutes in the
    last hour (so that ``for`` waits of minutes play out); the flag marks every 6th hour, when the slow
    (complaint) rule families are evaluated too."""
    hourly = int((until - since) / HOUR)
    times = [(until - k * HOUR, k % int(SLOW_FAMILIES_EVERY / HOUR) == 0) for k in range(hourly, 1, -1)]
    times += [(until - HOUR + k * STEP, False) for k in range(int(HOUR / STEP))]
    return [(moment, slow) for moment, slow in times if moment > since]


def replay_evaluations(
    engine: Engine, since: dt.datetime, until: dt.datetime, settings: Settings | None = None
) -> dict[str, int]:
    """Evaluate the alert rules at the past times of :func:`evaluation_times`, as the poller would have done.

    Stored AQI values are refreshed for the span first. No notification is sent. Returns the number of
    evaluations and of state transitions recorded.
    """
    config = settings or load_settings()
    refresh_aqi(engine, since=since - dt.timedelta(days=1), timezone=config.timezone)
    providers = all_providers(config)
    station_families = [provider for provider in providers if isinstance(provider, BuiltinProvider)]
    rules = load_alert_rules(config.config_path("alert_rules"))
    evaluations = transitions = 0
    for moment, slow in evaluation_times(since, until):
        summary = evaluate_alerts(engine, moment, providers if slow else station_families, rules=rules)
        evaluations += 1
        transitions += summary.transitions
    return {"evaluations": evaluations, "transitions": transitions}


def build_demo_monitoring(
    engine: Engine,
    *,
    now: dt.datetime,
    seed: int = 2025,
    days: int = 7,
    dropbox: Path = Path("var") / "dropbox",
    stations_file: Path = PACKAGE_CONFIG_DIR / "stations.csv",
    set_name: str = DEFAULT_BOUNDARY_SET,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Load the station registry, run the demo feeds once for the last ``days`` before ``now``, and replay the
    alert evaluations over those days (up to, not including, ``now``: the caller evaluates ``now`` itself).

    Returns
    -------
    ``{"stations": new stations, "files_written": n, "feeds": {feed: {ok, files, rows, accepted, …}},
    "history": {"evaluations": n, "transitions": n}}``. Running it again later continues from the stored
    checkpoints (nothing is stored twice) and replays the evaluations since the last one.
    """
    locator = WardLocator(engine, set_name)
    new_stations = load_station_file(engine, stations_file, set_name=set_name)
    results = run_once(engine, demo_feeds(dropbox, seed=seed, days=days), now, locator=locator)
    written = read_health(engine, "demo-wastewater").checkpoint.get("written", 0)
    last = last_evaluation_at(engine)
    since = max(now - dt.timedelta(days=days), _utc(last)) if last is not None else now - dt.timedelta(days=days)
    return {
        "stations": new_stations,
        "files_written": written,
        "feeds": {
            name: {"ok": result.ok, "error": result.error, **result.summary.as_dict()}
            for name, result in results.items()
        },
        "history": replay_evaluations(engine, since, now, settings),
    }


def resume_demo_feeds(engine: Engine, now: dt.datetime, *, days: int = 7) -> bool:
    """After downtime: the demo feeds resume at most ``days`` before ``now``, the air replay aligned again as on a
    fresh build (``now`` in the PM2.5 episode) and the dataloggers' incidents anchored on ``now``, so the promised
    live states hold as after a fresh build. Returns whether the feeds had stored checkpoints to move."""
    earliest = now - dt.timedelta(days=days)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with write_transaction(engine) as conn:
        air, water = read_health(conn, "demo-air"), read_health(conn, "demo-wastewater")
        if "shift_hours" not in air.checkpoint or not water.checkpoint.get("simulated_until"):
            return False
        last_hour = max(dt.datetime.fromisoformat(air.checkpoint["last_hour"]), earliest.replace(minute=0, second=0))
        air.checkpoint = {**air.checkpoint, "shift_hours": int((hour - AIR_ALIGN) / HOUR),
                          "last_hour": last_hour.isoformat()}  # fmt: skip
        simulated = max(dt.datetime.fromisoformat(water.checkpoint["simulated_until"]), earliest)
        water.checkpoint = {**water.checkpoint, "simulated_until": simulated.isoformat(), "anchor": now.isoformat()}
        write_health(conn, air)
        write_health(conn, water)
    return True


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC (SQLite returns naive UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
