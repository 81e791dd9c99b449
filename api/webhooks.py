"""Chat-channel webhooks, ``POST /webhooks/{channel}``: one adapter per channel (Zalo OA now; a Facebook Page
adapter needs only ``verify`` with ``X-Hub-Signature-256`` and ``parse`` of ``entry[].messaging[]``).

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

from api.common import ApiError, Context, Ctx
from data import intake_zalo
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


def adapters_from_environment() -> dict[str, ChannelAdapter]:
    """The channels configured by environment variables (``ENVMON_ZALO_APP_ID``, ``ENVMON_ZALO_OA_SECRET``)."""
    app_id, secret = os.environ.get("ENVMON_ZALO_APP_ID", ""), os.environ.get("ENVMON_ZALO_OA_SECRET", "")
    return {"zalo": ZaloAdapter(app_id, secret)} if app_id and secret else {}


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


@router.post("/webhooks/{channel}", summary="Chat-channel webhook (Zalo OA): signed events become reports")
async def webhook(channel: str, request: Request, ctx: Ctx, background: BackgroundTasks) -> dict[str, Any]:
    adapter = request.app.state.adapters.get(channel)
    if adapter is None:
        raise ApiError(404, f"no webhook configured for {channel[:20]!r}")
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
