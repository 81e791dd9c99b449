"""PostgreSQL COPY from a sending thread: row order, constant columns, NULLs and times, and failures either side."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest
from sqlalchemy import Engine, text

from data import copy_binary, copy_in
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


_scatter = copy_binary._scatter

_TYPED_TABLE = (
    "CREATE TEMPORARY TABLE {name} (n integer PRIMARY KEY, big bigint, small smallint, word varchar(40), "
    "note text, value double precision, flag boolean, at timestamptz, local_at timestamp, tag text)"
)


def _typed_frame(count: int) -> pd.DataFrame:
    words = ["Hà Nội", "", None, "a", "phường Láng Thượng", "x" * 40]
    return pd.DataFrame(
        {
            "n": np.arange(count, dtype=np.int64),
            "big": np.arange(count, dtype=np.int64) * 10**12 - 7,
            "small": (np.arange(count) % 300 - 150).astype(np.int16),
            "word": [words[i % len(words)] for i in range(count)],
            "note": pd.Series([None if i % 5 == 0 else f"ghi chú {i}" for i in range(count)], dtype="str"),
            "value": [np.nan if i % 4 == 0 else (-1) ** i * i / 3 for i in range(count)],
            "flag": np.arange(count) % 2 == 0,
            "at": pd.Series(pd.date_range("1999-12-31T23:00:00+07:00", periods=count, freq="37min")).where(
                np.arange(count) % 7 != 0
            ),
            "local_at": pd.date_range("2026-03-01T00:00:00", periods=count, freq="h"),
        }
    )


@pytest.mark.parametrize("rows_in", ["runs", "mixed"])
def test_binary_rows_are_stored_as_the_csv_rows_are(
    postgres_engine: Engine, monkeypatch: pytest.MonkeyPatch, rows_in: str
) -> None:
    """Rows of one layout in long runs are copied as blocks; mixed ones byte by byte: both as CSV stores them."""
    if rows_in == "runs":  # rows with the same text lengths and NULLs next to each other, one chunk
        frame = _typed_frame(2_000)
        layout = pd.DataFrame({name: frame[name].astype("str").str.len() for name in ("word", "note", "value", "at")})
        order = np.lexsort(layout.to_numpy().T)
    else:
        frame = _typed_frame(60)
        monkeypatch.setattr(copy_in, "CHUNK_ROWS", 11)  # several chunks, neighbours of different widths
        order = np.random.default_rng(7).permutation(60)
    scattered = []
    monkeypatch.setattr(copy_binary, "_scatter", lambda *args: scattered.append(1) or _scatter(*args))
    with postgres_engine.begin() as conn:
        for name in ("as_binary", "as_csv"):
            conn.execute(text(_TYPED_TABLE.format(name=name)))
        types = copy_in.column_types(conn, "as_binary")
        assert copy_binary.binary_columns(frame, types, {"tag": "lô-1"}) is not None  # this frame goes as binary
        assert copy_frame(conn, "as_binary", frame, order=order, constants={"tag": "lô-1"}) == len(frame)
        with monkeypatch.context() as csv_only:
            csv_only.setattr(copy_in, "binary_columns", lambda *_: None)
            assert copy_frame(conn, "as_csv", frame, order=order, constants={"tag": "lô-1"}) == len(frame)
        as_binary = conn.execute(text("SELECT * FROM as_binary ORDER BY ctid")).all()
        as_csv = conn.execute(text("SELECT * FROM as_csv ORDER BY ctid")).all()
    assert as_binary == as_csv
    assert bool(scattered) == (rows_in == "mixed")
    assert [row.n for row in as_binary] == order.tolist()
    first = next(row for row in as_binary if row.n == 1)
    assert (first.word, first.note, first.value, first.flag) == ("", "ghi chú 1", -1 / 3, False)
    assert first.at == frame["at"][1].to_pydatetime() and first.local_at == frame["local_at"][1].to_pydatetime()
    assert next(row for row in as_binary if row.n == 2).word is None


def test_columns_binary_cannot_carry_go_as_csv(postgres_engine: Engine) -> None:
    frame = pd.DataFrame({"n": [1, 2], "amount": [1.25, None], "doc": ['{"a": 1}', "[]"]})
    with postgres_engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE mixed (n integer, amount numeric(6, 2), doc jsonb)"))
        assert copy_binary.binary_columns(frame, copy_in.column_types(conn, "mixed"), {}) is None
        assert copy_frame(conn, "mixed", frame) == 2
        rows = conn.execute(text("SELECT n, amount, doc FROM mixed ORDER BY n")).all()
    assert [(row.n, None if row.amount is None else float(row.amount), row.doc) for row in rows] == [
        (1, 1.25, {"a": 1}),
        (2, None, []),
    ]


def test_naive_times_for_a_timestamptz_column_keep_the_sessions_time_zone(postgres_engine: Engine) -> None:
    frame = pd.DataFrame({"at": pd.to_datetime(["2026-03-01 07:00"])})  # no zone: read in the session's
    with postgres_engine.begin() as conn:
        conn.execute(text("SET LOCAL TIME ZONE 'Asia/Ho_Chi_Minh'"))
        conn.execute(text("CREATE TEMPORARY TABLE stamped (at timestamptz)"))
        assert copy_binary.binary_columns(frame, copy_in.column_types(conn, "stamped"), {}) is None
        copy_frame(conn, "stamped", frame)
        stored = conn.execute(text("SELECT at FROM stamped")).scalar_one()
    assert stored == pd.Timestamp("2026-03-01 00:00", tz="UTC")


def test_a_number_out_of_the_columns_range_is_refused_by_the_server(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as conn:
        conn.execute(text("CREATE TEMPORARY TABLE counts (n integer)"))
        with pytest.raises(psycopg.errors.NumericValueOutOfRange):
            copy_frame(conn, "counts", pd.DataFrame({"n": np.array([1, 2**31], dtype=np.int64)}))
