"""What a station's state is right now, for the station list: OK, stale, offline, calibrating, device error."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

import pandas as pd

STALE_AFTER: Final = dt.timedelta(hours=3)
"""A station whose newest reading is older than this is stale (its values are shown greyed)."""
OFFLINE_AFTER: Final = dt.timedelta(hours=24)
"""A station silent for longer than this is offline since its last reading."""
CALIBRATING, DEVICE_ERROR = "01", "02"  # TT 10/2021 status codes of a record

StationState = Literal["ok", "stale", "offline", "calibrating", "error", "no_data"]


@dataclass(frozen=True)
class StationHealth:
    """A station's state and, for ``offline``, since when (its last reading)."""

    state: StationState
    since: pd.Timestamp | None = None


def station_health(last_reading_at: object, device_status: object, now: dt.datetime) -> StationHealth:
    """The state of one station from its newest reading time and the worst status among its newest readings.

    Silence wins over the device status: a station that stopped sending is offline (or stale) whatever its last
    record said; a station that sends calibration or error records is reported as such.
    """
    if last_reading_at is None or pd.isna(last_reading_at):
        return StationHealth("no_data")
    last = pd.Timestamp(last_reading_at)
    last = last.tz_localize("UTC") if last.tzinfo is None else last
    age = pd.Timestamp(now) - last
    if age > OFFLINE_AFTER:
        return StationHealth("offline", last)
    if age > STALE_AFTER:
        return StationHealth("stale", last)
    if device_status == DEVICE_ERROR:
        return StationHealth("error")
    if device_status == CALIBRATING:
        return StationHealth("calibrating")
    return StationHealth("ok")
