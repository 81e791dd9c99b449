"""The public snapshot's figures as text in one language, shared by the Streamlit page and the published site."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from data.i18n import translate
from data.i18n.formats import EN_SHORT_MONTHS, MISSING, age, day_name, local_time, number
from monitoring.public_snapshot import ScaleValue, StationSnapshot, category, category_label

TEXT_ON_LIGHT, TEXT_ON_DARK = "#000000", "#FFFFFF"


def aqi_text(value: ScaleValue | None) -> str:
    """``160``, ``500+`` (beyond the scale) or ``—``."""
    if value is None:
        return MISSING
    return f"{value.aqi}+" if value.beyond_scale else str(value.aqi)


def level_text(scale: str, level: int | None, language: str) -> str:
    """The category name of ``level`` on ``scale`` (empty when there is no level)."""
    return "" if level is None else category_label(category(scale, level), language)  # type: ignore[arg-type]


def text_colour(level: int) -> str:
    """Black on the light categories (green, yellow, orange), white on the dark ones."""
    return TEXT_ON_LIGHT if level <= 3 else TEXT_ON_DARK


def day_label(day: dt.date, language: str) -> str:
    """A short local day: ``T7 08/03`` (vi) / ``Sat 08 Mar`` (en)."""
    short = day_name(day, language, short=True)
    if language == "vi":
        return f"{short} {day.day:02d}/{day.month:02d}"
    return f"{short} {day.day:02d} {EN_SHORT_MONTHS[day.month - 1]}"


def hour_label(period_end: dt.datetime, timezone: str) -> str:
    """The local end of an hour on a 24-hour clock: ``21:00``."""
    return period_end.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def freshness(station: StationSnapshot, language: str, timezone: str) -> str:
    """``Số liệu lúc 08/03/2025 21:00 · 20 phút trước`` or the stale form naming the last reading."""
    if station.last_reading_at is None:
        return translate("public.no_data", language)
    key = "public.stale" if station.stale else "public.fresh"
    value = station.current.get("vn")
    moment = value.period_end if value is not None and not station.stale else station.last_reading_at
    return translate(key, language, time=local_time(moment, language, timezone), age=age(station.age_hours, language))


def distance_text(km: float, language: str) -> str:
    """``1,2`` (vi) / ``1.2`` (en)."""
    return number(km, language, 1)
