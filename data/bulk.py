"""Fast bulk inserts of column arrays for SQLite and PostgreSQL (one DBAPI ``executemany``, no per-row ORM work).

Values are converted per column type once, vectorised: tz-aware timestamps become the stored UTC form
(naive ISO text on SQLite, aware datetimes on PostgreSQL), JSON columns become JSON text, NaN/NaT become NULL.
Ids for rows that others must reference are reserved up front (a sequence on PostgreSQL; on SQLite the
batch's write transaction already holds the database's only write lock).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, Connection, Table, func, select, text

from data.schema import UtcDateTime


def _as_list(values: Sequence[Any] | pd.Series | np.ndarray, column_type: object, dialect: str) -> list[Any]:
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(column_type, UtcDateTime):
        stamps = pd.to_datetime(series, utc=True)
        if dialect == "sqlite":
            naive = stamps.dt.tz_localize(None).to_numpy("datetime64[us]")
            formatted = np.char.replace(np.datetime_as_string(naive, unit="us"), "T", " ").astype(object)
            return np.where(stamps.isna().to_numpy(), None, formatted).tolist()
        return [None if pd.isna(value) else value.to_pydatetime() for value in stamps]
    if isinstance(column_type, JSON):
        return [json.dumps(value, ensure_ascii=False) for value in series]
    plain = series.astype(object)
    return plain.where(plain.notna(), None).tolist()


def insert_columns(conn: Connection, table: Table, columns: dict[str, Sequence[Any] | pd.Series]) -> int:
    """Insert rows given as equally long columns; returns the number of rows inserted."""
    names = list(columns)
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        msg = f"insert into {table.name}: columns of different lengths {sorted(lengths)}"
        raise ValueError(msg)
    if not lengths or lengths == {0}:
        return 0
    dialect = conn.dialect.name
    converted = [_as_list(columns[name], table.c[name].type, dialect) for name in names]
    placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(name) for name in names)}) "
        f"VALUES ({', '.join([placeholder] * len(names))})"
    )
    rows = list(zip(*converted, strict=True))
    conn.exec_driver_sql(statement, rows)
    return len(rows)


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` new primary-key values for ``table`` (integer ``id`` column), safe inside the write transaction."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        query = text(f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, :n)")
        return [int(value) for value in conn.execute(query, {"n": count}).scalars()]
    start = int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    return list(range(start, start + count))
