"""The HTTP client shared by every remote source (OpenAQ, portal feeds, Open311 pulls) and its error taxonomy.

One status→exception table, timeouts on every request, ``Retry-After`` for 429 answers, a sliding-window rate
limiter, and URLs named with their secrets masked. It lives in ``data/`` so that both the importers (Open311)
and the monitoring feeds use it; ``monitoring.errors`` re-exports the errors.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

import requests

from data.redact import redact_text, redact_url


class FeedError(Exception):
    """A remote source (a station feed, an Open311 endpoint, a drop folder) could not deliver data."""


class FeedUnavailableError(FeedError):
    """The source did not answer usefully (timeout, connection error, 5xx, 404, missing drop folder)."""


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


logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = (5.0, 30.0)
"""(connect, read) seconds; every request carries a timeout."""
DEFAULT_RETRY_AFTER: Final = 60.0
"""Seconds to wait after a 429 answer that names no ``Retry-After``."""
MAX_RETRY_AFTER: Final = 300.0
"""Longest wait honoured within one call; a server asking for more gets the error instead."""

STATUS_ERRORS: Final[dict[int, type[FeedError]]] = {
    400: FeedSchemaError,
    401: FeedAuthError,
    403: FeedAuthError,
    404: FeedUnavailableError,
    408: FeedTimeoutError,
    422: FeedSchemaError,
    429: FeedRateLimitedError,
    500: FeedUnavailableError,
    502: FeedUnavailableError,
    503: FeedUnavailableError,
    504: FeedTimeoutError,
}
"""The one table mapping HTTP status codes to feed errors (other 4xx → FeedError, other 5xx → unavailable)."""


def parse_retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None when absent/invalid."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)


def check_response(response: requests.Response, *, now: dt.datetime) -> None:
    """Raise the feed error for a non-2xx response, with the URL (secrets masked) and a snippet of the body."""
    status = response.status_code
    if 200 <= status < 300:
        return
    snippet = redact_text(response.text[:200].replace("\n", " "), [response.url])
    msg = f"HTTP {status} from {redact_url(response.url)}: {snippet}"
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        raise FeedRateLimitedError(msg, retry_after=retry_after)
    error = STATUS_ERRORS.get(status, FeedUnavailableError if status >= 500 else FeedError)
    raise error(msg)


class RateLimiter:
    """At most ``max_calls`` per ``period`` seconds (sliding window); waits with the injected ``sleep``."""

    def __init__(
        self,
        max_calls: int,
        period: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_calls = max_calls
        self.period = period
        self.clock = clock
        self.sleep = sleep
        self._calls: deque[float] = deque()

    def acquire(self) -> None:
        """Wait until one more call is allowed, then record it."""
        now = self.clock()
        while self._calls and now - self._calls[0] >= self.period:
            self._calls.popleft()
        if len(self._calls) >= self.max_calls:
            wait = self.period - (now - self._calls[0])
            self.sleep(wait)
            self._calls.popleft()
            now = self.clock()
        self._calls.append(now)


def get(
    session: requests.Session,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    now: dt.datetime | None = None,
) -> requests.Response:
    """GET ``url`` with a timeout, mapping transport failures and error statuses to feed errors."""
    try:
        response = session.get(url, params=params, headers=headers, timeout=timeout)
    except requests.Timeout as err:
        msg = f"timeout after {timeout} s requesting {redact_url(url)}"
        raise FeedTimeoutError(msg) from err
    except requests.RequestException as err:
        msg = f"cannot reach {redact_url(url)}: {redact_text(_transport_reason(err), [url])}"
        raise FeedUnavailableError(msg) from err
    check_response(response, now=now or dt.datetime.now(dt.UTC))
    return response


def get_patiently(
    session: requests.Session,
    url: str,
    *,
    rate_limit_retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RateLimiter | None = None,
    **request: Any,
) -> requests.Response:
    """:func:`get`, waiting for the ``limiter`` before each request and retrying after a 429 answer.

    A 429 is retried up to ``rate_limit_retries`` times after the server's ``Retry-After`` (60 s when it
    names none); the last :class:`FeedRateLimitedError` is raised when the retries run out or the server
    asks for more than :data:`MAX_RETRY_AFTER`. ``request`` are the keyword arguments of :func:`get`.
    """
    retries = 0
    while True:
        if limiter is not None:
            limiter.acquire()
        try:
            return get(session, url, **request)
        except FeedRateLimitedError as err:
            wait = err.retry_after if err.retry_after is not None else DEFAULT_RETRY_AFTER
            retries += 1
            if retries > rate_limit_retries or wait > MAX_RETRY_AFTER:
                raise
            logger.info("rate limited by %s; waiting %.0f s", redact_url(url), wait)
            sleep(wait)


def _transport_reason(error: requests.RequestException) -> str:
    """The innermost cause of a transport failure (``[Errno 111] Connection refused``), else the error itself."""
    text = str(error)
    causes = re.findall(r"\[Errno -?\d+\] [^'\")\]]+", text)
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    return causes[-1].strip() if causes else f"{error.__class__.__name__}: {first_line}"


def json_body(response: requests.Response) -> Any:
    """The decoded JSON body, or :class:`FeedSchemaError` naming the URL."""
    try:
        return response.json()
    except ValueError as err:
        body = redact_text(repr(response.text[:120]), [response.url])
        msg = f"response from {redact_url(response.url)} is not JSON: {body}"
        raise FeedSchemaError(msg) from err
