"""Messages from chat channels (Zalo OA, a Facebook Page) grouped into citizen reports: ONE path for every
channel — an adapter (data.intake_zalo, data.intake_facebook) reads its events into :class:`IncomingMessage`
parts (:func:`message_parts`), and storing, grouping and importing below are the same for all.

A citizen usually sends the text, a photo and the location as separate messages. Each is stored once (a replayed
event with the same message id stores nothing); once a follower has been quiet for ``window``, their waiting
messages become ONE report (texts joined, photo and file links, the last location) imported as a one-row batch
through the complaint pipeline (duplicate check, quarantine, ward, routing, clustering into a case).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from data.importers.pipeline import ImportContext, import_table
from data.importers.readers import read_json_payload
from data.schema import IntakeMessage

MEDIA_KINDS = frozenset({"image", "video", "audio"})
"""Attachment kinds stored as media of the report (files, links and GIFs stay links in the description)."""
DEFAULT_WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class IncomingMessage:
    """One part of a report as a channel adapter reads it from an event."""

    channel: str
    message_id: str
    sender: str
    received_at: dt.datetime
    kind: str  # text | image | location | file | video | audio | link | gif
    text: str | None
    media_url: str | None
    lat: float | None
    lon: float | None


def message_parts(
    channel: str,
    message_id: str,
    sender: str,
    at: dt.datetime,
    text: object,
    attachments: object,
    point_of: Callable[[dict[str, Any]], tuple[float, float] | None],
) -> list[IncomingMessage]:
    """The report parts of one chat message: each attachment (a location through the channel's ``point_of`` its
    payload, media by ``payload.url``; stickers skipped), then the text. Part ids derive from ``message_id``
    (``#1``, ``#2``, ``#text``), so a replayed message yields the same ids."""
    parts: list[IncomingMessage] = []
    for number, attachment in enumerate(attachments if isinstance(attachments, list) else []):
        if not isinstance(attachment, dict):
            continue
        kind = str(attachment.get("type") or "file")
        body = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
        part_id = message_id if number == 0 else f"{message_id}#{number}"
        if kind == "location":
            point = point_of(body)
            if point is not None:
                parts.append(IncomingMessage(channel, part_id, sender, at, "location", None, None, *point))
        elif kind != "sticker" and "sticker_id" not in body:
            url = body.get("url") if isinstance(body.get("url"), str) else None
            parts.append(IncomingMessage(channel, part_id, sender, at, kind, None, url, None, None))
    if isinstance(text, str) and text.strip():
        text_id = message_id if not parts else f"{message_id}#text"
        parts.append(IncomingMessage(channel, text_id, sender, at, "text", text.strip(), None, None, None))
    return parts


def point(payload: dict[str, Any], lat_key: str, lon_key: str) -> tuple[float, float] | None:
    """``payload.coordinates[lat_key, lon_key]`` as numbers, or None when missing or not numbers."""
    coordinates = payload.get("coordinates") if isinstance(payload.get("coordinates"), dict) else {}
    try:
        return float(coordinates[lat_key]), float(coordinates[lon_key])
    except (KeyError, TypeError, ValueError):
        return None


def store_messages(engine: Engine, parts: list[IncomingMessage]) -> int:
    """Store the parts not stored before (by channel and message id); return how many were new."""
    stored = 0
    for part in parts:
        try:
            with engine.begin() as conn:
                known = conn.execute(
                    select(IntakeMessage.id).where(
                        IntakeMessage.channel == part.channel, IntakeMessage.message_id == part.message_id
                    )
                ).first()
                if known is None:
                    conn.execute(insert(IntakeMessage).values(**part.__dict__))
                    stored += 1
        except IntegrityError:  # the same event delivered twice at the same moment: the other copy won
            continue
    return stored


def flush_due(
    engine: Engine, context: ImportContext, *, now: dt.datetime, window: dt.timedelta = DEFAULT_WINDOW
) -> list[str]:
    """Turn the waiting messages of every follower quiet for ``window`` into one report each.

    Returns the external ids of the reports made (``<channel>-<first message id>``).
    """
    with engine.connect() as conn:
        rows = conn.execute(
            select(IntakeMessage).where(IntakeMessage.report_external_id.is_(None)).order_by(IntakeMessage.id)
        ).all()
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row.channel, row.sender), []).append(row)
    made = []
    for (channel, _sender), parts in groups.items():
        if now - max(p.received_at for p in parts) < window:
            continue  # the follower may still be sending
        external_id = f"{channel}-{parts[0].message_id}"
        _import_report(engine, context, channel, external_id, parts)
        with engine.begin() as conn:
            conn.execute(
                update(IntakeMessage)
                .where(IntakeMessage.id.in_([p.id for p in parts]))
                .values(report_external_id=external_id)
            )
        made.append(external_id)
    return made


def _import_report(engine: Engine, context: ImportContext, channel: str, external_id: str, parts: list) -> None:
    texts = [p.text for p in parts if p.text]
    links = [p.media_url for p in parts if p.media_url]
    located = [p for p in parts if p.lat is not None and p.lon is not None]
    description = "\n".join(texts + [f"Media: {url}" for url in links])
    media = " ".join(p.media_url for p in parts if p.media_url and p.kind in MEDIA_KINDS)
    record = {
        "service_request_id": external_id,
        "requested_datetime": min(p.received_at for p in parts).isoformat(),
        "description": description,
        "lat": located[-1].lat if located else None,
        "long": located[-1].lon if located else None,
        "channel": channel.capitalize(),
        "media": media or None,  # stored as the report's photos/videos/audio (data.importers.media_column)
    }
    if context.media is not None:  # an attachment that cannot be fetched is skipped: the report still counts
        context = replace(context, media=replace(context.media, refuse_rows=False))
    source = f"chat:{channel}"
    table = read_json_payload([{k: v for k, v in record.items() if v is not None}], source)
    import_table(engine, table, context, filename=f"{source} {external_id}", profile="open311", source=source)
