"""Big map pages served by URL instead of inline: a rerun sends a tiny frame element and the browser caches the map.

``st.iframe(html)`` puts the whole page into the element (``srcdoc``), so every run of the leaders' overview sent
its ~3 MB map document over the WebSocket again (hashing, serialising and sending it was most of a run's CPU).
Here a rendered page is kept in this process's memory under its content hash and the page shows
``st.iframe("<base>/_envmon/map/<sha256>.html")``. The route answers with ``Cache-Control: private, max-age=…,
immutable``: the document of a given hash never changes, so a browser fetches each map once, also across tabs
and reloads. Behind nginx the tab's affinity cookie brings the frame's request to the process that rendered it.

A document is served to the roles of the pages that showed it, checked with the ``envmon_session`` cookie as
the pages check it (``roles=None``: a public page showed it, anyone may load it). The store keeps the most recently
shown documents up to :data:`MAX_BYTES` (a page run re-registers its map, so a shown map is never the oldest).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from streamlit.proto.IFrame_pb2 import IFrame

from dashboard.server import COOKIE, base_path
from data import sessions

MAX_BYTES = 160 * 1024 * 1024  # documents kept per process (a 20,000-case overview map is a few MB)
MAX_AGE_S = 7 * 24 * 3600
ROUTE_PREFIX = "/_envmon/map/"
# The document lives at <base>/_envmon/map/<hash>.html: its relative asset links reach <base>/app/static/vendor.
ASSET_BASE = "../../app/static/vendor"


@dataclass(frozen=True)
class MapDocument:
    """A rendered standalone map page and its content hash (the last part of its URL)."""

    html: str
    digest: str

    @classmethod
    def of(cls, html: str) -> MapDocument:
        """The document of ``html`` with its SHA-256."""
        return cls(html, hashlib.sha256(html.encode("utf-8")).hexdigest())

    @property
    def url(self) -> str:
        """The path the frame loads (under the server's base path)."""
        return f"{base_path()}{ROUTE_PREFIX}{self.digest}.html"


@dataclass
class _Entry:
    body: bytes
    roles: frozenset[str] | None  # None: public


_STORE: OrderedDict[str, _Entry] = OrderedDict()
_LOCK = threading.Lock()


def publish(document: MapDocument, roles: Collection[str] | None) -> str:
    """Keep ``document`` servable to signed-in users of ``roles`` (None: to anyone) and return its URL."""
    allowed = None if roles is None else frozenset(roles)
    with _LOCK:
        entry = _STORE.get(document.digest)
        if entry is None:
            _STORE[document.digest] = _Entry(document.html.encode("utf-8"), allowed)
            total = sum(len(e.body) for e in _STORE.values())
            while total > MAX_BYTES and len(_STORE) > 1:
                total -= len(_STORE.popitem(last=False)[1].body)  # the least recently shown
        else:
            entry.roles = None if entry.roles is None or allowed is None else entry.roles | allowed
            _STORE.move_to_end(document.digest)
    return document.url


def stored(url: str) -> str | None:
    """The HTML served at ``url`` (a path from :func:`publish`), or None when this process does not hold it."""
    digest = url.rsplit("/", 1)[-1].removesuffix(".html")
    with _LOCK:
        entry = _STORE.get(digest)
    return None if entry is None else entry.body.decode("utf-8")


def frame_html(frame: IFrame) -> str:
    """The page an ``st.iframe`` element shows: its inline ``srcdoc``, or the document this process serves at its
    ``src`` ("" for any other address)."""
    return frame.srcdoc or (stored(frame.src) if frame.src.startswith(base_path() + ROUTE_PREFIX) else None) or ""


def _signed_in_as(request: Request, roles: frozenset[str]) -> bool:
    from dashboard import loaders  # the pages' cached engine and settings

    token = request.cookies.get(COOKIE)
    if not token:
        return False
    policy = sessions.SessionPolicy.from_settings(loaders.settings())
    user = sessions.resolve(loaders.engine(), policy, token=token, touch=False)
    return user is not None and user.role in roles


async def serve(request: Request) -> Response:
    """GET ``/_envmon/map/<sha256>.html``: the stored document (304 when the browser has it), 404 if unknown,
    403 without a live session of a role that may see it."""
    digest = request.path_params["name"].removesuffix(".html")
    with _LOCK:
        entry = _STORE.get(digest)
    if entry is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    if entry.roles is not None and not await run_in_threadpool(_signed_in_as, request, entry.roles):
        return Response(status_code=403, headers={"Cache-Control": "no-store"})
    headers = {
        "Cache-Control": f"{'public' if entry.roles is None else 'private'}, max-age={MAX_AGE_S}, immutable",
        "ETag": f'"{digest}"',
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="text/html; charset=utf-8", headers=headers)
