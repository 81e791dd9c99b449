"""Vectorised parsing of report times: ISO 8601 (with or without offset) and day-first Vietnamese formats."""

from __future__ import annotations

import numpy as np
import pandas as pd

_HAS_OFFSET = r"(?:[zZ]|[+-]\d{2}:?\d{2})$"
_ISO_START = r"^\d{4}-\d{2}-\d{2}"


def parse_times(values: pd.Series, timezone: str, formats: tuple[str, ...]) -> pd.Series:
    """Parse ``values`` to UTC timestamps; NaT where no format fits.

    Parameters
    ----------
    values
        Text values (None or empty for missing).
    timezone
        Zone of naive times (the profile's, e.g. ``Asia/Ho_Chi_Minh``).
    formats
        ``strptime`` formats tried, in order, on values that are not ISO 8601.
    """
    text = values.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    is_iso = text.str.match(_ISO_START, na=False)
    with_offset = is_iso & text.str.contains(_HAS_OFFSET, regex=True, na=False)
    if with_offset.any():
        parsed = pd.to_datetime(text[with_offset], format="ISO8601", utc=True, errors="coerce")
        result[with_offset] = parsed.dt.as_unit("us")
    naive_iso = is_iso & ~with_offset
    if naive_iso.any():
        parsed = pd.to_datetime(text[naive_iso], format="ISO8601", errors="coerce")
        result[naive_iso] = _localise(parsed, timezone)
    for fmt in formats:
        pending = result.isna() & text.notna() & ~is_iso
        if not pending.any():
            break
        parsed = pd.to_datetime(text[pending], format=fmt, errors="coerce")
        hit = parsed.notna()
        if hit.any():
            result[pending[pending].index[hit.to_numpy()]] = _localise(parsed[hit], timezone)
    return result


def _localise(naive: pd.Series, timezone: str) -> pd.Series:
    """Local wall-clock times to UTC; DST gaps shift forward, repeated hours take standard time."""
    ambiguous = np.zeros(len(naive), dtype=bool)
    local = naive.dt.tz_localize(timezone, ambiguous=ambiguous, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").dt.as_unit("us")
