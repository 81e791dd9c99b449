"""PostgreSQL ``COPY (SELECT …) TO STDOUT`` read into a data frame by Arrow's CSV reader.

Fetching many rows as Python tuples and building a frame from them costs a few microseconds a row; the server's
CSV parsed by Arrow costs a small fraction of that. Times travel as integer microseconds since the epoch (no text
time zones to parse) and booleans as ``t``/``f``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection

TIME = "time"
"""A column type of :func:`select_frame`: a ``timestamptz`` returned as ``datetime64[us, UTC]``."""


_EMPTY_DTYPES = {"text": "str", "float": "float64", "int": "int64", "bool": "bool", TIME: "datetime64[us, UTC]"}


def select_frame(conn: Connection, query: str, params: Sequence[Any], columns: Mapping[str, str]) -> pd.DataFrame:
    """The rows of ``query`` (psycopg ``%s`` placeholders, ``params``) as a frame with ``columns``.

    ``columns`` maps each selected column, in order, to its type: ``text``, ``float``, ``int``, ``bool`` or
    :data:`TIME`. A :data:`TIME` column must be selected as is; it is converted on the server.
    """
    select_list = ", ".join(
        f"(extract(epoch FROM {name}) * 1000000)::bigint AS {name}" if kind == TIME else name
        for name, kind in columns.items()
    )
    statement = f"COPY (SELECT {select_list} FROM ({query}) AS rows) TO STDOUT WITH (FORMAT csv)"
    buffer = io.BytesIO()
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.tell():
        return pd.DataFrame({name: pd.Series(dtype=_EMPTY_DTYPES[kind]) for name, kind in columns.items()})
    arrow_types = {"text": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), TIME: pa.int64()}
    table = pa_csv.read_csv(
        io.BytesIO(buffer.getvalue()),
        read_options=pa_csv.ReadOptions(column_names=list(columns)),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: arrow_types[kind] for name, kind in columns.items()},
            true_values=["t"],
            false_values=["f"],
            strings_can_be_null=True,  # NULL is an unquoted empty field; an empty text is quoted
            quoted_strings_can_be_null=False,
        ),
    )
    frame = table.to_pandas()
    for name, kind in columns.items():
        if kind == TIME:
            frame[name] = pd.to_datetime(frame[name], unit="us", utc=True).astype("datetime64[us, UTC]")
    return frame
