"""The site's machine-readable files from the public snapshot: stations.json, wards.json, aqi.geojson, history.csv.

Times are ISO 8601 with the local offset; a missing value is ``null`` (JSON) or an empty cell (CSV), never
``NaN``; CSV goes through :func:`data.exports.csv_text` (formulas neutralised). A
station's ``aqi`` holds its value *now* (``null`` when stale); ``last_aqi`` keeps its newest stored value.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from data.exports import csv_text
from monitoring.public_snapshot import SCALES, PublicSnapshot, ScaleValue, StationSnapshot, WardSnapshot

HISTORY_COLUMNS = ("station_id", "station_name", "scale", "period", "period_end", "day", "aqi", "category")


def _time(moment: dt.datetime | None, timezone: str) -> str | None:
    return None if moment is None else moment.astimezone(ZoneInfo(timezone)).isoformat()


def _value(value: ScaleValue | None, timezone: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "aqi": value.aqi,
        "category": value.level,
        "category_vi": value.category.label_vi,
        "category_en": value.category.label_en,
        "colour": value.category.hex,
        "dominant": value.dominant,
        "beyond_scale": value.beyond_scale,
        "sub_indices": dict(value.sub_indices),
        "period_end": _time(value.period_end, timezone),
    }


def station_record(station: StationSnapshot, timezone: str, page: str) -> dict[str, Any]:
    """One station of ``stations.json`` (``page``: its page path relative to the site root)."""
    return {
        "id": station.id,
        "name": station.name,
        "lat": station.lat,
        "lon": station.lon,
        "ward_code": station.ward_code,
        "ward_name": station.ward_name,
        "district": station.district,
        "operator": station.operator,
        "source": station.source,
        "synthetic": station.synthetic,
        "last_reading_at": _time(station.last_reading_at, timezone),
        "age_hours": station.age_hours,
        "stale": station.stale,
        "aqi": {scale: _value(station.value(scale), timezone) for scale in SCALES},
        "last_aqi": {scale: _value(station.current[scale], timezone) for scale in SCALES},
        "readings": [
            {
                "parameter": r.parameter,
                "value": r.value,
                "unit": r.unit,
                "observed_at": _time(r.observed_at, timezone),
                "status": r.status,
                "sub_index": dict(r.sub_index),
            }
            for r in station.readings
        ],
        "page": page,
    }


def ward_record(ward: WardSnapshot, snapshot: PublicSnapshot, page: str) -> dict[str, Any]:
    """One ward of ``wards.json``: its value on both scales and the station it comes from."""
    return {
        "code": ward.code,
        "name": ward.name,
        "district": ward.district,
        "lat": ward.lat,
        "lon": ward.lon,
        "station_id": ward.station_id,
        "distance_km": ward.distance_km,
        "aqi": {scale: _value(snapshot.ward_value(ward.code, scale), snapshot.timezone) for scale in SCALES},
        "nearest": [{"station_id": sid, "distance_km": km} for sid, km in ward.nearest],
        "page": page,
    }


def _document(snapshot: PublicSnapshot, key: str, items: list[dict[str, Any]]) -> bytes:
    payload = {
        "generated_at": _time(snapshot.generated_at, snapshot.timezone),
        "data_time": _time(snapshot.data_time, snapshot.timezone),
        "timezone": snapshot.timezone,
        "scales": {"vn": "VN_AQI (QĐ 1459/QĐ-TCMT)", "us": "US AQI (US EPA, 2024)"},
        key: items,
    }
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def stations_json(snapshot: PublicSnapshot, pages: Mapping[str, str]) -> bytes:
    """``stations.json``: every air station with its current AQI on both scales and newest readings."""
    items = [station_record(s, snapshot.timezone, pages[s.id]) for s in snapshot.stations]
    return _document(snapshot, "stations", items)


def wards_json(snapshot: PublicSnapshot, pages: Mapping[str, str]) -> bytes:
    """``wards.json``: every ward with the value that stands for it."""
    return _document(snapshot, "wards", [ward_record(w, snapshot, pages[w.code]) for w in snapshot.wards])


def aqi_geojson(snapshot: PublicSnapshot, pages: Mapping[str, str]) -> bytes:
    """``aqi.geojson``: the stations as points with their current VN_AQI and US AQI (null when stale)."""
    features = []
    for station in snapshot.stations:
        properties: dict[str, Any] = {"id": station.id, "name": station.name, "stale": station.stale,
                                      "page": pages[station.id]}  # fmt: skip
        for scale in SCALES:
            value = station.value(scale)
            properties[f"{scale}_aqi"] = value.aqi if value else None
            properties[f"{scale}_category"] = value.level if value else None
            properties[f"{scale}_colour"] = value.category.hex if value else None
            properties[f"{scale}_dominant"] = value.dominant if value else None
        properties["period_end"] = _time(station.current["vn"].period_end, snapshot.timezone) if station.current[
            "vn"] else None  # fmt: skip
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [station.lon, station.lat]},
                "properties": properties,
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    return json.dumps(collection, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def history_csv(snapshot: PublicSnapshot) -> bytes:
    """``history.csv``: every station's hourly (24 h) and daily (7 days) AQI on both scales; empty slots kept."""
    rows = [
        [
            station.id,
            station.name,
            scale,
            period,
            _time(point.period_end, snapshot.timezone),
            point.day.isoformat() if point.day else None,
            point.aqi,
            point.level,
        ]
        for station in snapshot.stations
        for scale in SCALES
        for period, points in (("hourly", station.hourly[scale]), ("daily", station.daily[scale]))
        for point in points
    ]
    frame = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)).astype({"aqi": "Int64", "category": "Int64"})
    return ("\ufeff" + csv_text(frame)).encode("utf-8")  # BOM: spreadsheets then read the text as UTF-8
