"""The HTTP side of the dashboard that a Streamlit script cannot do: the session cookie and security headers.

``dashboard/app.py`` builds an ``st.App`` with :data:`ROUTES` and :data:`MIDDLEWARE` when ``streamlit run``
imports it, so every launcher (``make run``, ``envmon serve``, the tests) serves them.

- ``POST /_envmon/session`` exchanges the one-time handoff code of a fresh login (``data.sessions``) for the
  session token, set as an ``HttpOnly; SameSite=Strict`` cookie (``Secure`` over HTTPS): page scripts never
  see the token. ``DELETE`` revokes the cookie's session and clears the cookie. Both refuse cross-site calls.
- ``GET /_envmon/map/<sha256>.html`` serves the big map pages by URL (:mod:`dashboard.map_documents`).
- :class:`SecurityHeaders` forbids framing the app by other sites (``X-Frame-Options`` and CSP
  ``frame-ancestors``; the pages themselves are never framed, component frames only by this origin), turns off
  MIME sniffing and keeps the referrer on this origin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from data import sessions


def base_path() -> str:
    """``/prefix`` when Streamlit is served under ``server.baseUrlPath``, else empty."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


COOKIE = "envmon_session"
SESSION_PATH = f"{base_path()}/_envmon/session"
MAP_PATH = f"{base_path()}/_envmon/map/{{name}}"
FRAMED_BY_SELF = tuple(
    f"{base_path()}{path}" for path in ("/component/", "/_stcore/bidi-components/", "/app/static/", "/_envmon/map/")
)
"""Paths whose documents the app itself shows in frames (component iframes, vendored map assets, map pages)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _engine() -> Any:
    from dashboard import loaders  # the same cached engine as the pages

    return loaders.engine()


def _same_origin(request: Request) -> bool:
    """True unless the browser says the call comes from another site (Fetch metadata, else Origin)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def session_cookie(request: Request) -> Response:
    """POST: handoff code (body) → session cookie. DELETE: end the cookie's session and clear the cookie."""
    if not _same_origin(request):
        return Response(status_code=403)
    engine = await run_in_threadpool(_engine)
    if request.method == "DELETE":
        token = request.cookies.get(COOKIE)
        if token:
            await run_in_threadpool(sessions.end, engine, token=token)
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/", secure=_secure(request), httponly=True, samesite="strict")
        return response
    code = (await request.body())[:200].decode(errors="replace").strip()
    redeemed = await run_in_threadpool(sessions.redeem_handoff, engine, code) if code else None
    if redeemed is None:
        return Response(status_code=400)
    token, expires_at = redeemed
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(0, int((expires_at - dt.datetime.now(dt.UTC)).total_seconds())),
        path="/",
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


class SecurityHeaders:
    """ASGI middleware adding anti-framing and hardening headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = security_headers(scope.get("path", "/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The headers for a response to ``path``: pages cannot be framed at all, component documents only here."""
    self_framed = path.startswith(FRAMED_BY_SELF)
    return [
        (b"x-frame-options", b"SAMEORIGIN" if self_framed else b"DENY"),
        (b"content-security-policy", b"frame-ancestors 'self'" if self_framed else b"frame-ancestors 'none'"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]


async def map_document(request: Request) -> Response:
    """GET a map page by its content hash (:mod:`dashboard.map_documents`, imported here on first use)."""
    from dashboard import map_documents

    return await map_documents.serve(request)


ROUTES = [
    Route(SESSION_PATH, session_cookie, methods=["POST", "DELETE"]),
    Route(MAP_PATH, map_document, methods=["GET"]),
]
MIDDLEWARE = [Middleware(SecurityHeaders)]
