"""The demo wastewater feed: SYNTHETIC dataloggers writing Circular 10/2021 files into a drop folder.

The stations sit at real Hà Nội industrial parks and treatment plants (coordinates approximate, see
``data/config/stations.csv``; ``synthetic = true``). A simulated datalogger writes genuine Circular 10/2021
files every 5 minutes, with values modelled on the real daily series of the UCI "Water Treatment Plant"
data (scaled), and with the events every alert path needs: calibration periods (status 01), an error spell
(02), an outage (no files) and COD / NH4 exceedances.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from data.config import REFERENCE_DIR
from monitoring.feeds.base import Batch, FeedContext, register_feed
from monitoring.feeds.stationfiles import DropFolderFeed
from monitoring.feeds.tt10 import LOCAL_TZ, TIME_FORMAT

PLANT_SERIES: Final = REFERENCE_DIR / "wastewater" / "uci_water_treatment_plant_daily_1990-1991.csv"
STEP: Final = dt.timedelta(minutes=5)
DAY_ZERO: Final = dt.date(2025, 1, 1)
SYMBOLS: Final = (("Temp", "oC"), ("pH", "-"), ("Color", "Pt-Co"), ("COD", "mg/L"), ("TSS", "mg/L"),
                  ("NH4", "mg/L"), ("Flow", "m3/h"))  # fmt: skip


@dataclass(frozen=True)
class DemoEvent:
    """A daily-recurring episode at a station, in local time, on days where ``day % every == offset``.

    ``kind`` is ``calibration`` (status 01), ``error`` (status 02), ``outage`` (no file) or ``exceedance``
    (values multiplied by ``factor``); ``symbols`` are the affected parameters (all when empty).
    """

    kind: str
    start: dt.time
    minutes: int
    every: int = 1
    offset: int = 0
    symbols: tuple[str, ...] = ()
    factor: float = 1.0


@dataclass(frozen=True)
class DemoPlant:
    """A synthetic wastewater station: its discharge (m³/24 h) and its recurring events."""

    station_id: str
    flow_m3_per_day: float
    events: tuple[DemoEvent, ...] = ()


DEMO_PLANTS: Final = (
    DemoPlant("HN_KCNTHANGLONG_NT01", 3000, (DemoEvent("calibration", dt.time(9, 0), 30, symbols=("COD", "NH4")),)),
    DemoPlant("HN_KCNQUANGMINH_NT01", 4000, (DemoEvent("calibration", dt.time(14, 0), 20),)),
    DemoPlant(
        "HN_KCNNAMTHANGLONG_NT01", 400, (DemoEvent("error", dt.time(2, 0), 180, every=2, offset=1, symbols=("NH4",)),)
    ),
    DemoPlant("HN_XLNTYENSO_NT01", 200000, (DemoEvent("outage", dt.time(13, 0), 180, every=2),)),
    DemoPlant(
        "HN_XLNTBACTHANGLONG_NT01",
        42000,
        (DemoEvent("exceedance", dt.time(20, 0), 120, every=2, offset=1, symbols=("NH4",), factor=4.0),),
    ),
    DemoPlant(
        "HN_KCNPHUNGHIA_NT01",
        1500,
        (DemoEvent("exceedance", dt.time(11, 0), 90, every=2, symbols=("COD",), factor=2.2),),
    ),
)


def _event_mask(event: DemoEvent, local: pd.DatetimeIndex) -> np.ndarray:
    days = np.asarray((local.normalize().tz_localize(None) - pd.Timestamp(DAY_ZERO)).days)
    minutes = np.asarray(local.hour * 60 + local.minute)
    begin = event.start.hour * 60 + event.start.minute
    return (days % event.every == event.offset) & (minutes >= begin) & (minutes < begin + event.minutes)


@register_feed("demo-dataloggers")
class DataloggerSimulator:
    """The demo wastewater feed: simulated dataloggers write Circular 10/2021 files into a drop folder, which
    is then read like any station drop folder (files moved to ``processed/`` after the commit).

    Each poll writes the files due since the previous poll (``backfill`` on the first), one per station every
    5 minutes, then ingests every file waiting in the folder.
    """

    def __init__(
        self,
        name: str,
        folder: Path,
        *,
        seed: int = 2025,
        backfill: dt.timedelta = dt.timedelta(days=1),
        plants: tuple[DemoPlant, ...] = DEMO_PLANTS,
        series_path: Path = PLANT_SERIES,
    ) -> None:
        self.name = name
        self.kind = "wastewater"
        self.folder = folder
        self.seed = seed
        self.backfill = backfill
        self.plants = plants
        self.series_path = series_path
        self.dropbox = DropFolderFeed(name, folder, kind="wastewater")

    @classmethod
    def from_config(cls, name: str, entry: Mapping[str, Any], context: FeedContext) -> DataloggerSimulator:
        """``folder`` (relative to var_dir; default ``dropbox``), ``seed`` (2025), ``backfill_days`` (1)."""
        return cls(
            name,
            context.folder(entry),
            seed=int(entry.get("seed", 2025)),
            backfill=dt.timedelta(days=float(entry.get("backfill_days", 1))),
        )

    @cached_property
    def _plant_days(self) -> pd.DataFrame:
        """The real daily effluent values, gaps filled from neighbouring days."""
        columns = ["Q-E", "PH-S", "DBO-S", "DQO-S", "SS-S"]
        return pd.read_csv(self.series_path)[columns].ffill().bfill()

    def values(self, plant_index: int, times: pd.DatetimeIndex) -> pd.DataFrame:
        """Modelled values (columns = TT10 symbols) and statuses (``status_<symbol>``) at ``times`` (UTC)."""
        plant = self.plants[plant_index]
        local = times.tz_convert(LOCAL_TZ)
        days = self._plant_days
        day_numbers = np.asarray((local.normalize().tz_localize(None) - pd.Timestamp(DAY_ZERO)).days)
        daily = days.iloc[(day_numbers + 37 * plant_index) % len(days)].reset_index(drop=True)
        hours = np.asarray(local.hour + local.minute / 60.0)
        diurnal = 1.0 + 0.15 * np.sin(2 * np.pi * (hours - 8) / 24)
        slots = np.asarray(times.asi8 // (STEP.total_seconds() * 1e9), dtype="int64")
        noise = np.array([np.random.default_rng([self.seed, plant_index, slot]).normal(1.0, 0.04, 6) for slot in slots])
        noise = noise.reshape(len(times), 6)
        frame = pd.DataFrame(
            {
                "Temp": 27.0 + 2.5 * np.sin(2 * np.pi * (hours - 9) / 24) + (noise[:, 0] - 1) * 5,
                "pH": daily["PH-S"].to_numpy() + (noise[:, 1] - 1) * 2,
                "Color": (18.0 + 0.6 * daily["SS-S"].to_numpy()) * noise[:, 2],
                "COD": 0.65 * daily["DQO-S"].to_numpy() * diurnal * noise[:, 3],
                "TSS": 0.9 * daily["SS-S"].to_numpy() * diurnal * noise[:, 4],
                "NH4": 0.15 * daily["DBO-S"].to_numpy() * diurnal * noise[:, 5],
                "Flow": plant.flow_m3_per_day / 24 * (daily["Q-E"].to_numpy() / days["Q-E"].mean())
                * (1 + 0.25 * np.sin(2 * np.pi * (hours - 7) / 24)),
            }
        )  # fmt: skip
        for symbol, _ in SYMBOLS:
            frame[f"status_{symbol}"] = "00"
        frame["outage"] = False
        for event in plant.events:
            mask = _event_mask(event, local)
            affected = event.symbols or tuple(symbol for symbol, _ in SYMBOLS)
            if event.kind == "outage":
                frame.loc[mask, "outage"] = True
            for symbol in affected:
                if event.kind == "calibration":
                    frame.loc[mask, f"status_{symbol}"] = "01"
                elif event.kind == "error":
                    frame.loc[mask, f"status_{symbol}"] = "02"
                elif event.kind == "exceedance":
                    frame.loc[mask, symbol] = frame.loc[mask, symbol] * event.factor
        frame.index = times
        return frame

    def write_files(self, after: dt.datetime, until: dt.datetime) -> int:
        """Write every file due in (after, until]; returns how many were written."""
        first = after + (STEP - (after - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) % STEP)
        times = pd.date_range(first, until, freq=STEP, tz="UTC")
        self.folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for plant_index, plant in enumerate(self.plants):
            frame = self.values(plant_index, times)
            for moment, row in zip(times, frame.itertuples(index=False), strict=True):
                if row.outage:
                    continue
                stamp = moment.tz_convert(LOCAL_TZ).strftime(TIME_FORMAT)
                record = row._asdict()
                lines = [
                    f"{symbol}\t{record[symbol]:.2f}\t{unit}\t{stamp}\t{record[f'status_{symbol}']}"
                    for symbol, unit in SYMBOLS
                ]
                path = self.folder / f"{plant.station_id}_{stamp}.txt"
                path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
                written += 1
        return written

    def fetch(self, checkpoint: Mapping[str, Any], now: dt.datetime) -> Batch:
        """Write the files due since the last poll, then read the drop folder."""
        simulated = checkpoint.get("simulated_until")
        after = dt.datetime.fromisoformat(simulated) if simulated else now - self.backfill
        until = max(now, after)
        written = self.write_files(after, until)
        batch = self.dropbox.fetch(checkpoint, now)
        batch.checkpoint.update(simulated_until=until.isoformat(), written=written)
        return batch

    def acknowledge(self, batch: Batch) -> None:
        """Move the ingested files out of the drop folder."""
        self.dropbox.acknowledge(batch)
