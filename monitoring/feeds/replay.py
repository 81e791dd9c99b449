"""Demo air feed: replays the real Hà Nội hourly series (OpenAQ export + moitruongthudo.vn) shifted to the present.

The first poll shifts the real series so that its last hour (or the real hour ``align_to``) lands on the current
hour and emits the last ``days``; the shift is saved in the checkpoint, so later polls continue the same series
(looping back to its start when the real data run out). Readings carry source ``demo-replay``; the stations
are the real ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import pandas as pd

from data.config import REFERENCE_DIR
from monitoring.feeds.base import Batch, FeedContext, register_feed
from monitoring.feeds.history import read_moitruongthudo, read_openaq_export
from monitoring.feeds.openaq import openaq_station_id
from monitoring.schema import NATURAL_KEY

AIR_DIR: Final = REFERENCE_DIR / "air_quality"
OPENAQ_FILE: Final = "openaq_hanoi_4stations_2025-04_hourly.csv"
MOITRUONGTHUDO_FILE: Final = "moitruongthudo_hanoi_5stations_2025-03-07_2025-05-11_hourly_merged.csv"
STATIONS_FILE: Final = "openaq_hanoi_stations.csv"
HOUR: Final = dt.timedelta(hours=1)


def real_series(air_dir: Path = AIR_DIR) -> pd.DataFrame:
    """The real hourly readings of both files in one series: OpenAQ values first, moitruongthudo.vn filling in."""
    openaq = read_openaq_export(pd.read_csv(air_dir / OPENAQ_FILE), source=OPENAQ_FILE).readings
    merged = read_moitruongthudo(pd.read_csv(air_dir / MOITRUONGTHUDO_FILE), source=MOITRUONGTHUDO_FILE).readings
    series = pd.concat([openaq, merged], ignore_index=True).drop_duplicates(list(NATURAL_KEY), keep="first")
    return series.sort_values(["observed_at", "station_id", "parameter"]).reset_index(drop=True)


def station_metadata(air_dir: Path = AIR_DIR) -> pd.DataFrame:
    """The replayed stations with their coordinates (Vân Hà has none in the source files: left unlocated)."""
    known = pd.read_csv(air_dir / STATIONS_FILE)
    frame = pd.DataFrame(
        {
            "id": known["location_id"].map(openaq_station_id),
            "name": known["location_name"],
            "kind": "air",
            "operator": known["provider"],
            "lat": known["latitude"],
            "lon": known["longitude"],
            "grade": "reference",
            "source": "openaq",
        }
    )
    van_ha = {"id": "openaq-2161320", "name": "Vân Hà", "kind": "air", "operator": "moitruongthudo.vn",
              "grade": "reference", "source": "moitruongthudo"}  # fmt: skip
    return pd.concat([frame, pd.DataFrame([van_ha])], ignore_index=True)


@register_feed("demo-air-replay")
class AirReplayFeed:
    """Replays the real Hà Nội hourly air series as if it were arriving now (demo only)."""

    def __init__(
        self, name: str, *, days: int = 7, air_dir: Path = AIR_DIR, align_to: dt.datetime | None = None
    ) -> None:
        self.name = name
        self.kind = "air"
        self.days = days
        self.air_dir = air_dir
        self.align_to = align_to

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> AirReplayFeed:
        """Optional ``days`` (7): how much of the series the first poll emits."""
        return cls(name, days=int(entry.get("days", 7)))

    @cached_property
    def _series(self) -> pd.DataFrame:
        return real_series(self.air_dir)

    def _replayed(self, start: dt.datetime, end: dt.datetime, shift: dt.timedelta) -> pd.DataFrame:
        """Real readings mapped to demo hours in (start, end], looping over the real period."""
        series = self._series
        base = series["observed_at"].min().to_pydatetime() - HOUR
        length = series["observed_at"].max().to_pydatetime() - base
        parts = []
        cursor = start
        while cursor < end:
            real_from = base + (cursor - shift - base) % length
            span = min(end - cursor, base + length - real_from)
            window = series[(series["observed_at"] > real_from) & (series["observed_at"] <= real_from + span)]
            moved = window.copy()
            moved["observed_at"] = moved["observed_at"] + (cursor - real_from)
            parts.append(moved)
            cursor += span
        replayed = pd.concat(parts, ignore_index=True) if parts else series.iloc[0:0].copy()
        replayed["source"] = "demo-replay"
        return replayed

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """Demo hours since the checkpoint (the last ``days`` on the first poll)."""
        current_hour = now.replace(minute=0, second=0, microsecond=0)
        if "shift_hours" in checkpoint:
            shift = dt.timedelta(hours=int(checkpoint["shift_hours"]))
            start = dt.datetime.fromisoformat(checkpoint["last_hour"])
        else:
            real_now = self.align_to or self._series["observed_at"].max().to_pydatetime()
            shift = current_hour - real_now
            start = current_hour - dt.timedelta(days=self.days)
        readings = self._replayed(start, current_hour, shift)
        return Batch(
            source=self.name,
            kind="air",
            readings=readings,
            stations=station_metadata(self.air_dir),
            interval_minutes=60,
            checkpoint={
                "shift_hours": int(shift / HOUR),
                "last_hour": max(start, current_hour).isoformat(),
            },
        )

    def acknowledge(self, batch: Batch) -> None:
        """Nothing to do: the checkpoint saved with the batch is the position."""
