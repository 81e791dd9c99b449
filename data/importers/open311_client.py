"""Open311 GeoReport v2 client: pull ``GET /requests.json`` over a date range (≤ 90-day windows, paged).

The spec caps a query at 90 days (and by default at 1,000 requests), so a longer range is split into
windows. Paging (``page``/``page_size``) is a widespread extension (Chicago, SeeClickFix): pages are
requested until one is empty, shorter than ``page_size``, or brings no request not already seen (a server
that ignores ``page``). The HTTP session is injected; every call has a timeout.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import requests

MAX_WINDOW = dt.timedelta(days=90)
DEFAULT_TIMEOUT_S = 30.0


class Open311Error(RuntimeError):
    """The endpoint answered with an error or with something that is not a list of requests."""


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


def _get_page(session: requests.Session, url: str, params: dict[str, Any], timeout: float) -> list[dict]:
    response = session.get(url, params=params, timeout=timeout)
    if response.status_code != 200:
        detail = response.text[:300]
        try:
            body = response.json()
            if isinstance(body, list) and body and isinstance(body[0], dict) and "description" in body[0]:
                detail = str(body[0]["description"])
        except ValueError:
            pass
        msg = f"Open311 {url} answered HTTP {response.status_code}: {detail}"
        raise Open311Error(msg)
    try:
        payload = response.json()
    except ValueError as err:
        msg = f"Open311 {url} did not return JSON: {err}"
        raise Open311Error(msg) from err
    if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
        msg = f"Open311 {url} returned {type(payload).__name__}, expected a list of service requests"
        raise Open311Error(msg)
    return payload


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
    """
    url = base_url.rstrip("/") + "/requests.json"
    seen: set[str] = set()
    results: list[dict[str, Any]] = []
    for lower, upper in date_windows(start, end):
        params: dict[str, Any] = {"start_date": lower.isoformat(), "end_date": upper.isoformat()}
        if jurisdiction_id:
            params["jurisdiction_id"] = jurisdiction_id
        if service_code:
            params["service_code"] = service_code
        if page_size:
            params["page_size"] = page_size
        for page in range(1, max_pages + 1):
            items = _get_page(session, url, {**params, "page": page}, timeout)
            new = [item for item in items if _identity(item) not in seen]
            seen.update(_identity(item) for item in new)
            results.extend(new)
            if not new or (page_size and len(items) < page_size):
                break
        else:
            msg = f"Open311 {url}: more than {max_pages} pages for {lower.isoformat()}..{upper.isoformat()}"
            raise Open311Error(msg)
    return results
