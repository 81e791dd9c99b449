"""Open311 GeoReport v2 under ``/open311/v2``: services, public requests, one request, posting a request, tokens;
each as ``.json`` or ``.xml`` (:mod:`api.open311_format`).

Errors use the spec's format, ``[{"code": 400, "description": "…"}]`` with the same HTTP status (the app's
error handler writes them for every path under ``/open311``). Posting needs an API key (``envmon apikeys add``).
A post is checked, stored in the intake queue (:mod:`data.intake_queue`) and answered with a ``token`` at once;
the app's worker (:func:`drain_forever`) imports the queue in batches, and ``GET tokens/{token}.json`` then gives
the ``service_request_id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.common import ApiError, Context, Ctx, parse_time, take_token
from api.open311_format import Format, answer
from data.api_keys import client_of
from data.importers.pipeline import ImportContext
from data.intake_queue import enqueue, pending_count, process_queue, token_state
from data.open311_server import NewRequest, RequestQuery, public_requests, services

LOG = logging.getLogger("envmon.api.open311")
router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
DRAIN_EVERY_SECONDS = 1.0  # the worker looks at the queue at least this often (and at once after a post)
MAX_WINDOW = dt.timedelta(days=90)
MAX_DESCRIPTION = 4000
FORM_TYPES = ("application/x-www-form-urlencoded", "")


@router.get("/services.{fmt}", summary="Service list: one per complaint category (.json or .xml)")
def services_list(ctx: Ctx, fmt: Format, lang: Annotated[str, Query(pattern="^(vi|en)$")] = "vi") -> Response:
    return answer(services(ctx.taxonomy(), lang), fmt, item="service")


def _ids(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ApiError(400, f"service_request_id: a comma-separated list of numbers, not {text[:40]!r}") from None


@router.get("/requests.{fmt}", summary="Public service requests (locations coarsened to ~100 m, no personal data)")
def requests_list(
    ctx: Ctx,
    fmt: Format,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> Response:
    taxonomy = ctx.taxonomy()
    codes = tuple(c.strip() for c in (service_code or "").split(",") if c.strip())
    unknown = [c for c in codes if c not in taxonomy.categories]
    if unknown:
        raise ApiError(400, f"service_code: unknown {', '.join(unknown)} (see services.json)")
    end = parse_time(end_date, "end_date") if end_date else ctx.clock()
    start = parse_time(start_date, "start_date") if start_date else end - MAX_WINDOW
    if start > end:
        raise ApiError(400, "start_date: after end_date")
    if end - start > MAX_WINDOW:
        raise ApiError(400, f"start_date..end_date: at most {MAX_WINDOW.days} days")
    query = RequestQuery(_ids(service_request_id or ""), codes, start, end, status)
    return answer(public_requests(ctx.engine, query, taxonomy, site_url=ctx.settings.public_site_url), fmt)


@router.get("/requests/{request_id}.{fmt}", summary="One public service request")
def request_one(ctx: Ctx, request_id: str, fmt: Format) -> Response:
    query = RequestQuery(ids=_ids(request_id))
    found = public_requests(ctx.engine, query, ctx.taxonomy(), site_url=ctx.settings.public_site_url)
    if not found:
        raise ApiError(404, f"no public service request with id {request_id[:40]!r}")
    return answer(found, fmt)


def _one(form: dict[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in form.get(name, []) if v.strip()]
    return values[0] if values else None


def _coordinate(form: dict[str, list[str]], name: str, bound: float) -> float | None:
    text = _one(form, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ApiError(400, f"{name}: not a number: {text[:40]!r}") from None
    if not math.isfinite(value) or abs(value) > bound:
        raise ApiError(400, f"{name}: out of range: {text[:40]!r}")
    return value


def parse_new_request(form: dict[str, list[str]], context: ImportContext) -> NewRequest:
    """The posted form as a :class:`NewRequest`, or a 400 naming the first bad field."""
    code = _one(form, "service_code")
    if code is None:
        raise ApiError(400, "service_code: required (see services.json)")
    if code not in context.taxonomy.categories:
        raise ApiError(400, f"service_code: unknown {code[:40]!r} (see services.json)")
    lat, lon = _coordinate(form, "lat", 90.0), _coordinate(form, "long", 180.0)
    address = _one(form, "address_string")
    if (lat is None) != (lon is None):
        raise ApiError(400, "lat and long: give both or neither")
    if lat is None and address is None:
        raise ApiError(400, "location: required (lat and long, or address_string)")
    description = _one(form, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise ApiError(400, f"description: at most {MAX_DESCRIPTION} characters")
    media = _one(form, "media_url")
    if media is not None and not media.lower().startswith(("https://", "http://")):
        raise ApiError(400, "media_url: an http(s) URL")
    name = " ".join(p for p in (_one(form, "first_name"), _one(form, "last_name")) if p) or None
    return NewRequest(code, lat, lon, address, description, media, name, _one(form, "phone"))


@router.post("/requests.{fmt}", summary="Post a service request (form-encoded; api_key required): a token back")
async def post_request(ctx: Ctx, request: Request, fmt: Format) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise ApiError(400, "send the request form-encoded (application/x-www-form-urlencoded)")
    try:
        form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=False, strict_parsing=False)
    except UnicodeDecodeError:
        raise ApiError(400, "the form is not UTF-8") from None
    token = await run_in_threadpool(_accept, ctx, form)
    request.app.state.intake_wake.set()
    return answer([{"token": token, "service_notice": None, "account_id": None}], fmt)


def _accept(ctx: Context, form: dict[str, list[str]]) -> str:
    """Check the key and the fields, store the request in the intake queue; its token."""
    client = client_of(ctx.engine, _one(form, "api_key") or "")
    if client is None:
        raise ApiError(403, "api_key: missing, unknown or revoked")
    take_token(ctx, client)
    new = parse_new_request(form, ctx.import_context())
    return enqueue(ctx.engine, new, client=client, now=ctx.clock())


@router.get("/tokens/{token}.{fmt}", summary="The service_request_id of a posted request, once imported")
def token_one(ctx: Ctx, token: str, fmt: Format) -> Response:
    state = token_state(ctx.engine, token[:40])
    if state is None:
        raise ApiError(404, f"no posted request with token {token[:40]!r}")
    if state.refused_reason is not None:
        raise ApiError(400, f"the request was refused: {state.refused_reason}")
    case = None if state.service_request_id is None else str(state.service_request_id)
    return answer([{"service_request_id": case, "token": state.token}], fmt)


def drain(ctx: Context) -> int:
    """Import every request waiting in the intake queue (the worker's step); how many were processed."""
    total = 0
    if pending_count(ctx.engine) == 0:
        return total
    while done := process_queue(ctx.engine, ctx.import_context(), now=ctx.clock()):
        total += done
    return total


async def drain_forever(ctx: Context, wake: asyncio.Event) -> None:
    """The intake worker (a lifespan task): drain the queue after each post, and every second in any case (rows
    left by a stopped process, or posted to another uvicorn worker)."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), DRAIN_EVERY_SECONDS)
        wake.clear()
        try:
            await run_in_threadpool(drain, ctx)
        except Exception:  # noqa: BLE001 - keep the worker alive; the rows stay queued for the next round
            LOG.exception("open311 intake drain failed")
