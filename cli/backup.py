"""``envmon backup FILE`` and ``envmon restore FILE`` for the SQLite default."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli._common import emit_json, settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the backup and restore sub-commands."""
    backup = subparsers.add_parser("backup", help="write a consistent copy of the SQLite database to FILE")
    backup.add_argument("file", type=Path)
    backup.set_defaults(handler=_backup)
    restore = subparsers.add_parser("restore", help="replace the SQLite database with a backup FILE")
    restore.add_argument("file", type=Path)
    restore.set_defaults(handler=_restore)


def _backup(args: argparse.Namespace) -> int:
    from data.backup import backup

    emit_json(backup(settings().resolved_database_url, args.file))
    return 0


def _restore(args: argparse.Namespace) -> int:
    from data.backup import restore

    emit_json(restore(settings().resolved_database_url, args.file))
    return 0
