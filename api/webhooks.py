"""Chat-channel webhooks, ``POST /webhooks/{channel}``: one adapter per channel (Zalo OA, Facebook Page), each
with ``verify`` (its signature over the exact body), ``parse`` (its events → report parts) and ``challenge``
(``GET /webhooks/{channel}`` subscription check, Facebook's ``hub.challenge``). Everything after the adapter is
one path for all channels (:mod:`data.intake_messages`).

The request path only checks the signature (a bad or missing one stores nothing: 401) and stores the event's
messages once (a replayed message id stores nothing); grouping a follower's messages into one report and the
import run afterwards (:func:`flush`, after the answer and every minute), so the channel gets its 200 at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from api.common import ApiError, Context, Ctx
from data import intake_facebook, intake_zalo
from data.intake_messages import IncomingMessage, flush_due, store_messages

LOG = logging.getLogger("envmon.api.webhooks")
router = APIRouter(tags=["webhooks"])
FLUSH_EVERY_SECONDS = 60.0


class ChannelAdapter(Protocol):
    """What a chat channel's webhook must provide."""

    channel: str

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        """Whether the request really comes from the channel (its signature over the exact body)."""

    def parse(self, payload: dict[str, Any]) -> tuple[str, list[IncomingMessage] | None]:
        """The event's name and its report parts (None: not a citizen message, ignored)."""

    def challenge(self, params: Mapping[str, str]) -> str | None:
        """What to answer a subscription check (``GET``) with, or None to refuse it."""


@dataclass(frozen=True)
class ZaloAdapter:
    """Zalo Official Account events signed with the OA's app id and secret key."""

    app_id: str
    secret: str
    channel: str = intake_zalo.CHANNEL

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        header = headers.get("x-zevent-signature")
        return intake_zalo.signature_ok(raw_body, header, app_id=self.app_id, secret=self.secret)

    def parse(self, payload: dict[str, Any]) -> tuple[str, list[IncomingMessage] | None]:
        return str(payload.get("event_name", "")), intake_zalo.messages(payload)

    def challenge(self, params: Mapping[str, str]) -> str | None:
        return None  # Zalo verifies the domain in its developer console, not by a callback


@dataclass(frozen=True)
class FacebookAdapter:
    """Facebook Page (Messenger) events signed with the app secret; subscribed with the verify token."""

    app_secret: str
    verify_token: str
    channel: str = intake_facebook.CHANNEL

    def verify(self, raw_body: bytes, headers: Mapping[str, str]) -> bool:
        header = headers.get("x-hub-signature-256")
        return intake_facebook.signature_ok(raw_body, header, app_secret=self.app_secret)

    def parse(self, payload: dict[str, Any]) -> tuple[str, list[IncomingMessage] | None]:
        parts = intake_facebook.messages(payload)
        return f"{payload.get('object', '')}:{'messages' if parts else 'no message'}", parts

    def challenge(self, params: Mapping[str, str]) -> str | None:
        return intake_facebook.challenge_answer(params, self.verify_token)


def adapters_from_environment() -> dict[str, ChannelAdapter]:
    """The channels configured by environment variables: Zalo (``ENVMON_ZALO_APP_ID``, ``ENVMON_ZALO_OA_SECRET``),
    Facebook (``ENVMON_FACEBOOK_APP_SECRET``, ``ENVMON_FACEBOOK_VERIFY_TOKEN``)."""
    env = os.environ
    adapters: dict[str, ChannelAdapter] = {}
    if env.get("ENVMON_ZALO_APP_ID") and env.get("ENVMON_ZALO_OA_SECRET"):
        adapters["zalo"] = ZaloAdapter(env["ENVMON_ZALO_APP_ID"], env["ENVMON_ZALO_OA_SECRET"])
    if env.get("ENVMON_FACEBOOK_APP_SECRET") and env.get("ENVMON_FACEBOOK_VERIFY_TOKEN"):
        adapters["facebook"] = FacebookAdapter(env["ENVMON_FACEBOOK_APP_SECRET"], env["ENVMON_FACEBOOK_VERIFY_TOKEN"])
    return adapters


@dataclass
class IgnoredEvents:
    """Event names already logged as ignored (each is logged once per process)."""

    seen: set[str] = field(default_factory=set)

    def note(self, channel: str, event: str) -> None:
        if (channel, event) not in self.seen:
            self.seen.add((channel, event))
            LOG.info(json.dumps({"event": "webhook_ignored", "channel": channel, "name": event[:60]}))


def flush(ctx: Context) -> list[str]:
    """Group waiting messages of followers gone quiet into reports (runs off the request path)."""
    return flush_due(ctx.engine, ctx.import_context(), now=ctx.clock(), window=ctx.intake_window)


async def flush_forever(ctx: Context) -> None:
    """Flush every :data:`FLUSH_EVERY_SECONDS` while the app runs (the lifespan task)."""
    while True:
        await asyncio.sleep(FLUSH_EVERY_SECONDS)
        try:
            await run_in_threadpool(flush, ctx)
        except Exception:  # noqa: BLE001 - keep the loop alive; the next round retries
            LOG.exception("webhook flush failed")


def _adapter(request: Request, channel: str) -> ChannelAdapter:
    adapter: ChannelAdapter | None = request.app.state.adapters.get(channel)
    if adapter is None:
        raise ApiError(404, f"no webhook configured for {channel[:20]!r}")
    return adapter


@router.get("/webhooks/{channel}", summary="Subscription check (Facebook: echo hub.challenge for our verify token)")
async def subscribe(channel: str, request: Request) -> PlainTextResponse:
    answer = _adapter(request, channel).challenge(request.query_params)
    if answer is None:
        raise ApiError(403, "subscription refused: wrong mode or verify token")
    return PlainTextResponse(answer)


@router.post("/webhooks/{channel}", summary="Chat-channel webhook (Zalo OA, Facebook Page): signed events → reports")
async def webhook(channel: str, request: Request, ctx: Ctx, background: BackgroundTasks) -> dict[str, Any]:
    adapter = _adapter(request, channel)
    raw = await request.body()
    if not adapter.verify(raw, request.headers):
        raise ApiError(401, "signature missing or wrong")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "the body is not a JSON object")
    event, parts = adapter.parse(payload)
    if parts is None:
        request.app.state.ignored.note(channel, event)
        return {"ok": True, "stored": 0}
    stored = await run_in_threadpool(store_messages, ctx.engine, parts)
    background.add_task(run_in_threadpool, flush, ctx)
    return {"ok": True, "stored": stored}
