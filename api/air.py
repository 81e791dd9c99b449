"""Air-quality reads, ``/api/v1``: stations, current AQI per station and per ward, a station's hourly averages.

Shapes follow OpenAQ v3 (``meta``/``results``, ``coordinates``, ``parameter``, ``period``, times as ``{utc,
local}``) with the AirNow fields an AQI reader expects (``scale``, ``aqi``, ``category``, ``dominantParameter``).
Stations, AQI and wards come from the public snapshot (:mod:`monitoring.public_snapshot`), the object the public
page and the published site render, so every figure equals what they show.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.common import ApiError, Ctx, Paging, moment, parse_time, snapshot_answer
from data.station_hours import hourly_averages, station_exists
from monitoring.public_snapshot import (
    PublicSnapshot,
    ScaleValue,
    StationSnapshot,
    WardSnapshot,
    category,
    category_label,
)

router = APIRouter(prefix="/api/v1", tags=["air quality"])

SCALE_NAMES = {"vn": "VN_AQI", "us": "US_AQI"}
HOURLY_DEFAULT = dt.timedelta(hours=24)
HOURLY_MAX = dt.timedelta(days=31)

ScaleParam = Annotated[
    str, Query(pattern="^(vn|us)$", description="vn: VN_AQI (Decision 1459/QĐ-TCMT), us: US EPA AQI")
]
LangParam = Annotated[str, Query(pattern="^(vi|en)$", description="language of category names")]


def _coordinates(lat: float, lon: float) -> dict[str, float]:
    return {"latitude": round(lat, 6), "longitude": round(lon, 6)}


def _station(station: StationSnapshot, timezone: str) -> dict[str, Any]:
    return {
        "id": station.id,
        "name": station.name,
        "locality": station.ward_name,
        "district": station.district,
        "timezone": timezone,
        "country": {"code": "VN", "name": "Viet Nam"},
        "provider": {"name": station.operator},
        "isMonitor": not station.synthetic,
        "coordinates": _coordinates(station.lat, station.lon),
        "sensors": [{"parameter": {"name": r.parameter, "units": r.unit}} for r in station.readings],
        "datetimeLast": moment(station.last_reading_at, timezone),
        "stale": station.stale,
    }


def _aqi(value: ScaleValue | None, scale: str, language: str, timezone: str) -> dict[str, Any]:
    """The AQI fields of one station or ward on ``scale`` (all None when there is no fresh value)."""
    if value is None:
        return {"scale": SCALE_NAMES[scale], "aqi": None, "category": None, "dominantParameter": None,
                "subIndices": {}, "period": None}  # fmt: skip
    cat = category(value.scale, value.level)
    return {
        "scale": SCALE_NAMES[scale],
        "aqi": value.aqi,
        "category": {
            "number": value.level,
            "name": category_label(cat, language),
            "color": "#{:02x}{:02x}{:02x}".format(*cat.rgb),
        },
        "dominantParameter": value.dominant,
        "beyondScale": value.beyond_scale,
        "subIndices": dict(value.sub_indices),
        "period": {
            "label": "1hour",
            "interval": "01:00:00",
            "datetimeFrom": moment(value.period_end - dt.timedelta(hours=1), timezone),
            "datetimeTo": moment(value.period_end, timezone),
        },
    }


def _ward(ward: WardSnapshot, snapshot: PublicSnapshot, scale: str, language: str) -> dict[str, Any]:
    return {
        "id": ward.code,
        "name": ward.name,
        "district": ward.district,
        "coordinates": _coordinates(ward.lat, ward.lon),
        "stationId": ward.station_id,
        "distanceKm": ward.distance_km,
        **_aqi(snapshot.ward_value(ward.code, scale), scale, language, snapshot.timezone),  # type: ignore[arg-type]
    }


CACHED = "Serialised once per public snapshot (a minute); ETag, and 304 on a matching If-None-Match."


@router.get("/stations", summary="Air monitoring stations (OpenAQ v3 locations shape)", description=CACHED)
async def stations(ctx: Ctx, page: Paging, request: Request) -> Response:
    def build(snapshot: PublicSnapshot) -> dict[str, Any]:
        return page.cut([_station(s, snapshot.timezone) for s in snapshot.stations])

    return await snapshot_answer(ctx, request, ("stations", page), build)


@router.get("/aqi/stations", summary="Current AQI of every station (stale stations: aqi null)", description=CACHED)
async def aqi_stations(
    ctx: Ctx, page: Paging, request: Request, scale: ScaleParam = "vn", lang: LangParam = "vi"
) -> Response:
    def build(snapshot: PublicSnapshot) -> dict[str, Any]:
        return page.cut([
            {**_station(s, snapshot.timezone), **_aqi(s.value(scale), scale, lang, snapshot.timezone)}  # type: ignore[arg-type]
            for s in snapshot.stations
        ])  # fmt: skip

    return await snapshot_answer(ctx, request, ("aqi/stations", page, scale, lang), build)


@router.get("/aqi/wards", summary="Current AQI of every ward (its nearest fresh station within 10 km)",
            description=CACHED)  # fmt: skip
async def aqi_wards(
    ctx: Ctx, page: Paging, request: Request, scale: ScaleParam = "vn", lang: LangParam = "vi"
) -> Response:
    def build(snapshot: PublicSnapshot) -> dict[str, Any]:
        return page.cut([_ward(w, snapshot, scale, lang) for w in snapshot.wards])

    return await snapshot_answer(ctx, request, ("aqi/wards", page, scale, lang), build)


@router.get("/stations/{station_id}/hourly", summary="Hourly averages of one station since a time")
def station_hourly(
    station_id: str,
    ctx: Ctx,
    page: Paging,
    since: Annotated[
        str | None, Query(description="ISO 8601 start (exclusive), at most 31 days back; default 24 h")
    ] = None,
) -> dict[str, Any]:
    now = ctx.clock()
    start = now - HOURLY_DEFAULT if since is None else parse_time(since, "since")
    if start < now - HOURLY_MAX:
        raise ApiError(400, f"since: at most {HOURLY_MAX.days} days back")
    if not station_exists(ctx.reader, station_id):
        raise ApiError(404, f"no station with id {station_id!r}")
    rows, found = hourly_averages(ctx.reader, station_id, start, limit=page.limit, offset=page.offset)
    snapshot = ctx.snapshot()
    station = snapshot.station(station_id)
    units = {r.parameter: r.unit for r in station.readings} if station else {}
    timezone = ctx.settings.timezone
    results = [
        {
            "value": r.value,
            "parameter": {"name": r.parameter, "units": units.get(r.parameter, "")},
            "period": {
                "label": "1hour",
                "interval": "01:00:00",
                "datetimeFrom": moment(r.period_end - dt.timedelta(hours=1), timezone),
                "datetimeTo": moment(r.period_end, timezone),
            },
            "coverage": {"expectedCount": r.n_expected, "observedCount": r.n_valid, "valid": r.valid},
            "coordinates": _coordinates(station.lat, station.lon) if station else None,
            "locationId": station_id,
        }
        for r in rows
    ]
    return {"meta": page.meta(found), "results": results}
