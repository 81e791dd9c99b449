"""The ``envmon`` command: one entry point for set-up, imports, feeds, alerts, hotspots and users.

Every module in this package that defines ``register(subparsers)`` adds its own sub-commands; a handler
receives the parsed arguments and returns the process exit code. Heavy imports happen inside handlers so
``envmon --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from data.db import DatabaseUnavailableError


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with the sub-commands of every module in this package."""
    parser = argparse.ArgumentParser(prog="envmon", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``envmon`` with ``argv`` (default: the process arguments) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    try:
        return int(args.handler(args) or 0)
    except DatabaseUnavailableError as err:
        print(f"envmon: {err}", file=sys.stderr)
        return 3
    except (ValueError, FileNotFoundError, LookupError) as err:  # LookupError: unknown boundary set, case, …
        print(f"envmon: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
