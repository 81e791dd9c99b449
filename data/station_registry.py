"""The station registry (``stations``): which stations are stored, writing their metadata, unknown ones."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from data.schema import Station

logger = logging.getLogger(__name__)


def located_by_id(conn: Connection) -> dict[str, bool]:
    """Every stored station id and whether the station has a location."""
    return {row.id: bool(row.located) for row in conn.execute(select(Station.id, Station.located)).all()}


def insert_station(conn: Connection, values: Mapping[str, Any]) -> None:
    """Store a new station (``values``: columns of ``stations``)."""
    conn.execute(Station.__table__.insert().values(**values))


def update_station(conn: Connection, station_id: str, values: Mapping[str, Any]) -> None:
    """Replace the given columns of the stored station ``station_id``."""
    table = Station.__table__
    conn.execute(table.update().where(table.c.id == station_id).values(**values))


def register_unknown(conn: Connection, station_ids: Iterable[str], *, kind: str, source: str) -> list[str]:
    """Register stations seen in readings but missing from the registry, as unlocated; returns their ids.

    Their readings are kept; an operator completes name, location and profile later (standards: nothing
    silently dropped).
    """
    wanted = sorted(set(station_ids))
    if not wanted:
        return []
    known = set(conn.scalars(select(Station.id).where(Station.id.in_(wanted))))
    new = [station_id for station_id in wanted if station_id not in known]
    if new:
        conn.execute(
            Station.__table__.insert(),
            [
                {"id": station_id, "name": station_id, "kind": kind, "operator": "", "located": False,
                 "grade": "reference", "parameters": [], "limit_profile": {}, "source": source,
                 "synthetic": False}
                for station_id in new
            ],
        )  # fmt: skip
        logger.info("registered %d unlocated station(s) from %s: %s", len(new), source, ", ".join(new))
    return new
