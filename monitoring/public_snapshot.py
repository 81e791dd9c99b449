"""What the public sees, computed once: every air station's current AQI on both scales, history, wards, city summary.

The Streamlit public page (``dashboard/views/air.py``) and the published static site (``publish/``) render the
same :class:`PublicSnapshot`, so a figure reads the same on both. It holds numbers, codes and UTC times only;
texts are chosen per language at render time (:func:`advice`, :mod:`data.i18n.formats`). It reads the public
path of :mod:`data.queries` only: stations, readings and stored AQI, never a complaint or a person.

Day windows are local (``timezone``): a daily AQI ending at local midnight belongs to the day before it
(1459 §2.2: the day runs 01:00–24:00, hour-ending), and the 7-day history is today and the six days before,
with a day that has no value kept as an empty slot rather than dropped.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from data import queries
from data.i18n import translate
from data.i18n.formats import is_missing
from monitoring.aqi_tables import CATEGORIES, VN_HEALTH, Category, Scale
from monitoring.station_health import STALE_AFTER

SCALES: tuple[Scale, ...] = ("vn", "us")
HISTORY_HOURS = 24
HISTORY_DAYS = 7
NEAREST = 3  # stations listed for a ward
WARD_RADIUS_KM = 10.0  # a ward takes the value of the nearest fresh station within this distance, else none
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class ScaleValue:
    """A station's AQI on one scale for one period: the number, its category level and what decided it."""

    scale: Scale
    aqi: int
    level: int  # 1 (best) … 6 (worst)
    dominant: str | None
    beyond_scale: bool
    sub_indices: Mapping[str, int]  # parameter → its rounded sub-index (AQIx)
    period_end: dt.datetime  # UTC, end of the averaging hour

    @property
    def category(self) -> Category:
        """The official category (colour, labels) of :attr:`level` on :attr:`scale`."""
        return category(self.scale, self.level)


@dataclass(frozen=True)
class HistoryPoint:
    """One slot of a history chart: an hour (ending at ``period_end``) or a local day; ``aqi`` None = no value."""

    period_end: dt.datetime  # UTC; for a day, the local midnight that ends it
    day: dt.date | None  # the local day of a daily slot, None for hours
    aqi: int | None
    level: int | None


@dataclass(frozen=True)
class ParameterReading:
    """The newest reading of one parameter at a station, with its sub-index on each scale (None = not used)."""

    parameter: str
    value: float | None
    unit: str
    observed_at: dt.datetime | None
    status: str
    sub_index: Mapping[Scale, int | None]


@dataclass(frozen=True)
class StationSnapshot:
    """One air station as the public sees it."""

    id: str
    name: str
    lat: float
    lon: float
    ward_code: str | None
    ward_name: str | None
    district: str | None
    operator: str | None
    source: str | None
    synthetic: bool
    last_reading_at: dt.datetime | None
    age_hours: float | None
    stale: bool
    current: Mapping[Scale, ScaleValue | None]
    readings: tuple[ParameterReading, ...]
    hourly: Mapping[Scale, tuple[HistoryPoint, ...]]  # HISTORY_HOURS slots, oldest first
    daily: Mapping[Scale, tuple[HistoryPoint, ...]]  # HISTORY_DAYS local days, oldest first, today last

    def value(self, scale: Scale) -> ScaleValue | None:
        """The current value on ``scale`` when the station is fresh, else None (a stale number is not "now")."""
        return None if self.stale else self.current.get(scale)


@dataclass(frozen=True)
class WardSnapshot:
    """A ward, its nearest stations and the station whose value stands for it (None: no fresh one near)."""

    code: str
    name: str
    district: str | None
    lat: float
    lon: float
    nearest: tuple[tuple[str, float], ...]  # (station id, km) of the NEAREST stations, nearest first
    station_id: str | None
    distance_km: float | None


@dataclass(frozen=True)
class CitySummary:
    """The city on one scale now: fresh stations with a value, the worst and the best of them."""

    scale: Scale
    reporting: int
    stale: int
    worst: str | None  # station id
    best: str | None


@dataclass(frozen=True)
class PublicSnapshot:
    """Everything the public air-quality page and site show, at ``generated_at``."""

    generated_at: dt.datetime  # UTC
    timezone: str
    boundary_set: str
    stations: tuple[StationSnapshot, ...]  # by name
    wards: tuple[WardSnapshot, ...]  # by name
    summary: Mapping[Scale, CitySummary]

    @property
    def data_time(self) -> dt.datetime | None:
        """The newest AQI period among fresh stations (what "now" means on the page), or None."""
        ends = [v.period_end for s in self.stations for v in s.current.values() if v is not None and not s.stale]
        return max(ends, default=None)

    def station(self, station_id: str) -> StationSnapshot | None:
        """The station ``station_id`` or None."""
        return next((s for s in self.stations if s.id == station_id), None)

    def ward(self, code: str) -> WardSnapshot | None:
        """The ward ``code`` or None."""
        return next((w for w in self.wards if w.code == code), None)

    def ward_value(self, code: str, scale: Scale) -> ScaleValue | None:
        """The value standing for ward ``code`` on ``scale`` (its nearest fresh station's), or None."""
        ward = self.ward(code)
        station = self.station(ward.station_id) if ward and ward.station_id else None
        return station.value(scale) if station else None


@dataclass(frozen=True)
class Advice:
    """Health effect and recommended actions for one category, in one language."""

    effect: str
    public: str
    sensitive: str


def category(scale: Scale, level: int) -> Category:
    """The official category of a 1-based ``level`` on ``scale``."""
    return CATEGORIES[scale][max(1, min(6, int(level))) - 1]


def category_label(cat: Category, language: str) -> str:
    """The category's name in ``language``."""
    return cat.label_vi if language == "vi" else cat.label_en


def advice(scale: Scale, level: int, language: str) -> Advice:
    """Health advice for a category: 1459 Bảng 4/5 on VN_AQI, the US EPA AQI wording on US AQI."""
    level = max(1, min(6, int(level)))
    if scale == "vn":
        message = VN_HEALTH[level]
        if language == "vi":
            return Advice(message.effect_vi, message.public_vi, message.sensitive_vi)
        return Advice(message.effect_en, message.public_en, message.sensitive_en)
    return Advice(*(translate(f"advice.us.{level}.{part}", language) for part in ("effect", "public", "sensitive")))


def distance_km(lat: float, lon: float, lats: Sequence[float], lons: Sequence[float]) -> np.ndarray:
    """Great-circle (haversine) distances in km from one point to many."""
    p1, p2 = math.radians(lat), np.radians(np.asarray(lats, dtype=float))
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lons, dtype=float) - lon)
    a = np.sin(dlat / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def sub_index_value(entry: object) -> int | None:
    """The rounded sub-index of one stored ``sub_indices`` entry (``{"aqi": 2, "exact": …}`` or a bare number)."""
    if isinstance(entry, Mapping):
        entry = entry.get("aqi")
    return None if is_missing(entry) else int(entry)  # type: ignore[call-overload]


def _utc(moment: object) -> dt.datetime | None:
    if is_missing(moment):
        return None
    stamp = pd.Timestamp(moment)  # type: ignore[arg-type]
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def _text(value: object) -> str | None:
    return None if is_missing(value) else str(value)


def _scale_value(scale: Scale, row: Mapping[str, object]) -> ScaleValue | None:
    if is_missing(row.get("aqi")) or is_missing(row.get("category")):
        return None
    stored = row.get("sub_indices")
    subs = {
        str(p): v
        for p, v in ((p, sub_index_value(e)) for p, e in (stored.items() if isinstance(stored, Mapping) else ()))
        if v is not None
    }
    end = _utc(row.get("period_end"))
    assert end is not None
    return ScaleValue(
        scale=scale,
        aqi=int(row["aqi"]),  # type: ignore[call-overload]
        level=int(row["category"]),  # type: ignore[call-overload]
        dominant=_text(row.get("dominant")),
        beyond_scale=bool(row.get("beyond_scale")) if not is_missing(row.get("beyond_scale")) else False,
        sub_indices=subs,
        period_end=end,
    )


def hour_slots(now: dt.datetime) -> list[dt.datetime]:
    """The ends (UTC) of the ``HISTORY_HOURS`` hours up to the current full hour, oldest first."""
    last = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return [last - dt.timedelta(hours=h) for h in range(HISTORY_HOURS - 1, -1, -1)]


def day_slots(now: dt.datetime, timezone: str) -> list[dt.date]:
    """Today (local) and the ``HISTORY_DAYS - 1`` days before it, oldest first."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return [today - dt.timedelta(days=d) for d in range(HISTORY_DAYS - 1, -1, -1)]


def local_day(period_end: dt.datetime, timezone: str) -> dt.date:
    """The local day a daily AQI belongs to: the day whose 01:00–24:00 window ends at ``period_end``."""
    return (period_end.astimezone(ZoneInfo(timezone)) - dt.timedelta(hours=1)).date()


def _hourly_history(rows: pd.DataFrame, now: dt.datetime) -> tuple[HistoryPoint, ...]:
    found = {}  # stored hourly ends are whole hours; anything else is filed under the hour it falls in
    for row in rows.to_dict("records"):
        end = _utc(row["period_end"])
        if end is not None:
            found[end.replace(minute=0, second=0, microsecond=0)] = row
    return tuple(HistoryPoint(end, None, *_aqi_level(found.get(end))) for end in hour_slots(now))


def _daily_history(rows: pd.DataFrame, now: dt.datetime, timezone: str) -> tuple[HistoryPoint, ...]:
    zone = ZoneInfo(timezone)
    found: dict[dt.date, Mapping[str, object]] = {}
    for row in rows.to_dict("records"):
        end = _utc(row["period_end"])
        if end is not None:
            found[local_day(end, timezone)] = row
    points = []
    for day in day_slots(now, timezone):
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
        points.append(HistoryPoint(end, day, *_aqi_level(found.get(day))))
    return tuple(points)


def _aqi_level(row: Mapping[str, object] | None) -> tuple[int | None, int | None]:
    if row is None or is_missing(row.get("aqi")):
        return None, None
    return int(row["aqi"]), int(row["category"])  # type: ignore[call-overload]


def _readings(frame: pd.DataFrame, current: Mapping[Scale, ScaleValue | None]) -> tuple[ParameterReading, ...]:
    out = []
    for row in frame.to_dict("records"):
        parameter = str(row["parameter"])
        out.append(
            ParameterReading(
                parameter=parameter,
                value=None if is_missing(row.get("value")) else float(row["value"]),
                unit=_text(row.get("unit")) or "",
                observed_at=_utc(row.get("observed_at")),
                status=_text(row.get("status")) or "",
                sub_index={s: (v.sub_indices.get(parameter) if v else None) for s, v in current.items()},
            )
        )
    return tuple(out)


def _station(
    engine: Engine, row: Mapping[str, object], latest: Mapping[Scale, Mapping[str, Mapping[str, object]]],
    now: dt.datetime, timezone: str,
) -> StationSnapshot:  # fmt: skip
    station_id = str(row["id"])
    last = _utc(row.get("last_reading_at"))
    age = None if last is None else round((now - last).total_seconds() / 3600.0, 1)
    current = {s: _scale_value(s, latest[s][station_id]) if station_id in latest[s] else None for s in SCALES}
    since_hours = hour_slots(now)[0]
    since_days = now - dt.timedelta(days=HISTORY_DAYS + 1)
    return StationSnapshot(
        id=station_id,
        name=_text(row.get("name")) or station_id,
        lat=float(row["lat"]),  # type: ignore[arg-type]
        lon=float(row["lon"]),  # type: ignore[arg-type]
        ward_code=_text(row.get("ward_code")),
        ward_name=_text(row.get("ward_name")),
        district=_text(row.get("district")),
        operator=_text(row.get("operator")),
        source=_text(row.get("source")),
        synthetic=bool(row.get("synthetic")) if not is_missing(row.get("synthetic")) else False,
        last_reading_at=last,
        age_hours=age,
        stale=last is None or now - last > STALE_AFTER,
        current=current,
        readings=_readings(queries.public_latest_readings(engine, station_id), current),
        hourly={
            s: _hourly_history(queries.public_aqi_series(engine, station_id, s, "hourly", since_hours), now)
            for s in SCALES
        },
        daily={
            s: _daily_history(queries.public_aqi_series(engine, station_id, s, "daily", since_days), now, timezone)
            for s in SCALES
        },
    )


def _wards(engine: Engine, boundary_set: str, stations: Sequence[StationSnapshot]) -> tuple[WardSnapshot, ...]:
    frame = queries.ward_choices(engine, boundary_set)
    fresh = [s for s in stations if s.value("vn") is not None]
    out = []
    for row in frame.to_dict("records"):
        lat, lon = float(row["lat"]), float(row["lon"])
        if math.isnan(lat) or math.isnan(lon):
            continue
        km = distance_km(lat, lon, [s.lat for s in stations], [s.lon for s in stations])
        order = np.argsort(km, kind="stable")[:NEAREST]
        nearest = tuple((stations[i].id, round(float(km[i]), 1)) for i in order)
        fresh_km = distance_km(lat, lon, [s.lat for s in fresh], [s.lon for s in fresh])
        pick = int(np.argmin(fresh_km)) if len(fresh) else None
        chosen = pick is not None and fresh_km[pick] <= WARD_RADIUS_KM
        out.append(
            WardSnapshot(
                code=str(row["code"]),
                name=str(row["name"]),
                district=_text(row.get("district")),
                lat=lat,
                lon=lon,
                nearest=nearest,
                station_id=fresh[pick].id if chosen and pick is not None else None,
                distance_km=round(float(fresh_km[pick]), 1) if chosen and pick is not None else None,
            )
        )
    return tuple(out)


def _summary(scale: Scale, stations: Sequence[StationSnapshot]) -> CitySummary:
    valued = [(s.value(scale), s) for s in stations]
    reporting = [(v.aqi, s.id) for v, s in valued if v is not None]
    return CitySummary(
        scale=scale,
        reporting=len(reporting),
        stale=sum(s.stale for s in stations),
        worst=max(reporting, key=lambda p: p[0])[1] if reporting else None,
        best=min(reporting, key=lambda p: p[0])[1] if reporting else None,
    )


def build_snapshot(engine: Engine, *, now: dt.datetime, timezone: str, boundary_set: str) -> PublicSnapshot:
    """Read the public path of the database into one :class:`PublicSnapshot` at ``now`` (tz-aware)."""
    if now.tzinfo is None:
        msg = f"now {now!r} must be timezone-aware"
        raise ValueError(msg)
    now = now.astimezone(dt.UTC)
    frame = queries.public_stations(engine, "air").dropna(subset=["lat", "lon"])
    latest = {s: queries.public_latest_aqi(engine, s).set_index("station_id", drop=False) for s in SCALES}
    by_station = {s: {str(k): v for k, v in latest[s].to_dict("index").items()} for s in SCALES}
    stations = tuple(_station(engine, row, by_station, now, timezone) for row in frame.to_dict("records"))
    return PublicSnapshot(
        generated_at=now,
        timezone=timezone,
        boundary_set=boundary_set,
        stations=stations,
        wards=_wards(engine, boundary_set, stations),
        summary={s: _summary(s, stations) for s in SCALES},
    )
