"""``data.copy_out.select_frame``: rows read through ``COPY … TO STDOUT`` come back with their types, NULLs and
empty texts kept apart, and an empty answer is an empty frame of the same columns."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import Engine

from data.copy_out import TIME, select_frame

COLUMNS = {"name": "text", "value": "float", "count": "int", "ok": "bool", "at": TIME}
ROWS = (
    "SELECT * FROM (VALUES ('a,\"b\"', 1.5::float8, 3::bigint, true, timestamptz '2026-12-01 07:00:00+07'),"
    " ('', NULL::float8, 0::bigint, false, timestamptz '2026-12-01 00:00:00.5+00'),"
    " (NULL, 2.0::float8, 1::bigint, true, timestamptz '2026-12-01 00:00:00+00'))"
    " AS t(name, value, count, ok, at) WHERE count >= %s"
)


def test_types_nulls_and_times_survive(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as conn:
        frame = select_frame(conn, ROWS, [0], COLUMNS)
    assert frame["name"].tolist()[:2] == ['a,"b"', ""] and frame["name"].isna().tolist() == [False, False, True]
    assert frame["value"].iloc[0] == 1.5 and math.isnan(frame["value"].iloc[1])
    assert frame["count"].tolist() == [3, 0, 1] and frame["ok"].tolist() == [True, False, True]
    assert str(frame["at"].dtype) == "datetime64[us, UTC]"
    assert frame["at"].iloc[0].to_pydatetime() == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert frame["at"].iloc[1].to_pydatetime() == dt.datetime(2026, 12, 1, 0, 0, 0, 500_000, tzinfo=dt.UTC)


def test_an_empty_answer_keeps_the_columns(postgres_engine: Engine) -> None:
    with postgres_engine.connect() as conn:
        frame = select_frame(conn, ROWS, [99], COLUMNS)
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    assert str(frame["at"].dtype) == "datetime64[us, UTC]" and str(frame["value"].dtype) == "float64"
