"""Feed faults through the real HTTP feed and the poller: connection resets, 5xx storms, truncated JSON,
schema drift, clock skew, duplicate and late batches. The poller keeps going, the status goes STALE then
UNAVAILABLE, and once the source recovers every reading is stored exactly once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import requests
import responses
from sqlalchemy import Engine, select

from data.schema import QuarantineRow, Reading
from monitoring.feeds.generic_http import HttpFeed
from monitoring.poller import FeedSpec, FeedStatus, feed_status, read_health, run_once

URL = "https://portal.example/api/readings"
MAPPING = {"station_id": "station", "parameter": "indicator", "value": "value", "unit": "unit", "observed_at": "time"}
T0 = dt.datetime(2025, 3, 15, 4, 0, tzinfo=dt.UTC)  # 11:00 in Hà Nội
HOUR = dt.timedelta(hours=1)
ICT = dt.timezone(dt.timedelta(hours=7))


def _record(local_hour: int, value: float) -> dict[str, object]:
    return {"station": "FAULT1", "indicator": "PM2.5", "value": value, "unit": "µg/m3",
            "time": f"2025-03-15 {local_hour:02d}:00:00"}  # fmt: skip


def _ok(*hours: int) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], str]]:
    body = json.dumps({"data": [_record(hour, 10.0 + hour) for hour in hours]})
    return lambda _request: (200, {"Content-Type": "application/json"}, body)


def _status(code: int) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], str]]:
    return lambda _request: (code, {}, "<html>upstream error</html>")


def _reset(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    raise requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'reset by peer'))")


def _truncated(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, json.dumps({"data": [_record(12, 1.0)]})[:40]


def _drifted(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    renamed = [{**{k: v for k, v in _record(12, 1.0).items() if k != "value"}, "gia_tri": 1.0}]
    return 200, {"Content-Type": "application/json"}, json.dumps({"data": renamed})


class Script:
    """Serves one scripted answer per request, recording the requested URLs."""

    def __init__(self, answers: list[Callable[[requests.PreparedRequest], Any]]) -> None:
        self.answers = list(answers)
        self.urls: list[str] = []

    def __call__(self, request: requests.PreparedRequest) -> Any:
        self.urls.append(request.url or "")
        return self.answers.pop(0)(request)


def _stored(engine: Engine) -> list[tuple[dt.datetime, float]]:
    with engine.connect() as conn:
        query = select(Reading.observed_at, Reading.value).where(Reading.station_id == "FAULT1")
        return sorted(tuple(row) for row in conn.execute(query).all())


@responses.activate
def test_poller_rides_out_every_fault_and_loses_or_duplicates_nothing(engine: Engine) -> None:
    future = _ok(9, 10, 11, 12, 13, 14, 15, 7)  # on recovery: overlap, new hours, and a late 07:00
    skewed = json.loads(future(None)[2])  # type: ignore[arg-type]
    skewed["data"].append(_record(23, 99.0))  # 23:00 local while it is 16:00: a skewed clock
    recovered = json.dumps(skewed)
    script = Script(
        [
            _ok(8, 9, 10),  # poll 1 (11:00 local): fine
            _status(503), _status(500),  # poll 2: a 5xx storm, both attempts
            _reset, _reset,  # poll 3: connection resets
            _truncated,  # poll 4: truncated JSON (a schema error: not retried)
            _drifted,  # poll 5: the value field was renamed (schema drift)
            lambda _r: (200, {"Content-Type": "application/json"}, recovered),  # poll 6: back, with skew + late data
            lambda _r: (200, {"Content-Type": "application/json"}, recovered),  # poll 7: the same batch again
        ]
    )  # fmt: skip
    responses.add_callback(responses.GET, URL, callback=script)
    feed = HttpFeed("portal", requests.Session(), url=URL, mapping=MAPPING, records_path="data",
                    timezone="Asia/Ho_Chi_Minh", since_param="from")  # fmt: skip
    spec = FeedSpec(feed, interval=HOUR, stale_after=3 * HOUR, retries=1, backoff_seconds=1.0)
    statuses, results = [], []
    for poll in range(7):
        now = T0 + poll * HOUR
        results.append(run_once(engine, [spec], now, sleep=lambda _s: None)["portal"])
        statuses.append(feed_status(read_health(engine, "portal"), now, HOUR, 3 * HOUR))

    assert [r.ok for r in results] == [True, False, False, False, False, True, True]
    assert [r.attempts for r in results] == [1, 2, 2, 1, 1, 1, 1]
    assert "HTTP 500" in (results[1].error or "") and "ConnectionError" in (results[2].error or "")
    assert "not JSON" in (results[3].error or "") and "gia_tri" not in (results[4].error or "x")
    assert "value" in (results[4].error or "")
    assert statuses == [FeedStatus.OK, FeedStatus.STALE, FeedStatus.STALE, FeedStatus.STALE,
                        FeedStatus.UNAVAILABLE, FeedStatus.OK, FeedStatus.OK]  # fmt: skip
    recovery, repeat = results[5].summary, results[6].summary
    assert (recovery.accepted, recovery.duplicates, recovery.quarantined) == (6, 2, 1)
    assert (repeat.accepted, repeat.duplicates, repeat.quarantined) == (0, 8, 1)

    expected = [(dt.datetime(2025, 3, 15, hour, tzinfo=ICT).astimezone(dt.UTC), 10.0 + hour) for hour in range(7, 16)]
    assert _stored(engine) == expected  # 07:00-15:00 local, each hour once; nothing from the future
    health = read_health(engine, "portal")
    assert health.checkpoint == {"latest": "2025-03-15T08:00:00+00:00"}  # 15:00 local, not the skewed 23:00
    assert "from=2025-03-15T05%3A00%3A00%2B00%3A00" in script.urls[-1]  # checkpoint − 3 h overlap
    with engine.connect() as conn:
        reasons = conn.execute(select(QuarantineRow.reason).where(QuarantineRow.field == "observed_at")).scalars()
        assert all("in the future" in reason for reason in reasons)


class UnmovableDropFolder:
    """A feed whose post-commit acknowledgement (moving files away) fails, as on a full or read-only disk."""

    name = "unmovable"
    kind = "air"

    def __init__(self) -> None:
        self.inner = HttpFeed(
            "unmovable", requests.Session(), url=URL, mapping=MAPPING, records_path="data", timezone="Asia/Ho_Chi_Minh"
        )

    def fetch(self, checkpoint: dict[str, Any], now: dt.datetime) -> Any:
        return self.inner.fetch(checkpoint, now)

    def acknowledge(self, batch: Any) -> None:
        raise OSError(28, "No space left on device")


@responses.activate
def test_a_failing_acknowledgement_does_not_stop_the_poller(sqlite_engine: Engine) -> None:
    responses.add_callback(responses.GET, URL, callback=Script([_ok(8, 9), _ok(8, 9, 10)]))
    spec = FeedSpec(UnmovableDropFolder(), interval=HOUR, stale_after=3 * HOUR, retries=0)
    first = run_once(sqlite_engine, [spec], T0)["unmovable"]
    second = run_once(sqlite_engine, [spec], T0 + HOUR)["unmovable"]
    assert first.ok and second.ok
    assert (first.summary.accepted, second.summary.accepted, second.summary.duplicates) == (2, 1, 2)
    assert len(_stored(sqlite_engine)) == 3
