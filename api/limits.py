"""Protection every request passes: a body-size limit (413), rate limits per key or per address (429 with
``Retry-After``), and one structured log line per request that never holds a key, a query string or a body.

A pure ASGI middleware (no buffering of responses). The limiter is a token bucket per client kept in the
database (:mod:`data.rate_limits`), so every uvicorn worker (and every API machine on PostgreSQL) counts against
the same bucket: with ``--workers N`` a client still gets its limit, not N times it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from data import rate_limits
from data.config import Settings
from data.redact import redact_text

LOG = logging.getLogger("envmon.api")
Scope = dict[str, Any]
Message = dict[str, Any]
CLEANUP_SECONDS = 600.0
HOLD_SECONDS = 1.0  # how long a worker may spend tokens it took ahead
MAX_CHUNK = 100  # the most tokens a worker takes at once


@dataclass(frozen=True)
class Limits:
    """Requests per minute for an anonymous address and for a key, bursts allowed, and the largest body."""

    per_address_per_minute: int = 300
    per_key_per_minute: int = 600
    burst: int = 60
    max_body_bytes: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The limits configured in ``settings`` (``api_*`` keys, see :mod:`data.config`)."""
        return cls(
            per_address_per_minute=settings.api_address_per_minute,
            per_key_per_minute=settings.api_key_per_minute,
            burst=settings.api_burst,
            max_body_bytes=settings.api_max_body_kib * 1024,
        )


@dataclass
class RateLimiter:
    """Token buckets per client name, shared by every worker through ``engine`` (see :mod:`data.rate_limits`);
    ``clock`` gives epoch seconds (the same clock in every process).

    While a bucket holds plenty, a worker takes up to a tenth of what is left at once (at most
    :data:`MAX_CHUNK`) and spends those tokens locally for up to :data:`HOLD_SECONDS`: a client far below its
    limit then costs one database write per chunk, not per request. When a fifth of a chunk is left the next one
    is taken off the request path (:meth:`refill`), so a busy client's requests do not wait for that write. Near
    the limit it takes one token at a time, on the request path, so the limit is exact where it matters; tokens
    held and not spent are lost (a client gets slightly less, never more).
    """

    engine: Engine
    clock: Callable[[], float] = time.time
    _held: dict[str, tuple[int, float, int]] = field(default_factory=dict)  # name → (tokens, until, next chunk)
    _fetching: dict[str, threading.Lock] = field(default_factory=dict)  # name → the lock of its database take
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _next_cleanup: float = 0.0

    def take_held(self, name: str) -> bool:
        """Spend one of the tokens this worker holds for ``name`` (no database: fit for the event loop)."""
        now = self.clock()
        with self._lock:
            tokens, until, chunk = self._held.get(name, (0, 0.0, 1))
            if tokens > 0 and now < until:
                self._held[name] = (tokens - 1, until, chunk)
                return True
        return False

    def running_low(self, name: str) -> bool:
        """Whether the tokens held for ``name`` are down to a fifth of a chunk while far below the limit (chunks
        of more than one) and no take for it is under way: time to :meth:`refill`."""
        with self._lock:
            tokens, until, chunk = self._held.get(name, (0, 0.0, 1))
            fetching = self._fetching.get(name)
        return chunk > 1 and tokens * 5 <= chunk and self.clock() < until and not (fetching and fetching.locked())

    def refill(self, name: str, per_minute: int, burst: int) -> None:
        """Take the next chunk for ``name`` before the held tokens run out (run off the request path); nothing
        when another take is under way, near the limit, or when the bucket cannot give the whole chunk."""
        with self._lock:
            fetching = self._fetching.setdefault(name, threading.Lock())
        if not fetching.acquire(blocking=False):
            return
        try:
            now = self.clock()
            with self._lock:
                chunk = min(self._held.get(name, (0, 0.0, 1))[2], max(1, burst))
            if chunk <= 1:
                return
            taken = rate_limits.take(self.engine, name, per_minute, burst, now, chunk)
            if taken.wait:
                return  # the request path takes one token at a time from here
            with self._lock:
                tokens, until, _ = self._held.get(name, (0, 0.0, 1))
                left = tokens if now < until else 0
                self._held[name] = (left + chunk, now + HOLD_SECONDS, max(1, min(MAX_CHUNK, int(taken.left // 10))))
        finally:
            fetching.release()

    def take(self, name: str, per_minute: int, burst: int) -> float:
        """Take one token for ``name``: 0.0 when allowed, else the seconds until one is available.

        One thread at a time asks the database for a client; the others wait for its chunk (no stampede of
        writes when a busy client's held tokens run out).
        """
        with self._lock:
            fetching = self._fetching.setdefault(name, threading.Lock())
        with fetching:
            if self.take_held(name):
                return 0.0
            return self._take_shared(name, per_minute, burst)

    def _take_shared(self, name: str, per_minute: int, burst: int) -> float:
        now = self.clock()
        with self._lock:
            chunk = self._held.get(name, (0, 0.0, 1))[2]
        if now >= self._next_cleanup:  # rows of clients whose buckets are full again are dropped now and then
            self._next_cleanup = now + CLEANUP_SECONDS
            rate_limits.forget_full_buckets(self.engine, now)
            with self._lock:
                self._held = {key: held for key, held in self._held.items() if held[1] > now}
                self._fetching = {key: lock for key, lock in self._fetching.items() if key in self._held}
        chunk = min(chunk, max(1, burst))
        taken = rate_limits.take(self.engine, name, per_minute, burst, now, chunk)
        if taken.wait and chunk > 1:
            chunk, taken = 1, rate_limits.take(self.engine, name, per_minute, burst, now)
        if taken.wait:
            return taken.wait
        with self._lock:
            self._held[name] = (chunk - 1, now + HOLD_SECONDS, max(1, min(MAX_CHUNK, int(taken.left // 10))))
        return 0.0


def key_of(scope: Scope) -> str | None:
    """The API key a request carries in the ``X-API-Key`` header or the ``api_key`` query parameter, or None."""
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key":
            return value.decode("latin-1").strip() or None
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("api_key")
    return values[0].strip() if values and values[0].strip() else None


def client_name(scope: Scope) -> str:
    """Who a request counts against: ``key:<hash prefix>`` for a keyed request, else ``ip:<address>``."""
    key = key_of(scope)
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    client = scope.get("client") or ("unknown", 0)
    return f"ip:{client[0]}"


class Guard:
    """The ASGI middleware: size limit, rate limit, request log."""

    def __init__(self, app: Callable[..., Any], limits: Limits, limiter: RateLimiter,
                 error: Callable[[Scope, int, str, dict[str, str]], Any]) -> None:  # fmt: skip
        self.app = app
        self.limits = limits
        self.limiter = limiter
        self.error = error  # builds the error response (Open311 or API format) for a path
        self._refills: set[asyncio.Future[None]] = set()  # chunks being taken ahead (kept until done)

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self._guarded(scope, receive, logged_send)
        finally:
            _log(scope, status["code"], started)

    async def _guarded(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limits.max_body_bytes):
            await self.error(scope, 413, f"request body larger than {self.limits.max_body_bytes} bytes", {})(
                scope, receive, send
            )
            return
        name = client_name(scope)
        per_minute = self.limits.per_key_per_minute if name.startswith("key:") else self.limits.per_address_per_minute
        wait = 0.0
        if not self.limiter.take_held(name):
            wait = await run_in_threadpool(self.limiter.take, name, per_minute, self.limits.burst)  # a database write
        elif self.limiter.running_low(name):  # the next chunk is taken while this request goes on
            refill = asyncio.get_running_loop().run_in_executor(
                None, self.limiter.refill, name, per_minute, self.limits.burst
            )
            self._refills.add(refill)
            refill.add_done_callback(self._refill_done)
        if wait > 0:
            retry = str(max(1, math.ceil(wait)))
            await self.error(scope, 429, f"too many requests: retry in {retry} s", {"Retry-After": retry})(
                scope, receive, send
            )
            return
        await self.app(scope, self._capped(receive), send)

    def _refill_done(self, refill: asyncio.Future[None]) -> None:
        self._refills.discard(refill)
        if not refill.cancelled() and refill.exception() is not None:  # the request path takes the tokens instead
            LOG.warning("taking rate-limit tokens ahead failed: %s", type(refill.exception()).__name__)

    def _capped(self, receive: Callable[..., Any]) -> Callable[..., Any]:
        """``receive`` that stops a chunked body once it passes the size limit."""
        seen = {"bytes": 0}
        limit = self.limits.max_body_bytes

        async def capped() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > limit:
                    raise BodyTooLargeError(limit)
            return message

        return capped


class BodyTooLargeError(Exception):
    """A body without Content-Length grew past the limit while being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")


def _log(scope: Scope, status: int, started: float) -> None:
    """One JSON line: method, path (no query string: it may carry a key), status, milliseconds, client kind."""
    if not LOG.isEnabledFor(logging.INFO):
        return
    LOG.info(
        json.dumps(
            {
                "event": "request",
                "method": scope.get("method"),
                "path": redact_text(scope.get("path", "")),
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "client": client_name(scope).split(":")[0],
            }
        )
    )
