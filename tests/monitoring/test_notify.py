"""Webhook notifications through ``evaluate_alerts``: grouping, group window, repeat, ack, silence, resolved, retry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import requests
import responses
from sqlalchemy import Engine

from data.alert_queries import alert_frame
from data.frames import plain_records
from monitoring.alert_engine import evaluate_alerts
from monitoring.alert_rules import AlertRules, load_alert_rules
from monitoring.alert_store import acknowledge, silence
from monitoring.signals import Signal

T = dt.datetime(2025, 3, 8, 10, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
URL = "https://hooks.example.test/envmon"


class Feed:
    """A provider whose breaching subjects the test sets between evaluations."""

    def __init__(self) -> None:
        self.breaching: dict[str, bool] = {}

    def __call__(self, _engine: Engine, now: dt.datetime) -> list[Signal]:
        return [
            Signal("no2-1h", subject, condition, value=250.0 if condition else 80.0, threshold=200.0, observed_at=now)
            for subject, condition in self.breaching.items()
        ]


@pytest.fixture
def rules(tmp_path: Path) -> AlertRules:
    path = tmp_path / "rules.toml"
    path.write_text(
        '[notify]\ngroup_interval = "5m"\nrepeat_interval = "1h"\ntimeout_seconds = 2\n'
        '[[rule]]\nid = "no2-1h"\nkind = "threshold"\nparameter = "no2"\nperiod = "1h"\n',
        encoding="utf-8",
    )
    return load_alert_rules(path)


def _posts(mock: responses.RequestsMock) -> list[dict]:
    return [json.loads(call.request.body) for call in mock.calls]


def test_grouping_repeat_ack_silence_and_resolved_notice(engine: Engine, rules: AlertRules) -> None:
    feed = Feed()
    with responses.RequestsMock() as mock, requests.Session() as session:
        mock.add(responses.POST, URL, json={"ok": True})

        def evaluate(now: dt.datetime) -> None:
            evaluate_alerts(engine, now, [feed], session, rules=rules, webhook_urls=[URL])

        feed.breaching = {"station:A/no2": True, "station:B/no2": True}
        evaluate(T)
        (first,) = _posts(mock)
        assert first["group"] == {"rule_id": "no2-1h"} and first["status"] == "firing"
        assert sorted(a["subject"] for a in first["alerts"]) == ["station:A/no2", "station:B/no2"]
        evaluate(T)  # same time again: nothing new
        feed.breaching["station:C/no2"] = True
        evaluate(T + 2 * MIN)  # C fires inside the 5-min group window: it waits
        assert len(mock.calls) == 1
        evaluate(T + 5 * MIN)
        assert [a["subject"] for a in _posts(mock)[1]["alerts"]] == ["station:C/no2"]
        evaluate(T + 30 * MIN)  # A and B are still firing, but the repeat interval is 1 h
        assert len(mock.calls) == 2

        ids = {a["subject"]: a["id"] for a in plain_records(alert_frame(engine))}
        acknowledge(engine, ids["station:A/no2"], by="Phạm D", note="đang xử lý", now=T + 40 * MIN)
        silence(engine, ids["station:C/no2"], until=T + 3 * dt.timedelta(hours=1), by="Phạm D", now=T + 40 * MIN)
        evaluate(T + 61 * MIN)  # repeat: B only (A acknowledged, C silenced)
        repeat = _posts(mock)[2]
        assert [a["subject"] for a in repeat["alerts"]] == ["station:B/no2"]

        feed.breaching["station:B/no2"] = False
        evaluate(T + 70 * MIN)
        resolved = _posts(mock)[3]
        assert resolved["status"] == "resolved"
        assert [(a["subject"], a["state"]) for a in resolved["alerts"]] == [("station:B/no2", "resolved")]
        evaluate(T + 80 * MIN)
        assert len(mock.calls) == 4  # the resolved notice is sent once


def test_failed_delivery_is_logged_and_retried_without_breaking_evaluation(
    engine: Engine, rules: AlertRules, caplog: pytest.LogCaptureFixture
) -> None:
    feed = Feed()
    feed.breaching = {"station:A/no2": True}
    with responses.RequestsMock() as mock, requests.Session() as session:
        mock.add(responses.POST, URL, status=503)
        summary = evaluate_alerts(engine, T, [feed], session, rules=rules, webhook_urls=[URL])
        assert (summary.states, summary.notification_failures, summary.notifications_sent) == ({"firing": 1}, 1, 0)
        assert "failed" in caplog.text
        mock.replace(responses.POST, URL, json={"ok": True})
        retry = evaluate_alerts(engine, T + MIN, [feed], session, rules=rules, webhook_urls=[URL])
        assert (retry.notifications_sent, retry.notification_failures) == (1, 0)
        assert len(mock.calls) == 2


def test_no_session_means_no_delivery_and_nothing_marked(engine: Engine, rules: AlertRules) -> None:
    feed = Feed()
    feed.breaching = {"station:A/no2": True}
    summary = evaluate_alerts(engine, T, [feed], None, rules=rules, webhook_urls=[URL])
    assert summary.notifications_sent == 0
    (alert,) = plain_records(alert_frame(engine))
    assert alert["last_notified_at"] is None


def test_each_notified_alert_links_where_it_is_acted_on(engine: Engine, tmp_path: Path) -> None:
    """An overdue reminder links to its unit's queue (``/queue?unit=CODE``); other alerts to their own page."""
    path = tmp_path / "rules.toml"
    path.write_text(
        '[notify]\ngroup_interval = "0s"\ntimeout_seconds = 2\n'
        '[[rule]]\nid = "no2-1h"\nkind = "threshold"\nparameter = "no2"\nperiod = "1h"\n'
        '[[rule]]\nid = "complaint-overdue-unit"\nkind = "sla"\nstale_after = "0"\n',
        encoding="utf-8",
    )

    def feed(_engine: Engine, now: dt.datetime) -> list[Signal]:
        return [
            Signal("no2-1h", "station:A/no2", True, 250.0, 200.0, now),
            Signal("complaint-overdue-unit", "unit:URENCO HN", True, 4.0, 0.0, now, "sla",
                   {"unit_code": "URENCO HN", "unit_name": "URENCO", "open_cases": "9"}),
        ]  # fmt: skip

    with responses.RequestsMock() as mock, requests.Session() as session:
        mock.add(responses.POST, URL, json={"ok": True})
        evaluate_alerts(engine, T, [feed], session, rules=load_alert_rules(path), webhook_urls=[URL])
        paths = {a["subject"]: a["path"] for post in _posts(mock) for a in post["alerts"]}
    ids = alert_frame(engine).set_index("subject")["id"]
    assert paths == {"station:A/no2": f"/alert?id={ids['station:A/no2']}", "unit:URENCO HN": "/queue?unit=URENCO%20HN"}
