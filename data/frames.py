"""Frames at the database and JSON boundaries: query results into frames, frames back into plain values.

pandas 3 stores missing text as NaN (``str`` dtype) and missing times as NaT; neither may reach JSON, SQL
parameters, alert labels or webhooks. :func:`plain_records` and :func:`plain_text` are the one way out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.sql import Select


def read_frame(engine: Engine, stmt: Select, columns: list[str] | None = None) -> pd.DataFrame:  # type: ignore[type-arg]
    """The rows of ``stmt`` as a frame (the given column names, else the statement's)."""
    with engine.connect() as conn:
        result = conn.execute(stmt)
        names = columns or list(result.keys())
        rows = result.all()
    return rows_frame(rows, names)


def rows_frame(rows: Sequence[Sequence[Any]], names: list[str]) -> pd.DataFrame:
    """Fetched rows as a frame with columns ``names``.

    Built column by column: several times faster than handing pandas SQLAlchemy's Row objects (pandas probes
    each Row for attributes, and every failed probe raises inside SQLAlchemy).
    """
    if not rows:
        return pd.DataFrame(columns=names)
    return pd.DataFrame(dict(zip(names, zip(*rows, strict=True), strict=True)))


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pandas' NA."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # containers: not a missing scalar
        return False


def plain_value(value: object) -> Any:
    """``value`` as a JSON-safe Python value: missing → None, infinite → None, numpy scalars → Python ones."""
    if isinstance(value, Mapping):
        return {str(key): plain_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(item) for item in value]
    if is_missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, dt.datetime | str | bytes):  # numpy scalar
        value = value.item()  # type: ignore[union-attr]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plain_text(value: object, default: str = "") -> str:
    """Text for a label or a message: missing → ``default`` (never the string ``nan``)."""
    return default if is_missing(value) else str(value)


def plain_labels(labels: Mapping[str, object]) -> dict[str, str]:
    """Alert labels as ``str → str`` with missing values left out (labels are stored and sent as JSON)."""
    return {str(key): str(plain_value(value)) for key, value in labels.items() if plain_value(value) is not None}


def plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of JSON-safe values (see :func:`plain_value`)."""
    columns = list(frame.columns)
    return [
        {column: plain_value(value) for column, value in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
