"""PostgreSQL ``COPY … FROM STDIN`` of data frames: CSV written by Arrow, streamed by a worker thread.

The rows are written in chunks and handed to psycopg's queued writer, whose thread sends them while this thread
formats the next chunk, so the server stores rows while the client is still formatting them. With
:func:`copy_in_background` the caller's own work (the ``with`` body) also runs while the server stores the rows.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection

CHUNK_ROWS = 65_536
"""Rows formatted per CSV chunk: large enough for Arrow to be efficient, small enough to start sending early."""


class CopyResult:
    """Rows stored by a finished :func:`copy_in_background` (``rows`` is set when the ``with`` block exits)."""

    rows: int = 0


@contextmanager
def copy_in_background(conn: Connection, table: str, frame: pd.DataFrame) -> Iterator[CopyResult]:
    """``COPY`` ``frame`` (columns named as in ``table``) into PostgreSQL while the ``with`` body runs.

    Arrow writes NaN/None as an unquoted empty field (NULL), empty strings quoted (not NULL) and tz-aware times
    in UTC with a ``Z`` suffix. The body must not use ``conn`` (its socket belongs to the sending thread until the
    block exits). Leaving the block waits until the server has stored every row, or raises its error (e.g.
    ``psycopg.errors.UniqueViolation``); an exception in the body aborts the ``COPY``.
    """
    result = CopyResult()
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    options = pa_csv.WriteOptions(include_header=False)
    driver_connection: Any = conn.connection.driver_connection
    with driver_connection.cursor() as cursor:
        quote = conn.dialect.identifier_preparer.quote
        columns = ", ".join(quote(name) for name in frame.columns)
        statement = f"COPY {quote(table)} ({columns}) FROM STDIN WITH (FORMAT csv)"
        with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
            for start in range(0, arrow.num_rows, CHUNK_ROWS):
                buffer = io.BytesIO()
                pa_csv.write_csv(arrow.slice(start, CHUNK_ROWS), buffer, write_options=options)
                copy.write(buffer.getbuffer())
            yield result
        result.rows = cursor.rowcount


def copy_frame(conn: Connection, table: str, frame: pd.DataFrame) -> int:
    """``COPY`` ``frame`` (columns named as in ``table``) into PostgreSQL; returns the rows stored."""
    with copy_in_background(conn, table, frame) as copied:
        pass
    return copied.rows
