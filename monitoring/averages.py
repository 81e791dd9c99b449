"""Hourly means from sub-hourly readings and rolling 8-h / 24-h means, with the project's validity rules.

An observation at time t belongs to the hour ending at ``ceil(t, hour)``: (10:00, 11:00] → 11:00, the
hour-ending labels of Decision 1459 (standards §1.9). Only device status ``00`` counts (standards §5.7).
An hourly mean is valid with at least 75 % of the expected records (PROJECT CONVENTION, §1.11); an 8-h mean
needs all 8 hours (§1.8 PROJECT CONVENTION) and a 24-h mean at least 18 of 24 (§1.11).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from monitoring.schema import STATUS_MEASURING

AVERAGE_COLUMNS: Final = ("station_id", "parameter", "period_end", "value", "n_valid", "n_expected", "valid")

ROLLING_RULES: Final[dict[str, tuple[int, int]]] = {"8h": (8, 8), "24h": (24, 18)}
"""Rolling period → (window hours, minimum valid hours)."""

_TOLERANCE = 1e-9


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station_id": pd.Series(dtype="object"),
            "parameter": pd.Series(dtype="object"),
            "period_end": pd.Series(dtype="datetime64[us, UTC]"),
            "value": pd.Series(dtype="float64"),
            "n_valid": pd.Series(dtype="int64"),
            "n_expected": pd.Series(dtype="int64"),
            "valid": pd.Series(dtype="bool"),
        }
    )


def hourly_means(readings: pd.DataFrame, *, interval_minutes: int = 5, min_fraction: float = 0.75) -> pd.DataFrame:
    """Hourly means per station and parameter, labelled by the end of the hour.

    Parameters
    ----------
    readings
        Columns ``station_id, parameter, observed_at`` (tz-aware), ``value``, ``status``.
    interval_minutes
        The station's reporting interval: 5 for Circular 10/2021 stations (12 records expected per hour),
        60 for sources that already publish hourly means.
    min_fraction
        Share of the expected records that must have status ``00`` for the mean to be valid.

    Returns
    -------
    One row per (station, parameter, hour) with any reading, columns :data:`AVERAGE_COLUMNS`; ``value`` is the
    mean of the status-00 values (NaN when there are none) and ``valid`` applies the 75 % rule.
    """
    if interval_minutes <= 0 or 60 % interval_minutes:
        msg = f"interval_minutes must divide 60, got {interval_minutes}"
        raise ValueError(msg)
    if readings.empty:
        return _empty()
    expected = 60 // interval_minutes
    frame = pd.DataFrame(
        {
            "station_id": readings["station_id"].array,
            "parameter": readings["parameter"].array,
            "period_end": readings["observed_at"].dt.tz_convert("UTC").dt.ceil("h").array,
            "good": readings["value"].where(readings["status"] == STATUS_MEASURING).to_numpy(dtype="float64"),
        }
    )
    grouped = frame.groupby(["station_id", "parameter", "period_end"], sort=True)["good"]
    result = grouped.agg(value="mean", n_valid="count").reset_index()
    result["n_valid"] = result["n_valid"].astype("int64")
    result["n_expected"] = np.int64(expected)
    result["valid"] = result["n_valid"] >= min_fraction * expected - _TOLERANCE
    result["period_end"] = pd.to_datetime(result["period_end"], utc=True).astype("datetime64[us, UTC]")
    return result[list(AVERAGE_COLUMNS)]


def rolling_means(hourly: pd.DataFrame, hours: int, *, min_hours: int) -> pd.DataFrame:
    """Rolling means of the valid hourly means over ``hours`` consecutive hours, labelled by the last hour.

    The window ending at T covers the hourly means labelled (T − hours, T]; e.g. the 8-h mean at 01:00 is
    the mean of the hours 18:00 … 01:00 (standards §1.8). Every hour with an hourly row gets a label.

    Returns
    -------
    Columns :data:`AVERAGE_COLUMNS`; ``n_valid`` counts valid hours in the window, ``n_expected`` is
    ``hours``, ``valid`` is ``n_valid >= min_hours``; ``value`` is NaN when the window holds no valid hour.
    """
    if hourly.empty:
        return _empty()
    frame = hourly[["station_id", "parameter", "period_end", "value", "valid"]].sort_values(
        ["station_id", "parameter", "period_end"], kind="stable"
    )
    series_id = frame.groupby(["station_id", "parameter"], sort=False).ngroup().to_numpy()
    ends = pd.DatetimeIndex(pd.to_datetime(frame["period_end"], utc=True))
    seconds = ends.tz_convert(None).to_numpy(dtype="datetime64[s]").view("int64")
    good = frame["value"].where(frame["valid"].astype(bool)).to_numpy(dtype="float64")
    present = ~np.isnan(good)
    # Per-series cumulative sums; a window is the difference between its last row and the row before its first.
    sums = pd.Series(np.where(present, good, 0.0)).groupby(series_id).cumsum().to_numpy()
    counts = pd.Series(present.astype("int64")).groupby(series_id).cumsum().to_numpy()
    # Rows of one series are contiguous; offsetting each series past the previous one's times lets one
    # searchsorted find every window start, (T − hours, T], without crossing into the previous series.
    span = seconds.max() - seconds.min() + hours * 3600 + 1
    position = series_id * span + (seconds - seconds.min())
    first = np.searchsorted(position, position - hours * 3600, side="right")
    before = first - 1
    has_before = (before >= 0) & (series_id[np.maximum(before, 0)] == series_id)
    window_sum = sums - np.where(has_before, sums[np.maximum(before, 0)], 0.0)
    n_valid = counts - np.where(has_before, counts[np.maximum(before, 0)], 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n_valid > 0, window_sum / n_valid, np.nan)
    result = pd.DataFrame(
        {
            "station_id": frame["station_id"].to_numpy(),
            "parameter": frame["parameter"].to_numpy(),
            "period_end": ends,
            "value": value,
            "n_valid": n_valid.astype("int64"),
        }
    )
    result["n_expected"] = np.int64(hours)
    result["valid"] = result["n_valid"] >= min_hours
    result["period_end"] = result["period_end"].astype("datetime64[us, UTC]")
    return result[list(AVERAGE_COLUMNS)]


def refreshed_averages(
    changed: pd.DataFrame, readings: pd.DataFrame, stored_hourly: pd.DataFrame, *, interval_minutes: int
) -> pd.DataFrame:
    """The 1-h, 8-h and 24-h means to (re)write after ``changed`` readings were stored, with a ``period`` column.

    ``readings`` holds every stored reading of the hours touched by ``changed`` (station_id, parameter,
    observed_at, value, status); ``stored_hourly`` the stored hourly means around them (:data:`AVERAGE_COLUMNS`).
    Hours touched are those containing a changed reading; rolling means are recomputed for every window that
    contains a touched hour (up to 23 hours later), from the stored hourly means overlaid with the new ones.
    """
    if changed.empty:
        return _empty().assign(period=pd.Series(dtype="object"))
    hours = changed["observed_at"].dt.ceil("h")
    first_hour, last_hour = hours.min(), hours.max()
    touched = pd.DataFrame(
        {"station_id": changed["station_id"], "parameter": changed["parameter"], "period_end": hours}
    ).drop_duplicates()
    hourly = hourly_means(readings, interval_minutes=interval_minutes).merge(touched, how="inner")
    pairs = touched[["station_id", "parameter"]].drop_duplicates()
    context = pd.concat([hourly, stored_hourly.merge(pairs, how="inner")], ignore_index=True).drop_duplicates(
        ["station_id", "parameter", "period_end"], keep="first"
    )
    parts = [hourly.assign(period="1h")]
    for period, (window, min_hours) in ROLLING_RULES.items():
        rolled = rolling_means(context, window, min_hours=min_hours)
        reach = pd.Timedelta(hours=window - 1)
        in_range = (rolled["period_end"] >= first_hour) & (rolled["period_end"] <= last_hour + reach)
        parts.append(rolled[in_range].assign(period=period))
    return pd.concat(parts, ignore_index=True)


def rolling_after(stored_hourly: pd.DataFrame, after: pd.Timestamp) -> pd.DataFrame:
    """The 8-h and 24-h means (with a ``period`` column) of the windows ending after the hour ``after`` that still
    contain it, from ``stored_hourly`` (:data:`AVERAGE_COLUMNS`, every hourly mean those windows cover).

    What :func:`refreshed_averages` leaves out when a late batch defers the windows it shares with the live stream.
    """
    parts = []
    for period, (window, min_hours) in ROLLING_RULES.items():
        rolled = rolling_means(stored_hourly, window, min_hours=min_hours)
        in_range = (rolled["period_end"] > after) & (rolled["period_end"] <= after + pd.Timedelta(hours=window - 1))
        parts.append(rolled[in_range].assign(period=period))
    return pd.concat(parts, ignore_index=True)
