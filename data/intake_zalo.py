"""Zalo Official Account webhook events: the signature check and the messages a citizen report is made of.

Zalo signs each event: header ``X-ZEvent-Signature`` = ``"mac=" + sha256_hex(app_id + raw_body + timestamp +
oa_secret_key)`` with the payload's ``timestamp``. Message events (``user_send_text`` / ``image`` / ``location``
/ ``file`` / ``video`` / ``audio`` / ``link`` / ``sticker``, ``anonymous_send_text``) become
:class:`data.intake_messages.IncomingMessage`; delivery and follow events are not reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from data.intake_messages import IncomingMessage, message_parts, point

CHANNEL = "zalo"
MESSAGE_EVENTS = frozenset(
    {"user_send_text", "user_send_image", "user_send_location", "user_send_file", "user_send_video",
     "user_send_audio", "user_send_link", "user_send_sticker", "user_send_gif", "anonymous_send_text"}
)  # fmt: skip


def signature_ok(raw_body: bytes, header: str | None, *, app_id: str, secret: str) -> bool:
    """Whether ``header`` is Zalo's signature of ``raw_body`` (constant-time comparison; False when missing)."""
    if not header or not app_id or not secret:
        return False
    try:
        expected = sign(raw_body, app_id=app_id, secret=secret)
    except (ValueError, AttributeError):  # not JSON, or not an object
        return False
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def sign(raw_body: bytes, *, app_id: str, secret: str) -> str:
    """The signature header Zalo would send for ``raw_body`` (used by tests and by local simulations)."""
    timestamp = str(json.loads(raw_body).get("timestamp", ""))
    return "mac=" + hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + secret.encode()).hexdigest()


def _received_at(payload: dict[str, Any]) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(payload["timestamp"]) / 1000, dt.UTC)
    except (KeyError, TypeError, ValueError):
        return dt.datetime.now(dt.UTC)


def messages(payload: dict[str, Any]) -> list[IncomingMessage] | None:
    """The report parts in one event, or None when the event is not a citizen message (ignored)."""
    event = str(payload.get("event_name", ""))
    if event not in MESSAGE_EVENTS:
        return None
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    msg_id, follower = str(message.get("msg_id") or ""), str(sender.get("id") or "")
    if not msg_id or not follower:
        return None
    return message_parts(CHANNEL, msg_id, follower, _received_at(payload), message.get("text"),
                         message.get("attachments"), lambda body: point(body, "latitude", "longitude"))  # fmt: skip
