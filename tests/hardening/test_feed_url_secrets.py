"""#13.9: a feed's API key or a webhook's token never reaches feeds status, the log, feed_state or the pages."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
from pathlib import Path

import pytest
import requests
import responses
from sqlalchemy import Engine

from cli import main
from data import queries
from data.db import make_engine, migrate
from monitoring.feeds.generic_http import HttpFeed
from monitoring.notify_channels import Message, Receiver, send
from monitoring.poller import FeedSpec, read_health, run_once

KEY = "Zq9apikey"
TOKEN = "Zq9hooktoken"
NOW = dt.datetime(2025, 4, 20, 12, 0, tzinfo=dt.UTC)
MAPPING = {"station_id": "s", "parameter": "p", "value": "v", "unit": "u", "observed_at": "t"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _spec(feed: HttpFeed) -> FeedSpec:
    return FeedSpec(feed, interval=dt.timedelta(hours=1), stale_after=dt.timedelta(hours=3), retries=0)


@pytest.mark.parametrize(
    ("url", "params", "headers"),
    [
        (f"https://portal.example.vn/api?api_key={KEY}", {}, {}),
        ("https://portal.example.vn/api", {"API_KEY": KEY}, {}),
        ("https://portal.example.vn/api", {"token": KEY}, {}),
        (f"https://envmon:{KEY}@portal.example.vn/api", {}, {}),
        ("https://portal.example.vn/api", {}, {"Authorization": f"Bearer {KEY}"}),
    ],
    ids=["key-in-url", "key-param", "token-param", "url-credentials", "bearer-header"],
)
@pytest.mark.parametrize("answer", [401, 404, 500, "not json"])
@responses.activate
def test_failing_http_feed_stores_and_logs_no_secret(engine: Engine, url, params, headers, answer, caplog) -> None:
    body = f"key {KEY} rejected; request {url}"  # servers echo the request back
    if answer == "not json":
        responses.get(url.replace(f"envmon:{KEY}@", ""), body=body, status=200)
    else:
        responses.get(url.replace(f"envmon:{KEY}@", ""), body=body, status=answer)
    feed = HttpFeed("portal", requests.Session(), url=url, mapping=MAPPING, params=params, headers=headers)
    with caplog.at_level(logging.DEBUG):
        [result] = run_once(engine, [_spec(feed)], NOW).values()
    assert not result.ok and "portal.example.vn" in (result.error or "")
    stored = read_health(engine, "portal")
    assert KEY not in (stored.last_error or "") and "***" in (stored.last_error or "")
    assert KEY not in result.error
    assert KEY not in caplog.text
    page = queries.feed_health(engine)  # what the Stations page shows
    assert KEY not in page.to_csv()


def test_closed_port_error_masks_the_key(sqlite_engine: Engine, caplog) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/api"
    feed = HttpFeed("portal", requests.Session(), url=url, mapping=MAPPING, params={"api_key": KEY}, timeout=2)
    with caplog.at_level(logging.DEBUG):
        [result] = run_once(sqlite_engine, [_spec(feed)], NOW).values()
    assert "cannot reach" in (result.error or "")
    assert KEY not in (result.error or "") + caplog.text + str(read_health(sqlite_engine, "portal").last_error)


def test_feeds_poll_and_status_print_no_key(tmp_path: Path, monkeypatch, capsys, caplog) -> None:
    database = f"sqlite:///{tmp_path / 'envmon.db'}"
    migrate(make_engine(database))
    config = tmp_path / "feeds.toml"
    config.write_text(
        f"""
[[feed]]
name = "portal"
type = "http"
url = "http://127.0.0.1:{_closed_port()}/api?api_key={KEY}"
params = {{ token = "{KEY}" }}
retries = 0
timeout_seconds = 2
[feed.mapping]
station_id = "s"
parameter = "p"
value = "v"
unit = "u"
observed_at = "t"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", database)
    assert main(["feeds", "poll", "--once", "--config", str(config)]) == 1
    assert main(["-v", "feeds", "status", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    [status] = json.loads(out.splitlines()[-1])
    assert status["status"] == "UNAVAILABLE" and "cannot reach" in status["last_error"]
    assert KEY not in out + err + caplog.text


@pytest.mark.parametrize("status", [404, 500, "closed"])
@responses.activate
def test_failing_webhook_is_logged_without_its_token(status, caplog) -> None:
    if status == "closed":
        responses.add_passthru("http://127.0.0.1")
        url = f"http://127.0.0.1:{_closed_port()}/services/T01/B02/{TOKEN}?token={TOKEN}"
    else:
        url = f"https://hooks.example.vn/services/T01/B02/{TOKEN}?token={TOKEN}"
        responses.post(url, status=status)
    message = Message("pm25-high", "pm25-high", {"alerts": []})
    with caplog.at_level(logging.WARNING):
        assert send(Receiver("hook", "webhook", urls=(url,)), message, requests.Session(), [], timeout=2) is False
    assert "alert notification to https://hooks.example.vn" in caplog.text or "127.0.0.1" in caplog.text
    assert TOKEN not in caplog.text


def test_errors_stored_before_masking_are_masked_on_the_way_out(sqlite_engine: Engine, tmp_path: Path, monkeypatch,
                                                                 capsys) -> None:  # fmt: skip
    from data.schema import FeedState

    leaked = f"HTTPError: HTTP 401 from https://portal.example.vn/api?api_key={KEY}: denied"
    with sqlite_engine.begin() as conn:
        conn.execute(FeedState.__table__.insert().values(feed="portal", last_error=leaked, consecutive_failures=1))
    assert KEY not in queries.feed_health(sqlite_engine).to_csv()  # the Stations page
    config = tmp_path / "feeds.toml"
    config.write_text(
        '[[feed]]\nname = "portal"\ntype = "http"\nurl = "https://portal.example.vn/api"\n'
        '[feed.mapping]\nstation_id = "s"\nparameter = "p"\nvalue = "v"\nunit = "u"\nobserved_at = "t"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", str(sqlite_engine.url))
    assert main(["feeds", "status", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert KEY not in out and "api_key=***" in out


def test_silence_alert_labels_carry_the_feed_error_without_its_key(engine: Engine) -> None:
    from data.readings_store import rebuild_latest
    from data.schema import FeedState, Reading, Station
    from monitoring.alert_rules import RuleConfig
    from monitoring.alert_signals import silence_signals
    from monitoring.alerts import RuleTiming

    leaked = f"FeedAuthError: HTTP 401 from https://portal.example.vn/api?api_key={KEY}: denied"
    with engine.begin() as conn:  # a row written before errors were masked
        conn.execute(Station.__table__.insert().values(id="S1", name="Trạm 1", kind="air", source="portal"))
        conn.execute(FeedState.__table__.insert().values(feed="portal", last_error=leaked, consecutive_failures=3))
        conn.execute(
            Reading.__table__.insert().values(station_id="S1", parameter="pm25", value=1.0, unit="µg/m³",
                                              observed_at=NOW - dt.timedelta(hours=5), status="00", source="portal")
        )  # fmt: skip
        rebuild_latest(conn)  # the reading inserted directly, not through store_batch
    rule = RuleConfig("silent", "silence", RuleTiming(), silent_after=dt.timedelta(hours=2))
    [signal] = silence_signals(engine, NOW, rule)
    assert signal.condition is True and "api_key=***" in signal.labels["feed_error"]
    assert KEY not in json.dumps(signal.labels)
