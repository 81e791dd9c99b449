"""Ward roll-ups kept right when stations change ward: a station moved, or a ward boundary redrawn.

The incremental drain (:mod:`monitoring.rollups`) recomputes a ward's roll-ups only for hours whose readings
changed, so it never notices that a station left one ward for another. :func:`recompute_after_moves` does: for each
station whose (boundary set, ward, kind) changed, the ward roll-ups (``1h`` and ``1d``) of its old and of its new
ward are deleted over the span of the station's stored means and recomputed from the stations joined to each ward
now, so both equal a cold recompute. It runs in the transaction that changed the stations:
:func:`monitoring.stations.upsert_stations` (a registry file or a feed moving a station) and
:func:`rejoin_stations` (``envmon boundaries load --replace`` of the configured boundary set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pandas as pd
from sqlalchemy import Connection, Engine

from data.db import write_transaction
from data.rollups import read_ward_station_means, station_wards, write_ward_averages
from data.station_registry import update_station
from data.ward_changes import delete_ward_averages, located_stations, station_mean_spans

if TYPE_CHECKING:
    from monitoring.stations import WardLocator

WARD: Final = ["set_name", "ward_code", "kind"]
_SERIES: Final = [*WARD, "parameter", "period"]


@dataclass
class WardMoves:
    """What a recompute after ward changes did."""

    stations_moved: int = 0
    wards: int = 0
    """Wards (per station kind) whose roll-ups were recomputed: the old and the new ward of each moved station."""
    rows_deleted: int = 0
    rows_written: int = 0


def moved_stations(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Stations whose ``set_name, ward_code, kind`` differ between ``before`` and ``after`` (frames of
    :func:`data.rollups.station_wards`; a station missing from one was joined to no ward then): columns
    ``station_id`` and the old (``*_old``) and new (``*_new``) ward key, missing where none."""
    merged = before.merge(after, on="station_id", how="outer", suffixes=("_old", "_new"))
    changed = pd.Series(False, index=merged.index)
    for column in WARD:
        old, new = merged[f"{column}_old"], merged[f"{column}_new"]
        changed |= old.isna() != new.isna()
        changed |= old.notna() & new.notna() & (old.astype(object) != new.astype(object))
    return merged[changed].reset_index(drop=True)


def recompute_after_moves(conn: Connection, before: pd.DataFrame, after: pd.DataFrame) -> WardMoves:
    """Recompute the ward roll-ups of the old and new wards of the stations that moved between ``before`` and
    ``after`` (see :func:`moved_stations`), over the span of each moved station's stored hourly and daily means."""
    from monitoring.rollups import ward_means  # here: monitoring.rollups imports the ingest, which imports stations

    moved = moved_stations(before, after)
    done = WardMoves(stations_moved=len(moved))
    if moved.empty:
        return done
    sides = [
        moved[["station_id", *(f"{c}_{side}" for c in WARD)]].set_axis(["station_id", *WARD], axis=1)
        for side in ("old", "new")
    ]
    affected = pd.concat(sides, ignore_index=True).dropna(subset=WARD)
    spans = station_mean_spans(conn, sorted(moved["station_id"].unique()))
    ranges = (
        affected.merge(spans, on="station_id")
        .groupby(_SERIES)
        .agg(first=("first", "min"), last=("last", "max"))
        .reset_index()
    )
    done.wards = len(affected[WARD].drop_duplicates())
    if ranges.empty:
        return done
    done.rows_deleted = delete_ward_averages(conn, ranges)
    for _ward, wanted in ranges.groupby(WARD, sort=True):
        means = read_ward_station_means(
            conn,
            wanted[WARD].drop_duplicates(),
            sorted(wanted["parameter"].unique()),
            wanted["first"].min().to_pydatetime(),
            wanted["last"].max().to_pydatetime(),
        ).merge(wanted, on=_SERIES)
        means = means[(means["period_end"] >= means["first"]) & (means["period_end"] <= means["last"])]
        if means.empty:
            continue
        rows = ward_means(means.drop(columns=["first", "last"]))
        write_ward_averages(conn, rows)
        done.rows_written += len(rows)
    return done


def rejoin_stations(engine: Engine, locator: WardLocator) -> WardMoves:
    """Join every located station of ``locator``'s boundary set to its ward again (after the set's boundaries were
    replaced), store the changed wards and recompute the ward roll-ups they affect, in one transaction."""
    with write_transaction(engine) as conn:
        stations = located_stations(conn, locator.set_name)
        if stations.empty:
            return WardMoves()
        ids = stations["id"].tolist()
        before = station_wards(conn, ids)
        wards = locator.assign(stations["lon"], stations["lat"])
        if not locator.joined:
            return WardMoves()
        for station_id, ward in zip(ids, wards.itertuples(index=False), strict=True):
            update_station(conn, station_id, {
                "set_name": locator.set_name if ward.ward_code is not None else None,
                "ward_code": ward.ward_code, "ward_name": ward.ward_name, "district": ward.district,
            })  # fmt: skip
        return recompute_after_moves(conn, before, station_wards(conn, ids))
