"""Station registry: load stations from a file or a feed, join them to wards, register unknown stations."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine

from data.config import DEFAULT_BOUNDARY_SET
from data.db import write_transaction
from data.rollups import station_wards
from data.station_registry import insert_station, located_by_id, update_station
from monitoring.units import normalise_parameter
from monitoring.ward_moves import recompute_after_moves

logger = logging.getLogger(__name__)

STATION_KINDS: Final = ("air", "wastewater")
GRADES: Final = ("reference", "lowcost")
STATION_COLUMNS: Final = (
    "id", "name", "kind", "operator", "lat", "lon", "grade", "parameters", "limit_profile", "source",
    "synthetic",
)  # fmt: skip
DEFAULT_STANDARD: Final = "QCVN 40:2011"


class WardLocator:
    """Assigns ward code, name and former district to coordinates, loading the boundary set on first use.

    When the boundary set is not loaded, every point gets no ward (stations stay located but unassigned).
    """

    def __init__(self, engine: Engine, set_name: str = DEFAULT_BOUNDARY_SET) -> None:
        self.engine = engine
        self.set_name = set_name
        self._wards: Any = None
        self._loaded = False

    @property
    def joined(self) -> bool:
        """True once the boundary set has been loaded (so ward columns are meaningful)."""
        return self._wards is not None

    def assign(self, lon: Iterable[float], lat: Iterable[float]) -> pd.DataFrame:
        """Columns ``ward_code, ward_name, district`` (None outside every ward), one row per point."""
        lon_values = np.asarray(list(lon), dtype="float64")
        lat_values = np.asarray(list(lat), dtype="float64")
        if not self._loaded:
            from data.boundary_store import wards_frame

            try:
                self._wards = wards_frame(self.engine, self.set_name)
            except LookupError as err:
                logger.warning("stations not joined to wards: %s", err)
            self._loaded = True
        if self._wards is None:
            empty = pd.Series([None] * len(lon_values), dtype=object)
            return pd.DataFrame({"ward_code": empty, "ward_name": empty, "district": empty})
        from geo.join import assign_wards

        return assign_wards(lon_values, lat_values, self._wards)


def _split_list(text: Any) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return []
    keys = []
    for symbol in text.replace(",", ";").split(";"):
        key = normalise_parameter(symbol)
        if key is None:
            msg = f"unknown parameter {symbol.strip()!r}"
            raise ValueError(msg)
        keys.append(key)
    return keys


def _limit_profile(row: dict[str, str]) -> dict[str, Any]:
    """The wastewater permit/limit profile read by the threshold engine (standards §4.2)."""
    if row["kind"] != "wastewater":
        return {}
    overrides: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in (row.get("overrides") or "").split(";"))):
        key, _, value = item.partition("=")
        parameter = normalise_parameter(key)
        if parameter is None or not value.strip():
            msg = f"field 'overrides': {item!r} is not <parameter>=<limit>"
            raise ValueError(msg)
        overrides[parameter] = float(value)
    return {
        "standard": row.get("standard") or DEFAULT_STANDARD,
        "column": row.get("column") or "B",
        "kq": float(row.get("kq") or 1.0),
        "kf": float(row.get("kf") or 1.0),
        "overrides": overrides,
    }


def read_station_file(path: Path) -> pd.DataFrame:
    """Read a station registry CSV into :data:`STATION_COLUMNS`.

    Columns: ``id, name, kind, operator, lat, lon, grade, parameters`` (``;``-separated symbols), and for
    wastewater ``standard, column, kq, kf, overrides`` (``cod=100;nh4=8``), optional ``source, synthetic``.
    Empty lat/lon mean the location is not known yet.

    Raises
    ------
    ValueError
        Naming the line and field of the first invalid row.
    """
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    missing = {"id", "name", "kind"} - set(raw.columns)
    if missing:
        msg = f"{path}: missing column(s) {', '.join(sorted(missing))}"
        raise ValueError(msg)
    records = []
    for position, row in enumerate(raw.to_dict("records")):
        try:
            records.append(_station_record(row))
        except ValueError as err:
            msg = f"{path}, station row {position + 1}: {err}"
            raise ValueError(msg) from err
    return pd.DataFrame(records, columns=list(STATION_COLUMNS))


def _station_record(row: dict[str, str]) -> dict[str, Any]:
    station_id = row["id"].strip()
    if not station_id:
        msg = "field 'id' is empty"
        raise ValueError(msg)
    if row["kind"] not in STATION_KINDS:
        msg = f"field 'kind' must be air or wastewater, got {row['kind']!r}"
        raise ValueError(msg)
    grade = row.get("grade") or "reference"
    if grade not in GRADES:
        msg = f"field 'grade' must be reference or lowcost, got {grade!r}"
        raise ValueError(msg)
    lat = float(row["lat"]) if row.get("lat") else None
    lon = float(row["lon"]) if row.get("lon") else None
    if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
        given = f"{row.get('lat')!r}, {row.get('lon')!r}"
        msg = f"fields 'lat'/'lon' must both be valid coordinates or both empty, got {given}"
        raise ValueError(msg)
    return {
        "id": station_id,
        "name": row["name"].strip() or station_id,
        "kind": row["kind"],
        "operator": row.get("operator", ""),
        "lat": lat,
        "lon": lon,
        "grade": grade,
        "parameters": _split_list(row.get("parameters")),
        "limit_profile": _limit_profile(row),
        "source": row.get("source") or "registry",
        "synthetic": (row.get("synthetic") or "").lower() in {"1", "true", "yes"},
    }


def _given(row: pd.Series, key: str, default: Any) -> Any:
    """``row[key]`` unless it is absent, None, NaN or empty."""
    value = row.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value):
        return default
    return value


def upsert_stations(conn: Connection, stations: pd.DataFrame, locator: WardLocator | None, *, overwrite: bool) -> int:
    """Write station metadata; returns how many stations were new.

    ``overwrite=True`` (the registry file) replaces every field of existing stations. ``overwrite=False``
    (metadata seen in a feed) adds new stations and completes the location of unlocated ones only, so an
    operator's registry entries are never overwritten by a feed.
    """
    if stations.empty:
        return 0
    existing = located_by_id(conn)
    has_location = stations["lat"].notna() & stations["lon"].notna()
    wards = (
        locator.assign(stations["lon"].where(has_location, np.nan), stations["lat"].where(has_location, np.nan))
        if locator is not None
        else pd.DataFrame(index=stations.index, columns=["ward_code", "ward_name", "district"])
    )
    set_name = locator.set_name if locator is not None and locator.joined else None
    created = 0
    rewritable = [i for i in stations["id"] if i in existing and (overwrite or not existing[i])]
    before = station_wards(conn, rewritable) if rewritable else None
    for position, (_, row) in enumerate(stations.iterrows()):
        located = bool(has_location.iloc[position])
        ward = wards.iloc[position]
        location = {
            "lat": float(row["lat"]) if located else None,
            "lon": float(row["lon"]) if located else None,
            "located": located,
            "set_name": set_name if located else None,
            "ward_code": ward["ward_code"] if located else None,
            "ward_name": ward["ward_name"] if located else None,
            "district": ward["district"] if located else None,
        }
        values = {
            "id": row["id"],
            "name": _given(row, "name", row["id"]),
            "kind": row["kind"],
            "operator": _given(row, "operator", ""),
            "grade": _given(row, "grade", "reference"),
            "parameters": list(_given(row, "parameters", [])),
            "limit_profile": dict(_given(row, "limit_profile", {})),
            "source": _given(row, "source", ""),
            "synthetic": bool(_given(row, "synthetic", False)),
            **location,
        }
        if row["id"] not in existing:
            insert_station(conn, values)
            created += 1
        elif overwrite:
            update_station(conn, row["id"], values)
        elif located and not existing[row["id"]]:
            update_station(conn, row["id"], location)
    if before is not None:  # a station that changed ward: its old and new wards' roll-ups
        recompute_after_moves(conn, before, station_wards(conn, rewritable))
    return created


def load_station_file(engine: Engine, path: Path, *, set_name: str = DEFAULT_BOUNDARY_SET) -> int:
    """Read ``path`` and write every station in it (registry wins); returns how many were new."""
    stations = read_station_file(path)
    locator = WardLocator(engine, set_name)
    with write_transaction(engine) as conn:
        return upsert_stations(conn, stations, locator, overwrite=True)
