"""Demo monitoring data: the real Hà Nội air series replayed to the present, and SYNTHETIC wastewater stations.

The two demo feeds are :class:`~monitoring.feeds.replay.AirReplayFeed` and
:class:`~monitoring.feeds.simulator.DataloggerSimulator` (see there); this module runs them once to fill a
fresh database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from data.config import DEFAULT_BOUNDARY_SET, PACKAGE_CONFIG_DIR
from monitoring.feeds.base import FeedSpec
from monitoring.feeds.replay import AirReplayFeed
from monitoring.feeds.simulator import DataloggerSimulator
from monitoring.poller import read_health, run_once
from monitoring.stations import WardLocator, load_station_file


def demo_feeds(dropbox: Path, *, seed: int = 2025, days: int = 7) -> list[FeedSpec]:
    """The demo feeds as in the shipped ``feeds.toml``: air replay and the simulated wastewater dataloggers."""
    return [
        FeedSpec(AirReplayFeed("demo-air", days=days), dt.timedelta(hours=1), dt.timedelta(hours=3)),
        FeedSpec(
            DataloggerSimulator("demo-wastewater", dropbox, seed=seed, backfill=dt.timedelta(days=days)),
            dt.timedelta(minutes=5),
            dt.timedelta(minutes=30),
        ),
    ]


def build_demo_monitoring(
    engine: Engine,
    *,
    now: dt.datetime,
    seed: int = 2025,
    days: int = 7,
    dropbox: Path = Path("var") / "dropbox",
    stations_file: Path = PACKAGE_CONFIG_DIR / "stations.csv",
    set_name: str = DEFAULT_BOUNDARY_SET,
) -> dict[str, Any]:
    """Load the station registry and run the demo feeds once for the last ``days`` before ``now``.

    Returns
    -------
    ``{"stations": new stations, "files_written": n, "feeds": {feed: {ok, files, rows, accepted, …}}}``.
    Running it again later continues from the stored checkpoints (nothing is stored twice).
    """
    locator = WardLocator(engine, set_name)
    new_stations = load_station_file(engine, stations_file, set_name=set_name)
    results = run_once(engine, demo_feeds(dropbox, seed=seed, days=days), now, locator=locator)
    written = read_health(engine, "demo-wastewater").checkpoint.get("written", 0)
    return {
        "stations": new_stations,
        "files_written": written,
        "feeds": {
            name: {"ok": result.ok, "error": result.error, **result.summary.as_dict()}
            for name, result in results.items()
        },
    }
