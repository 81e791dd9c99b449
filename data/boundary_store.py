"""Versioned boundary sets in the database: the shipped sets, storing a set, listing sets, reading a set's units.

A boundary set is a named, dated version of the administrative units (``hanoi-2025``: the 126
wards/communes in force from 1 July 2025). Every unit keeps its former district (quận/huyện before
2025) for filtering and history. Reading and validating boundary files is :mod:`geo.boundaries`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Engine, delete, select

from data.config import REFERENCE_DIR
from data.db import transaction
from data.schema import BoundarySet, BoundaryUnit
from geo.boundaries import WGS84, ValidationReport, former_districts, polygonal_part, read_boundary_file

logger = logging.getLogger(__name__)

DISPLAY_TOLERANCE_DEG = 0.0002  # ~20 m: simplification of polygons sent to the browser


@dataclass(frozen=True)
class ShippedSet:
    """A boundary set that ships with the product and is loaded by ``envmon init``."""

    name: str
    path: Path
    valid_from: dt.date
    code_field: str
    name_field: str
    unit_type_field: str
    population_field: str
    source: str
    attribution: str
    crosswalk_path: Path = REFERENCE_DIR / "hanoi_ward_mapping_pre2025_to_2025.csv"
    old_wards_path: Path = REFERENCE_DIR / "hanoi_wards_pre2025_gso.csv"


HANOI_2025 = ShippedSet(
    name="hanoi-2025",
    path=REFERENCE_DIR / "hanoi_wards_2025.geojson",
    valid_from=dt.date(2025, 7, 1),
    code_field="ward_code",
    name_field="ward_name",
    unit_type_field="ward_type",
    population_field="population",
    source="lamngockhuong/vietnam-3d-map @ dc6095c (gis.vn boundaries, sapnhap.bando.com.vn metadata)",
    attribution=(
        "Ranh giới phường/xã Hà Nội 2025: gis.vn, sapnhap.bando.com.vn via lamngockhuong/vietnam-3d-map (MIT)"
    ),
)
SHIPPED_SETS: tuple[ShippedSet, ...] = (HANOI_2025,)


def read_shipped_set(shipped: ShippedSet = HANOI_2025) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read a shipped set and attach former districts from the crosswalk."""
    units, report = read_boundary_file(
        shipped.path,
        code_field=shipped.code_field,
        name_field=shipped.name_field,
        unit_type_field=shipped.unit_type_field,
        population_field=shipped.population_field,
    )
    districts = former_districts(shipped.crosswalk_path, shipped.old_wards_path).set_index("code")
    units["district"] = units["code"].map(districts["district"])
    units["districts"] = [districts["districts"].get(code, []) for code in units["code"]]
    return units, report


def store_boundary_set(
    engine: Engine,
    units: gpd.GeoDataFrame,
    *,
    name: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    source: str = "",
    attribution: str = "",
    replace: bool = False,
) -> None:
    """Store ``units`` as boundary set ``name`` in one transaction.

    Raises
    ------
    ValueError
        The set exists and ``replace`` is false, or ``valid_to`` precedes ``valid_from``.
    """
    if valid_to is not None and valid_to < valid_from:
        msg = f"valid_to {valid_to} is before valid_from {valid_from}"
        raise ValueError(msg)
    display = shapely.simplify(units.geometry.to_numpy(), DISPLAY_TOLERANCE_DEG, preserve_topology=True)
    with transaction(engine) as session:
        existing = session.scalar(select(BoundarySet).where(BoundarySet.name == name))
        if existing is not None and not replace:
            msg = f"boundary set {name!r} already exists; pass --replace to load it again"
            raise ValueError(msg)
        if existing is not None:
            session.execute(delete(BoundaryUnit).where(BoundaryUnit.set_id == existing.id))
            session.delete(existing)
            session.flush()
        boundary_set = BoundarySet(
            name=name,
            valid_from=valid_from,
            valid_to=valid_to,
            source=source,
            attribution=attribution,
            unit_count=len(units),
        )
        session.add(boundary_set)
        session.flush()
        session.add_all(
            BoundaryUnit(
                set_id=boundary_set.id,
                code=row.code,
                name=row.name,
                unit_type=row.unit_type or "",
                district=row.district if isinstance(row.district, str) else None,
                districts=list(row.districts),
                population=None if pd.isna(row.population) else int(row.population),
                area_km2=float(row.area_km2),
                geom=row.geometry,
                display_geom=polygonal_part(simple),
            )
            for row, simple in zip(units.itertuples(index=False), display, strict=True)
        )
    logger.info("stored boundary set %s with %d units", name, len(units))


def load_shipped_sets(engine: Engine) -> list[str]:
    """Store every shipped set that is not in the database yet; return the names loaded (idempotent)."""
    with transaction(engine) as session:
        present = set(session.scalars(select(BoundarySet.name)))
    loaded = []
    for shipped in SHIPPED_SETS:
        if shipped.name in present:
            continue
        units, _report = read_shipped_set(shipped)
        store_boundary_set(
            engine,
            units,
            name=shipped.name,
            valid_from=shipped.valid_from,
            source=shipped.source,
            attribution=shipped.attribution,
        )
        loaded.append(shipped.name)
    return loaded


def list_sets(engine: Engine) -> list[BoundarySet]:
    """All boundary sets, oldest validity first."""
    with transaction(engine) as session:
        return list(session.scalars(select(BoundarySet).order_by(BoundarySet.valid_from)))


def set_valid_on(engine: Engine, day: dt.date) -> str | None:
    """Name of the boundary set in force on ``day`` (the newest one when several are), or None."""
    candidates = [s for s in list_sets(engine) if s.valid_from <= day and (s.valid_to is None or day <= s.valid_to)]
    return candidates[-1].name if candidates else None


def wards_frame(engine: Engine, set_name: str = HANOI_2025.name, *, display: bool = False) -> gpd.GeoDataFrame:
    """The units of ``set_name`` as an EPSG:4326 GeoDataFrame sorted by code.

    ``display=True`` returns the simplified polygons meant for maps instead of the full ones.

    Raises
    ------
    LookupError
        No set of that name is stored (run ``envmon init`` or ``envmon boundaries load``).
    """
    geom_column = BoundaryUnit.display_geom if display else BoundaryUnit.geom
    with transaction(engine) as session:
        set_id = session.scalar(select(BoundarySet.id).where(BoundarySet.name == set_name))
        if set_id is None:
            msg = f"boundary set {set_name!r} is not loaded; run `envmon init` or `envmon boundaries load`"
            raise LookupError(msg)
        rows = session.execute(
            select(
                BoundaryUnit.code,
                BoundaryUnit.name,
                BoundaryUnit.unit_type,
                BoundaryUnit.district,
                BoundaryUnit.districts,
                BoundaryUnit.population,
                BoundaryUnit.area_km2,
                geom_column,
            )
            .where(BoundaryUnit.set_id == set_id)
            .order_by(BoundaryUnit.code)
        ).all()
    columns = ["code", "name", "unit_type", "district", "districts", "population", "area_km2", "geometry"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["population"] = frame["population"].astype("Int64")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)
