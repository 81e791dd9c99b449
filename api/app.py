"""The ASGI app: routes, CORS for public reads, errors as one sentence (400 for bad parameters, never 422)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import air, open311, open311_format, webhooks
from api.common import ApiError, Context, utc_now
from api.limits import BodyTooLargeError, Guard, Limits, RateLimiter
from data import db, rate_limits
from data.config import Settings, load_settings


def _validation_message(err: RequestValidationError) -> str:
    parts = []
    for item in err.errors():
        where = ".".join(str(p) for p in item.get("loc", ()) if p not in {"query", "path", "body"})
        parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else str(item.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def error_response(path: str, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """One error answer with ``status``: Open311's ``[{"code", "description"}]`` under ``/open311`` (XML for a
    ``.xml`` path), else ``{"error": message}``."""
    if path.startswith("/open311"):
        return open311_format.error(path, status, message, headers)
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(
    engine: Engine,
    settings: Settings,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    limits: Limits | None = None,
    limiter: RateLimiter | None = None,
    adapters: Mapping[str, webhooks.ChannelAdapter] | None = None,
    read_engine: Engine | None = None,
) -> FastAPI:
    """The API over ``engine``; ``clock`` gives "now" (tests pass a fixed one); ``limits`` the rate and size
    limits (default: those configured in ``settings``); ``limiter`` the rate-limit buckets (default: shared by every
    worker through the database, :mod:`data.rate_limits`); ``adapters`` the chat channels whose webhooks are open
    (default: those configured in the environment); ``read_engine`` the read replica for public answers (default:
    ``engine``)."""
    context = Context(engine=engine, settings=settings, clock=clock, read_engine=read_engine,
                      limits=limits or Limits.from_settings(settings),
                      limiter=limiter or RateLimiter(rate_limits.bucket_engine(engine)))  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(webhooks.flush_forever(context))]
        if settings.api_intake_worker:
            tasks.append(asyncio.create_task(open311.drain_forever(context, app.state.intake_wake)))
        yield
        for task in tasks:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="envmon API",
        version="1",
        description="Hà Nội air quality (VN_AQI and US AQI) in the OpenAQ v3 / AirNow shape.",
    )
    app.state.context = context
    app.state.adapters = dict(webhooks.adapters_from_environment() if adapters is None else adapters)
    app.state.ignored = webhooks.IgnoredEvents()
    app.state.intake_wake = asyncio.Event()  # set by each Open311 post: the intake worker drains the queue
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"], allow_headers=["*"])
    app.add_middleware(
        Guard,
        limits=context.limits,
        limiter=context.limiter,
        error=lambda scope, status, message, headers: error_response(scope["path"], status, message, headers),
    )
    app.include_router(air.router)
    app.include_router(open311.router)
    app.include_router(webhooks.router)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request.url.path, exc.status, exc.message, exc.headers)

    @app.exception_handler(BodyTooLargeError)
    async def _too_large(request: Request, exc: BodyTooLargeError) -> Response:
        return error_response(request.url.path, 413, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request.url.path, 400, _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request.url.path, exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    return app


def app_from_settings() -> FastAPI:
    """The API over the configured database (the factory ``envmon api`` hands to uvicorn)."""
    settings = load_settings()
    primary = db.engine(settings)
    return create_app(primary, settings, read_engine=db.read_engine(settings, primary=primary))
