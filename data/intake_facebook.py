"""Facebook Page (Messenger Platform) webhook events: verification, the signature check and the report parts.

Subscribing: Facebook calls ``GET`` with ``hub.mode=subscribe``, ``hub.verify_token`` (the token typed into the
app's webhook settings) and ``hub.challenge``, which is echoed when the token matches. Events: ``POST`` of
``{"object": "page", "entry": [{"messaging": [{"sender": {"id": PSID}, "timestamp": ms, "message": {"mid": …,
"text": …, "attachments": [{"type": "image" | "video" | "audio" | "file" | "location", "payload": {"url": …} |
{"coordinates": {"lat": …, "long": …}}}]}}]}]}``, signed in header ``X-Hub-Signature-256`` = ``"sha256=" +
HMAC-SHA256(app secret, raw body)``. The page's own messages (``is_echo``), deliveries, reads and postbacks are
not reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from data.intake_messages import IncomingMessage, message_parts, point

CHANNEL = "facebook"


def challenge_answer(params: Mapping[str, str], verify_token: str) -> str | None:
    """The ``hub.challenge`` to echo when ``params`` subscribe with our verify token, else None."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    if not hmac.compare_digest(params.get("hub.verify_token", "").encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge") or None


def sign(raw_body: bytes, *, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` header Facebook sends for ``raw_body`` (tests and local simulations)."""
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def signature_ok(raw_body: bytes, header: str | None, *, app_secret: str) -> bool:
    """Whether ``header`` is the app's signature of ``raw_body`` (constant-time; False when missing)."""
    if not header or not app_secret:
        return False
    return hmac.compare_digest(sign(raw_body, app_secret=app_secret).encode(), header.strip().encode())


def _at(milliseconds: object) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(milliseconds) / 1000, dt.UTC)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return dt.datetime.now(dt.UTC)


def _coordinates(payload: dict[str, Any]) -> tuple[float, float] | None:
    return point(payload, "lat", "long")


def messages(payload: dict[str, Any]) -> list[IncomingMessage] | None:
    """The report parts of every citizen message in one delivery, or None when it holds none (ignored)."""
    if payload.get("object") != "page":
        return None
    parts: list[IncomingMessage] = []
    for entry in payload.get("entry") if isinstance(payload.get("entry"), list) else []:
        events = entry.get("messaging") if isinstance(entry, dict) else None
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict):
                continue
            message, sender = event.get("message"), event.get("sender")
            if not isinstance(message, dict) or not isinstance(sender, dict) or message.get("is_echo"):
                continue  # a delivery, a read, a postback, or the page's own message
            mid, psid = message.get("mid"), sender.get("id")
            if mid and psid:
                parts += message_parts(CHANNEL, str(mid), str(psid), _at(event.get("timestamp")), message.get("text"),
                                       message.get("attachments"), _coordinates)  # fmt: skip
    return parts or None
