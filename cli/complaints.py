"""``envmon complaints``: import and export reports, show a case, act on it, urge a unit, routing, overdue per unit."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any
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
    """Add ``envmon complaints import|export|show|status|urge|routing|overdue``."""
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

    show = commands.add_parser("show", help="one case: reports, record with attachments, urges, SLA clock")
    show.add_argument("case_id", type=int, metavar="CASE")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.add_argument("--by", dest="actor", default=None, help="view as this account (its units only)")
    show.add_argument("--include-personal", action="store_true", help="add reporters' names and phones")
    show.add_argument("--lang", choices=["vi", "en"], default=None, help="language (default: settings)")
    show.set_defaults(handler=_show)

    status = commands.add_parser(
        "status", help="act on a case (accept, assign, in_progress, resolve, reject, transfer, reopen, merge, split)"
    )
    status.add_argument("case_id", type=int, metavar="CASE")
    status.add_argument("--to", required=True, dest="to_status", help="an action, or the status it leads to")
    status.add_argument("--by", required=True, dest="actor", help="the account acting (its role and units apply)")
    status.add_argument("--note", default="", help="result, reason or feedback (required by some actions)")
    status.add_argument("--photo", action="append", type=Path, default=[], metavar="FILE", help="attach a file")
    status.add_argument("--unit", default=None, help="transfer: the receiving unit's code")
    status.add_argument("--assignee", default=None, help="assign: the person or team")
    status.add_argument("--into", type=int, default=None, metavar="CASE", help="merge: the surviving case")
    status.add_argument("--report", type=int, default=None, metavar="ID", help="split: the report to move out")
    status.add_argument("--lang", choices=["vi", "en"], default=None, help="language of messages")
    status.set_defaults(handler=_status)

    urge = commands.add_parser("urge", help="urge (đôn đốc) a unit on one case or on its whole overdue list")
    target = urge.add_mutually_exclusive_group(required=True)
    target.add_argument("case_id", type=int, nargs="?", metavar="CASE")
    target.add_argument("--unit", default=None, help="the unit's code (its overdue list)")
    urge.add_argument("--by", required=True, dest="actor", help="the account urging (leader or operator)")
    urge.add_argument("--note", default="")
    urge.add_argument("--lang", choices=["vi", "en"], default=None, help="language of messages")
    urge.set_defaults(handler=_urge)

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
    from data.case_actions import CaseActionError, actor_for_user, current_version, perform
    from data.i18n import label_in
    from data.media import MediaError, media_store
    from data.workflow import ACTION_FOR_STATUS, ACTIONS

    config = _common.settings()
    language = args.lang or config.language
    engine = _common.engine(config)
    action = args.to_status if args.to_status in ACTIONS else ACTION_FOR_STATUS.get(args.to_status, args.to_status)
    try:
        files = _uploads(args.photo)
    except CaseActionError as err:
        return _refused(err, language)
    try:
        actor = actor_for_user(engine, args.actor)
        result = perform(
            engine, args.case_id, action, actor=actor, expected_version=current_version(engine, args.case_id),
            note=args.note, files=files, to_unit=args.unit, assignee=args.assignee, into_case=args.into,
            report_id=args.report, media_dir=media_store(config),
        )  # fmt: skip
    except (CaseActionError, MediaError) as err:  # MediaError: a file of the wrong type or too large, named
        return _refused(err, language)
    payload = {
        "case": result.case_id, "action": result.action, "from": result.from_status, "to": result.to_status,
        "label": label_in("status", result.to_status, language), "at": result.at, "by": actor.username,
        "note": args.note.strip(), "version": result.version, "attachments": list(result.attachment_ids),
    }  # fmt: skip
    if result.new_case_id is not None:
        payload["new_case"] = result.new_case_id
    _common.emit_json(payload)
    return 0


def _show(args: argparse.Namespace) -> int:
    from data.case_actions import Actor, CaseActionError, actor_for_user
    from data.case_detail import load_case
    from data.case_text import case_as_dict, case_as_text

    config = _common.settings()
    language = args.lang or config.language
    engine = _common.engine(config)
    now = dt.datetime.now(dt.UTC)
    try:
        actor = actor_for_user(engine, args.actor) if args.actor else Actor("cli", "operator", None)
        detail = load_case(engine, args.case_id, actor=actor, include_personal=args.include_personal, now=now)
    except CaseActionError as err:
        return _refused(err, language)
    if args.json:
        _common.emit_json(case_as_dict(detail))
    else:
        sys.stdout.write(case_as_text(detail, language, config.timezone, now))
    return 0


def _urge(args: argparse.Namespace) -> int:
    from data.case_actions import CaseActionError, actor_for_user
    from data.urges import urge
    from monitoring.case_notify import deliver_now

    config = _common.settings()
    language = args.lang or config.language
    engine = _common.engine(config)
    try:
        actor = actor_for_user(engine, args.actor)
        recorded = urge(engine, actor=actor, case_id=args.case_id, unit_code=args.unit, note=args.note)
    except CaseActionError as err:
        return _refused(err, language)
    via = deliver_now(engine, config, recorded.id)  # never raises: a failed send stays pending for the poller
    _common.emit_json(
        {
            "urge": recorded.id, "case": recorded.case_id, "unit": recorded.unit_code, "kind": recorded.kind,
            "cases": recorded.case_count, "by": recorded.actor, "at": recorded.at,
            "delivered_via": via,
        }
    )  # fmt: skip
    return 0


def _uploads(paths: list[Path]) -> list[Any]:
    """The files of ``--photo`` as uploads; a missing one is refused naming it (before anything is read)."""
    from data.case_actions import CaseInputError

    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise CaseInputError("no_file", path=", ".join(missing))
    if not paths:
        return []
    from data.media import Upload

    return [Upload(path.name, path.read_bytes()) for path in paths]


def _refused(err: Any, language: str) -> int:
    """One line naming why an action or view was refused, in ``language``; exit code 2."""
    print(f"envmon: error: {err.text(language)}", file=sys.stderr)
    return 2


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
