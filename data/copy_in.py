"""PostgreSQL ``COPY … FROM STDIN`` of data frames, in chunks, from a worker thread.

Binary rows (:mod:`data.copy_binary`) when every column's type allows it, else CSV written by Arrow. The server
stores one chunk while the next is formatted. With :func:`copy_in_background` the caller's own work
(the ``with`` body) runs at the same time too: the formatting (numpy's copies, Arrow's CSV writer) and the socket
mostly release the GIL, so on two cores the client's work and the server's work overlap instead of taking turns.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, text

from data.copy_binary import HEADER, TRAILER, Column, binary_columns, encode_rows

CHUNK_ROWS = 65_536
"""Rows formatted per chunk: large enough for Arrow to be efficient, small enough to start sending early."""


class CopyResult:
    """Rows stored by a :func:`copy_in_background` (``rows`` is set when the ``with`` block exits)."""

    rows: int = 0


class _Abandoned(Exception):
    """Raised in the sending thread to abort the ``COPY`` when the ``with`` body failed."""


@contextmanager
def copy_in_background(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    *,
    order: np.ndarray | None = None,
    constants: Mapping[str, str] | None = None,
) -> Iterator[CopyResult]:
    """``COPY`` ``frame`` (columns named as in ``table``) into PostgreSQL while the ``with`` body runs.

    ``order`` lists the positions of ``frame``'s rows in the order to store them (all rows as they are when
    None); ``constants`` are extra columns holding one value for every row. NaN/None are NULL, empty strings stay
    empty strings, tz-aware times are stored as the same instants (in CSV: UTC with a ``Z`` suffix). The body
    must not use ``conn``: its socket belongs to the sending thread until the block exits. Leaving the block
    waits until the server has stored every row, or raises the server's error (e.g.
    ``psycopg.errors.UniqueViolation``); an exception in the body aborts the ``COPY`` and propagates.
    """
    result = CopyResult()
    constants = dict(constants or {})
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in [*frame.columns, *constants])
    types = column_types(conn, quote(table))
    driver_connection: Any = conn.connection.driver_connection
    abandoned = threading.Event()
    errors: list[BaseException] = []

    def send() -> None:
        try:
            positions = np.arange(len(frame)) if order is None else order
            binary = binary_columns(frame, types, constants)
            pieces = _csv_pieces(frame, positions, constants) if binary is None else _binary_pieces(binary, positions)
            statement = (
                f"COPY {quote(table)} ({columns}) FROM STDIN WITH (FORMAT {'csv' if binary is None else 'binary'})"
            )
            with driver_connection.cursor() as cursor:
                with cursor.copy(statement) as copy:
                    for piece in pieces:
                        if abandoned.is_set():
                            raise _Abandoned
                        copy.write(piece)
                result.rows = cursor.rowcount
        except BaseException as error:  # handed to the caller's thread below
            errors.append(error)

    sender = threading.Thread(target=send, name=f"copy-{table}", daemon=True)
    sender.start()
    try:
        yield result
    except BaseException:
        abandoned.set()
        sender.join()
        raise
    sender.join()
    if errors:
        raise errors[0]


def column_types(conn: Connection, table: str) -> dict[str, str]:
    """The type name (``pg_type.typname``) of each column of ``table`` (quoted if need be), by column name."""
    rows = conn.execute(
        text(
            "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped"
        ),
        {"table": table},
    )
    return {name: type_name for name, type_name in rows}


def _binary_pieces(columns: list[Column], positions: np.ndarray) -> Iterator[bytes | memoryview]:
    yield HEADER
    for start in range(0, len(positions), CHUNK_ROWS):
        yield encode_rows(columns, positions[start : start + CHUNK_ROWS])
    yield TRAILER


def _csv_pieces(frame: pd.DataFrame, positions: np.ndarray, constants: Mapping[str, str]) -> Iterator[memoryview]:
    arrow = _encoded(frame)
    for start in range(0, len(positions), CHUNK_ROWS):
        chunk = arrow.take(positions[start : start + CHUNK_ROWS])
        for name, value in constants.items():
            chunk = chunk.append_column(name, _repeated(value, chunk.num_rows))
        yield _csv(chunk)


def _encoded(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table whose text and tz-aware time columns are dictionary-encoded.

    Reordering then moves integers, not strings. Times become UTC text with one dictionary entry per instant:
    Arrow's own timestamp formatting was most of the CSV writer's time, and a batch repeats the same few instants
    across its stations and parameters.
    """
    columns: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            codes, instants = pd.factorize(column.dt.tz_convert("UTC").dt.tz_localize(None))
            texts = np.char.add(np.datetime_as_string(instants.to_numpy("datetime64[us]"), unit="us"), "Z")
            indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
            columns[name] = pa.DictionaryArray.from_arrays(indices, pa.array(texts))
            continue
        values = pa.array(column)  # pandas semantics: NaN and None are nulls
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            values = pc.dictionary_encode(values)
        columns[name] = values
    return pa.table(columns)


def _repeated(value: str, count: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(count, dtype=np.int32)), pa.array([value]))


def _csv(rows: pa.Table) -> memoryview:
    buffer = io.BytesIO()
    pa_csv.write_csv(rows, buffer, write_options=pa_csv.WriteOptions(include_header=False))
    return buffer.getbuffer()


def copy_frame(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    *,
    order: np.ndarray | None = None,
    constants: Mapping[str, str] | None = None,
) -> int:
    """``COPY`` ``frame`` into PostgreSQL like :func:`copy_in_background`; returns the rows stored."""
    with copy_in_background(conn, table, frame, order=order, constants=constants) as copied:
        pass
    return copied.rows
