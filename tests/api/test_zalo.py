"""Zalo OA webhook on both back ends: signature good/bad/missing (nothing stored when bad), a follower's text,
photo and location become one report through the pipeline, replays never duplicate, unknown events logged once."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.webhooks import ZaloAdapter, flush
from data.config import load_settings
from data.intake_zalo import sign
from data.schema import ComplaintCase, ComplaintReport, IntakeMessage

APP_ID, SECRET = "1234567890", "oa-secret-key"
T0 = dt.datetime(2026, 12, 4, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def zalo(loaded_engine: Engine, movable_clock, no_network: None):
    clock = movable_clock(T0)
    app = create_app(loaded_engine, load_settings(boundary_set="hanoi-2025"), clock=clock,
                     adapters={"zalo": ZaloAdapter(APP_ID, SECRET)})  # fmt: skip
    return TestClient(app), app, clock, loaded_engine


def _event(name: str, msg_id: str, sender: str = "follower-1", **message: object) -> bytes:
    payload = {"app_id": APP_ID, "event_name": name, "timestamp": str(int(T0.timestamp() * 1000)),
               "sender": {"id": sender}, "recipient": {"id": "oa-1"}, "user_id_by_app": "u1",
               "message": {"msg_id": msg_id, **message}}  # fmt: skip
    return json.dumps(payload, ensure_ascii=False).encode()


def _post(client: TestClient, body: bytes, signature: str | None = "sign"):
    headers = {"content-type": "application/json"}
    if signature == "sign":
        headers["X-ZEvent-Signature"] = sign(body, app_id=APP_ID, secret=SECRET)
    elif signature is not None:
        headers["X-ZEvent-Signature"] = signature
    return client.post("/webhooks/zalo", content=body, headers=headers)


TEXT = _event("user_send_text", "m1", text="Khói đốt rác rất nhiều ở ngõ 12")
IMAGE = _event("user_send_image", "m2", attachments=[{"type": "image", "payload": {"url": "https://zalo.example/p.jpg", "thumbnail": "https://zalo.example/t.jpg"}}])  # noqa: E501
LOCATION = _event("user_send_location", "m3", attachments=[{"type": "location", "payload": {"coordinates": {"latitude": "21.0288", "longitude": "105.8523"}}}])  # noqa: E501



def test_text_photo_location_become_one_report(zalo, count_rows) -> None:
    client, app, clock, engine = zalo
    for body in (TEXT, IMAGE, LOCATION):
        response = _post(client, body)
        assert response.status_code == 200 and response.json()["stored"] == 1
    assert count_rows(engine, ComplaintReport) == 0  # the follower may still be sending
    clock.now = T0 + dt.timedelta(minutes=11)
    assert flush(app.state.context) == ["zalo-m1"]
    with engine.connect() as conn:
        report = conn.execute(select(ComplaintReport)).one()
        case = conn.execute(select(ComplaintCase)).one()
    assert "Khói đốt rác" in report.description and "https://zalo.example/p.jpg" in report.description
    assert (report.lat, report.lon) == (21.0288, 105.8523) and report.channel == "Zalo OA"
    assert case.category_code == "burning_smoke" and case.ward_code is not None
    assert flush(app.state.context) == []  # nothing waits any more


def test_replayed_events_never_duplicate(zalo, count_rows) -> None:
    client, app, clock, engine = zalo
    for body in (TEXT, LOCATION, TEXT, LOCATION):
        assert _post(client, body).status_code == 200
    assert count_rows(engine, IntakeMessage) == 2
    clock.now = T0 + dt.timedelta(minutes=11)
    flush(app.state.context)
    assert _post(client, TEXT).json()["stored"] == 0  # replayed after the report was made
    clock.now = T0 + dt.timedelta(minutes=30)
    assert flush(app.state.context) == []
    assert count_rows(engine, ComplaintReport) == 1


@pytest.mark.parametrize("signature", [None, "", "mac=" + "0" * 64, "sha256=abc"])
def test_bad_or_missing_signature_stores_nothing(zalo, signature: str | None, count_rows) -> None:
    client, _, _, engine = zalo
    response = _post(client, TEXT, signature=signature)
    assert response.status_code == 401 and "signature" in response.json()["error"]
    assert count_rows(engine, IntakeMessage) == 0


def test_signature_over_the_exact_body(zalo, count_rows) -> None:
    client, _, _, engine = zalo
    header = sign(TEXT, app_id=APP_ID, secret=SECRET)
    tampered = TEXT.replace("ngõ 12".encode(), "ngõ 13".encode())
    response = client.post("/webhooks/zalo", content=tampered, headers={"X-ZEvent-Signature": header})
    assert response.status_code == 401 and count_rows(engine, IntakeMessage) == 0


def test_unknown_events_ignored_and_logged_once(zalo, caplog: pytest.LogCaptureFixture, count_rows) -> None:
    client, _, _, engine = zalo
    seen = _event("user_seen_message", "m9")
    with caplog.at_level(logging.INFO, logger="envmon.api.webhooks"):
        assert _post(client, seen).json() == {"ok": True, "stored": 0}
        assert _post(client, seen).status_code == 200
    ignored = [r for r in caplog.records if "webhook_ignored" in r.getMessage()]
    assert len(ignored) == 1 and "user_seen_message" in ignored[0].getMessage()
    assert count_rows(engine, IntakeMessage) == 0


def test_two_followers_two_reports(zalo, count_rows) -> None:
    client, app, clock, engine = zalo
    _post(client, TEXT)
    _post(client, _event("user_send_text", "n1", sender="follower-2", text="Nước thải đen chảy ra sông Tô Lịch"))
    clock.now = T0 + dt.timedelta(minutes=11)
    assert sorted(flush(app.state.context)) == ["zalo-m1", "zalo-n1"]
    assert count_rows(engine, ComplaintReport) == 2


def test_unconfigured_channel_is_404(loaded_engine: Engine) -> None:
    client = TestClient(create_app(loaded_engine, load_settings(), adapters={}))
    assert client.post("/webhooks/zalo", content=TEXT).status_code == 404
