"""``python -m publish [--out DIR] [--watch SECONDS]``: build the public site once, or keep it current.

``--watch`` rebuilds whenever a poll round stored new AQI or the public results changed (a case resolved, a
result marked public or withdrawn; checked every SECONDS) and at least every ``--refresh`` seconds (the pages
state the data's age), until SIGINT/SIGTERM. ``envmon publish`` and the publisher service of ``envmon serve``
run this module as a process (edges never import each other).
Exit codes: 0 done, 1 the build failed (one line on stderr), 3 database unavailable or not initialised.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from data.config import load_settings
from data.db import DatabaseUnavailableError, check_connection, read_engine, schema_revision
from data.i18n import translate
from monitoring.stop_signal import stop_on_signals
from publish.build import Publisher, build_site

logger = logging.getLogger("publish")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="envmon publish", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="site folder (default: <var_dir>/site)")
    parser.add_argument("--watch", type=float, metavar="SECONDS", help="keep the site current, checking this often")
    parser.add_argument("--refresh", type=float, default=600.0, help="with --watch: rebuild at least this often")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build once (or watch); return the exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    settings = load_settings()
    out = args.out or settings.var_dir / "site"
    try:
        engine = read_engine(settings)  # the site only reads: the replica when configured
        check_connection(engine)
        initialised = schema_revision(engine) is not None
    except DatabaseUnavailableError as err:
        print(f"envmon publish: {err}", file=sys.stderr)
        return 3
    if not initialised:
        print(f"envmon publish: {translate('app.not_initialised', settings.language)}", file=sys.stderr)
        return 3
    if args.watch is None:
        try:
            result = build_site(engine, out, settings=settings)
        except (OSError, LookupError, SQLAlchemyError) as err:  # one line, never a traceback
            print(f"envmon publish: error: {str(err).splitlines()[0]}", file=sys.stderr)
            return 1
        print(f"site published: {result.path} ({result.files} files, {result.bytes / 1e6:.1f} MB; "
              f"{result.stations} air stations, {result.wards} wards)")  # fmt: skip
        return 0
    publisher = Publisher(engine, out, settings, refresh=args.refresh)
    with stop_on_signals() as stop:
        while not stop.is_set():
            try:
                publisher.round()
            except Exception:  # keep serving the last good site; the next round retries
                logger.exception("site build failed; the previous site stays in place")
            stop.wait(args.watch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
