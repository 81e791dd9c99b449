"""Times bound for SQLite are exactly the text SQLAlchemy's own SQLite ``DATETIME`` type writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.dialects import sqlite

from data.bulk import sqlite_times

_SQLALCHEMY_TEXT = sqlite.DATETIME().bind_processor(sqlite.dialect())


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("2025-07-01", "2025-08-01"),  # one batch of reports
        ("1969-12-25", "1970-01-05"),  # around the epoch (negative microseconds)
        ("0001-01-01", "9999-12-31"),  # the whole range of four-digit years (numpy's formatter)
    ],
)
def test_sqlite_times_match_sqlalchemy(low: str, high: str):
    rng = np.random.default_rng(7)
    start, end = (np.datetime64(value, "us").astype(np.int64) for value in (low, high))
    stamps = pd.Series(pd.to_datetime(rng.integers(start, end, 5000), unit="us", utc=True).as_unit("us"))
    stamps[rng.random(len(stamps)) < 0.1] = pd.NaT
    expected = [None if pd.isna(stamp) else _SQLALCHEMY_TEXT(stamp.to_pydatetime()) for stamp in stamps]
    assert sqlite_times(stamps) == expected
    repeated = pd.concat([stamps, stamps.iloc[::-1]], ignore_index=True)  # each instant twice, in another order
    assert sqlite_times(repeated) == expected + expected[::-1]


def test_sqlite_times_of_no_rows_and_of_only_missing_times():
    assert sqlite_times(pd.Series([], dtype="datetime64[us, UTC]")) == []
    assert sqlite_times(pd.Series([pd.NaT, pd.NaT], dtype="datetime64[us, UTC]")) == [None, None]
