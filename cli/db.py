"""``envmon db maintain``: monthly, weekly or daily partitions created ahead, retention applied; ``envmon db
repartition``: partitions already holding rows re-cut to the configured interval (see ``data.partitions``)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from cli._common import emit_json, engine, settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon db maintain``."""
    db = subparsers.add_parser("db", help="database upkeep")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    maintain = actions.add_parser(
        "maintain",
        help="PostgreSQL: create the coming months' (weeks', days') partitions, move rows out of the default "
        "partition; drop (SQLite: delete) months older than the configured retention; print what was done",
    )
    maintain.set_defaults(handler=_maintain)
    repartition = actions.add_parser(
        "repartition",
        help="PostgreSQL: re-cut the partitions that already hold rows (monthly ones after changing "
        "partition_*_interval to week or day, and back) into partitions of the configured interval, every row kept and "
        "verified; rewrites those rows under a table lock, so run it in a quiet hour",
    )
    repartition.set_defaults(handler=_repartition)


def _maintain(_args: argparse.Namespace) -> int:
    from data.partitions import maintain_configured

    config = settings()
    emit_json(maintain_configured(engine(config), config, dt.datetime.now(dt.UTC)))
    return 0


def _repartition(_args: argparse.Namespace) -> int:
    from data.dialect import is_postgresql
    from data.partitions import PartitionCheckError, repartition_configured

    config = settings()
    database = engine(config)
    if not is_postgresql(database):
        print("SQLite keeps plain tables: there are no partitions to re-cut")
        return 0
    try:
        done = repartition_configured(database, config)
    except PartitionCheckError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for table in done:
        print(table.message())
    return 1 if any(table.busy for table in done) else 0
