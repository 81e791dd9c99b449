"""Roll-ups and late data: the durable queue of pending windows and its drain.

:func:`monitoring.ingest.store_batch` queues, in the ingest transaction, the runs of hours whose readings changed
(``pending_windows``, :func:`monitoring.ingest.pending_runs`). :func:`drain_pending` (each poll round, and after
``envmon readings import``) recomputes from the stored hourly means, for those hours only:

- the 8-h and 24-h means a buffer flush deferred (``store_batch(…, defer_later_windows=True)``);
- the daily station roll-ups: ``averages`` period ``1d``, one per local day (hours 01:00 … 24:00, hour-ending as
  the daily AQI), the mean of the valid hourly means, valid with at least 18 of them (standards §1.11);
- the ward roll-ups (``ward_averages``, ``1h`` and ``1d``): the mean of the valid station means of the stations
  joined to the ward, per station kind and parameter;
- the stored AQI (VN and US, hourly and daily) of the periods whose inputs hold a changed hour;

and deletes the pending windows in the same transaction, so a crash at any point loses nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from data.config import DEFAULT_TIMEZONE
from data.db import write_transaction
from data.readings_store import read_stored_averages, write_averages
from data.rollups import (
    delete_pending,
    read_valid_hourly,
    read_ward_station_means,
    replace_station_aqi,
    station_wards,
    take_pending,
    write_ward_averages,
)
from monitoring.aqi_series import AQI_COMBINATIONS, station_aqi_combinations
from monitoring.aqi_store import aqi_row
from monitoring.aqi_tables import POLLUTANTS
from monitoring.averages import ROLLING_RULES
from monitoring.ingest import refresh_rolling_after

_HOUR: Final = pd.Timedelta(hours=1)
_DAY_MIN_HOURS: Final = ROLLING_RULES["24h"][1]
#: hours after a changed hour whose AQI reads it: hourly AQI looks 24 hours back, daily 31 (8-h windows)
_AQI_REACH: Final = {"hourly": pd.Timedelta(hours=23), "daily": pd.Timedelta(hours=30)}
_AQI_CONTEXT: Final = pd.Timedelta(hours=31)
_SERIES: Final = ["station_id", "parameter"]


@dataclass
class DrainSummary:
    """What one drain recomputed: pending windows taken, rows written per kind."""

    windows: int = 0
    rolling: int = 0
    station_days: int = 0
    ward_hours: int = 0
    ward_days: int = 0
    aqi_hours: int = 0
    aqi_days: int = 0
    left: bool = False
    """True when more windows were queued than this drain took (the next one continues)."""

    def add(self, part: DrainSummary) -> None:
        """Count ``part`` (a later drain) in: its windows and rows added, its ``left`` kept."""
        for name in ("windows", "rolling", "station_days", "ward_hours", "ward_days", "aqi_hours", "aqi_days"):
            setattr(self, name, getattr(self, name) + getattr(part, name))
        self.left = part.left


def day_ends(hours: pd.Series, timezone: str) -> pd.Series:
    """The end (UTC) of the local day holding each hour-ending label of ``hours`` (01:00 … 24:00 local)."""
    local = pd.to_datetime(hours, utc=True).dt.tz_convert(ZoneInfo(timezone)) - _HOUR
    return (local.dt.normalize() + pd.Timedelta(days=1)).dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def touched_hours(windows: pd.DataFrame) -> pd.DataFrame:
    """``station_id, parameter, period_end``: every hour (hour-ending label) of the pending ``windows``."""
    after = windows["after_hour"].to_numpy(dtype="datetime64[us]")
    counts = ((windows["last_hour"].to_numpy(dtype="datetime64[us]") - after) // np.timedelta64(1, "h")).astype(int)
    rows = np.repeat(np.arange(len(windows)), counts)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    frame = pd.DataFrame(
        {
            "station_id": windows["station_id"].to_numpy()[rows],
            "parameter": windows["parameter"].to_numpy()[rows],
            "period_end": pd.to_datetime(after[rows] + within * np.timedelta64(1, "h"), utc=True),
        }
    )
    frame["period_end"] = frame["period_end"].astype("datetime64[us, UTC]")
    return frame.drop_duplicates().reset_index(drop=True)


def touched_days(windows: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """``station_id, parameter, period_end``: the end of every local day holding an hour of ``windows``."""
    hours = touched_hours(windows)
    return hours.assign(period_end=day_ends(hours["period_end"], timezone)).drop_duplicates().reset_index(drop=True)


def daily_means(hourly: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Daily roll-ups from hourly means (``station_id, parameter, period_end, value, valid``): one row per station,
    parameter and local day with ``period`` ``1d``, ``value`` the mean of the valid hours (NaN when none),
    ``n_valid`` the valid hours, ``n_expected`` 24, ``valid`` with at least 18 valid hours."""
    good = hourly["value"].where(hourly["valid"].astype(bool)).astype("float64")
    frame = pd.DataFrame(
        {
            "station_id": hourly["station_id"].to_numpy(),
            "parameter": hourly["parameter"].to_numpy(),
            "period_end": day_ends(hourly["period_end"], timezone).to_numpy(),
            "good": good.to_numpy(),
        }
    )
    result = frame.groupby([*_SERIES, "period_end"])["good"].agg(value="mean", n_valid="count").reset_index()
    result["period_end"] = pd.to_datetime(result["period_end"], utc=True).astype("datetime64[us, UTC]")
    result["n_valid"] = result["n_valid"].astype("int64")
    result["n_expected"] = 24
    result["valid"] = result["n_valid"] >= _DAY_MIN_HOURS
    return result.assign(period="1d")


def ward_means(station_means: pd.DataFrame) -> pd.DataFrame:
    """Ward roll-ups from station means (:data:`data.rollups.STATION_MEAN`): per ward, kind, parameter, period and
    period end, the mean of the valid station means; ``n_valid`` stations with one, ``n_expected`` stations with
    any mean, ``valid`` when at least one."""
    keys = ["set_name", "ward_code", "kind", "parameter", "period", "period_end"]
    good = station_means["value"].where(station_means["valid"].astype(bool))
    grouped = station_means.assign(good=good).groupby(keys)
    result = grouped.agg(value=("good", "mean"), n_valid=("good", "count"), n_expected=("station_id", "nunique"))
    result = result.reset_index()
    result["valid"] = result["n_valid"] >= 1
    return result


def _by_range(wanted: pd.DataFrame, keys: list[str]) -> list[tuple[pd.Timestamp, pd.Timestamp, pd.DataFrame]]:
    """``wanted`` split into groups of ``keys`` sharing one [first, last] period-end range (one read each)."""
    spans = wanted.groupby(keys)["period_end"].agg(first="min", last="max").reset_index()
    return [
        (first, last, group[keys].drop_duplicates())
        for (first, last), group in spans.groupby(["first", "last"], sort=True)
    ]


def _station_days(conn: Connection, windows: pd.DataFrame, timezone: str) -> int:
    wanted = touched_days(windows, timezone)
    written = 0
    for first, last, series in _by_range(wanted, _SERIES):
        stations, parameters = sorted(series["station_id"].unique()), sorted(series["parameter"].unique())
        stored = read_stored_averages(
            conn,
            stations,
            parameters,
            (first - pd.Timedelta(days=1) + _HOUR).to_pydatetime(),
            last.to_pydatetime(),
            longer_since=first.to_pydatetime(),
        )
        days = daily_means(stored.hourly.merge(series, on=_SERIES), timezone).merge(wanted, on=[*_SERIES, "period_end"])
        write_averages(conn, days, stored.keys)
        written += len(days)
    return written


def _ward_rollups(conn: Connection, windows: pd.DataFrame, timezone: str) -> tuple[int, int]:
    wards = station_wards(conn, sorted(windows["station_id"].unique()))
    if wards.empty:
        return 0, 0
    ward_keys = ["set_name", "ward_code", "kind", "parameter"]
    periods = [touched_hours(windows).assign(period="1h"), touched_days(windows, timezone).assign(period="1d")]
    wanted = pd.concat(periods, ignore_index=True).merge(wards, on="station_id")
    wanted = wanted.drop(columns="station_id").drop_duplicates()
    counts = {"1h": 0, "1d": 0}
    for first, last, groups in _by_range(wanted, ward_keys):
        means = read_ward_station_means(
            conn, groups, sorted(groups["parameter"].unique()), first.to_pydatetime(), last.to_pydatetime()
        )
        rows = ward_means(means.merge(groups, on=ward_keys)).merge(wanted, on=[*ward_keys, "period", "period_end"])
        write_ward_averages(conn, rows)
        for period, n in rows["period"].value_counts().items():
            counts[str(period)] += int(n)
    return counts["1h"], counts["1d"]


def _merged(intervals: pd.DataFrame) -> pd.DataFrame:
    """Per station and period, overlapping or adjacent [first, last] intervals merged."""
    merged = []
    for (station, period), group in intervals.sort_values("first").groupby(["station_id", "period"], sort=True):
        current: list[Any] | None = None
        for first, last in zip(group["first"], group["last"], strict=True):
            if current is not None and first <= current[1] + _HOUR:
                current[1] = max(current[1], last)
                continue
            if current is not None:
                merged.append((station, period, *current))
            current = [first, last]
        if current is not None:
            merged.append((station, period, *current))
    return pd.DataFrame(merged, columns=["station_id", "period", "first", "last"])


def _aqi(conn: Connection, windows: pd.DataFrame, timezone: str) -> tuple[int, int]:
    air = windows[windows["parameter"].isin(POLLUTANTS)]
    if air.empty:
        return 0, 0
    ranges = _merged(
        pd.concat(
            [
                pd.DataFrame(
                    {
                        "station_id": air["station_id"],
                        "period": period,
                        "first": air["after_hour"] + _HOUR,
                        "last": air["last_hour"] + reach,
                    }
                )  # fmt: skip
                for period, reach in _AQI_REACH.items()
            ],
            ignore_index=True,
        )
    )
    rows: list[dict[str, Any]] = []
    for station_id, station_ranges in ranges.groupby("station_id", sort=True):
        hourly = read_valid_hourly(
            conn,
            [str(station_id)],
            POLLUTANTS,
            (station_ranges["first"].min() - _AQI_CONTEXT).to_pydatetime(),
            station_ranges["last"].max().to_pydatetime(),
        )
        spans_of = {period: station_ranges[station_ranges["period"] == period] for period in _AQI_REACH}
        bounds = {
            period: (spans["first"].min().to_pydatetime(), spans["last"].max().to_pydatetime())
            for period, spans in spans_of.items()
        }
        computed = station_aqi_combinations(hourly, AQI_COMBINATIONS, timezone=timezone, ends_between=bounds)
        for (_, period), items in computed.items():
            spans = spans_of[period]
            ends = pd.DatetimeIndex([item.period_end for item in items], tz="UTC")
            wanted = np.zeros(len(items), dtype=bool)
            for span in spans.itertuples(index=False):
                wanted |= (ends >= span.first) & (ends <= span.last)
            rows.extend(aqi_row(item) for item, keep in zip(items, wanted, strict=True) if keep)
    replace_station_aqi(conn, ranges, rows)
    hourly_rows = sum(row["period"] == "hourly" for row in rows)
    return hourly_rows, len(rows) - hourly_rows


def drain_pending(engine: Engine, *, timezone: str = DEFAULT_TIMEZONE, limit: int = 20_000) -> DrainSummary:
    """Recompute what the oldest ``limit`` pending windows changed, and delete them, in one transaction.

    Concurrent drains (several pollers, an import) take disjoint windows on PostgreSQL; roll-ups are computed
    from committed stored means only, so the order of drains does not change the result.
    """
    summary = DrainSummary()
    with write_transaction(engine) as conn:
        windows = take_pending(conn, limit + 1)
        summary.left = len(windows) > limit
        windows = windows.iloc[:limit]
        if windows.empty:
            return summary
        summary.windows = len(windows)
        deferred = windows[windows["deferred"]]
        for last_hour, group in deferred.groupby("last_hour", sort=True):
            summary.rolling += refresh_rolling_after(conn, group[_SERIES].drop_duplicates(), last_hour)
        summary.station_days = _station_days(conn, windows, timezone)
        summary.ward_hours, summary.ward_days = _ward_rollups(conn, windows, timezone)
        summary.aqi_hours, summary.aqi_days = _aqi(conn, windows, timezone)
        delete_pending(conn, windows["id"])
    return summary


def recompute_rollups(
    engine: Engine,
    stations: list[str],
    parameters: list[str],
    after: dt.datetime,
    last: dt.datetime,
    *,
    timezone: str = DEFAULT_TIMEZONE,
) -> DrainSummary:
    """Recompute, cold and in one transaction, the daily and ward roll-ups and the AQI of ``stations`` ×
    ``parameters`` for the hours (after, last]: what draining their pending windows computes, in one pass over the
    whole span (one window per series) instead of the queue's day-long pieces; the queue is left as it is."""
    summary = DrainSummary()
    windows = pd.DataFrame(
        [(station, parameter) for station in stations for parameter in parameters], columns=_SERIES
    ).assign(after_hour=pd.Timestamp(after), last_hour=pd.Timestamp(last), deferred=False)
    for column in ("after_hour", "last_hour"):
        windows[column] = pd.to_datetime(windows[column], utc=True).astype("datetime64[us, UTC]")
    if windows.empty:
        return summary
    with write_transaction(engine) as conn:
        summary.windows = len(windows)
        summary.station_days = _station_days(conn, windows, timezone)
        summary.ward_hours, summary.ward_days = _ward_rollups(conn, windows, timezone)
        summary.aqi_hours, summary.aqi_days = _aqi(conn, windows, timezone)
    return summary


def drain_all(
    engine: Engine, *, timezone: str = DEFAULT_TIMEZONE, limit: int = 20_000, budget: dt.timedelta | None = None
) -> DrainSummary:
    """:func:`drain_pending` (each ``limit`` windows in a transaction of their own) until no window is left or,
    with a ``budget``, that much time has been spent (``left`` then says windows wait for the next call)."""
    total = DrainSummary()
    started = time.monotonic()
    while True:
        part = drain_pending(engine, timezone=timezone, limit=limit)
        total.add(part)
        if not part.left or (budget is not None and time.monotonic() - started >= budget.total_seconds()):
            return total
