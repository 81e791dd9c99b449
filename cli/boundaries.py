"""``envmon boundaries load|list`` and ``envmon locate``."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli._common import emit_json, engine, parse_date, settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the boundary and locate sub-commands."""
    boundaries = subparsers.add_parser("boundaries", help="load and list versioned boundary sets")
    actions = boundaries.add_subparsers(dest="action", required=True)

    load = actions.add_parser(
        "load", help="load a GeoJSON, GeoPackage or Shapefile (any CRS) as a boundary set"
    )
    load.add_argument("file", type=Path)
    load.add_argument("--set", dest="set_name", required=True, help="name of the set, e.g. hanoi-2025")
    load.add_argument("--valid-from", required=True, type=parse_date, help="first day in force (YYYY-MM-DD)")
    load.add_argument("--valid-to", type=parse_date, help="last day in force (YYYY-MM-DD)")
    load.add_argument("--code-field", default="ward_code")
    load.add_argument("--name-field", default="ward_name")
    load.add_argument("--district-field", help="field holding the (former) district name")
    load.add_argument("--population-field", help="field holding the resident population")
    load.add_argument("--replace", action="store_true", help="replace a set of the same name")
    load.set_defaults(handler=_load)

    listing = actions.add_parser("list", help="list boundary sets")
    listing.set_defaults(handler=_list)

    locate = subparsers.add_parser("locate", help="which ward a point is in (JSON)")
    locate.add_argument("lat", type=float)
    locate.add_argument("lon", type=float)
    locate.add_argument("--set", dest="set_name", help="boundary set (default: the configured one)")
    locate.set_defaults(handler=_locate)


def _load(args: argparse.Namespace) -> int:
    from data.boundary_store import store_boundary_set
    from geo.boundaries import read_boundary_file

    units, report = read_boundary_file(
        args.file,
        code_field=args.code_field,
        name_field=args.name_field,
        district_field=args.district_field,
        population_field=args.population_field,
    )
    database = engine()
    store_boundary_set(
        database,
        units,
        name=args.set_name,
        valid_from=args.valid_from,
        valid_to=args.valid_to,
        source=str(args.file),
        replace=args.replace,
    )
    result = {"set": args.set_name, **report.as_dict()}
    if args.set_name == settings().boundary_set:  # stations joined again, their wards' roll-ups recomputed
        from monitoring.stations import WardLocator
        from monitoring.ward_moves import rejoin_stations

        moves = rejoin_stations(database, WardLocator(database, args.set_name))
        result["stations_moved"], result["ward_rollups_recomputed"] = moves.stations_moved, moves.wards
    emit_json(result)
    return 0


def _list(_args: argparse.Namespace) -> int:
    from data.boundary_store import list_sets

    emit_json(
        [
            {
                "name": s.name,
                "valid_from": s.valid_from,
                "valid_to": s.valid_to,
                "units": s.unit_count,
                "attribution": s.attribution,
            }
            for s in list_sets(engine())
        ]
    )
    return 0


def _locate(args: argparse.Namespace) -> int:
    from data.boundary_store import wards_frame
    from geo.join import locate

    config = settings()
    set_name = args.set_name or config.boundary_set
    emit_json(locate(args.lat, args.lon, wards_frame(engine(config), set_name), set_name))
    return 0
