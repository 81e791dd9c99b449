"""Helpers shared by the CLI sub-commands: settings, a checked engine, JSON output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from sqlalchemy import Engine

from data.config import Settings, load_settings
from data.db import check_connection, make_engine
from data.frames import plain_value


def settings() -> Settings:
    """Settings resolved from the environment and config file."""
    return load_settings()


def engine(config: Settings | None = None) -> Engine:
    """An engine for the configured database, verified reachable (clear error otherwise)."""
    config = config or settings()
    result = make_engine(config.resolved_database_url)
    check_connection(result)
    return result


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    msg = f"not JSON serialisable: {type(value).__name__}"
    raise TypeError(msg)


def emit_json(payload: Any) -> None:
    """Print ``payload`` as one JSON document on stdout (UTF-8, Vietnamese kept readable)."""
    plain = plain_value(payload)  # NaN/NaT/NA → null: the output is always valid JSON
    sys.stdout.write(json.dumps(plain, ensure_ascii=False, default=_default, allow_nan=False) + "\n")


def parse_date(text: str) -> dt.date:
    """Parse an ISO date (YYYY-MM-DD) for argparse, with a clear message."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        msg = f"not a date (YYYY-MM-DD): {text!r}"
        raise ValueError(msg) from err
