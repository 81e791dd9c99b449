"""Fast bulk inserts of column arrays: one DBAPI ``executemany`` on SQLite, one ``COPY`` on PostgreSQL.

Values are converted per column type once, vectorised: tz-aware timestamps become the stored UTC form
(naive ISO text on SQLite, UTC times in the COPY stream on PostgreSQL), JSON columns become JSON text, NaN/NaT
become NULL. Ids for rows that others must reference are reserved up front (a sequence on PostgreSQL; on SQLite
the batch's write transaction already holds the database's only write lock).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Table, func, select, text

from data.copy_in import copy_frame
from data.dialect import is_postgresql
from data.schema import UtcDateTime

_DATE_TIME_SEPARATOR = 10  # position of the "T" in numpy's ISO text, "2025-03-15T06:42:00.000000"
_MICROS_PER_SECOND = 1_000_000
_MAX_DAY_SPAN = 400_000  # days in one date table (about 1,100 years)


def _ascii_table(texts: np.ndarray, width: int) -> np.ndarray:
    """ASCII texts of ``width`` characters (a numpy ``U`` array) as a uint8 matrix, one row per text."""
    return texts.astype(f"S{width}").view(np.uint8).reshape(len(texts), width)


_TIMES_OF_DAY = _ascii_table(np.datetime_as_string(np.arange(86_400).astype("datetime64[s]")), 19)[:, 11:].copy()
_THREE_DIGITS = _ascii_table(np.char.zfill(np.arange(1000).astype(str), 3), 3)


def sqlite_times(stamps: pd.Series) -> list[str | None]:
    """UTC times as SQLAlchemy's SQLite text form ``YYYY-MM-DD HH:MM:SS.ffffff`` (None for NaT).

    Each distinct instant is formatted once: a batch of readings repeats the same instants across its stations
    and parameters.
    """
    codes, instants = pd.factorize(stamps.reset_index(drop=True))
    texts = np.asarray(_formatted(pd.Series(instants)) + [None], dtype=object)
    return texts[codes].tolist()  # code -1 (NaT) picks the trailing None


def _formatted(stamps: pd.Series) -> list[str | None]:
    """:func:`sqlite_times` of every value of ``stamps``, vectorised.

    Each part is looked up in a table of its texts (dates of the batch's span, the 86,400 times of day,
    three-digit groups of microseconds), written into one ASCII buffer of lines, which is decoded and split into
    the strings: several times faster than numpy's ``datetime_as_string``, still used for years
    outside 1..9999 or very long spans.
    """
    naive = stamps.dt.tz_localize(None).to_numpy("datetime64[us]")
    missing = np.isnat(naive)
    micros = np.where(missing, np.datetime64(0, "us"), naive)
    days = micros.astype("datetime64[D]")
    first, last = (days.min(), days.max()) if len(days) else (None, None)
    if (
        first is None
        or last - first >= _MAX_DAY_SPAN
        or not np.datetime64("0001-01-01") <= first <= last <= np.datetime64("9999-12-31")
    ):
        return _numpy_sqlite_times(naive)
    of_day = (micros - days).astype(np.int64)
    seconds = of_day // _MICROS_PER_SECOND
    fraction = of_day - seconds * _MICROS_PER_SECOND
    dates = _ascii_table(np.datetime_as_string(np.arange(first, last + 1)), 10)
    lines = np.empty((len(naive), 27), np.uint8)
    lines[:, 0:10] = np.take(dates, (days - first).astype(np.int64), axis=0)
    lines[:, 10] = ord(" ")
    lines[:, 11:19] = np.take(_TIMES_OF_DAY, seconds, axis=0)
    lines[:, 19] = ord(".")
    lines[:, 20:23] = np.take(_THREE_DIGITS, fraction // 1000, axis=0)
    lines[:, 23:26] = np.take(_THREE_DIGITS, fraction % 1000, axis=0)
    lines[:, 26] = ord("\n")
    texts: list[str | None] = lines.tobytes().decode("ascii").split("\n")[:-1]
    for row in np.flatnonzero(missing):
        texts[row] = None
    return texts


def _numpy_sqlite_times(naive: np.ndarray) -> list[str | None]:
    if len(naive) == 0:
        return []
    formatted = np.datetime_as_string(naive, unit="us")
    if formatted.dtype.itemsize // 4 > _DATE_TIME_SEPARATOR:  # UCS-4 characters; all-NaT text is shorter
        characters = formatted.view(np.uint32).reshape(len(formatted), -1)
        characters[:, _DATE_TIME_SEPARATOR] = ord(" ")
    texts = formatted.astype(object)
    texts[np.isnat(naive)] = None
    return texts.tolist()


def _json_texts(values: pd.Series) -> list[str]:
    """JSON text per value; the many empty lists and dicts skip the encoder."""
    empty = {list: "[]", dict: "{}"}
    return [
        empty[type(value)] if type(value) in empty and not value else json.dumps(value, ensure_ascii=False)
        for value in values
    ]


def _as_series(values: Sequence[Any] | pd.Series | np.ndarray, column_type: object, postgresql: bool) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    if isinstance(column_type, UtcDateTime):
        stamps = pd.to_datetime(series, utc=True).reset_index(drop=True)
        return stamps if postgresql else pd.Series(sqlite_times(stamps), dtype=object)
    if isinstance(column_type, JSON):
        return pd.Series(_json_texts(series), dtype=object)
    plain = series.astype(object)
    return plain.where(plain.notna(), None).reset_index(drop=True)


def insert_columns(conn: Connection, table: Table, columns: dict[str, Sequence[Any] | pd.Series]) -> int:
    """Insert rows given as equally long columns; returns the number of rows inserted."""
    names = list(columns)
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        msg = f"insert into {table.name}: columns of different lengths {sorted(lengths)}"
        raise ValueError(msg)
    if not lengths or lengths == {0}:
        return 0
    postgresql = is_postgresql(conn)
    converted = {name: _as_series(columns[name], table.c[name].type, postgresql) for name in names}
    if postgresql:
        return copy_frame(conn, table.name, pd.DataFrame(converted))
    quote = conn.dialect.identifier_preparer.quote
    target = f"{quote(table.name)} ({', '.join(quote(name) for name in names)})"
    driver_connection: Any = conn.connection.driver_connection
    rows = list(zip(*(series.tolist() for series in converted.values()), strict=True))
    cursor = driver_connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} VALUES ({', '.join(['?'] * len(names))})", rows)
    finally:
        cursor.close()
    return len(rows)


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` new primary-key values for ``table`` (integer ``id`` column), safe inside the write transaction."""
    if count == 0:
        return []
    if is_postgresql(conn):
        query = text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)")
        return [int(value) for value in conn.execute(query, {"n": count}).scalars()]
    start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    return list(range(start, start + count))
