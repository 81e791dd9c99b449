"""Air-quality reads, ``/api/v1``: stations, current AQI per station and per ward, a station's hourly and daily
averages, a ward's hourly and daily roll-ups (history always from the stored averages, never the raw readings).

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
from data.rollups import ward_exists, ward_rollups
from data.station_hours import StoredAverage, station_averages, station_exists
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
DAILY_DEFAULT = dt.timedelta(days=30)
DAILY_MAX = dt.timedelta(days=3 * 366)
#: stored period → (OpenAQ label, interval, length, default and longest span of ``since``)
PERIODS: dict[str, tuple[str, str, dt.timedelta, dt.timedelta, dt.timedelta]] = {
    "1h": ("1hour", "01:00:00", dt.timedelta(hours=1), HOURLY_DEFAULT, HOURLY_MAX),
    "1d": ("1day", "24:00:00", dt.timedelta(days=1), DAILY_DEFAULT, DAILY_MAX),
}

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


def _start(ctx: Ctx, since: str | None, period: str) -> dt.datetime:
    """The ``since`` of a history read: parsed, or the period's default span back; 400 beyond its longest span."""
    _, _, _, default, longest = PERIODS[period]
    now = ctx.clock()
    start = now - default if since is None else parse_time(since, "since")
    if start < now - longest:
        raise ApiError(400, f"since: at most {longest.days} days back")
    return start


def _period(period: str, end: dt.datetime, timezone: str) -> dict[str, Any]:
    label, interval, length, _, _ = PERIODS[period]
    return {"label": label, "interval": interval, "datetimeFrom": moment(end - length, timezone),
            "datetimeTo": moment(end, timezone)}  # fmt: skip


def _station_history(ctx: Ctx, page: Paging, station_id: str, since: str | None, period: str) -> dict[str, Any]:
    start = _start(ctx, since, period)
    if not station_exists(ctx.reader, station_id):
        raise ApiError(404, f"no station with id {station_id!r}")
    rows, found = station_averages(ctx.reader, station_id, start, period=period, limit=page.limit, offset=page.offset)
    snapshot = ctx.snapshot()
    station = snapshot.station(station_id)
    units = {r.parameter: r.unit for r in station.readings} if station else {}
    timezone = ctx.settings.timezone

    def result(r: StoredAverage) -> dict[str, Any]:
        return {
            "value": r.value,
            "parameter": {"name": r.parameter, "units": units.get(r.parameter, "")},
            "period": _period(period, r.period_end, timezone),
            "coverage": {"expectedCount": r.n_expected, "observedCount": r.n_valid, "valid": r.valid},
            "coordinates": _coordinates(station.lat, station.lon) if station else None,
            "locationId": station_id,
        }

    return {"meta": page.meta(found), "results": [result(r) for r in rows]}


HourlySince = Annotated[
    str | None, Query(description="ISO 8601 start (exclusive), at most 31 days back; default 24 h")
]
DailySince = Annotated[
    str | None, Query(description="ISO 8601 start (exclusive), at most 3 years back; default 30 days")
]


@router.get("/stations/{station_id}/hourly", summary="Hourly averages of one station since a time")
def station_hourly(station_id: str, ctx: Ctx, page: Paging, since: HourlySince = None) -> dict[str, Any]:
    return _station_history(ctx, page, station_id, since, "1h")


@router.get("/stations/{station_id}/daily", summary="Daily averages of one station (local days) since a time")
def station_daily(station_id: str, ctx: Ctx, page: Paging, since: DailySince = None) -> dict[str, Any]:
    """Per local day (01:00 … 24:00, hour-ending) the mean of the valid hourly averages; valid with ≥ 18 hours."""
    return _station_history(ctx, page, station_id, since, "1d")


def _ward_history(ctx: Ctx, page: Paging, ward_code: str, since: str | None, period: str) -> dict[str, Any]:
    start = _start(ctx, since, period)
    set_name = ctx.settings.boundary_set
    if not ward_exists(ctx.reader, set_name, ward_code):
        raise ApiError(404, f"no ward with code {ward_code!r}")
    rows, found = ward_rollups(ctx.reader, set_name, ward_code, start, period=period, limit=page.limit,
                               offset=page.offset)  # fmt: skip
    timezone = ctx.settings.timezone
    results = [
        {
            "value": r.value,
            "parameter": {"name": r.parameter},
            "stationKind": r.kind,
            "period": _period(period, r.period_end, timezone),
            "coverage": {"expectedCount": r.n_expected, "observedCount": r.n_valid, "valid": r.valid},
            "wardId": ward_code,
        }
        for r in rows
    ]
    return {"meta": page.meta(found), "results": results}


@router.get("/wards/{ward_code}/hourly", summary="Hourly roll-ups of one ward (mean of its stations) since a time")
def ward_hourly(ward_code: str, ctx: Ctx, page: Paging, since: HourlySince = None) -> dict[str, Any]:
    """Per hour, station kind and parameter: the mean of the valid hourly averages of the ward's stations
    (``coverage``: stations with a valid average of those with any)."""
    return _ward_history(ctx, page, ward_code, since, "1h")


@router.get("/wards/{ward_code}/daily", summary="Daily roll-ups of one ward (mean of its stations) since a time")
def ward_daily(ward_code: str, ctx: Ctx, page: Paging, since: DailySince = None) -> dict[str, Any]:
    """Per local day, station kind and parameter: the mean of the valid daily averages of the ward's stations."""
    return _ward_history(ctx, page, ward_code, since, "1d")
