"""Zalo OA attachments become the report's media: a follower's photo (served on loopback) is stored without
metadata, attached to the report, and places the report when no location message came."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.webhooks import ZaloAdapter, flush
from data.config import load_settings
from data.intake_zalo import sign
from data.media import media_file
from data.schema import CaseAttachment, ComplaintReport, MediaObject
from tests.media.metadata import assert_no_metadata
from tests.media.samples import HOAN_KIEM

APP_ID, SECRET = "1234567890", "oa-secret-key"
T0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)


class _Clock:
    """A clock set by hand (``clock.now = …``): the webhook's grouping window."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _event(name: str, msg_id: str, **message: object) -> bytes:
    payload = {
        "app_id": APP_ID,
        "event_name": name,
        "timestamp": str(int(T0.timestamp() * 1000)),
        "sender": {"id": "follower-1"},
        "recipient": {"id": "oa-1"},
        "message": {"msg_id": msg_id, **message},
    }
    return json.dumps(payload, ensure_ascii=False).encode()


def _attachment(kind: str, url: str) -> dict[str, object]:
    return {"type": kind, "payload": {"url": url, "thumbnail": url}}


def test_photo_video_and_a_dead_link_from_zalo(
    loaded_engine: Engine,
    server: str,
    media_dir: Path,
    no_network: None,
) -> None:
    clock = _Clock(T0)
    settings = load_settings(boundary_set="hanoi-2025", media_dir=media_dir, media_fetch_private=True)
    app = create_app(loaded_engine, settings, clock=clock, adapters={"zalo": ZaloAdapter(APP_ID, SECRET)})
    client = TestClient(app)
    bodies = [
        _event("user_send_text", "m1", text="Bãi rác tự phát cạnh hồ"),
        _event("user_send_image", "m2", attachments=[_attachment("image", f"{server}/gps.jpg")]),
        _event("user_send_video", "m3", attachments=[_attachment("video", f"{server}/clip.mp4")]),
        _event("user_send_image", "m4", attachments=[_attachment("image", f"{server}/expired.jpg")]),
    ]
    for body in bodies:
        headers = {"content-type": "application/json", "X-ZEvent-Signature": sign(body, app_id=APP_ID, secret=SECRET)}
        assert client.post("/webhooks/zalo", content=body, headers=headers).status_code == 200
    clock.now = T0 + dt.timedelta(minutes=11)
    assert flush(app.state.context) == ["zalo-m1"]
    with loaded_engine.connect() as conn:
        report = conn.execute(select(ComplaintReport)).one()
        attachments = conn.execute(select(CaseAttachment)).all()
        objects = {row.sha256: row for row in conn.execute(select(MediaObject))}
    assert (report.lat, report.lon) == pytest.approx(HOAN_KIEM, abs=1e-5) and report.location_from_photo
    assert report.ward_code is not None
    assert sorted(row.original_name for row in attachments) == ["clip.mp4", "gps.jpg"]  # the dead link skipped
    assert {row.case_id for row in attachments} == {report.case_id}
    assert "expired.jpg" in report.description  # still named in the report for the operator
    photo = next(sha for sha, row in objects.items() if row.kind == "photo")
    assert_no_metadata(media_file(media_dir, photo))
