"""Historical readings from CSV: OpenAQ v3 exports, the moitruongthudo.vn merged hourly file, canonical CSV.

Hourly sources are stored at the END of their averaging hour, so an hour-ending label (standards §1.9) and
``ceil(t)`` agree: OpenAQ's ``datetimeUtc`` is taken as the hour end; moitruongthudo's ``time_bucket`` is the
local START of the hour (TimescaleDB ``time_bucket``), so one hour is added.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from monitoring.errors import FeedSchemaError
from monitoring.feeds.base import Batch, Reason, Reject
from monitoring.feeds.openaq import openaq_station_id
from monitoring.schema import STATUS_MEASURING, canonicalise, raw_record

OPENAQ_EXPORT_COLUMNS: Final = ("location_id", "location_name", "parameter", "value", "unit", "datetimeUtc")
MOITRUONGTHUDO_COLUMNS: Final = ("time_bucket", "location")
CANONICAL_COLUMNS: Final = ("station_id", "parameter", "value", "unit", "observed_at")
MOITRUONGTHUDO_POLLUTANTS: Final = ("pm25", "pm10", "o3", "no2", "so2", "co")

MOITRUONGTHUDO_STATIONS: Final[dict[str, str]] = {
    "46 Lưu Quang Vũ": "openaq-2161292",
    "An Khánh": "openaq-2161290",
    "Minh Khai - Bắc Từ Liêm": "openaq-2161306",
    "Đào Duy Từ": "openaq-2161296",
    "Vân Hà": "openaq-2161320",
}
"""moitruongthudo.vn station names → registry ids (the OpenAQ location ids of the same stations)."""


def _openaq_ids(location_ids: pd.Series) -> pd.Series:
    """Registry ids of OpenAQ location ids (``2161290`` or ``2161290.0``); None where a cell is no whole number."""
    numbers = pd.to_numeric(location_ids, errors="coerce")
    whole = numbers.notna() & numbers.eq(numbers.round())
    return pd.Series([openaq_station_id(int(n)) if ok else None for n, ok in zip(numbers, whole, strict=True)],
                     index=location_ids.index, dtype=object)  # fmt: skip


def read_openaq_export(frame: pd.DataFrame, *, source: str, now: dt.datetime | None = None) -> Batch:
    """An OpenAQ v3 export (long format, one row per location, parameter and hour); a row whose ``location_id``
    is no OpenAQ location id is refused naming it."""
    station_ids = _openaq_ids(frame["location_id"])
    known = station_ids.notna()
    refused = [
        Reject(
            source,
            int(position) + 2,
            "location_id",
            (Reason("reading_location_id", {"value": "<empty>" if pd.isna(cell) else str(cell)}),),
            raw_record(frame.iloc[position]),
        )
        for position, cell in zip(np.flatnonzero(~known.to_numpy()), frame["location_id"][~known], strict=True)
    ]
    raw = pd.DataFrame(
        {
            "row_number": range(2, len(frame) + 2),
            "station_id": station_ids,
            "parameter": frame["parameter"],
            "value": frame["value"],
            "unit": frame["unit"],
            "observed_at": pd.to_datetime(frame["datetimeUtc"], utc=True, errors="coerce"),
            "status": STATUS_MEASURING,
            "source": "openaq",
        }
    )[known.to_numpy()]
    readings, rejects = canonicalise(raw, source=source, now=now)
    stations = frame.assign(id=station_ids)[known].drop_duplicates("id")
    metadata = pd.DataFrame(
        {
            "id": stations["id"],
            "name": stations["location_name"],
            "kind": "air",
            "operator": stations.get("provider", ""),
            "lat": pd.to_numeric(stations.get("latitude"), errors="coerce"),
            "lon": pd.to_numeric(stations.get("longitude"), errors="coerce"),
            "grade": "reference",
            "source": "openaq",
        }
    ).reset_index(drop=True)
    rejects = sorted([*refused, *rejects], key=lambda reject: reject.row_number or 0)
    return Batch(source=source, kind="air", readings=readings, rejects=rejects, stations=metadata)


def read_moitruongthudo(frame: pd.DataFrame, *, source: str, now: dt.datetime | None = None) -> Batch:
    """The moitruongthudo.vn wide hourly file; empty cells and 0.0 (missing, per its notes) are skipped."""
    unknown = sorted(set(frame["location"]) - set(MOITRUONGTHUDO_STATIONS))
    local_start = pd.to_datetime(frame["time_bucket"], errors="coerce").dt.tz_localize("Asia/Ho_Chi_Minh")
    parts = []
    for pollutant in MOITRUONGTHUDO_POLLUTANTS:
        column = f"avg_{pollutant}"
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce")
        present = values.notna() & values.ne(0.0)
        parts.append(
            pd.DataFrame(
                {
                    "row_number": (frame.index + 2)[present],
                    "station_id": frame["location"][present].map(lambda name: MOITRUONGTHUDO_STATIONS.get(name, name)),
                    "parameter": pollutant,
                    "value": frame[column][present],
                    "unit": "µg/m³",
                    "observed_at": (local_start + pd.Timedelta(hours=1)).dt.tz_convert("UTC")[present],
                    "status": STATUS_MEASURING,
                    "source": "moitruongthudo",
                }
            )
        )
    raw = pd.concat(parts, ignore_index=True).sort_values(["row_number", "parameter"], kind="stable")
    readings, rejects = canonicalise(raw, source=source, now=now)
    names = [name for name in frame["location"].drop_duplicates() if name not in unknown]
    metadata = pd.DataFrame(
        {
            "id": [MOITRUONGTHUDO_STATIONS[name] for name in names],
            "name": names,
            "kind": "air",
            "operator": "Sở Nông nghiệp và Môi trường Hà Nội (moitruongthudo.vn)",
            "lat": float("nan"),
            "lon": float("nan"),
            "grade": "reference",
            "source": "moitruongthudo",
        }
    )
    return Batch(source=source, kind="air", readings=readings, rejects=rejects, stations=metadata)


def read_canonical_csv(frame: pd.DataFrame, *, source: str, now: dt.datetime | None = None) -> Batch:
    """A CSV with ``station_id, parameter, value, unit, observed_at`` (ISO 8601 with offset; naive = UTC) and
    optional ``status`` (default 00) and ``source``."""
    observed = pd.to_datetime(frame["observed_at"], utc=True, errors="coerce", format="ISO8601")
    raw = pd.DataFrame(
        {
            "row_number": range(2, len(frame) + 2),
            "station_id": frame["station_id"],
            "parameter": frame["parameter"],
            "value": frame["value"],
            "unit": frame["unit"],
            "observed_at": observed,
            "status": frame["status"].astype("string").str.zfill(2) if "status" in frame else STATUS_MEASURING,
            "source": frame.get("source", "csv"),
        }
    )
    kind = "wastewater" if raw["parameter"].astype(str).str.lower().isin({"cod", "tss", "nh4", "ph"}).any() else "air"
    readings, rejects = canonicalise(raw, source=source, now=now)
    return Batch(source=source, kind=kind, readings=readings, rejects=rejects)


class UnreadableReadingsFileError(FeedSchemaError):
    """A readings CSV that cannot be read or whose format is not recognised; ``reason`` says why in any language."""

    def __init__(self, reason: Reason) -> None:
        self.reason = reason
        super().__init__(reason.text())


def read_history_csv(path: Path, *, now: dt.datetime | None = None) -> Batch:
    """Read a historical readings CSV, recognising its format by its header (rows dated after ``now`` refused).

    Raises
    ------
    UnreadableReadingsFileError
        When it is no UTF-8 CSV table or its header matches none of the supported formats (the reason lists
        what each needs).
    """
    try:
        frame = pd.read_csv(path, dtype={"status": str}, keep_default_na=True)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        detail = f"{err.__class__.__name__}: {str(err).splitlines()[0]}"
        raise UnreadableReadingsFileError(Reason("csv_unreadable", {"file": str(path), "detail": detail})) from err
    columns = set(frame.columns)
    source = path.name
    if set(OPENAQ_EXPORT_COLUMNS) <= columns:
        return read_openaq_export(frame, source=source, now=now)
    if set(MOITRUONGTHUDO_COLUMNS) <= columns:
        return read_moitruongthudo(frame, source=source, now=now)
    if set(CANONICAL_COLUMNS) <= columns:
        return read_canonical_csv(frame, source=source, now=now)
    formats = {
        "openaq": ", ".join(OPENAQ_EXPORT_COLUMNS),
        "moitruongthudo": ", ".join(MOITRUONGTHUDO_COLUMNS),
        "canonical": ", ".join(CANONICAL_COLUMNS),
    }
    raise UnreadableReadingsFileError(Reason("csv_unrecognised", {"file": str(path), **formats}))
