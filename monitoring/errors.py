"""Error taxonomy of the monitoring package: feeds, payloads and readings."""

from __future__ import annotations


class MonitoringError(Exception):
    """Base class of every monitoring error."""


class FeedError(MonitoringError):
    """A feed could not deliver data."""


class FeedUnavailableError(FeedError):
    """The source did not answer usefully (timeout, connection error, 5xx, missing drop folder)."""


class FeedTimeoutError(FeedUnavailableError):
    """The request timed out."""


class FeedAuthError(FeedError):
    """The source refused the credentials (401/403); retrying will not help."""


class FeedRateLimitedError(FeedError):
    """The source asked us to slow down (HTTP 429); ``retry_after`` is the delay it asked for, in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FeedSchemaError(FeedError, ValueError):
    """A payload or file does not have the expected shape; the message names the field."""


class ReadingsSchemaError(MonitoringError, ValueError):
    """A readings frame is missing canonical columns or has values of the wrong kind."""
