"""What every route shares: the app's context (engine, settings, clock), paging, times with offsets, errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from api.limits import Limits, RateLimiter
from data.categories import Taxonomy, load_taxonomy
from data.config import Settings
from data.importers.pipeline import ImportContext
from data.intake_messages import DEFAULT_WINDOW
from monitoring.public_snapshot import PublicSnapshot, build_snapshot

MAX_LIMIT = 1000
MAX_CACHED_ANSWERS = 256  # distinct (route, parameters) answers kept per snapshot
_PLUS_AS_SPACE = re.compile(r"(T[\d:.]+) (\d\d:?\d\d)$")  # an unencoded "+07:00" arrives as " 07:00" in a query string


def utc_now() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.UTC)


class ApiError(Exception):
    """A request the API refuses: ``status`` (400, 404, …) and one sentence saying why."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


@dataclass
class Context:
    """The shared state of one running app: database, settings, clock and the cached public snapshot."""

    engine: Engine
    settings: Settings
    limiter: RateLimiter  # the shared rate-limit buckets (api.limits)
    read_engine: Engine | None = None  # the read replica for public answers; None: read ``engine``
    clock: Callable[[], dt.datetime] = utc_now
    limits: Limits = field(default_factory=Limits)
    intake_window: dt.timedelta = DEFAULT_WINDOW
    _snapshot: tuple[dt.datetime, PublicSnapshot] | None = field(default=None, repr=False)
    _answers: dict[Hashable, CachedAnswer] = field(default_factory=dict, repr=False)
    _import_context: ImportContext | None = field(default=None, repr=False)
    _taxonomy: Taxonomy | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _building: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def reader(self) -> Engine:
        """The engine for lag-tolerant public reads (the snapshot, station history): the replica if configured."""
        return self.read_engine or self.engine

    def snapshot(self) -> PublicSnapshot:
        """The public snapshot of the current minute: the very object the public page and site render.

        One thread builds the next minute's snapshot; meanwhile the others keep serving the previous one.
        """
        minute = self.clock().astimezone(dt.UTC).replace(second=0, microsecond=0)
        current = self._snapshot
        if current is not None and current[0] == minute:
            return current[1]
        if not self._building.acquire(blocking=current is None):
            return current[1]  # type: ignore[index]  # being rebuilt by another thread
        try:
            current = self._snapshot
            if current is None or current[0] != minute:
                built = build_snapshot(
                    self.reader, now=minute, timezone=self.settings.timezone, boundary_set=self.settings.boundary_set
                )
                with self._lock:
                    self._snapshot = current = (minute, built)
                    self._answers.clear()  # answers of the previous snapshot
            return current[1]
        finally:
            self._building.release()

    def cached_answer(self, key: Hashable) -> CachedAnswer | None:
        """The answer for ``key`` of the current minute's snapshot if already serialised (never blocks), else None."""
        current = self._snapshot
        minute = self.clock().astimezone(dt.UTC).replace(second=0, microsecond=0)
        found = self._answers.get(key)
        if current is None or current[0] != minute or found is None or found.version != current[1].generated_at:
            return None
        return found

    def answer(self, key: Hashable, build: Callable[[PublicSnapshot], Any]) -> CachedAnswer:
        """The JSON answer ``build(snapshot)`` for request ``key``, serialised once per public-snapshot version."""
        snapshot = self.snapshot()
        with self._lock:
            found = self._answers.get(key)
        if found is not None and found.version == snapshot.generated_at:
            return found
        body = json.dumps(build(snapshot), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        made = CachedAnswer(snapshot.generated_at, f'"{hashlib.sha256(body).hexdigest()[:32]}"', body)
        with self._lock:
            if len(self._answers) >= MAX_CACHED_ANSWERS:
                self._answers.clear()
            self._answers[key] = made
        return made

    def import_context(self) -> ImportContext:
        """What the complaint pipeline needs (wards, taxonomy, SLA policy), loaded once."""
        with self._lock:
            if self._import_context is None:
                try:
                    self._import_context = ImportContext.from_settings(self.engine, self.settings)
                except LookupError as err:  # the configured boundary set is not loaded (envmon init)
                    raise ApiError(503, f"report intake is not set up: {err}") from None
            return self._import_context

    def taxonomy(self) -> Taxonomy:
        """The complaint categories (Open311 services), loaded once."""
        with self._lock:
            if self._taxonomy is None:
                self._taxonomy = load_taxonomy()
            return self._taxonomy


@dataclass(frozen=True)
class CachedAnswer:
    """A serialised JSON answer of one snapshot ``version``, with its strong ETag (a hash of the bytes)."""

    version: dt.datetime
    etag: str
    body: bytes

    def response(self, request: Request) -> Response:
        """200 with the body, or 304 without it when the client's ``If-None-Match`` names this ETag."""
        headers = {"ETag": self.etag, "Cache-Control": "public, max-age=60"}
        asked = request.headers.get("if-none-match", "")
        if asked.strip() == "*" or self.etag in (tag.strip().removeprefix("W/") for tag in asked.split(",")):
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type="application/json", headers=headers)


async def context(request: Request) -> Context:
    """The app's :class:`Context` (a FastAPI dependency; async, so no thread hop)."""
    return request.app.state.context  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Page:
    """``limit`` rows of page ``page`` (1-based)."""

    limit: int
    page: int

    @property
    def offset(self) -> int:
        """Rows skipped before this page."""
        return (self.page - 1) * self.limit

    def meta(self, found: int) -> dict[str, Any]:
        """The ``meta`` block of a paged answer (OpenAQ v3 names)."""
        return {"name": "envmon-api", "website": "/docs", "page": self.page, "limit": self.limit, "found": found}

    def cut(self, rows: list[Any]) -> dict[str, Any]:
        """A paged answer of an in-memory list: ``{"meta": …, "results": this page's rows}``."""
        return {"meta": self.meta(len(rows)), "results": rows[self.offset : self.offset + self.limit]}


async def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page (1–1000)")] = 100,
    page: Annotated[int, Query(ge=1, description="page number, from 1")] = 1,
) -> Page:
    """The ``limit`` and ``page`` query parameters (a FastAPI dependency; async, so no thread hop)."""
    return Page(limit=limit, page=page)


Ctx = Annotated[Context, Depends(context)]
"""A route parameter receiving the app's :class:`Context`."""
Paging = Annotated[Page, Depends(paging)]
"""A route parameter receiving the requested :class:`Page`."""


async def snapshot_answer(
    ctx: Context, request: Request, key: Hashable, build: Callable[[PublicSnapshot], Any]
) -> Response:
    """The answer for ``key``: from the cache on the event loop, else built in a thread (database reads)."""
    found = ctx.cached_answer(key) or await run_in_threadpool(ctx.answer, key, build)
    return found.response(request)


def moment(value: dt.datetime | None, timezone: str) -> dict[str, str] | None:
    """A time as OpenAQ v3 writes it: ``{"utc": "…Z", "local": "…+07:00"}`` (None stays None)."""
    if value is None:
        return None
    utc = value.astimezone(dt.UTC)
    return {
        "utc": utc.isoformat().replace("+00:00", "Z"),
        "local": utc.astimezone(ZoneInfo(timezone)).isoformat(),
    }


def parse_time(text: str, name: str) -> dt.datetime:
    """An ISO 8601 time or date from a query parameter (a naive one is UTC), else a 400 naming ``name``."""
    try:
        parsed = dt.datetime.fromisoformat(_PLUS_AS_SPACE.sub(r"\1+\2", text.strip()).replace("Z", "+00:00"))
    except ValueError:
        msg = f"{name}: not an ISO 8601 time (e.g. 2025-03-08T14:00:00Z): {text[:40]!r}"
        raise ApiError(400, msg) from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def take_token(ctx: Context, client: str) -> None:
    """Count one request against API client ``client`` (a key's name); a 429 with Retry-After when over."""
    wait = ctx.limiter.take(f"client:{client}", ctx.limits.per_key_per_minute, ctx.limits.burst)
    if wait > 0:
        retry = str(max(1, math.ceil(wait)))
        raise ApiError(429, f"too many requests for this key: retry in {retry} s", {"Retry-After": retry})
