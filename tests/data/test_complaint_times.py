"""Day-first complaint times read vectorised are exactly what ``pd.to_datetime(format=…)`` reads, text by text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.importers.normalise import _strptime
from data.importers.profiles import VN_DATE_FORMATS

FORMATS = (*VN_DATE_FORMATS, "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y  %H:%M")
PARTS = {
    "day": ["01", "1", "28", "29", "30", "31", "00", "32", " 5"],
    "month": ["01", "1", "02", "12", "13", "00"],
    "year": ["2025", "2024", "1900", "2000", "0000", "0001", "1699", "1700", "2199", "2200", "25", "20250"],
    "hour": ["00", "0", "9", "23", "24"],
    "minute": ["00", "59", "60", "5"],
    "second": ["00", "59", "60", "61", "5"],
}


def _same(text: pd.Series, fmt: str) -> None:
    expected = pd.to_datetime(text, format=fmt, errors="coerce").astype("datetime64[us]")
    got = _strptime(text, fmt)
    assert got.dtype == "datetime64[us]" or got.isna().all()
    assert ((got == expected) | (got.isna() & expected.isna())).all()


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    fmt=st.sampled_from(FORMATS),
    rows=st.lists(
        st.tuples(*(st.sampled_from(values) for values in PARTS.values()), st.sampled_from(["/", "-", " ", "h", ":"])),
        min_size=1,
        max_size=30,
    ),
)
def test_vectorised_times_equal_pandas(fmt: str, rows: list[tuple[str, ...]]):
    texts = [
        f"{d}/{m}/{y} {h}:{mi}:{s}" if sep == ":" else f"{d}{sep}{m}{sep}{y} {h}{sep}{mi}"
        for d, m, y, h, mi, s, sep in rows
    ]
    _same(pd.Series(texts, dtype="string"), fmt)


@pytest.mark.parametrize("fmt", ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"])
def test_every_day_of_four_years(fmt: str):
    times = pd.date_range("2023-01-01", "2026-12-31", freq="1D") + pd.to_timedelta(np.arange(1461) * 997, "s")
    _same(pd.Series(times.strftime(fmt), dtype="string"), fmt)


def test_a_day_that_does_not_exist_is_not_a_time():
    parsed = _strptime(pd.Series(["29/02/2024 10:00", "29/02/2025 10:00"], dtype="string"), "%d/%m/%Y %H:%M")
    assert parsed.iloc[0] == pd.Timestamp("2024-02-29 10:00") and pd.isna(parsed.iloc[1])
