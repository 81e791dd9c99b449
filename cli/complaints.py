"""``envmon complaints``: import reports, export them, change a case's status, load routing, overdue per unit."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from cli import _common


def _day_or_time(text: str) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight) or an ISO date-time; naive until :func:`_local` gives it the settings' zone."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as err:
        msg = f"not a date or ISO date-time: {text!r}"
        raise ValueError(msg) from err


def _local(value: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """``value`` with ``timezone`` (``Settings.timezone``) when it has no offset of its own."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(timezone))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon complaints import|export|status|routing|overdue``."""
    parser = subparsers.add_parser("complaints", help="citizen complaints: import, export, case status")
    commands = parser.add_subparsers(dest="complaints_command", required=True, metavar="ACTION")

    importer = commands.add_parser(
        "import",
        help="import a CSV/XLSX/GeoJSON/Open311 JSON file, or pull an Open311 endpoint (http[s]:// URL)",
    )
    importer.add_argument("file", help="file path, or the base URL of an Open311 GeoReport v2 endpoint")
    importer.add_argument("--profile", choices=["vn-channel", "open311", "nyc311"], default=None)
    importer.add_argument("--source", default=None, help="source name used for idempotency (default: profile)")
    importer.add_argument("--since", type=_day_or_time, help="Open311 pull: first day (YYYY-MM-DD)")
    importer.add_argument("--until", type=_day_or_time, help="Open311 pull: last day, inclusive")
    importer.add_argument("--page-size", type=int, default=None, help="Open311 pull: page_size parameter")
    importer.set_defaults(handler=_import)

    exporter = commands.add_parser("export", help="export reports with ward, former district and unit")
    exporter.add_argument("--format", choices=["csv", "geojson"], default="csv")
    exporter.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    exporter.add_argument("--district", help="former district, e.g. 'Hoàn Kiếm' or 'Quận Hoàn Kiếm'")
    exporter.add_argument("--ward", help="ward code or name")
    exporter.add_argument("--category", help="category code, e.g. waste, noise")
    exporter.add_argument("--since", type=_day_or_time, help="first day (YYYY-MM-DD, local)")
    exporter.add_argument("--until", type=_day_or_time, help="last day, inclusive (YYYY-MM-DD, local)")
    exporter.add_argument("--include-personal", action="store_true", help="add reporter name and phone")
    exporter.add_argument("--lang", choices=["vi", "en"], default=None, help="headers and labels (default: settings)")
    exporter.set_defaults(handler=_export)

    status = commands.add_parser("status", help="change a case's status (recorded with time, actor, note)")
    status.add_argument("case_id", type=int)
    status.add_argument("--to", required=True, dest="to_status")
    status.add_argument("--by", required=True, dest="actor", help="who makes the change")
    status.add_argument("--note", default="")
    status.add_argument("--unit", default=None, help="responsible unit code (re-route on assign/transfer)")
    status.set_defaults(handler=_status)

    routing = commands.add_parser("routing", help="load the routing table (ward + category -> unit)")
    routing.add_argument("--file", type=Path, default=None, help="routing CSV (default: configured)")
    routing.set_defaults(handler=_routing)

    overdue = commands.add_parser(
        "overdue",
        help="open and overdue cases per responsible unit (overdue: past the resolve-by time, or not accepted "
        "by the accept-by time)",
    )
    overdue.add_argument("--at", type=_day_or_time, help="count at this time (default now)")
    overdue.set_defaults(handler=_overdue)


def _until_exclusive(value: dt.datetime | None) -> dt.datetime | None:
    """An inclusive last day (local midnight) becomes the exclusive start of the next day."""
    if value is None or value.time() != dt.time(0):
        return value
    return value + dt.timedelta(days=1)


def _import(args: argparse.Namespace) -> int:
    from data.importers.pipeline import ImportContext, import_complaints, import_open311

    config = _common.settings()
    engine = _common.engine(config)
    context = ImportContext.from_settings(engine, config)
    if args.file.startswith(("http://", "https://")):
        from data.importers.open311_client import default_session

        if args.since is None:
            msg = "pulling from an Open311 endpoint needs --since (and optionally --until)"
            raise ValueError(msg)
        end = _until_exclusive(_local(args.until, config.timezone)) or dt.datetime.now(dt.UTC)
        since = _local(args.since, config.timezone)
        with default_session() as session:
            summary = import_open311(
                engine, session, args.file, since, end, context, source=args.source, page_size=args.page_size
            )
    else:
        path = Path(args.file)
        if not path.is_file():
            msg = f"no such file: {path}"
            raise FileNotFoundError(msg)
        summary = import_complaints(engine, path, context, profile=args.profile, source=args.source)
    _common.emit_json(summary.as_dict())
    return 0


def _export(args: argparse.Namespace) -> int:
    from data.case_filter import CaseFilter, place_filter
    from data.exports import export_csv, export_geojson, reports_frame

    config = _common.settings()
    engine = _common.engine(config)
    frame = reports_frame(
        engine,
        CaseFilter(
            categories=(args.category,) if args.category else (),
            timezone=config.timezone,
            **place_filter(engine, district=args.district, ward=args.ward),
        ),
        reported_since=_local(args.since, config.timezone),
        reported_until=_until_exclusive(_local(args.until, config.timezone)),
        include_personal=args.include_personal,
    )
    language = args.lang or config.language
    if args.format == "csv":
        text = export_csv(frame, language, config.timezone)
    else:
        text = export_geojson(frame, language, config.timezone)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8")
        print(f"{len(frame)} reports -> {args.out}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    from data.workflow import STATUS_LABELS_VI, change_status

    engine = _common.engine()
    try:
        change = change_status(
            engine, args.case_id, args.to_status, actor=args.actor, note=args.note, unit_code=args.unit
        )
    except LookupError as err:
        print(f"envmon: error: {err}", file=sys.stderr)
        return 2
    _common.emit_json(
        {
            "case": change.case_id,
            "from": change.from_status,
            "to": change.to_status,
            "label": STATUS_LABELS_VI[change.to_status],
            "at": change.at,
            "by": change.actor,
            "note": change.note,
            "unit_id": change.unit_id,
        }
    )
    return 0


def _routing(args: argparse.Namespace) -> int:
    from data.routing import seed_routing

    config = _common.settings()
    engine = _common.engine(config)
    _common.emit_json(seed_routing(engine, args.file or config.config_path("routing")))
    return 0


def _overdue(args: argparse.Namespace) -> int:
    from data.case_filter import CaseFilter
    from data.frames import plain_records
    from data.queries import overdue_by_unit

    config = _common.settings()
    engine = _common.engine(config)
    at = _local(args.at, config.timezone) or dt.datetime.now(dt.UTC)
    table = overdue_by_unit(engine, CaseFilter(timezone=config.timezone), at)
    _common.emit_json(plain_records(table.drop(columns=["unit_id"])))
    return 0
