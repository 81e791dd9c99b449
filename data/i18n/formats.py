"""How values look in each language: numbers, percentages, dates and times, ages, parameter names, missing values.

Vietnamese uses ``.`` for thousands and ``,`` for decimals (5.523 · 72,8 %) and day-first dates with a 24-hour
clock (04/12/2026 21:00); English uses 5,523 · 72.8 % · 04 Dec 2026 21:00. Every surface (pages, CLI, exports,
alerts, the published site) formats through these functions so a figure reads the same everywhere. Missing
values (None, NaN, NaT, pd.NA) never print as ``nan``/``None``: they become :data:`MISSING` (an em dash).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Final

import pandas as pd

from data.config import DEFAULT_TIMEZONE
from data.i18n import STRINGS, translate

MISSING: Final = "—"
"""What a missing value shows as on every surface."""


VI_DAYS: Final = ("Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy")
VI_SHORT_DAYS: Final = ("CN", "T2", "T3", "T4", "T5", "T6", "T7")
VI_MONTHS: Final = tuple(f"tháng {n}" for n in range(1, 13))
VI_SHORT_MONTHS: Final = tuple(f"thg {n}" for n in range(1, 13))
EN_DAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
EN_SHORT_DAYS: Final = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
EN_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
EN_SHORT_MONTHS: Final = tuple(month[:3] for month in EN_MONTHS)
_EN_MONTH_OF: Final = {f"{n:02d}": name for n, name in enumerate(EN_SHORT_MONTHS, start=1)}

# Chemical symbols read the same in both languages; names that are words live in the catalogue (parameter.*).
PARAMETER_SYMBOLS: Final[dict[str, str]] = {
    "pm25": "PM₂.₅",
    "pm10": "PM₁₀",
    "pm": "PM",
    "no2": "NO₂",
    "no": "NO",
    "so2": "SO₂",
    "o3": "O₃",
    "co": "CO",
    "o2": "O₂",
    "nh3": "NH₃",
    "h2s": "H₂S",
    "cod": "COD",
    "bod": "BOD₅",
    "nh4": "NH₄⁺",
    "tss": "TSS",
    "toc": "TOC",
    "ph": "pH",
    "cl": "Cl⁻",
    "aqi": "AQI",
}
UNIT_TEXTS: Final[dict[str, str]] = {
    "ug/m3": "µg/m³",
    "µg/m3": "µg/m³",
    "μg/m3": "µg/m³",
    "mg/m3": "mg/m³",
    "mg/l": "mg/L",
    "m3/h": "m³/h",
    "oc": "°C",
    "c": "°C",
    "pt-co": "Pt-Co",
    "-": "",
}


def is_missing(value: object) -> bool:
    """True for None, NaN, NaT, pd.NA and blank text (what must never print as ``nan``/``None``)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict | list | tuple | set):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes: not a single missing value
        return False


def number(value: object, language: str, decimals: int = 0) -> str:
    """``value`` with the language's separators: vi ``5.523`` / ``72,8``, en ``5,523`` / ``72.8``."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"  # type: ignore[arg-type]
    if language == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(value: object, language: str, decimals: int = 1) -> str:
    """A percentage already scaled to 0–100: ``72,8 %`` (vi) / ``72.8 %`` (en)."""
    return MISSING if is_missing(value) else f"{number(value, language, decimals)} %"


def _local(moment: object, timezone: str) -> pd.Timestamp | None:
    if is_missing(moment):
        return None
    stamp = pd.Timestamp(moment)  # type: ignore[arg-type]
    if stamp is pd.NaT:
        return None
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(timezone)


def local_time(moment: object, language: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """A moment in local time, 24-hour clock: ``04/12/2026 21:00`` (vi) / ``04 Dec 2026 21:00`` (en).

    Naive values are taken as UTC (how the database stores times).
    """
    stamp = _local(moment, timezone)
    if stamp is None:
        return MISSING
    if language == "vi":
        return stamp.strftime("%d/%m/%Y %H:%M")
    return f"{stamp.day:02d} {EN_SHORT_MONTHS[stamp.month - 1]} {stamp.year} {stamp.strftime('%H:%M')}"


def local_date(moment: object, language: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The local calendar day: ``04/12/2026`` (vi) / ``04 Dec 2026`` (en); dates are taken as they are."""
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        day = moment
    else:
        stamp = _local(moment, timezone)
        if stamp is None:
            return MISSING
        day = stamp.date()
    if language == "vi":
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day:02d} {EN_SHORT_MONTHS[day.month - 1]} {day.year}"


def local_times(moments: Any, language: str, timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """:func:`local_time` of a whole column, converted in one vectorised step (missing values give ``—``)."""
    stamps = pd.to_datetime(pd.Series(list(moments), dtype=object), utc=True, format="mixed")
    local = stamps.dt.tz_convert(timezone)
    if language == "vi":
        texts = local.dt.strftime("%d/%m/%Y %H:%M")
    else:  # the month abbreviation is ours, not the C library's locale
        texts = local.dt.strftime("%d ") + local.dt.strftime("%m").map(_EN_MONTH_OF, na_action="ignore").astype(str)
        texts = texts + local.dt.strftime(" %Y %H:%M")
    return [MISSING if pd.isna(text) else str(text) for text in texts]


def day_name(moment: object, language: str, *, short: bool = False, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The local weekday name: ``Thứ sáu`` / ``T6`` (vi), ``Friday`` / ``Fri`` (en)."""
    if isinstance(moment, dt.date) and not isinstance(moment, dt.datetime):
        weekday = moment.weekday()
    else:
        stamp = _local(moment, timezone)
        if stamp is None:
            return MISSING
        weekday = stamp.weekday()
    sunday_first = (weekday + 1) % 7
    names = (VI_SHORT_DAYS if short else VI_DAYS) if language == "vi" else (EN_SHORT_DAYS if short else EN_DAYS)
    return names[sunday_first]


def age(hours: float | None, language: str) -> str:
    """A human age such as ``5 giờ trước`` / ``2 days ago``; missing gives ``chưa có dữ liệu`` / ``no data yet``."""
    if is_missing(hours):
        return translate("time.never", language)
    assert hours is not None
    if hours < 1:
        return translate("time.minutes_ago", language, n=max(1, round(hours * 60)))
    if hours < 48:
        return translate("time.hours_ago", language, n=round(hours))
    return translate("time.days_ago", language, n=number(round(hours / 24), language))


def parameter_name(code: object, language: str) -> str:
    """The display name of a parameter code: ``pm25`` → ``PM₂.₅``, ``nh4`` → ``NH₄⁺``, ``flow`` → ``Lưu lượng``.

    An unknown code is shown upper-cased (a station symbol as the station sent it), never as an empty cell.
    """
    if is_missing(code):
        return MISSING
    key = str(code).strip().lower()
    if key in PARAMETER_SYMBOLS:
        return PARAMETER_SYMBOLS[key]
    catalogue_key = f"parameter.{key}"
    return translate(catalogue_key, language) if catalogue_key in STRINGS else str(code).upper()


def unit_text(unit: object) -> str:
    """A unit written properly (``ug/m3`` → ``µg/m³``, ``mg/l`` → ``mg/L``); missing gives an empty string."""
    if is_missing(unit):
        return ""
    text = str(unit).strip()
    return UNIT_TEXTS.get(text.lower(), text)


def measurement(value: object, unit: object, language: str, decimals: int = 1) -> str:
    """``72,8 µg/m³`` (vi) / ``72.8 µg/m³`` (en); a missing value gives ``—``."""
    if is_missing(value):
        return MISSING
    suffix = unit_text(unit)
    return f"{number(value, language, decimals)} {suffix}".rstrip()


def safe_text(value: object, language: str, *, missing: str | None = None) -> str:
    """Any value as display text: missing → ``—`` (or ``missing``), numbers and times in the language's format.

    Dicts and lists are never shown raw: their values are joined (a caller should render them properly).
    """
    if is_missing(value):
        return MISSING if missing is None else missing
    if isinstance(value, bool):
        return translate("common.yes" if value else "common.no", language)
    if isinstance(value, int):
        return number(value, language)
    if isinstance(value, float):
        return number(value, language, 0 if value.is_integer() else 2)
    if isinstance(value, dt.datetime | pd.Timestamp):
        return local_time(value, language)
    if isinstance(value, dt.date):
        return local_date(value, language)
    if isinstance(value, dict):
        return ", ".join(safe_text(v, language, missing=missing) for v in value.values())
    if isinstance(value, list | tuple | set):
        return ", ".join(safe_text(v, language, missing=missing) for v in value)
    return str(value)


def vega_locale(language: str) -> dict[str, dict[str, object]]:
    """A Vega ``config.locale`` (d3 number and time locales) so chart axes use the language's names and marks."""
    if language == "vi":
        return {
            "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " ₫"]},
            "time": {
                "dateTime": "%A, %d/%m/%Y %H:%M:%S",
                "date": "%d/%m/%Y",
                "time": "%H:%M:%S",
                "periods": ["SA", "CH"],
                "days": list(VI_DAYS),
                "shortDays": list(VI_SHORT_DAYS),
                "months": list(VI_MONTHS),
                "shortMonths": list(VI_SHORT_MONTHS),
            },
        }
    return {
        "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""]},
        "time": {
            "dateTime": "%a %d %b %Y %H:%M:%S",
            "date": "%d %b %Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": list(EN_DAYS),
            "shortDays": list(EN_SHORT_DAYS),
            "months": list(EN_MONTHS),
            "shortMonths": list(EN_SHORT_MONTHS),
        },
    }


def time_axis_label_expr(language: str) -> str:
    """A Vega ``labelExpr`` for a UTC-scaled time axis holding local wall-clock times: 24-hour clock, and the
    day (``T6 04/12`` / ``Fri 04 Dec``) at midnight ticks, the month at the first of a month."""
    day = "%a %d/%m" if language == "vi" else "%a %d %b"
    month = "%m/%Y" if language == "vi" else "%b %Y"
    return (
        f"utchours(datum.value) == 0 && utcminutes(datum.value) == 0 ? "
        f"(utcdate(datum.value) == 1 && datum.index == 0 ? utcFormat(datum.value, '{month}') "
        f": utcFormat(datum.value, '{day}')) : utcFormat(datum.value, '%H:%M')"
    )


def wall_clock(moments: Any, timezone: str = DEFAULT_TIMEZONE) -> pd.Series:
    """Times as local wall-clock instants labelled UTC, for charts drawn on a UTC scale (no browser time zone)."""
    stamps = pd.to_datetime(pd.Series(moments), utc=True)
    return stamps.dt.tz_convert(timezone).dt.tz_localize(None).dt.tz_localize("UTC")
