"""PostgreSQL COPY from a sending thread: row order, constant columns, NULLs and times, and failures either side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
from sqlalchemy import Engine, text

from data import copy_in
from data.copy_in import copy_frame, copy_in_background

_TABLE = (
    "CREATE TEMPORARY TABLE copied (n integer PRIMARY KEY, label text, value double precision, at timestamptz, "
    "tag text)"
)


def _label(i: int) -> str | None:
    return "" if i % 3 == 0 else None if i % 3 == 1 else f"nhãn {i % 5}"


def _frame(count: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "n": np.arange(count),
            "label": [_label(i) for i in range(count)],
            "value": [np.nan if i % 4 == 0 else i / 8 for i in range(count)],
            "at": pd.Series(pd.date_range("2025-03-01T07:00:00+07:00", periods=count, freq="5min")).where(
                np.arange(count) % 7 != 0
            ),
        }
    )


def test_rows_arrive_in_order_with_constants_nulls_and_utc_times(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copy_in, "CHUNK_ROWS", 7)  # several chunks
    frame = _frame(40)
    order = np.arange(40)[::-1].copy()
    with postgres_engine.begin() as conn:
        conn.execute(text(_TABLE))
        stored = copy_frame(conn, "copied", frame, order=order, constants={"tag": "lô-1"})
        rows = conn.execute(text("SELECT n, label, value, at, tag FROM copied ORDER BY ctid")).all()
    assert stored == 40
    assert [row.n for row in rows] == order.tolist()
    for row in rows:
        source = frame.iloc[row.n]
        assert row.label == _label(row.n)  # "" stays "", None is NULL
        assert (row.value is None) == bool(np.isnan(source["value"]))
        assert row.at == (None if pd.isna(source["at"]) else source["at"].to_pydatetime())
        assert row.tag == "lô-1"


def test_an_error_in_the_body_aborts_the_copy(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as conn:
        conn.execute(text(_TABLE))
        with (
            pytest.raises(RuntimeError, match="averages failed"),
            conn.begin_nested(),
            copy_in_background(conn, "copied", _frame(30)),
        ):
            raise RuntimeError("averages failed")
        assert conn.execute(text("SELECT count(*) FROM copied")).scalar_one() == 0  # and the connection still works


def test_the_servers_error_is_raised_when_the_block_exits(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as conn:
        conn.execute(text(_TABLE))
        copy_frame(conn, "copied", _frame(5))
        work_done = []
        with (
            pytest.raises(psycopg.errors.UniqueViolation),
            conn.begin_nested(),
            copy_in_background(conn, "copied", _frame(10)),
        ):
            work_done.append(True)
        assert work_done == [True]
        assert conn.execute(text("SELECT count(*) FROM copied")).scalar_one() == 5
