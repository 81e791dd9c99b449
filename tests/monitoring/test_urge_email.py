"""An urge delivered by e-mail, on both engines, to aiosmtpd (a real SMTP server) on loopback: the message arrives
with the Vietnamese subject and body, the headers a mail server requires, and over STARTTLS only to a server whose
certificate is trusted (an untrusted one gets nothing, not the password)."""

from __future__ import annotations

import datetime as dt
import email.policy
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from data.config import load_settings
from data.urges import urge
from monitoring.case_notify import deliver_urges
from tests.cases.conftest import OPENED, world  # noqa: F401 - the case-world fixture

TUESDAY_9 = dt.datetime(2025, 3, 18, 2, 0, tzinfo=dt.UTC)  # the noise case is overdue
PASSWORD = "smtp-pa55-never-logged"  # noqa: S105 - a test credential, checked never to be logged


@dataclass
class Inbox:
    """What the SMTP server accepted: (envelope sender, recipients, raw message) per message."""

    port: int = 0
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK queued"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(inbox: Inbox, **smtp: object) -> Controller:
    inbox.port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **smtp)
    controller.start()
    return controller


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    controller = _serve(box)
    yield box
    controller.stop()


def _settings(tmp_path: Path, port: int, *, starttls: bool = False):
    path = tmp_path / "unit_notify.toml"
    login = 'username_env = "TEST_SMTP_USER"\npassword_env = "TEST_SMTP_PASSWORD"\n' if starttls else ""
    path.write_text(
        f"""
[escalation]
after_working_hours = 0

[[receiver]]
name = "urenco-mail"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {port}
starttls = {"true" if starttls else "false"}
{login}sender = "envmon@moitruong.hanoi.gov.vn"
to = ["vanphong@urenco.example.vn", "giamdoc@urenco.example.vn"]

[[route]]
units = ["URENCO"]
receivers = ["urenco-mail"]
""",
        encoding="utf-8",
    )
    return load_settings(unit_notify_file=path, webhook_urls=[], language="vi")


def test_urge_arrives_by_email_in_vietnamese(world, inbox, tmp_path):  # noqa: F811
    settings = _settings(tmp_path, inbox.port)
    recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, note="Xử lý trước 17h", at=TUESDAY_9)
    assert deliver_urges(world.engine, settings, ids=[recorded.id], now=TUESDAY_9) == {recorded.id: "urenco-mail"}
    ((sender, recipients, raw),) = inbox.received
    assert sender == "envmon@moitruong.hanoi.gov.vn"
    assert recipients == ["vanphong@urenco.example.vn", "giamdoc@urenco.example.vn"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "[envmon] Đôn đốc: URENCO"  # a subject line starts with a capital
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail.get_content().strip() == (
        f"[đôn đốc] URENCO: đề nghị khẩn trương xử lý vụ việc #{world.noise_case} Karaoke. "
        "Ghi chú: Xử lý trước 17h. (lanhdao, 18/03/2025 09:00)"
    )
    assert mail["Date"] is not None and mail["Date"].datetime is not None  # RFC 5322: required
    assert mail["Message-ID"] and mail["Message-ID"].endswith("@moitruong.hanoi.gov.vn>")
    assert all(ord(char) < 128 for char in raw.decode("latin-1").split("\r\n\r\n")[0])  # headers RFC 2047-encoded
    assert deliver_urges(world.engine, settings, now=TUESDAY_9) == {}  # sent once


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context with a throwaway certificate for 127.0.0.1 that no trust store knows."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def test_starttls_to_an_untrusted_certificate_sends_nothing(world, tmp_path, monkeypatch, caplog):  # noqa: F811
    logins: list[bytes] = []

    def authenticator(server, session, envelope, mechanism, data) -> AuthResult:
        if isinstance(data, LoginPassword):
            logins.append(data.password)
        return AuthResult(success=True)

    box = Inbox()
    controller = _serve(box, tls_context=_self_signed(tmp_path), require_starttls=True, authenticator=authenticator)
    monkeypatch.setenv("TEST_SMTP_USER", "envmon")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    try:
        settings = _settings(tmp_path, box.port, starttls=True)
        recorded = urge(world.engine, actor=world.leader, case_id=world.noise_case, at=TUESDAY_9)
        with caplog.at_level(logging.WARNING):
            assert deliver_urges(world.engine, settings, ids=[recorded.id], now=TUESDAY_9) == {}  # kept pending
    finally:
        controller.stop()
    assert box.received == [] and logins == []  # the password never went to a server we cannot verify
    assert "certificate verify failed" in caplog.text.lower() and PASSWORD not in caplog.text
