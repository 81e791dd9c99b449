"""Rate limits (429 with Retry-After, per address and per key, shared by every API worker), body-size limits (413)
and request logs without secrets."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.limits import Limits, RateLimiter
from bench._common import free_port
from data import rate_limits
from data.api_keys import add_key
from data.config import load_settings
from data.db import make_engine, migrate
from data.rate_limits import bucket_engine

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _client(engine: Engine, clock: FakeClock, **limits: int) -> TestClient:
    app = create_app(
        engine, load_settings(), limits=Limits(**limits), limiter=RateLimiter(bucket_engine(engine), clock=clock)
    )
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
    client = TestClient(create_app(sqlite_engine, settings, limiter=RateLimiter(sqlite_engine, clock=clock)))
    assert [client.get("/api/v1/stations").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/api/v1/stations").headers["retry-after"] == "5"  # 12 a minute: one every 5 s
    big = client.post("/open311/v2/requests.json", content="description=" + "x" * 1100,
                      headers={"content-type": "application/x-www-form-urlencoded", "X-API-Key": "k"})  # fmt: skip
    assert big.status_code == 413


def test_shared_buckets_grant_exactly_the_burst_to_concurrent_takes(engine: Engine) -> None:
    """Eight threads (like eight workers) taking at once from one bucket: exactly ``burst`` allowed, on both
    engines, then one more per interval."""
    buckets = bucket_engine(engine)
    now = 1_000_000.0

    def takes(_: int) -> list[float]:
        return [rate_limits.take(buckets, "ip:10.0.0.1", 60, 25, now).wait for _ in range(10)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = [wait for batch in pool.map(takes, range(8)) for wait in batch]
    assert waits.count(0.0) == 25 and all(0 < wait <= 1.0 for wait in waits if wait)  # 60 a minute: one a second
    assert rate_limits.take(buckets, "ip:10.0.0.1", 60, 25, now + 1.0) == rate_limits.Taken(0.0, 0.0)
    assert rate_limits.take(buckets, "ip:10.0.0.1", 60, 25, now + 1.0).wait == pytest.approx(1.0)
    assert rate_limits.take(buckets, "ip:10.0.0.2", 60, 25, now, count=5) == rate_limits.Taken(0.0, 20.0)
    assert rate_limits.take(buckets, "ip:10.0.0.2", 60, 25, now, count=21).wait == pytest.approx(1.0)  # all or none
    assert rate_limits.forget_full_buckets(buckets, now + 27.0) == 2  # both full again: rows dropped


def test_a_refusal_never_asks_to_wait_longer_than_one_interval(engine: Engine) -> None:
    """A worker whose clock reading is older than the one that emptied the bucket (another worker's) still
    answers at most one interval (a Retry-After of 11 s for one token every 10 s was seen with 2 workers)."""
    buckets = bucket_engine(engine)
    now = 1_000_000.0
    assert rate_limits.take(buckets, "ip:10.0.0.3", 6, 10, now + 0.5, count=10).wait == 0.0  # emptied later on
    assert rate_limits.take(buckets, "ip:10.0.0.3", 6, 10, now).wait == pytest.approx(10.0)


def test_far_below_the_limit_a_worker_takes_tokens_ahead(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy client far below its limit costs a database write per chunk of tokens, not per request; near the
    limit two workers (two limiters, one bucket) grant exactly the burst between them."""
    writes = []
    take = rate_limits.take
    monkeypatch.setattr(rate_limits, "take", lambda *args, **kw: writes.append(args) or take(*args, **kw))
    clock = FakeClock()
    buckets = bucket_engine(sqlite_engine)
    busy = RateLimiter(buckets, clock=clock)
    assert all(busy.take("key:busy", 60_000, 1_000) == 0.0 for _ in range(300))
    assert len(writes) <= 5  # chunks of a tenth of what is left (at most 100)
    workers = [RateLimiter(buckets, clock=clock), RateLimiter(buckets, clock=clock)]
    granted = [workers[n % 2].take("ip:10.0.0.9", 60, 20) == 0.0 for n in range(40)]
    assert granted.count(True) == 20 and not any(granted[20:])


def test_a_busy_client_s_next_chunk_is_taken_before_its_tokens_run_out(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Far below the limit the next chunk is taken ahead (off the request path), so the requests keep being
    granted from held tokens; the bucket is never overdrawn, and near the limit nothing is taken ahead."""
    writes = []
    take = rate_limits.take
    monkeypatch.setattr(rate_limits, "take", lambda *args, **kw: writes.append(args[-1]) or take(*args, **kw))
    clock = FakeClock()
    limiter = RateLimiter(bucket_engine(sqlite_engine), clock=clock)
    assert limiter.take("key:busy", 60_000, 1_000) == 0.0  # the request path: one token, and a chunk of 1 to come
    assert limiter.take("key:busy", 60_000, 1_000) == 0.0 and writes == [1, 99]  # then a tenth of what is left
    granted = refills = 0
    while granted < 500:
        assert limiter.take_held("key:busy")  # never falls back to the request path's take
        granted += 1
        if limiter.running_low("key:busy"):
            limiter.refill("key:busy", 60_000, 1_000)
            refills += 1
    assert refills == len(writes) - 2 >= 4 and all(count > 1 for count in writes[2:])
    assert sum(writes) <= 1_000  # what was taken from the shared bucket, never more than it holds

    writes.clear()
    near = RateLimiter(bucket_engine(sqlite_engine), clock=clock)
    assert near.take("ip:10.0.0.7", 60, 5) == 0.0  # a chunk of one: at most a tenth of 4 left
    assert not near.running_low("ip:10.0.0.7")
    near.refill("ip:10.0.0.7", 60, 5)
    assert writes == [1]  # the refill took nothing


@pytest.mark.slow
def test_two_api_workers_share_one_limit(tmp_path: Path) -> None:
    """``envmon api --workers 2`` on loopback: 60 requests from one address on fresh connections (spread over
    both workers) get the burst of 10, not 10 per worker."""
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    migrate(make_engine(url))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "ENVMON_VAR_DIR": str(tmp_path / "var"),
           "ENVMON_CONFIG": str(tmp_path / "absent.toml"), "ENVMON_API_ADDRESS_PER_MINUTE": "6",
           "ENVMON_API_BURST": "10", "ENVMON_API_INTAKE_WORKER": "false"}  # fmt: skip
    command = [sys.executable, "-m", "cli", "api", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with (tmp_path / "api.log").open("w") as log:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, server, tmp_path / "api.log")
        with ThreadPoolExecutor(max_workers=15) as pool:
            answers = list(pool.map(lambda _: _get(f"http://127.0.0.1:{port}/api/v1/stations"), range(60)))
    finally:
        server.terminate()
        server.wait(timeout=30)
    statuses = [status for status, _retry in answers]
    assert statuses.count(200) in {10, 11}, statuses  # 11: one token refilled (one every 10 s) during the run
    assert statuses.count(429) == 60 - statuses.count(200)
    assert all(retry and 1 <= int(retry) <= 10 for status, retry in answers if status == 429)


def _get(url: str) -> tuple[int, str | None]:
    """Status and Retry-After of one GET on a new connection."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Retry-After")


def _wait_for_port(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    """Block until the API on ``port`` accepts connections (its workers have started)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            time.sleep(3)  # the listening socket is open before both workers serve: give them time
            return
        time.sleep(0.3)
    pytest.fail(f"the API did not start: {log.read_text()[-2000:]}")
