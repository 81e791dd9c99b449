"""AQI over station time series: hourly averages in, one AQI per station and hour or local day out."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd

from data.config import DEFAULT_TIMEZONE
from monitoring.aqi import AqiResult, Period, compute_aqi, daily_inputs, hourly_inputs
from monitoring.aqi_tables import POLLUTANTS, Scale

#: every (scale, period) the product stores and shows
AQI_COMBINATIONS: tuple[tuple[Scale, Period], ...] = (
    ("vn", "hourly"),
    ("vn", "daily"),
    ("us", "hourly"),
    ("us", "daily"),
)
#: hours of context behind an hourly AQI (24-h mean for US SO2; NowCast needs 12)
_HOURLY_CONTEXT = 24
#: hours behind a daily AQI: the 24 hours of the day plus 7 before it for the early 8-h windows
_DAILY_CONTEXT = 31
INPUT_COLUMNS = ("station_id", "parameter", "observed_at", "value")


@dataclass(frozen=True)
class StationAqi:
    """The AQI of one station for one period, labelled by the period's end (UTC)."""

    station_id: str
    period_end: dt.datetime
    result: AqiResult


def parse_hourly_rows(rows: Iterable[Mapping[str, str]], source: str) -> pd.DataFrame:
    """Validate ``station_id, parameter, observed_at, value`` rows into a frame of hourly averages.

    ``observed_at`` is an ISO 8601 time with offset marking the END of the hourly average; values are µg/m³.
    Raises ValueError naming the file and line of the first bad row (line 1 is the header).
    """
    records: list[tuple[str, str, dt.datetime, float]] = []
    seen: dict[tuple[str, str, dt.datetime], int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{source} line {line}"
        missing = [c for c in INPUT_COLUMNS if not (row.get(c) or "").strip()]
        if missing:
            msg = f"{where}: missing {', '.join(missing)}"
            raise ValueError(msg)
        station, parameter = row["station_id"].strip(), row["parameter"].strip().lower()
        if parameter not in POLLUTANTS:
            msg = f"{where}: parameter {parameter!r} is not one of {', '.join(POLLUTANTS)}"
            raise ValueError(msg)
        try:
            observed = dt.datetime.fromisoformat(row["observed_at"].strip())
        except ValueError as err:
            msg = f"{where}: observed_at {row['observed_at']!r} is not an ISO 8601 time"
            raise ValueError(msg) from err
        if observed.tzinfo is None:
            msg = f"{where}: observed_at {row['observed_at']!r} has no UTC offset"
            raise ValueError(msg)
        if (observed.minute, observed.second, observed.microsecond) != (0, 0, 0):
            msg = f"{where}: observed_at {row['observed_at']!r} is not the end of an hour"
            raise ValueError(msg)
        try:
            value = float(row["value"].strip().replace(",", "."))
        except ValueError as err:
            msg = f"{where}: value {row['value']!r} is not a number"
            raise ValueError(msg) from err
        if not math.isfinite(value):
            msg = f"{where}: value {row['value']!r} is not a finite number"
            raise ValueError(msg)
        key = (station, parameter, observed.astimezone(dt.UTC))
        if key in seen:
            msg = f"{where}: duplicate of line {seen[key]} ({station}, {parameter}, {observed.isoformat()})"
            raise ValueError(msg)
        seen[key] = line
        records.append((*key, value))
    return pd.DataFrame(records, columns=["station_id", "parameter", "period_end", "value"])


def _hourly_grid(pivot: pd.DataFrame, context: int) -> tuple[pd.DatetimeIndex, dict[str, list[float | None]]]:
    """Every hour from ``context`` hours before the first value to the last, per parameter (None = missing)."""
    index = pd.date_range(pivot.index.min() - pd.Timedelta(hours=context), pivot.index.max() + pd.Timedelta(days=1),
                          freq="h")  # fmt: skip
    frame = pivot.reindex(index)
    columns = {
        str(parameter): [None if math.isnan(v) else float(v) for v in frame[parameter].to_numpy(dtype=float)]
        for parameter in frame.columns
    }
    return index, columns


def station_aqi(
    hourly: pd.DataFrame,
    *,
    scale: Scale,
    period: Period,
    timezone: str = DEFAULT_TIMEZONE,
    ends_between: tuple[dt.datetime, dt.datetime] | None = None,
) -> list[StationAqi]:
    """AQI per station and hour (``hourly``) or local day (``daily``, 01:00–24:00 hour-ending) on one scale.

    ``hourly`` has columns station_id, parameter, period_end (tz-aware, end of the hour), value (µg/m³).
    Only periods where an AQI exists are returned, sorted by station and time; with ``ends_between`` only those
    ending in that closed range (``hourly`` then only needs to hold their context).
    """
    bounds = None if ends_between is None else {period: ends_between}
    return station_aqi_combinations(hourly, ((scale, period),), timezone=timezone, ends_between=bounds)[(scale, period)]


def station_aqi_combinations(
    hourly: pd.DataFrame,
    combinations: Sequence[tuple[Scale, Period]] = AQI_COMBINATIONS,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    ends_between: Mapping[Period, tuple[dt.datetime, dt.datetime]] | None = None,
) -> dict[tuple[Scale, Period], list[StationAqi]]:
    """``station_aqi`` for several (scale, period) pairs in one pass over ``hourly``.

    Each station's hours are pivoted once and each period's inputs computed once for every scale, so asking for
    all four pairs costs about what one did. ``ends_between`` bounds the period ends per period (absent: all).
    """
    results: dict[tuple[Scale, Period], list[StationAqi]] = {pair: [] for pair in combinations}
    if hourly.empty:
        return results
    frame = hourly[hourly["parameter"].isin(POLLUTANTS)].copy()
    frame["period_end"] = pd.to_datetime(frame["period_end"], utc=True)
    zone = ZoneInfo(timezone)
    periods = list(dict.fromkeys(period for _, period in combinations))
    for station_id, rows in frame.groupby("station_id", sort=True):
        pivot = rows.pivot_table(index="period_end", columns="parameter", values="value", aggfunc="mean")
        index, columns = _hourly_grid(pivot, _DAILY_CONTEXT)
        for period in periods:
            ends, context = _period_ends(pivot.index, period, zone)
            bounds = None if ends_between is None else ends_between.get(period)
            if bounds is not None:
                ends = [e for e in ends if bounds[0] <= e <= bounds[1]]
            scales = [scale for scale, wanted in combinations if wanted == period]
            for end in ends:
                stop = index.get_loc(end) + 1
                series = {parameter: values[stop - context : stop] for parameter, values in columns.items()}
                inputs = hourly_inputs(series) if period == "hourly" else daily_inputs(series)
                for scale in scales:
                    result = compute_aqi(scale, inputs)
                    if result is not None:
                        results[(scale, period)].append(StationAqi(str(station_id), end.to_pydatetime(), result))
    return results


def _period_ends(hours: pd.DatetimeIndex, period: Period, zone: ZoneInfo) -> tuple[list[pd.Timestamp], int]:
    """The ends (UTC) of the hours or local days that ``hours`` fall in, and the hours of context each needs."""
    if period == "hourly":
        return list(hours), _HOURLY_CONTEXT
    days = sorted({(t.tz_convert(zone) - pd.Timedelta(hours=1)).date() for t in hours})
    ends = [pd.Timestamp(dt.datetime.combine(d + dt.timedelta(days=1), dt.time(), zone)) for d in days]
    return [e.tz_convert("UTC") for e in ends], _DAILY_CONTEXT
