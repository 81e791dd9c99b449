"""``envmon readings``: import historical readings and station files, load the station registry."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cli import _common
from data.config import PACKAGE_CONFIG_DIR


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        msg = f"--now needs a time zone offset, got {text!r}"
        raise ValueError(msg)
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon readings import`` and ``envmon readings stations``."""
    parser = subparsers.add_parser("readings", help="import readings and the station registry")
    commands = parser.add_subparsers(dest="readings_command", required=True, metavar="ACTION")

    importer = commands.add_parser(
        "import",
        help="import a readings CSV (OpenAQ export, moitruongthudo merged file, canonical CSV), "
        "a Circular 10/2021 .txt file, or a folder of them",
    )
    importer.add_argument("path", type=Path)
    importer.add_argument(
        "--now",
        type=_parse_time,
        default=None,
        help="reference time for the future-file check (ISO, with offset)",
    )
    importer.set_defaults(handler=_import)

    stations = commands.add_parser("stations", help="load or update stations from a registry CSV")
    stations.add_argument("--file", type=Path, default=PACKAGE_CONFIG_DIR / "stations.csv")
    stations.set_defaults(handler=_stations)


def _import(args: argparse.Namespace) -> int:
    from monitoring.readings_import import import_readings
    from monitoring.stations import WardLocator

    config = _common.settings()
    engine = _common.engine(config)
    now = args.now or dt.datetime.now(dt.UTC)
    summary = import_readings(
        engine, args.path, now=now, locator=WardLocator(engine, config.boundary_set), timezone=config.timezone
    )
    _common.emit_json(summary.as_dict())
    return 0


def _stations(args: argparse.Namespace) -> int:
    from monitoring.stations import load_station_file

    config = _common.settings()
    engine = _common.engine(config)
    created = load_station_file(engine, args.file, set_name=config.boundary_set)
    _common.emit_json({"file": str(args.file), "new_stations": created})
    return 0
