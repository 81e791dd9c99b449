"""Error taxonomy of the monitoring package: feeds, payloads and readings.

The feed errors are defined with the shared HTTP client in :mod:`data.http_client` (the Open311 importer
raises them too) and re-exported here, where the feeds and the poller look for them.
"""

from __future__ import annotations

from data.http_client import (
    FeedAuthError,
    FeedError,
    FeedRateLimitedError,
    FeedSchemaError,
    FeedTimeoutError,
    FeedUnavailableError,
)

__all__ = [
    "FeedAuthError",
    "FeedError",
    "FeedRateLimitedError",
    "FeedSchemaError",
    "FeedTimeoutError",
    "FeedUnavailableError",
    "MonitoringError",
    "ReadingsSchemaError",
]


class MonitoringError(Exception):
    """Base class of the errors raised by the monitoring package itself (feed errors: see data.http_client)."""


class ReadingsSchemaError(MonitoringError, ValueError):
    """A readings frame is missing canonical columns or has values of the wrong kind."""
