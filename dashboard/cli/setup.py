"""``envmon init``: create or migrate the schema and load the shipped reference data (idempotent)."""

from __future__ import annotations

import argparse

from dashboard.cli._common import emit_json, engine


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``envmon init``."""
    init = subparsers.add_parser("init", help="create or migrate the database and load shipped boundary sets")
    init.set_defaults(handler=_init)


def initialise() -> dict[str, object]:
    """Migrate the configured database and load what ships with the product; safe to run again."""
    from data.db import migrate, schema_revision
    from geo.boundaries import load_shipped_sets

    db = engine()
    migrate(db)
    loaded = load_shipped_sets(db)
    return {
        "database": db.url.render_as_string(hide_password=True),
        "revision": schema_revision(db),
        "boundary_sets_loaded": loaded,
    }


def _init(_args: argparse.Namespace) -> int:
    emit_json(initialise())
    return 0
