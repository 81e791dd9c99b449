"""``envmon alerts``: evaluate the alert rules, list alerts, acknowledge, silence, show history."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from zoneinfo import ZoneInfo

from data.alert_states import AlertState

STATES = tuple(state.value for state in AlertState)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``envmon alerts evaluate|list|ack|silence|history``."""
    parser = subparsers.add_parser("alerts", help="threshold, AQI, station and device alerts")
    commands = parser.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")

    evaluate = commands.add_parser("evaluate", help="evaluate every rule now (or --at TIME) and notify")
    evaluate.add_argument("--at", help="evaluation time, ISO 8601 (no offset = local time); default now")
    evaluate.add_argument("--json", action="store_true", help="print the summary as JSON")
    evaluate.set_defaults(handler=_evaluate)

    listing = commands.add_parser("list", help="list alerts")
    listing.add_argument("--state", choices=STATES)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    ack = commands.add_parser("ack", help="acknowledge an alert (someone is handling it)")
    ack.add_argument("id", type=int, metavar="ID")
    ack.add_argument("--by", required=True, metavar="NAME")
    ack.add_argument("--note", required=True, metavar="TEXT")
    ack.add_argument("--until", metavar="TIME", help="acknowledgement expires at this time")
    ack.set_defaults(handler=_ack)

    silence = commands.add_parser("silence", help="suppress an alert's notifications until a time")
    silence.add_argument("id", type=int, metavar="ID")
    silence.add_argument("--until", required=True, metavar="TIME")
    silence.add_argument("--by", required=True, metavar="NAME")
    silence.set_defaults(handler=_silence)

    history = commands.add_parser("history", help="every event of one alert")
    history.add_argument("id", type=int, metavar="ID")
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=_history)


def _time(text: str | None, timezone: str) -> dt.datetime:
    """An ISO 8601 time; without an offset it is local time in ``timezone``."""
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as err:
        msg = f"not an ISO 8601 time: {text!r}"
        raise ValueError(msg) from err
    return value.replace(tzinfo=ZoneInfo(timezone)) if value.tzinfo is None else value


def _evaluate(args: argparse.Namespace) -> int:

    from cli._common import emit_json, engine, settings
    from monitoring.pipeline import evaluate_configured

    config = settings()
    now = _time(args.at, config.timezone)
    summary = evaluate_configured(engine(config), now, config)
    if args.json:
        emit_json(summary.as_dict())
    else:
        states = ", ".join(f"{state} {count}" for state, count in sorted(summary.states.items())) or "none"
        print(
            f"{now.isoformat()}: {summary.signals} signals, {summary.transitions} transitions; alerts: {states}; "
            f"notifications sent {summary.notifications_sent}, failed {summary.notification_failures}"
        )
    for error in summary.provider_errors:
        print(f"envmon: provider error: {error}", file=sys.stderr)
    return 1 if summary.provider_errors else 0


def _list(args: argparse.Namespace) -> int:
    from cli._common import emit_json, engine
    from data.alert_queries import alert_frame
    from data.frames import plain_records

    alerts = plain_records(alert_frame(engine(), states=(args.state,) if args.state else ()))
    if args.json:
        emit_json(alerts)
        return 0
    for alert in alerts:
        value = "" if alert["value"] is None else f"{alert['value']:g}"
        ack = f" [ack: {alert['ack_by']}]" if alert["ack_by"] else ""
        since = alert["state_since"].isoformat() if alert["state_since"] else ""
        print(f"{alert['id']:>5} {alert['state']:<9} {alert['severity']:<8} {alert['rule_id']:<22} "
              f"{alert['subject']:<32} {value:>8} {since}{ack}  {alert['message']}")  # fmt: skip
    if not alerts:
        print("no alerts")
    return 0


def _on_alert(action: Callable[[], None], done: str) -> int:
    """Run an action on one alert; a missing alert id is a clear error (exit 2)."""
    from monitoring.alert_store import AlertNotFoundError

    try:
        action()
    except AlertNotFoundError as err:
        print(f"envmon: error: {err}", file=sys.stderr)
        return 2
    print(done)
    return 0


def _ack(args: argparse.Namespace) -> int:
    from cli._common import engine, settings
    from monitoring.alert_store import acknowledge

    config = settings()
    until = _time(args.until, config.timezone) if args.until else None
    now = dt.datetime.now(dt.UTC)
    return _on_alert(
        lambda: acknowledge(engine(config), args.id, by=args.by, note=args.note, now=now, until=until),
        f"alert {args.id} acknowledged by {args.by}",
    )


def _silence(args: argparse.Namespace) -> int:
    from cli._common import engine, settings
    from monitoring.alert_store import silence

    config = settings()
    until = _time(args.until, config.timezone)
    now = dt.datetime.now(dt.UTC)
    return _on_alert(
        lambda: silence(engine(config), args.id, until=until, by=args.by, now=now),
        f"alert {args.id} silenced until {until.isoformat()}",
    )


def _history(args: argparse.Namespace) -> int:
    from cli._common import emit_json, engine
    from data.alert_queries import alert_events, alert_frame
    from data.frames import plain_records

    database = engine()
    if alert_frame(database, alert_id=args.id).empty:
        print(f"envmon: error: no alert with id {args.id}", file=sys.stderr)
        return 2
    events = plain_records(alert_events(database, args.id, limit=None, newest_first=False))
    if args.json:
        emit_json(events)
        return 0
    for event in events:
        change = f"{event['from_state'] or '-'} → {event['to_state']}"
        print(f"{event['at'].isoformat()} {event['event']:<10} {change:<22} {event['actor']:<12} {event['note']}")
    return 0
