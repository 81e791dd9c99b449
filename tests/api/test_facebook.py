"""Facebook Page webhook on both back ends, with deliveries in Facebook's documented format
(tests/fixtures/facebook_webhook): the hub.challenge subscription check, X-Hub-Signature-256 good/bad/missing
(nothing stored when bad), a follower's text, photo and location becoming ONE report through the same grouping
and storing path as Zalo, several senders in one delivery, replays never duplicating, non-message events ignored
and logged once."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.webhooks import FacebookAdapter, ZaloAdapter, flush
from data.config import load_settings
from data.intake_facebook import sign
from data.schema import ComplaintCase, ComplaintReport, IntakeMessage

SECRET, VERIFY = "fb-app-secret", "verify-me-4821"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "facebook_webhook"
BODIES = {path.stem: path.read_bytes().strip() for path in FIXTURES.glob("*.json")}
T0 = dt.datetime.fromtimestamp(json.loads(BODIES["text"])["entry"][0]["messaging"][0]["timestamp"] / 1000, dt.UTC)


@pytest.fixture
def facebook(loaded_engine: Engine, movable_clock, no_network: None):
    clock = movable_clock(T0)
    app = create_app(loaded_engine, load_settings(boundary_set="hanoi-2025"), clock=clock,
                     adapters={"facebook": FacebookAdapter(SECRET, VERIFY), "zalo": ZaloAdapter("1", "z")})  # fmt: skip
    return TestClient(app), app, clock, loaded_engine


def _post(client: TestClient, body: bytes, signature: str | None = "sign"):
    headers = {"content-type": "application/json"}
    if signature == "sign":
        headers["X-Hub-Signature-256"] = sign(body, app_secret=SECRET)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks/facebook", content=body, headers=headers)



def test_subscription_check(facebook) -> None:
    client, *_ = facebook
    ok = client.get("/webhooks/facebook", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                                  "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status_code == 200 and ok.text == "1158201444" and ok.headers["content-type"].startswith("text/plain")
    for params in ({"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
                   {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"}, {}):  # fmt: skip
        refused = client.get("/webhooks/facebook", params=params)
        assert refused.status_code == 403 and "verify token" in refused.json()["error"]
    assert client.get("/webhooks/zalo", params={"hub.mode": "subscribe"}).status_code == 403  # Zalo has none


def test_text_photo_location_become_one_report(facebook, count_rows) -> None:
    client, app, clock, engine = facebook
    for name in ("text", "image", "location"):
        response = _post(client, BODIES[name])
        assert response.status_code == 200 and response.json()["stored"] == 1, name
    assert count_rows(engine, ComplaintReport) == 0  # the follower may still be sending
    clock.now = T0 + dt.timedelta(minutes=12)
    [made] = flush(app.state.context)
    assert made.startswith("facebook-m_AG5Hz2Uq")
    with engine.connect() as conn:
        report = conn.execute(select(ComplaintReport)).one()
        case = conn.execute(select(ComplaintCase)).one()
    assert "Khói đốt rác" in report.description and "scontent.xx.fbcdn.net" in report.description
    assert (report.lat, report.lon) == (21.0288, 105.8523) and report.channel == "Facebook"
    assert case.category_code == "burning_smoke" and case.ward_code is not None
    assert flush(app.state.context) == []


def test_one_delivery_with_two_senders_makes_two_reports(facebook, count_rows) -> None:
    client, app, clock, engine = facebook
    assert _post(client, BODIES["two_senders"]).json()["stored"] == 2
    clock.now = T0 + dt.timedelta(minutes=15)
    assert sorted(flush(app.state.context)) == ["facebook-m_two_1", "facebook-m_two_2"]
    assert count_rows(engine, ComplaintReport) == 2


def test_replays_never_duplicate(facebook, count_rows) -> None:
    client, app, clock, engine = facebook
    for name in ("text", "location", "text", "location"):
        assert _post(client, BODIES[name]).status_code == 200
    assert count_rows(engine, IntakeMessage) == 2
    clock.now = T0 + dt.timedelta(minutes=12)
    flush(app.state.context)
    assert _post(client, BODIES["text"]).json()["stored"] == 0
    clock.now = T0 + dt.timedelta(minutes=40)
    assert flush(app.state.context) == [] and count_rows(engine, ComplaintReport) == 1


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc"])
def test_bad_or_missing_signature_stores_nothing(facebook, signature: str | None, count_rows) -> None:
    client, _, _, engine = facebook
    response = _post(client, BODIES["text"], signature=signature)
    assert response.status_code == 401 and count_rows(engine, IntakeMessage) == 0


def test_signature_over_the_exact_body(facebook, count_rows) -> None:
    client, _, _, engine = facebook
    header = sign(BODIES["text"], app_secret=SECRET)
    tampered = BODIES["text"].replace("ngõ 12".encode(), "ngõ 13".encode())
    response = client.post("/webhooks/facebook", content=tampered, headers={"X-Hub-Signature-256": header})
    assert response.status_code == 401 and count_rows(engine, IntakeMessage) == 0


def test_deliveries_reads_echoes_postbacks_ignored_and_logged_once(facebook, caplog, count_rows) -> None:
    client, _, _, engine = facebook
    with caplog.at_level(logging.INFO, logger="envmon.api.webhooks"):
        assert _post(client, BODIES["not_reports"]).json() == {"ok": True, "stored": 0}
        assert _post(client, BODIES["not_reports"]).status_code == 200
    ignored = [r for r in caplog.records if "webhook_ignored" in r.getMessage()]
    assert len(ignored) == 1 and "facebook" in ignored[0].getMessage()
    assert count_rows(engine, IntakeMessage) == 0
