"""A protocol-level Streamlit client for load benches: what a browser tab sends and waits for, without a browser.

A browser opening a dashboard page does, in order: GET the page (the load balancer's affinity cookie comes with
the answer), open the WebSocket ``/_stcore/stream`` (subprotocol ``streamlit``, the page's cookies and Origin),
send a ``BackMsg`` ``rerun_script`` whose ``ClientState`` names the page (``page_name`` = the URL path) and its
query string, and render the ``ForwardMsg``s until ``script_finished``; then it fetches the documents of the
page's frames (the overview map is an ``st.iframe`` of a page held by that very process, see
dashboard.map_documents). :meth:`Tab.run` does the same with Streamlit's own protobuf messages
(``streamlit.proto``), so a run is timed exactly as the server does the
work, and the client costs almost no CPU — unlike a headless browser on the same cores. Logging in takes the
path the login form's component takes: a session is started for the user (``data.sessions``) and its one-time
handoff code is exchanged at ``POST /_envmon/session`` for the ``envmon_session`` cookie.

Like a browser, a tab asks for gzip (``Accept-Encoding``; bytes are counted as they cross the wire) and keeps what
it may keep: the frame documents their ``Cache-Control`` lets it reuse (a
browser's HTTP cache), and the big messages the server marked ``cacheable``, whose hashes it lists in each rerun
(``ClientState.cached_message_hashes``) so the server sends a reference (``ref_hash``) instead of the message.

Every run is checked, not just timed (:class:`PageRun`): the script finished successfully, no exception element
was sent, the expected title was among the headings, and every frame document came back 200.
"""

from __future__ import annotations

import asyncio
import http.cookies
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect

FINISHED_OK = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
TIMEOUT_S = 300.0


@dataclass
class PageRun:
    """One page run as a browser tab experiences it."""

    page: str
    seconds: float | None = None  # None: the run did not complete
    error: str = ""  # why the run failed ("" when it did not)
    deltas: int = 0  # elements and blocks the server sent
    bytes_received: int = 0  # WebSocket payload plus frame documents
    frames_fetched: int = 0  # frame documents requested (not taken from the tab's cache)
    opened_tab: bool = False  # the run opened the tab (GET + WebSocket) before running the page
    headings: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)  # the frame documents' URLs

    @property
    def ok(self) -> bool:
        """True when the run completed without an error."""
        return self.seconds is not None and not self.error


class Tab:
    """One browser tab's connection to a Streamlit server at ``base`` (directly or through a proxy)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.cookies: dict[str, str] = {}
        self.socket: ClientConnection | None = None
        self.http_cache: dict[str, float] = {}  # frame URL -> monotonic time until which it may be reused
        self.message_hashes: set[str] = set()  # cacheable ForwardMsgs received (the browser's message cache)

    def _http(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One HTTP request with this tab's cookies; keeps the cookies the answer sets and, for a GET whose
        ``Cache-Control`` allows it, remembers for how long the document may be reused."""
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - the bench's server
                status, content, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as err:
            status, content, headers = err.code, err.read(), err.headers
        for value in headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        max_age = _max_age(headers.get("Cache-Control", ""))
        if method == "GET" and status == 200 and max_age:
            self.http_cache[path] = time.monotonic() + max_age
        return status, content

    def _headers(self, *, websocket: bool = False) -> dict[str, str]:
        headers = {} if websocket else {"Origin": self.base, "Sec-Fetch-Site": "same-origin", "Accept-Encoding": "gzip"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return headers

    async def log_in(self, handoff_code: str) -> None:
        """Exchange a fresh session's handoff code for the session cookie, as the login form's component does."""
        status, _ = await asyncio.to_thread(self._http, "POST", "/_envmon/session", handoff_code.encode())
        if status != 204 or "envmon_session" not in self.cookies:
            msg = f"login refused: POST /_envmon/session answered {status}"
            raise RuntimeError(msg)

    async def open(self, page: str) -> int:
        """GET the page's HTML (the proxy's affinity cookie comes with it), then open the WebSocket; bytes read."""
        status, html = await asyncio.to_thread(self._http, "GET", f"/{page}")
        if status != 200:
            msg = f"GET /{page} answered {status}"
            raise RuntimeError(msg)
        scheme = "wss" if self.base.startswith("https") else "ws"
        self.socket = await connect(
            f"{scheme}://{urlsplit(self.base).netloc}/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers=self._headers(websocket=True),
            origin=self.base,  # type: ignore[arg-type]
            max_size=None,
            compression=None,
            open_timeout=TIMEOUT_S,
            ping_interval=None,  # a browser never pings; the server pings the tab itself
        )
        return len(html)

    async def run(self, page: str, title: str, query_string: str = "") -> PageRun:
        """Run ``page`` (its URL path) in this tab's session: open the tab first if needed, send the rerun, read
        until ``script_finished``, fetch the frame documents. Failures are returned in the result, never raised."""
        result = PageRun(page)
        start = time.perf_counter()
        try:
            if self.socket is None:
                result.opened_tab = True
                result.bytes_received += await self.open(page)
            await self._rerun(page, query_string)
            await asyncio.wait_for(self._read_until_finished(result), TIMEOUT_S)
            for url in result.frames:
                if self.http_cache.get(url, 0.0) > time.monotonic():
                    continue  # the browser's cache has it
                status, document = await asyncio.to_thread(self._http, "GET", url)
                result.bytes_received += len(document)
                result.frames_fetched += 1
                if status != 200:
                    result.error = result.error or f"frame document {url} answered {status}"
            result.seconds = time.perf_counter() - start
            if not result.error and title not in result.headings:
                result.error = f"title {title!r} not among the headings {result.headings[:3]}"
        except Exception as err:  # noqa: BLE001 - every failure of a run is counted by the bench, never raised
            result.error = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        return result

    async def _rerun(self, page: str, query_string: str) -> None:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = query_string
        state.page_name = page
        state.context_info.timezone = "Asia/Ho_Chi_Minh"
        state.context_info.timezone_offset = -420
        state.context_info.locale = "vi-VN"
        state.context_info.url = f"{self.base}/{page}" + (f"?{query_string}" if query_string else "")
        state.cached_message_hashes.extend(sorted(self.message_hashes))
        assert self.socket is not None
        await self.socket.send(message.SerializeToString())

    async def _read_until_finished(self, result: PageRun) -> None:
        assert self.socket is not None
        while True:
            payload = await self.socket.recv()
            result.bytes_received += len(payload)
            message = ForwardMsg()
            message.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
            kind = message.WhichOneof("type")
            if message.metadata.cacheable and message.hash:
                self.message_hashes.add(message.hash)
            if kind == "ref_hash" and message.ref_hash not in self.message_hashes:
                result.error = result.error or f"reference to a message this tab never received: {message.ref_hash}"
            elif kind == "ref_hash":
                result.deltas += 1  # a browser draws the element it keeps under that hash
            elif kind == "delta":
                _read_delta(message, result)
            elif kind == "script_finished":
                if message.script_finished != FINISHED_OK:
                    result.error = result.error or f"script finished with status {message.script_finished}"
                return
            elif kind == "page_not_found":
                result.error = result.error or f"page not found: {message.page_not_found.page_name}"

    async def close(self) -> None:
        """Close the WebSocket (the server ends the session's script runs)."""
        if self.socket is not None:
            await self.socket.close()
            self.socket = None


def _max_age(cache_control: str) -> int:
    """Seconds a response may be reused by a private cache (0: not at all)."""
    directives = [d.strip().lower() for d in cache_control.split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return 0
    ages = [int(d.split("=", 1)[1]) for d in directives if d.startswith("max-age=") and d[8:].isdigit()]
    return ages[0] if ages else 0


def _read_delta(message: ForwardMsg, result: PageRun) -> None:
    """Count an element; note headings, frame documents and exception elements."""
    result.deltas += 1
    if message.delta.WhichOneof("type") != "new_element":
        return
    element = message.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        result.error = result.error or f"exception element: {element.exception.type}: {element.exception.message}"
    elif kind == "heading":
        result.headings.append(element.heading.body)
    elif kind == "iframe" and element.iframe.WhichOneof("type") == "src" and element.iframe.src.startswith("/"):
        result.frames.append(element.iframe.src)
