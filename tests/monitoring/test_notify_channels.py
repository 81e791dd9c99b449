"""Routed notifications against local servers: e-mail to a tiny SMTP server and Zalo OA messages to an HTTP
server on loopback, routed by family, severity and unit; the Zalo token never reaches the log."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest
import requests
from sqlalchemy import Engine

from data.alert_queries import alert_frame
from monitoring.alert_engine import evaluate_alerts
from monitoring.alert_rules import load_alert_rules
from monitoring.signals import Signal

T = dt.datetime(2025, 3, 8, 10, 0, tzinfo=dt.UTC)
TOKEN = "zalo-oa-token-3f9a8c7d6e5b4a31"


class SmtpSink:
    """A minimal SMTP server on loopback that keeps every message it receives (one connection at a time)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.messages: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as reader:
                conn.sendall(b"220 sink ESMTP\r\n")
                while line := reader.readline():
                    command = line.decode().strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        conn.sendall(b"250 sink\r\n")
                    elif command == "DATA":
                        conn.sendall(b"354 go on\r\n")
                        body = []
                        while (data := reader.readline()) not in (b".\r\n", b""):
                            body.append(data.decode())
                        self.messages.append("".join(body))
                        conn.sendall(b"250 queued\r\n")
                    elif command == "QUIT":
                        conn.sendall(b"221 bye\r\n")
                        break
                    else:
                        conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.server.close()


class ZaloOa(BaseHTTPRequestHandler):
    """Records Zalo OA message API calls (POST /v3.0/oa/message/cs) and answers as Zalo does."""

    calls: list[tuple[str, dict]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ZaloOa.calls.append((self.headers.get("access_token", ""), body))
        reply = json.dumps({"error": 0, "message": "Success", "data": {"message_id": "m1"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def zalo() -> Iterator[str]:
    ZaloOa.calls = []
    server = HTTPServer(("127.0.0.1", 0), ZaloOa)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v3.0/oa/message/cs"
    server.shutdown()


def _rules(tmp_path: Path, smtp_port: int, zalo_url: str) -> Path:
    path = tmp_path / "alert_rules.toml"
    path.write_text(
        f"""
[[rule]]
id = "effluent-cmax"
kind = "threshold"
target = "effluent"
parameters = ["cod"]
period = "raw"
severity = "critical"

[[rule]]
id = "complaint-overdue-unit"
kind = "sla"

[[receiver]]
name = "inspectors"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
sender = "envmon@so-tnmt.hanoi.gov.vn"
to = ["thanhtra@so-tnmt.hanoi.gov.vn"]

[[receiver]]
name = "urenco-zalo"
type = "zalo"
urls = ["{zalo_url}"]
access_token_env = "ENVMON_TEST_ZALO_TOKEN"
user_ids = ["8841234567"]
language = "vi"

[[route]]
receivers = ["inspectors"]
severities = ["critical"]

[[route]]
receivers = ["urenco-zalo"]
families = ["sla"]
units = ["URENCO"]
""",
        encoding="utf-8",
    )
    return path


def _signals(_engine: Engine, now: dt.datetime) -> list[Signal]:
    station = {"station_id": "HN_WW01", "station_name": "KCN Thăng Long", "parameter": "cod", "period": "raw",
               "unit": "mg/L", "basis": "QCVN 40:2011 B × Kq 1 × Kf 1"}  # fmt: skip
    return [
        Signal("effluent-cmax", "station:HN_WW01/cod", True, 168.0, 150.0, now, "threshold", station),
        Signal("complaint-overdue-unit", "unit:URENCO", True, 12.0, 0.0, now, "sla",
               {"unit_code": "URENCO", "unit_name": "URENCO Hà Nội", "open_cases": "40"}),
        Signal("complaint-overdue-unit", "unit:CCBVMT", True, 3.0, 0.0, now, "sla",
               {"unit_code": "CCBVMT", "unit_name": "Chi cục BVMT", "open_cases": "9"}),
    ]  # fmt: skip


def test_alerts_are_routed_by_severity_family_and_unit(
    engine: Engine, tmp_path: Path, smtp: SmtpSink, zalo: str, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setenv("ENVMON_TEST_ZALO_TOKEN", TOKEN)
    rules = load_alert_rules(_rules(tmp_path, smtp.port, zalo))
    with requests.Session() as session, caplog.at_level(logging.DEBUG):
        summary = evaluate_alerts(engine, T, [_signals], session, rules=rules, language="vi")
    assert (summary.notifications_sent, summary.notification_failures) == (2, 0)

    (raw,) = smtp.messages  # the critical effluent alert only
    mail = email.message_from_string(raw, policy=email.policy.default)
    text = mail.get_body().get_content()
    assert mail["Subject"] == "[envmon] Vượt ngưỡng quy chuẩn: 1 cảnh báo (Đang cảnh báo)"
    assert "KCN Thăng Long: COD (5 phút) 168,0 mg/L > 150,0 mg/L, QCVN 40:2011 cột B × Kq 1 × Kf 1" in text
    assert "URENCO" not in text
    ((token, body),) = ZaloOa.calls  # URENCO's reminder only, not CCBVMT's, not the effluent alert
    assert token == TOKEN and body["recipient"] == {"user_id": "8841234567"}
    assert "URENCO Hà Nội: 12 vụ việc quá hạn / 40 vụ đang mở" in body["message"]["text"]
    assert TOKEN not in caplog.text

    notified = alert_frame(engine).set_index("subject")["last_notified_at"]
    assert notified.notna().to_dict() == {"station:HN_WW01/cod": True, "unit:URENCO": True, "unit:CCBVMT": False}
    with requests.Session() as session:
        again = evaluate_alerts(engine, T + dt.timedelta(minutes=1), [_signals], session, rules=rules)
    assert again.notifications_sent == 0 and len(smtp.messages) == 1  # grouped and not repeated within the window


def test_a_failing_zalo_call_is_retried_and_never_logs_the_token(
    engine: Engine, tmp_path: Path, smtp: SmtpSink, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/v3.0/oa/message/cs"
    closed.close()
    monkeypatch.setenv("ENVMON_TEST_ZALO_TOKEN", TOKEN)
    rules = load_alert_rules(_rules(tmp_path, smtp.port, url))
    with requests.Session() as session, caplog.at_level(logging.WARNING):
        summary = evaluate_alerts(engine, T, [_signals], session, rules=rules)
    assert summary.notification_failures == 1 and TOKEN not in caplog.text
    assert "alert notification to http://127.0.0.1" in caplog.text
    urenco = alert_frame(engine).set_index("subject").loc["unit:URENCO"]
    assert pd.isna(urenco["last_notified_at"])  # not marked: due again at the next evaluation
