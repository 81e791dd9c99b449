"""Big map pages served by URL instead of inline: a rerun sends a tiny frame element and the browser caches the map.

``st.iframe(html)`` puts the whole page into the element (``srcdoc``), so every run of the leaders' overview sent
its ~3 MB map document over the WebSocket again (hashing, serialising and sending it was most of a run's CPU).
Here a rendered page is kept in this process's memory under its content hash and the page shows
``st.iframe("<base>/_envmon/map/<sha256>.html")``. The route answers with ``Cache-Control: private, max-age=…,
immutable``: the document of a given hash never changes, so a browser fetches each map once, also across tabs
and reloads. Behind nginx the tab's affinity cookie brings the frame's request to the process that rendered it.

A browser that accepts gzip (every one does) gets the document compressed once where it was drawn: a
20,000-case map of a few MB crosses a phone's network as a few hundred KB.

A document is served to the roles of the pages that showed it, checked with the ``envmon_session`` cookie as
the pages check it (``roles=None``: a public page showed it, anyone may load it). The store keeps the most recently
shown documents up to :data:`MAX_BYTES` (a page run re-registers its map, so a shown map is never the oldest).
"""

from __future__ import annotations

import gzip
import hashlib
import html
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
from data.i18n import LANGUAGES, translate

MAX_BYTES = 160 * 1024 * 1024  # documents kept per process (a 20,000-case overview map is a few MB)
MAX_AGE_S = 7 * 24 * 3600
ROUTE_PREFIX = "/_envmon/map/"
# The document lives at <base>/_envmon/map/<hash>.html: its relative asset links reach <base>/app/static/vendor.
ASSET_BASE = "../../app/static/vendor"
# Right after a login the page's frame may ask for its map before the request that sets the session cookie has
# been answered: the refusal page asks again every RETRY_DELAY_MS, RETRY_ATTEMPTS times, before it says so.
RETRY_ATTEMPTS = 30
RETRY_DELAY_MS = 500


@dataclass(frozen=True)
class MapDocument:
    """A rendered standalone map page and its content hash (the last part of its URL)."""

    html: str
    digest: str
    gzipped: bytes  # what a browser accepting gzip is sent, compressed where the map is drawn (once)

    @classmethod
    def of(cls, html: str) -> MapDocument:
        """The document of ``html`` with its SHA-256 and its gzip form."""
        body = html.encode("utf-8")
        return cls(html, hashlib.sha256(body).hexdigest(), gzip.compress(body, compresslevel=6, mtime=0))

    @property
    def url(self) -> str:
        """The path the frame loads (under the server's base path)."""
        return f"{base_path()}{ROUTE_PREFIX}{self.digest}.html"


@dataclass
class _Entry:
    body: bytes
    gzipped: bytes  # the body gzip-compressed, once
    roles: frozenset[str] | None  # None: public

    @property
    def size(self) -> int:
        """Bytes this entry holds."""
        return len(self.body) + len(self.gzipped)


_STORE: OrderedDict[str, _Entry] = OrderedDict()
_LOCK = threading.Lock()


def publish(document: MapDocument, roles: Collection[str] | None) -> str:
    """Keep ``document`` servable to signed-in users of ``roles`` (None: to anyone) and return its URL."""
    allowed = None if roles is None else frozenset(roles)
    with _LOCK:
        if not _show_again(document.digest, allowed):
            _STORE[document.digest] = _Entry(document.html.encode("utf-8"), document.gzipped, allowed)
            total = sum(e.size for e in _STORE.values())
            while total > MAX_BYTES and len(_STORE) > 1:
                total -= _STORE.popitem(last=False)[1].size  # the least recently shown
    return document.url


def _show_again(digest: str, allowed: frozenset[str] | None) -> bool:
    """With the lock held: if the document is stored, widen its roles, mark it the most recently shown, True."""
    entry = _STORE.get(digest)
    if entry is None:
        return False
    entry.roles = None if entry.roles is None or allowed is None else entry.roles | allowed
    _STORE.move_to_end(digest)
    return True


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


def _message_page(key: str) -> str:
    """A small page saying the i18n string ``key`` in both languages (the frame's request does not carry the
    page's language)."""
    message = "<br>".join(html.escape(translate(key, language)) for language in LANGUAGES)
    return _page(f"<p>{message}</p>")


def _page(body: str) -> str:
    """A minimal HTML page around ``body``."""
    head = '<!doctype html><html><head><meta charset="utf-8"></head>'
    return f'{head}<body style="font-family:sans-serif">{body}</body></html>'


def _uncached(page: str, status_code: int) -> Response:
    """``page`` with ``status_code``, never kept by the browser (the next load may succeed)."""
    return Response(
        page, status_code=status_code, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"}
    )


def _refusal_page(attempt: int) -> str:
    """The 403 page: it loads the map again shortly (``?attempt=n``) while the session cookie may still be on its
    way, then says the session has ended."""
    if attempt >= RETRY_ATTEMPTS:
        return _message_page("session.ended")
    return _page(
        "<script>setTimeout(function(){var u=new URL(location.href);"
        f"u.searchParams.set('attempt','{attempt + 1}');location.replace(u.href);}},{RETRY_DELAY_MS});</script>"
    )


def _attempt(request: Request) -> int:
    """The ``attempt`` query parameter of a refused frame's retry (0 when absent or not a number)."""
    value = request.query_params.get("attempt", "0")
    return int(value) if value.isdigit() and len(value) < 4 else 0


async def serve(request: Request) -> Response:
    """GET ``/_envmon/map/<sha256>.html``: the stored document (304 when the browser has it), 404 (a page asking
    for a reload) if unknown, 403 without a live session of a role that may see it (a page that retries for a few
    seconds, see :data:`RETRY_ATTEMPTS`, then says the session has ended)."""
    digest = request.path_params["name"].removesuffix(".html")
    with _LOCK:
        entry = _STORE.get(digest)
    if entry is None:  # never shown by this process, or dropped since (a restart, the store's size bound)
        return _uncached(_message_page("map.gone"), 404)
    if entry.roles is not None and not await run_in_threadpool(_signed_in_as, request, entry.roles):
        return _uncached(_refusal_page(_attempt(request)), 403)
    compressed = "gzip" in request.headers.get("accept-encoding", "").lower()
    headers = {
        "Cache-Control": f"{'public' if entry.roles is None else 'private'}, max-age={MAX_AGE_S}, immutable",
        "ETag": f'"{digest}{"-gzip" if compressed else ""}"',  # one tag per encoding of the document
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if compressed:
        headers["Content-Encoding"] = "gzip"
    return Response(entry.gzipped if compressed else entry.body, media_type="text/html; charset=utf-8", headers=headers)
