"""Open311 GeoReport v2 client: pull ``GET /requests.json`` over a date range (≤ 90-day windows, paged).

The spec caps a query at 90 days (and by default at 1,000 requests), so a longer range is split into
windows. Paging (``page``/``page_size``) is a widespread extension (Chicago, SeeClickFix): pages are
requested until one is empty, shorter than ``page_size``, or brings no request not already seen (a server
that ignores ``page``). Requests go through the shared client (:mod:`data.http_client`): every call has a
timeout, a 429 answer is retried after its ``Retry-After``, and failures raise its error taxonomy
(``FeedUnavailableError`` for 404/5xx/a closed port, ``FeedAuthError`` for 401/403, …) with the URL's
secrets masked. The HTTP session is injected.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from data import http_client
from data.http_client import FeedSchemaError
from data.redact import redact_url

MAX_WINDOW = dt.timedelta(days=90)
DEFAULT_TIMEOUT_S = 30.0


class Open311Error(FeedSchemaError):
    """The endpoint answered with something that is not a list of service requests, or with too many pages."""


def default_session() -> requests.Session:
    """A plain session with a descriptive User-Agent."""
    session = requests.Session()
    session.headers["User-Agent"] = "envmon-open311-client/1"
    return session


def date_windows(
    start: dt.datetime, end: dt.datetime, width: dt.timedelta = MAX_WINDOW
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Consecutive ``[from, to)`` windows covering ``start``..``end``, none wider than ``width``."""
    if start.tzinfo is None or end.tzinfo is None:
        msg = "Open311 date windows need timezone-aware start and end"
        raise ValueError(msg)
    if end <= start:
        msg = f"empty date range: {start.isoformat()} .. {end.isoformat()}"
        raise ValueError(msg)
    windows = []
    cursor = start
    while cursor < end:
        upper = min(cursor + width, end)
        windows.append((cursor, upper))
        cursor = upper
    return windows


def _get_page(
    session: requests.Session, url: str, params: dict[str, Any], timeout: float, sleep: Callable[[float], None]
) -> list[dict]:
    response = http_client.get_patiently(session, url, sleep=sleep, params=params, timeout=timeout)
    payload = http_client.json_body(response)
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        msg = f"Open311 {redact_url(url)} returned {type(payload).__name__}, expected a list of service requests"
        raise Open311Error(msg)
    return payload


def _requests_url(base_url: str) -> tuple[str, dict[str, str]]:
    """The ``requests.json`` URL under ``base_url`` and the query parameters ``base_url`` carries (an api_key)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/") + "/requests.json"
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), dict(parse_qsl(parts.query))


def _identity(item: dict[str, Any]) -> str:
    """The request id, or the whole record when a server leaves the id out."""
    identifier = item.get("service_request_id")
    return f"id:{identifier}" if identifier not in (None, "") else json.dumps(item, sort_keys=True, default=str)


def fetch_requests(
    session: requests.Session,
    base_url: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    jurisdiction_id: str | None = None,
    service_code: str | None = None,
    page_size: int | None = None,
    max_pages: int = 1000,
    timeout: float = DEFAULT_TIMEOUT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """All service requests created in ``start``..``end``, each once, in the order received.

    Parameters
    ----------
    session
        Injected HTTP session.
    base_url
        Endpoint root, e.g. ``https://311api.cityofchicago.org/open311/v2``.
    page_size
        Sent as ``page_size`` when given; a shorter page then ends the window.
    sleep
        Waits after a 429 answer (injected by tests).

    Raises
    ------
    data.http_client.FeedError
        The endpoint cannot be reached or answers with an error (the message is one line, secrets masked).
    """
    url, base_params = _requests_url(base_url)
    seen: set[str] = set()
    results: list[dict[str, Any]] = []
    for lower, upper in date_windows(start, end):
        params: dict[str, Any] = {**base_params, "start_date": lower.isoformat(), "end_date": upper.isoformat()}
        if jurisdiction_id:
            params["jurisdiction_id"] = jurisdiction_id
        if service_code:
            params["service_code"] = service_code
        if page_size:
            params["page_size"] = page_size
        for page in range(1, max_pages + 1):
            items = _get_page(session, url, {**params, "page": page}, timeout, sleep)
            new = [item for item in items if _identity(item) not in seen]
            seen.update(_identity(item) for item in new)
            results.extend(new)
            if not new or (page_size and len(items) < page_size):
                break
        else:
            msg = f"Open311 {redact_url(url)}: more than {max_pages} pages for {lower.isoformat()}..{upper.isoformat()}"
            raise Open311Error(msg)
    return results
