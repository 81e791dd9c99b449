"""``envmon db maintain``: monthly or weekly partitions created ahead, retention applied (see ``data.partitions``)."""

from __future__ import annotations

import argparse
import datetime as dt

from cli._common import emit_json, engine, settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon db maintain``."""
    db = subparsers.add_parser("db", help="database upkeep")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    maintain = actions.add_parser(
        "maintain",
        help="PostgreSQL: create the coming months' (or weeks') partitions, move rows out of the default partition; "
        "drop (SQLite: delete) months older than the configured retention; print what was done",
    )
    maintain.set_defaults(handler=_maintain)


def _maintain(_args: argparse.Namespace) -> int:
    from data.partitions import maintain_configured

    config = settings()
    emit_json(maintain_configured(engine(config), config, dt.datetime.now(dt.UTC)))
    return 0
