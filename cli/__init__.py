"""The ``envmon`` command: one entry point for set-up, imports, feeds, alerts, hotspots and users.

Every module in this package that defines ``register(subparsers)`` adds its own sub-commands; a handler
receives the parsed arguments and returns the process exit code. Heavy imports happen inside handlers so
``envmon --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from data.db import DatabaseUnavailableError
from data.http_client import FeedError
from data.redact import RedactingFilter, endpoint_secrets, redact_text

SECRET_VARIABLES = (
    "DATABASE_URL",
    "ENVMON_DATABASE_URL",
    "ENVMON_OPENAQ_API_KEY",
    "OPENAQ_API_KEY",
    "ENVMON_ADMIN_PASSWORD",
    "ENVMON_FTP_PASSWORD",
    "ENVMON_ZALO_OA_SECRET",
)
"""Environment variables whose values (or the secrets inside them) never appear in output or logs."""


def _configured_secrets() -> list[str | None]:
    secrets: list[str | None] = [os.environ.get(name) for name in SECRET_VARIABLES]
    try:  # webhook URLs carry their token in the path or the query
        webhooks = json.loads(os.environ.get("ENVMON_WEBHOOK_URLS") or "[]")
    except ValueError:
        webhooks = []
    for url in webhooks if isinstance(webhooks, list) else []:
        secrets += endpoint_secrets(str(url))
    return secrets


@runtime_checkable
class _Localised(Protocol):
    """An error that can say itself in a language (account, case-action and media errors)."""

    def text(self, language: str) -> str: ...


def _message(err: Exception) -> str:
    """``err`` in the configured language when it can say itself in one, else as raised."""
    if not isinstance(err, _Localised):
        return str(err)
    from data.config import load_settings

    try:
        language = load_settings().language
    except ValueError:  # a broken configuration: the error still reads, in English
        language = "en"
    return err.text(language)


def _error(text: str) -> None:
    print(f"envmon: {redact_text(text, _configured_secrets())}", file=sys.stderr)


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
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    redacting = RedactingFilter(_configured_secrets())
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(redacting)
    try:
        return int(args.handler(args) or 0)
    except DatabaseUnavailableError as err:
        _error(str(err))
        return 3
    except FeedError as err:  # a remote source (Open311 endpoint, feed) cannot be reached or answers wrongly
        _error(f"error: {err}")
        return 3
    except (ValueError, FileNotFoundError, LookupError) as err:  # LookupError: unknown boundary set, case, …
        _error(f"error: {_message(err)}")
        return 2
    finally:  # the command's secrets are masked while it runs; a later command (or test) brings its own
        for handler in handlers:
            handler.removeFilter(redacting)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
