"""Rate limits (429 with Retry-After, per address and per key), body-size limits (413) and request logs without
secrets."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.limits import Limits, RateLimiter
from data.api_keys import add_key
from data.config import load_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _client(engine: Engine, clock: FakeClock, **limits: int) -> TestClient:
    app = create_app(engine, load_settings(), limits=Limits(**limits), limiter=RateLimiter(clock=clock))
    return TestClient(app)


def test_address_limit_answers_429_with_retry_after(sqlite_engine: Engine, clock: FakeClock) -> None:
    client = _client(sqlite_engine, clock, per_address_per_minute=6, burst=3)
    assert [client.get("/api/v1/stations").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/stations")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"  # 6 a minute: one every 10 s
    assert "too many requests" in refused.json()["error"]
    clock.now += 10
    assert client.get("/api/v1/stations").status_code == 200
    assert client.get("/open311/v2/services.json").json()[0]["code"] == 429  # Open311 paths: the spec's format


def test_keyed_clients_have_their_own_bucket(sqlite_engine: Engine, clock: FakeClock) -> None:
    client = _client(sqlite_engine, clock, per_address_per_minute=6, per_key_per_minute=60, burst=2)
    for _ in range(2):
        client.get("/api/v1/stations")
    assert client.get("/api/v1/stations").status_code == 429
    assert client.get("/api/v1/stations", headers={"X-API-Key": "k1"}).status_code == 200


def test_post_counts_against_the_key(loaded_engine: Engine, clock: FakeClock) -> None:
    key = add_key(loaded_engine, "bridge")
    client = _client(loaded_engine, clock, per_address_per_minute=600, per_key_per_minute=6, burst=1)
    form = {"api_key": key, "service_code": "noise", "lat": "21.0288", "long": "105.8523"}
    headers = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/open311/v2/requests.json", content=urlencode(form), headers=headers).status_code == 200
    refused = client.post("/open311/v2/requests.json", content=urlencode(form), headers=headers)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()[0]["code"] == 429


def test_body_size_limit(sqlite_engine: Engine, clock: FakeClock) -> None:
    client = _client(sqlite_engine, clock, max_body_bytes=1024)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    big = "description=" + "x" * 2000
    response = client.post("/open311/v2/requests.json", content=big, headers=headers)
    assert response.status_code == 413 and response.json()[0]["code"] == 413

    def chunks():  # no Content-Length: counted while read
        for _ in range(4):
            yield b"x" * 600

    streamed = client.post("/open311/v2/requests.json", content=chunks(), headers=headers)
    assert streamed.status_code == 413


def test_request_log_has_no_secret(sqlite_engine: Engine, clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    client = _client(sqlite_engine, clock)
    with caplog.at_level(logging.INFO, logger="envmon.api"):
        client.get("/api/v1/stations", params={"api_key": "em_supersecret"})
        client.post("/open311/v2/requests.json", content="api_key=em_formsecret&service_code=x",
                    headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "envmon.api"]
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/api/v1/stations", 200),
        ("POST", "/open311/v2/requests.json", 403),
    ]
    assert lines[0]["client"] == "key" and lines[1]["client"] == "ip"
    assert "secret" not in caplog.text


def test_limits_come_from_settings(sqlite_engine: Engine, clock: FakeClock) -> None:
    settings = load_settings(api_address_per_minute=12, api_burst=2, api_max_body_kib=1)
    assert Limits.from_settings(settings) == Limits(per_address_per_minute=12, per_key_per_minute=600, burst=2,
                                                    max_body_bytes=1024)  # fmt: skip
    client = TestClient(create_app(sqlite_engine, settings, limiter=RateLimiter(clock=clock)))
    assert [client.get("/api/v1/stations").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/stations").headers["retry-after"] == "5"  # 12 a minute: one every 5 s
    big = client.post("/open311/v2/requests.json", content="description=" + "x" * 1100,
                      headers={"content-type": "application/x-www-form-urlencoded", "X-API-Key": "k"})  # fmt: skip
    assert big.status_code == 413
