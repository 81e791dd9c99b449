"""Stored AQI values: recompute ``aqi_values`` (VN and US, hourly and daily) from stored hourly averages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine

from data.aqi_values import replace_aqi_values, valid_hourly_averages
from data.config import DEFAULT_TIMEZONE
from monitoring.aqi import AqiResult
from monitoring.aqi_series import AQI_COMBINATIONS, StationAqi, station_aqi_combinations
from monitoring.aqi_tables import POLLUTANTS

#: hours read before ``since`` so that NowCast, 8-h windows and the first day are complete
_LOOKBACK = dt.timedelta(hours=48)


def sub_index_record(result: AqiResult) -> dict[str, Any]:
    """JSON for ``aqi_values.sub_indices``: per parameter, rounded and exact AQI, input and table."""
    return {
        parameter: {
            "aqi": sub.aqi,
            "exact": float(sub.exact),
            "concentration": float(sub.concentration),
            "unit": sub.unit,
            "table": sub.table,
            "beyond_scale": sub.beyond_scale,
        }
        for parameter, sub in result.sub_indices.items()
    }


def aqi_row(item: StationAqi) -> dict[str, Any]:
    """The ``aqi_values`` row of one computed AQI."""
    result = item.result
    return {
        "station_id": item.station_id,
        "scale": result.scale,
        "period": result.period,
        "period_end": item.period_end,
        "aqi": result.aqi,
        "category": result.category.level,
        "dominant": result.dominant,
        "beyond_scale": result.beyond_scale,
        "sub_indices": sub_index_record(result),
    }


def refresh_aqi(engine: Engine, *, since: dt.datetime | None = None, timezone: str = DEFAULT_TIMEZONE) -> int:
    """Recompute AQI values for periods ending at or after ``since`` (all when None); return rows written.

    Reads valid hourly averages (``averages``, period ``1h``, values in µg/m³) and replaces the VN and US,
    hourly and daily rows of ``aqi_values`` in that range in one transaction, so running it twice is a no-op.
    """
    if since is not None and since.tzinfo is None:
        msg = f"since {since!r} must be timezone-aware"
        raise ValueError(msg)
    hourly = valid_hourly_averages(engine, POLLUTANTS, None if since is None else since - _LOOKBACK)
    rows: list[dict[str, Any]] = []
    for items in station_aqi_combinations(hourly, AQI_COMBINATIONS, timezone=timezone).values():
        rows.extend(aqi_row(item) for item in items if since is None or item.period_end >= since)
    replace_aqi_values(engine, rows, since=since)
    return len(rows)
