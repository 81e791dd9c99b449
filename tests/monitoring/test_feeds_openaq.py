"""OpenAQ v3 connector against recorded-style responses: happy path, checkpoint overlap, errors, 429."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from data.http_client import RateLimiter, parse_retry_after
from monitoring.errors import (
    FeedAuthError,
    FeedRateLimitedError,
    FeedSchemaError,
    FeedTimeoutError,
    FeedUnavailableError,
)
from monitoring.feeds.openaq import OpenAQFeed, parse_hours

BASE = "https://api.openaq.org"
NOW = dt.datetime(2025, 4, 20, 6, 30, tzinfo=dt.UTC)


@pytest.fixture
def payloads(fixtures_dir: Path) -> dict[str, object]:
    folder = fixtures_dir / "openaq"
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")}


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _feed(sleeps: Sleeps | None = None, **kwargs: object) -> OpenAQFeed:
    return OpenAQFeed(
        "openaq-test",
        requests.Session(),
        api_key="secret-key",
        location_ids=[2161296],
        sleep=sleeps if sleeps is not None else Sleeps(),
        clock=lambda: 0.0,
        **kwargs,
    )


def _register_location(payloads: dict[str, object]) -> None:
    responses.get(
        f"{BASE}/v3/locations/2161296",
        json=payloads["location_2161296"],
        match=[matchers.header_matcher({"X-API-Key": "secret-key"})],
    )


@responses.activate
def test_happy_path_returns_canonical_readings_and_station(payloads: dict[str, object]) -> None:
    _register_location(payloads)
    responses.get(f"{BASE}/v3/sensors/7772024/hours", json=payloads["hours_7772024"])
    responses.get(f"{BASE}/v3/sensors/7772025/hours", json=payloads["hours_7772025"])
    batch = _feed().fetch({}, NOW)
    readings = batch.readings
    assert len(readings) == 9 and batch.rejects == []
    assert set(readings["station_id"]) == {"openaq-2161296"}
    pm25 = readings[readings["parameter"] == "pm25"].set_index("observed_at")["value"]
    assert pm25[dt.datetime(2025, 4, 20, 1, tzinfo=dt.UTC)] == pytest.approx(41.2)
    no2 = readings[readings["parameter"] == "no2"]
    assert set(no2["unit"]) == {"µg/m³"}
    assert no2["value"].iloc[0] == pytest.approx(21.0 * 46.01 / 24.45)
    station = batch.stations.iloc[0]
    assert (station["id"], station["name"], station["lat"]) == ("openaq-2161296", "Đào Duy Từ", 21.0354)
    assert batch.checkpoint == {
        "sensors": {"7772024": "2025-04-20T06:00:00+00:00", "7772025": "2025-04-20T03:00:00+00:00"}
    }
    hours_request = responses.calls[1].request
    assert "datetime_from=2025-04-19T06%3A30%3A00Z" in hours_request.url  # 24-h backfill on the first poll


@responses.activate
def test_next_poll_starts_an_overlap_before_the_checkpoint(payloads: dict[str, object]) -> None:
    _register_location(payloads)
    later = responses.get(f"{BASE}/v3/sensors/7772024/hours", json=payloads["hours_7772024_later"])
    responses.get(f"{BASE}/v3/sensors/7772025/hours", json=payloads["hours_empty"])
    checkpoint = {"sensors": {"7772024": "2025-04-20T06:00:00+00:00", "7772025": "2025-04-20T03:00:00+00:00"}}
    batch = _feed().fetch(checkpoint, NOW + dt.timedelta(hours=2))
    assert "datetime_from=2025-04-20T03%3A00%3A00Z" in later.calls[0].request.url
    assert len(batch.readings) == 3  # hour 06:00 again (a duplicate to the store), 07:00 and 08:00 new
    assert batch.checkpoint["sensors"] == {
        "7772024": "2025-04-20T08:00:00+00:00",
        "7772025": "2025-04-20T03:00:00+00:00",
    }


@responses.activate
def test_429_waits_retry_after_then_succeeds(payloads: dict[str, object]) -> None:
    sleeps = Sleeps()
    responses.get(f"{BASE}/v3/locations/2161296", status=429, headers={"Retry-After": "17"}, json={"detail": "slow"})
    _register_location(payloads)
    responses.get(f"{BASE}/v3/sensors/7772024/hours", json=payloads["hours_7772024"])
    responses.get(f"{BASE}/v3/sensors/7772025/hours", json=payloads["hours_7772025"])
    batch = _feed(sleeps).fetch({}, NOW)
    assert sleeps == [17.0]
    assert len(batch.readings) == 9


@responses.activate
def test_429_beyond_the_retries_raises_with_retry_after() -> None:
    sleeps = Sleeps()
    responses.get(f"{BASE}/v3/locations/2161296", status=429, headers={"Retry-After": "5"})
    with pytest.raises(FeedRateLimitedError) as caught:
        _feed(sleeps, max_retries=2).fetch({}, NOW)
    assert caught.value.retry_after == 5.0
    assert sleeps == [5.0, 5.0]


@responses.activate
@pytest.mark.parametrize(
    ("status", "error"),
    [(500, FeedUnavailableError), (503, FeedUnavailableError), (504, FeedTimeoutError), (401, FeedAuthError)],
)
def test_error_statuses_map_to_feed_errors(status: int, error: type[Exception]) -> None:
    responses.get(f"{BASE}/v3/locations/2161296", status=status, body="upstream trouble")
    with pytest.raises(error, match=f"HTTP {status}"):
        _feed().fetch({}, NOW)


@responses.activate
def test_timeout_becomes_feed_timeout() -> None:
    responses.get(f"{BASE}/v3/locations/2161296", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(FeedTimeoutError, match="timeout"):
        _feed().fetch({}, NOW)


@responses.activate
def test_every_request_carries_a_timeout(payloads: dict[str, object]) -> None:
    seen: list[object] = []

    class RecordingSession(requests.Session):
        def get(self, url, **kwargs):  # type: ignore[no-untyped-def, override]
            seen.append(kwargs.get("timeout"))
            return super().get(url, **kwargs)

    _register_location(payloads)
    responses.get(f"{BASE}/v3/sensors/7772024/hours", json=payloads["hours_empty"])
    responses.get(f"{BASE}/v3/sensors/7772025/hours", json=payloads["hours_empty"])
    OpenAQFeed("t", RecordingSession(), api_key="secret-key", location_ids=[2161296], timeout=(3, 9)).fetch({}, NOW)
    assert seen == [(3, 9)] * 3


@responses.activate
def test_malformed_payloads_raise_schema_errors(payloads: dict[str, object]) -> None:
    _register_location(payloads)
    responses.get(f"{BASE}/v3/sensors/7772024/hours", json=payloads["hours_malformed_missing_period"])
    with pytest.raises(FeedSchemaError, match=r"results\[0\].*period.datetimeTo.utc"):
        _feed().fetch({}, NOW)


@responses.activate
def test_non_json_body_is_a_schema_error() -> None:
    responses.get(f"{BASE}/v3/locations/2161296", body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(FeedSchemaError, match="not JSON"):
        _feed().fetch({}, NOW)


def test_parse_hours_stores_the_end_of_each_hour(payloads: dict[str, object]) -> None:
    frame = parse_hours(payloads["hours_7772024"], "openaq-2161296")
    assert list(frame["observed_at"].dt.hour) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(FeedSchemaError, match="'results' list"):
        parse_hours({"meta": {}}, "x")


def test_rate_limiter_allows_sixty_per_minute_then_waits() -> None:
    clock = [0.0]
    sleeps = Sleeps()
    limiter = RateLimiter(60, 60.0, clock=lambda: clock[0], sleep=sleeps)
    for _ in range(60):
        limiter.acquire()
        clock[0] += 0.5
    assert sleeps == []
    limiter.acquire()
    assert sleeps == [pytest.approx(30.0)]


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = dt.datetime(2025, 4, 20, 6, 0, tzinfo=dt.UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Sun, 20 Apr 2025 06:00:45 GMT", now) == 45.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
