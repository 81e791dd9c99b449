"""Database loader for the hotspot modules: complaint cases as a plain frame of points and times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import pandas as pd
from sqlalchemy import Engine, select, type_coerce

from data.dialect import driver_time_type
from data.frames import read_frame
from data.schema import ComplaintCase

CASE_COLUMNS = ("id", "lat", "lon", "ward_code", "category_code", "opened_at", "unit_id")


def load_complaint_cases(
    engine: Engine,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    category: str | None = None,
    set_name: str | None = None,
    ids: Collection[int] | None = None,
) -> pd.DataFrame:
    """Complaint cases opened in ``[since, until)`` with the columns :data:`CASE_COLUMNS`.

    ``opened_at`` is tz-aware UTC; lat/lon or ward_code may be missing (cases without a location).
    ``set_name`` keeps cases assigned against that boundary set (and unassigned ones, ward_code null); ``ids``
    keeps only those cases (a cache re-reading the cases that changed).
    """
    table = ComplaintCase.__table__
    raw_time = type_coerce(table.c.opened_at, driver_time_type(engine)).label("opened_at")  # parsed below, at once
    statement = select(*(raw_time if name == "opened_at" else table.c[name] for name in CASE_COLUMNS))
    if since is not None:
        statement = statement.where(table.c.opened_at >= since)
    if until is not None:
        statement = statement.where(table.c.opened_at < until)
    if category is not None:
        statement = statement.where(table.c.category_code == category)
    if set_name is not None:
        statement = statement.where((table.c.set_name == set_name) | table.c.set_name.is_(None))
    if ids is not None:
        statement = statement.where(table.c.id.in_(sorted(ids)))
    frame = read_frame(engine, statement, list(CASE_COLUMNS))  # column by column: no per-Row pandas inference
    frame["opened_at"] = pd.to_datetime(frame["opened_at"], utc=True, format="ISO8601")
    for column in ("lat", "lon"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame
