"""``envmon publish``: write the public air-quality site (pages in Vietnamese and English, map, open data).

Runs ``python -m publish`` as a child process: the CLI and the publisher are separate edges.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``envmon publish [--out DIR] [--watch SECONDS]``."""
    parser = subparsers.add_parser(
        "publish",
        help="write the public air-quality site as static files",
        description="Builds the citizens' site from the current AQI (the same snapshot as the public page) into "
        "a new folder and swaps it in atomically: DIR becomes a link to the new build. Exit 3 when the "
        "database is unavailable.",
    )
    parser.add_argument("--out", type=Path, help="site folder (default: <var_dir>/site)")
    parser.add_argument("--watch", type=float, metavar="SECONDS", help="keep rebuilding after new AQI until stopped")
    parser.set_defaults(handler=_publish)


def _publish(args: argparse.Namespace) -> int:
    command = [sys.executable, "-m", "publish"]
    if args.out is not None:
        command += ["--out", str(args.out)]
    if args.watch is not None:
        command += ["--watch", str(args.watch)]
    return subprocess.run(command, check=False).returncode
