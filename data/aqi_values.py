"""Stored AQI (``aqi_values``) and the hourly averages it is computed from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, insert, select

from data.db import transaction
from data.frames import rows_frame
from data.schema import AqiValue, Average


def valid_hourly_averages(engine: Engine, parameters: Iterable[str], since: dt.datetime | None) -> pd.DataFrame:
    """Valid, non-missing hourly means of ``parameters`` ending at or after ``since`` (all when None).

    Columns ``station_id, parameter, period_end, value``.
    """
    query = select(Average.station_id, Average.parameter, Average.period_end, Average.value).where(
        Average.period == "1h",
        Average.valid.is_(True),
        Average.value.is_not(None),
        Average.parameter.in_(list(parameters)),
    )
    if since is not None:
        query = query.where(Average.period_end >= since)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return rows_frame(rows, ["station_id", "parameter", "period_end", "value"])


def replace_aqi_values(engine: Engine, rows: list[dict[str, Any]], *, since: dt.datetime | None) -> None:
    """In one transaction, delete stored AQI of periods ending at or after ``since`` (all when None), store ``rows``."""
    with transaction(engine) as session:
        stale = delete(AqiValue)
        if since is not None:
            stale = stale.where(AqiValue.period_end >= since)
        session.execute(stale)
        if rows:
            session.execute(insert(AqiValue), rows)
