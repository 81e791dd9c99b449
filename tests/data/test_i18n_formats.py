"""Formats per language (data.i18n.formats): numbers, times, ages, parameter names, missing values."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from data.i18n import STRINGS, formats

UTC_EVENING = pd.Timestamp("2026-12-04 14:00", tz="UTC")  # 21:00 in Hà Nội, a Friday


@pytest.mark.parametrize(
    ("value", "language", "decimals", "expected"),
    [
        (5523, "vi", 0, "5.523"),
        (5523, "en", 0, "5,523"),
        (72.8, "vi", 1, "72,8"),
        (72.8, "en", 1, "72.8"),
        (1234567.891, "vi", 2, "1.234.567,89"),
        (-0.5, "vi", 1, "-0,5"),
        (np.int64(2000), "vi", 0, "2.000"),
    ],
)
def test_number_uses_the_language_separators(value: object, language: str, decimals: int, expected: str) -> None:
    assert formats.number(value, language, decimals) == expected


def test_percent_and_measurement() -> None:
    assert formats.percent(72.8, "vi") == "72,8 %"
    assert formats.percent(72.8, "en") == "72.8 %"
    assert formats.measurement(30000, "ug/m3", "vi", 0) == "30.000 µg/m³"
    assert formats.measurement(2.15, "mg/l", "en", 2) == "2.15 mg/L"
    assert formats.measurement(float("nan"), "mg/l", "en") == "—"


def test_local_time_is_24_hour_local_time() -> None:
    assert formats.local_time(UTC_EVENING, "vi") == "04/12/2026 21:00"
    assert formats.local_time(UTC_EVENING, "en") == "04 Dec 2026 21:00"
    assert formats.local_time(dt.datetime(2026, 12, 4, 14, 0), "vi") == "04/12/2026 21:00"  # naive = UTC
    assert formats.local_date(UTC_EVENING, "vi") == "04/12/2026"
    assert formats.local_date(dt.date(2026, 1, 5), "en") == "05 Jan 2026"


def test_local_times_column_matches_single_values_and_handles_missing() -> None:
    moments = [UTC_EVENING, None, pd.NaT, "2026-01-01T00:30:00Z"]
    for language in ("vi", "en"):
        texts = formats.local_times(moments, language)
        assert texts == [formats.local_time(m, language) for m in moments]
        assert texts[1] == texts[2] == "—"


def test_day_names() -> None:
    assert formats.day_name(UTC_EVENING, "vi") == "Thứ sáu"
    assert formats.day_name(UTC_EVENING, "vi", short=True) == "T6"
    assert formats.day_name(UTC_EVENING, "en", short=True) == "Fri"
    assert formats.day_name(dt.date(2026, 12, 6), "vi", short=True) == "CN"  # a Sunday


def test_age() -> None:
    assert formats.age(0.2, "vi") == "12 phút trước"
    assert formats.age(5, "en") == "5 h ago"
    assert formats.age(24 * 1500, "vi") == "1.500 ngày trước"
    assert formats.age(None, "vi") == "chưa có dữ liệu"
    assert formats.age(float("nan"), "en") == "no data yet"


@pytest.mark.parametrize(
    ("code", "language", "expected"),
    [
        ("pm25", "vi", "PM₂.₅"),
        ("PM10", "en", "PM₁₀"),
        ("nh4", "vi", "NH₄⁺"),
        ("bod", "en", "BOD₅"),
        ("co", "vi", "CO"),
        ("cod", "en", "COD"),
        ("flow", "vi", "Lưu lượng"),
        ("flow", "en", "Flow"),
        ("xyz", "en", "XYZ"),
        (None, "vi", "—"),
    ],
)
def test_parameter_names(code: object, language: str, expected: str) -> None:
    assert formats.parameter_name(code, language) == expected


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NaT, pd.NA, "", "  "])
def test_safe_text_never_prints_nan_or_none(missing: object) -> None:
    for language in ("vi", "en"):
        assert formats.safe_text(missing, language) == "—"
        assert formats.safe_text(missing, language, missing="x") == "x"


def test_safe_text_formats_values() -> None:
    assert formats.safe_text(5523, "vi") == "5.523"
    assert formats.safe_text(2.5, "vi") == "2,50"
    assert formats.safe_text(True, "en") == "Yes"
    assert formats.safe_text(UTC_EVENING, "vi") == "04/12/2026 21:00"
    assert formats.safe_text({"aqi": 2, "x": None}, "en") == "2, —"
    text = formats.safe_text(pd.Series([1.0, math.nan]).iloc[1], "en")
    assert "nan" not in text.lower()


def test_vega_locale_has_vietnamese_names_and_24_hour_axis() -> None:
    locale = formats.vega_locale("vi")
    assert locale["number"]["decimal"] == ","
    assert locale["time"]["shortDays"][5] == "T6"
    assert len(locale["time"]["months"]) == len(locale["time"]["shortMonths"]) == 12
    expression = formats.time_axis_label_expr("vi")
    assert "%H:%M" in expression and "%I" not in expression and "%p" not in expression


def test_wall_clock_keeps_local_hours() -> None:
    shifted = formats.wall_clock([UTC_EVENING])
    assert shifted.iloc[0] == pd.Timestamp("2026-12-04 21:00", tz="UTC")


def test_parameter_catalogue_has_both_languages() -> None:
    keys = [key for key in STRINGS if key.startswith("parameter.")]
    assert keys
    assert all(all(STRINGS[key]) for key in keys)


def test_local_times_of_an_empty_column() -> None:
    for language in ("vi", "en"):
        assert formats.local_times([], language) == []
        assert formats.local_times(pd.Series([], dtype="datetime64[ns, UTC]"), language) == []
