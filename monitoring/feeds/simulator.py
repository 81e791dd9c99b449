"""The demo wastewater feed: SYNTHETIC dataloggers writing Circular 10/2021 files into a drop folder.

The stations sit at real Hà Nội industrial parks and treatment plants (coordinates approximate, see
``data/config/stations.csv``; ``synthetic = true``). A simulated datalogger writes genuine Circular 10/2021
files every 5 minutes, with values modelled on the real daily series of the UCI "Water Treatment Plant"
data (scaled). Two kinds of scripts shape them:

* daily-recurring events (calibration 01, error 02, outage, exceedance) give a week of history its episodes;
* incidents anchored on the simulator's first poll (the moment the demo was built) keep the live states true
  at whatever hour the demo was built and whenever it is opened while the poller advances the data (from a
  station's first incident on, its recurring events stop): a station exceeding its permit for a day,
  one calibrating, one with a device error, one that went silent in the middle of an exceedance, and one
  whose values oscillate around the limit so that an alert is always pending.
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
NOISE_COLUMN: Final = {"Temp": 0, "pH": 1, "Color": 2, "COD": 3, "TSS": 4, "NH4": 5, "Flow": 0}


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
class DemoIncident:
    """An episode anchored on the moment the demo was built (``anchor``), so its state holds whenever it is opened.

    It starts ``begins`` before the anchor and lasts ``lasts`` (None: until the demo is rebuilt). ``kind`` is as
    for :class:`DemoEvent`; an exceedance sets the affected values to ``level`` (times measurement noise). With
    ``cycle``, an exceedance is on for the first ``on_for`` of each cycle (counted from ``begins`` + ``phase``)
    and the values are ``clean_level`` in between: a value oscillating around its limit.
    """

    kind: str
    begins: dt.timedelta
    lasts: dt.timedelta | None = None
    symbols: tuple[str, ...] = ()
    level: float | None = None
    cycle: dt.timedelta | None = None
    on_for: dt.timedelta = dt.timedelta(0)
    phase: dt.timedelta = dt.timedelta(0)
    clean_level: float | None = None


@dataclass(frozen=True)
class DemoPlant:
    """A synthetic wastewater station: its discharge (m³/24 h), its recurring events and its anchored incidents."""

    station_id: str
    flow_m3_per_day: float
    events: tuple[DemoEvent, ...] = ()
    incidents: tuple[DemoIncident, ...] = ()


# Oscillation for the always-pending alert: the effluent rule fires after its condition held 15 minutes
# (`for = "15m"` in alert_rules.toml), so COD and TSS take turns above the limit for 15 minutes each: at every
# 5-minute evaluation one of them has been breaching for less than 15 minutes.
_OSCILLATION: Final = dt.timedelta(minutes=30)
_HALF: Final = dt.timedelta(minutes=15)

DEMO_PLANTS: Final = (
    # a healthy station: a daily calibration of its COD and NH4 analysers
    DemoPlant("HN_KCNTHANGLONG_NT01", 3000, (DemoEvent("calibration", dt.time(9, 0), 30, symbols=("COD", "NH4")),)),
    # calibrating now (Cmax not evaluated while status is 01)
    DemoPlant(
        "HN_KCNQUANGMINH_NT01",
        4000,
        (DemoEvent("calibration", dt.time(14, 0), 20),),
        (DemoIncident("calibration", begins=dt.timedelta(minutes=25)),),
    ),
    # the NH4 analyser reports an error (status 02) every other night, and since two hours before the anchor
    DemoPlant(
        "HN_KCNNAMTHANGLONG_NT01",
        400,
        (DemoEvent("error", dt.time(2, 0), 180, every=2, offset=1, symbols=("NH4",)),),
        (DemoIncident("error", begins=dt.timedelta(hours=2), symbols=("NH4",)),),
    ),
    # outages every other afternoon; TSS above Cmax from 5 h before the anchor, silent from 3 h before it
    DemoPlant(
        "HN_XLNTYENSO_NT01",
        200000,
        (DemoEvent("outage", dt.time(13, 0), 180, every=2),),
        (
            DemoIncident("exceedance", begins=dt.timedelta(hours=5), symbols=("TSS",), level=120.0),
            DemoIncident("outage", begins=dt.timedelta(hours=3)),
        ),
    ),
    # NH4 above Cmax every other evening; COD and TSS oscillating around their limits since 30 min before the anchor
    DemoPlant(
        "HN_XLNTBACTHANGLONG_NT01",
        42000,
        (DemoEvent("exceedance", dt.time(20, 0), 120, every=2, offset=1, symbols=("NH4",), factor=4.0),),
        (
            DemoIncident(
                "exceedance",
                begins=dt.timedelta(minutes=30),
                symbols=("COD",),
                level=150.0,
                cycle=_OSCILLATION,
                on_for=_HALF,
                clean_level=90.0,
            ),
            DemoIncident(
                "exceedance",
                begins=dt.timedelta(minutes=30),
                symbols=("TSS",),
                level=105.0,
                cycle=_OSCILLATION,
                on_for=_HALF,
                phase=_HALF,
                clean_level=55.0,
            ),
        ),  # fmt: skip
    ),
    # COD above its permit limit (100 mg/L) every other late morning, and without a break since a day before the anchor
    DemoPlant(
        "HN_KCNPHUNGHIA_NT01",
        1500,
        (DemoEvent("exceedance", dt.time(11, 0), 90, every=2, symbols=("COD",), factor=2.2),),
        (DemoIncident("exceedance", begins=dt.timedelta(hours=26), symbols=("COD",), level=150.0),),
    ),
)


def _event_mask(event: DemoEvent, local: pd.DatetimeIndex) -> np.ndarray:
    days = np.asarray((local.normalize().tz_localize(None) - pd.Timestamp(DAY_ZERO)).days)
    minutes = np.asarray(local.hour * 60 + local.minute)
    begin = event.start.hour * 60 + event.start.minute
    return (days % event.every == event.offset) & (minutes >= begin) & (minutes < begin + event.minutes)


def _scripted_mask(plant: DemoPlant, times: pd.DatetimeIndex, anchor: dt.datetime | None) -> np.ndarray:
    """Where ``plant`` follows its anchored incidents only: from the earliest one's start (none without an anchor).

    A recurring event there could hide an incident (an afternoon outage over the exceedance that must precede the
    silence), so whether the promised states hold would depend on the time of day the demo was built.
    """
    if anchor is None or not plant.incidents:
        return np.zeros(len(times), dtype=bool)
    return np.asarray(times >= pd.Timestamp(anchor - max(incident.begins for incident in plant.incidents)))


def _incident_masks(incident: DemoIncident, times: pd.DatetimeIndex, anchor: dt.datetime) -> tuple[Any, Any]:
    """(on, off): where the incident is active, and where an oscillating one is between its spells."""
    start = pd.Timestamp(anchor - incident.begins)
    during = np.asarray(times >= start)
    if incident.lasts is not None:
        during &= np.asarray(times < start + incident.lasts)
    if incident.cycle is None:
        return during, np.zeros(len(times), dtype=bool)
    spell = np.asarray((times - start - incident.phase) % incident.cycle < incident.on_for)
    return during & spell, during & ~spell


def _apply(
    frame: pd.DataFrame,
    kind: str,
    mask: Any,
    symbols: tuple[str, ...],
    *,
    factor: float = 1.0,
    level: float | None = None,
    noise: np.ndarray | None = None,
) -> None:
    """Apply one episode where ``mask``: status 01 / 02, no file, or values × ``factor`` (or ``level`` × noise)."""
    if kind == "outage":
        frame.loc[mask, "outage"] = True
        return
    for symbol in symbols or tuple(symbol for symbol, _ in SYMBOLS):
        if kind == "calibration":
            frame.loc[mask, f"status_{symbol}"] = "01"
        elif kind == "error":
            frame.loc[mask, f"status_{symbol}"] = "02"
        elif kind == "exceedance" and level is not None and noise is not None:
            frame.loc[mask, symbol] = level * noise[mask, NOISE_COLUMN[symbol]]
        elif kind == "exceedance":
            frame.loc[mask, symbol] = frame.loc[mask, symbol] * factor


@register_feed("demo-dataloggers")
class DataloggerSimulator:
    """The demo wastewater feed: simulated dataloggers write Circular 10/2021 files into a drop folder, which
    is then read like any station drop folder (files moved to ``processed/`` after the commit).

    Each poll writes the files due since the previous poll (``backfill`` on the first), one per station every
    5 minutes, then ingests every file waiting in the folder. The first poll's time is the anchor of the
    plants' incidents; it is kept in the checkpoint.
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

    def values(self, plant_index: int, times: pd.DatetimeIndex, anchor: dt.datetime | None = None) -> pd.DataFrame:
        """Modelled values (columns = TT10 symbols) and statuses (``status_<symbol>``) at ``times`` (UTC).

        ``anchor`` places the plant's incidents (none without it); from the first incident's start the recurring
        events no longer apply.
        """
        plant = self.plants[plant_index]
        local = times.tz_convert(LOCAL_TZ)
        days = self._plant_days
        day_numbers = np.asarray((local.normalize().tz_localize(None) - pd.Timestamp(DAY_ZERO)).days)
        daily = days.iloc[(day_numbers + 37 * plant_index) % len(days)].reset_index(drop=True)
        hours = np.asarray(local.hour + local.minute / 60.0)
        diurnal = 1.0 + 0.15 * np.sin(2 * np.pi * (hours - 8) / 24)
        slots = np.asarray((times - pd.Timestamp(0, tz="UTC")) // STEP, dtype="int64")  # whatever the time unit
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
        scripted = _scripted_mask(plant, times, anchor)
        for event in plant.events:
            _apply(frame, event.kind, _event_mask(event, local) & ~scripted, event.symbols, factor=event.factor)
        for incident in plant.incidents if anchor is not None else ():
            on, off = _incident_masks(incident, times, anchor)
            _apply(frame, incident.kind, on, incident.symbols, level=incident.level, noise=noise)
            if incident.clean_level is not None:
                _apply(frame, "exceedance", off, incident.symbols, level=incident.clean_level, noise=noise)
        frame.index = times
        return frame

    def write_files(self, after: dt.datetime, until: dt.datetime, anchor: dt.datetime | None = None) -> int:
        """Write every file due in (after, until] (incidents placed by ``anchor``); returns how many were written."""
        first = after + (STEP - (after - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) % STEP)
        times = pd.date_range(first, until, freq=STEP, tz="UTC")
        self.folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for plant_index, plant in enumerate(self.plants):
            frame = self.values(plant_index, times, anchor)
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
        anchor = dt.datetime.fromisoformat(checkpoint["anchor"]) if checkpoint.get("anchor") else now
        until = max(now, after)
        written = self.write_files(after, until, anchor)
        batch = self.dropbox.fetch(checkpoint, now)
        batch.checkpoint.update(simulated_until=until.isoformat(), written=written, anchor=anchor.isoformat())
        return batch

    def acknowledge(self, batch: Batch) -> None:
        """Move the ingested files out of the drop folder."""
        self.dropbox.acknowledge(batch)
