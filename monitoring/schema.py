"""The canonical reading schema every feed returns, with row validation into accepted rows and rejects."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Hashable
from typing import Any, Final

import numpy as np
import pandas as pd

from monitoring.errors import ReadingsSchemaError
from monitoring.feeds.base import Reason, Reject
from monitoring.units import AIR_PARAMETERS, normalise_parameter, to_standard_units

READING_COLUMNS: Final = ("station_id", "parameter", "value", "unit", "observed_at", "status", "source")
"""Canonical reading columns; ``observed_at`` is tz-aware UTC, ``status`` a Circular 10/2021 device code."""

STATUS_MEASURING: Final = "00"
STATUS_CALIBRATING: Final = "01"
STATUS_ERROR: Final = "02"
VALID_STATUSES: Final = frozenset({STATUS_MEASURING, STATUS_CALIBRATING, STATUS_ERROR})
"""Device status codes of Circular 10/2021 (standards §5.4); any other code is invalid on ingest."""

NATURAL_KEY: Final = ("station_id", "parameter", "observed_at")
FUTURE_TOLERANCE: Final = dt.timedelta(minutes=10)
"""How far past the reference time an observation may be before it counts as clock skew and is refused."""


def _json_safe(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


def _cell(value: Any) -> str:
    """A refused cell as the text its reason quotes (``<empty>`` when missing)."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
    return "<empty>" if missing else str(value)


def raw_record(row: pd.Series) -> dict[str, Any]:
    """A JSON-safe copy of an input row for the quarantine table."""
    record = {str(key): _json_safe(value) for key, value in row.items()}
    json.dumps(record)
    return record


def canonicalise(
    raw: pd.DataFrame, *, source: str, keep: tuple[str, ...] = (), now: dt.datetime | None = None
) -> tuple[pd.DataFrame, list[Reject]]:
    """Validate and normalise raw readings into the canonical schema.

    ``raw`` has the canonical columns with raw values (parameter symbols as sent, units as sent,
    ``observed_at`` tz-aware, ``status`` codes); an optional ``row_number`` column names the input row in
    messages (default: position + 1); columns named in ``keep`` are carried into the accepted rows after the
    canonical ones. Parameters are normalised (``PM2,5`` → ``pm25``), gas values in ppb/ppm
    and mg/m³ are converted to µg/m³ at 25 °C. With ``now``, observations more than ``FUTURE_TOLERANCE`` after it
    are refused (a skewed clock must not move a feed's checkpoint into the future). Every problem found in a
    row is named in its reject.

    Returns
    -------
    The accepted rows (canonical columns only, index 0..n-1) and one :class:`Reject` per refused row.
    """
    missing = [name for name in READING_COLUMNS if name not in raw.columns and name != "source"]
    if missing:
        msg = f"readings from {source} lack column(s) {', '.join(missing)}"
        raise ReadingsSchemaError(msg)
    frame = raw.reset_index(drop=True)
    row_numbers = frame["row_number"] if "row_number" in frame else pd.Series(np.arange(1, len(frame) + 1))
    problems: dict[Hashable, list[tuple[str, Reason]]] = {}

    def flag(mask: pd.Series | np.ndarray, field_name: str, code: str, values: pd.Series | None = None) -> None:
        for position in np.flatnonzero(np.asarray(mask, dtype=bool)):
            params = {} if values is None else {"value": values.iloc[position]}
            problems.setdefault(position, []).append((field_name, Reason(f"reading_{code}", params)))

    station = frame["station_id"].astype("string").str.strip()
    flag(station.isna() | (station == ""), "station_id", "station_empty")

    symbols = frame["parameter"].astype("string")
    parameter = symbols.map(lambda s: normalise_parameter(s) if isinstance(s, str) else None).astype(object)
    flag(parameter.isna(), "parameter", "parameter_unknown", symbols.fillna("<empty>").astype(object))

    value = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    flag(~np.isfinite(value.to_numpy()), "value", "not_a_number", frame["value"].map(_cell))

    observed = frame["observed_at"]
    if not isinstance(observed.dtype, pd.DatetimeTZDtype):
        msg = f"observed_at from {source} must be tz-aware datetimes, got {observed.dtype}"
        raise ReadingsSchemaError(msg)
    flag(observed.isna(), "observed_at", "time_missing")
    if now is not None:
        future = (observed > now + FUTURE_TOLERANCE).fillna(False)
        flag(future, "observed_at", "time_future", observed.astype(str).astype(object))

    status = frame["status"].astype("string").str.strip()
    flag(~status.isin(VALID_STATUSES), "status", "status_invalid", status.fillna("<empty>").astype(object))

    converted, unit = to_standard_units(
        parameter.fillna(""), value, frame["unit"].astype("string").fillna("").astype(str)
    )
    bad_unit = parameter.isin(AIR_PARAMETERS) & (unit != "µg/m³")
    flag(bad_unit, "unit", "unit_unconvertible", frame["unit"].map(_cell))

    accepted_mask = np.ones(len(frame), dtype=bool)
    rejects = []
    for position, found in sorted(problems.items()):
        accepted_mask[position] = False
        fields = ", ".join(name for name, _ in found)
        reasons = tuple(reason for _, reason in found)
        rejects.append(Reject(source, int(row_numbers.iloc[position]), fields, reasons, raw_record(raw.iloc[position])))
    result = pd.DataFrame(
        {
            "station_id": station.astype(object),
            "parameter": parameter.astype(object),
            "value": converted,
            "unit": unit.astype(object),
            "observed_at": observed.dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
            "status": status.astype(object),
            "source": frame["source"].astype(object) if "source" in frame else source,
            **{name: frame[name] for name in keep},
        }
    )
    return result[accepted_mask].reset_index(drop=True), rejects


def validate_readings(frame: pd.DataFrame) -> None:
    """Raise :class:`ReadingsSchemaError` naming every problem if ``frame`` is not canonical."""
    problems = [f"missing column {name!r}" for name in READING_COLUMNS if name not in frame.columns]
    if "observed_at" in frame and not isinstance(frame["observed_at"].dtype, pd.DatetimeTZDtype):
        problems.append(f"observed_at must be tz-aware, got {frame['observed_at'].dtype}")
    if "status" in frame and not frame["status"].isin(VALID_STATUSES).all():
        problems.append("status has codes other than 00/01/02")
    if problems:
        msg = "readings frame is not canonical: " + "; ".join(problems)
        raise ReadingsSchemaError(msg)
