"""Where notifications go: receivers (webhook, e-mail over SMTP, Zalo OA message) and the routes that pick them.

Receivers and routes are configured in ``alert_rules.toml`` (``[[receiver]]``, ``[[route]]``); secrets (a
webhook URL with its token, an SMTP password, a Zalo OA access token) come from environment variables named
there, never from the file, and never reach a log line (:mod:`data.redact`). Without routes every alert goes
to the ``webhook`` receiver, the webhook URLs of the settings (the behaviour before routing existed).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import requests

from data.redact import endpoint_label, endpoint_secrets, redact_text

logger = logging.getLogger(__name__)

RECEIVER_TYPES = ("webhook", "email", "zalo")
ZALO_MESSAGE_URL = "https://openapi.zalo.me/v3.0/oa/message/cs"
ZALO_TEXT_LIMIT = 2000  # characters in one OA text message


@dataclass(frozen=True)
class Receiver:
    """One destination. ``webhook``: ``urls`` (or the settings' webhook URLs); ``email``: SMTP server and
    addresses; ``zalo``: the OA message API URL, the access token's environment variable and user ids."""

    name: str
    type: str
    urls: tuple[str, ...] = ()
    url_env: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    starttls: bool = False
    username_env: str = ""
    password_env: str = ""
    sender: str = "envmon@localhost"
    to: tuple[str, ...] = ()
    access_token_env: str = ""
    user_ids: tuple[str, ...] = ()
    language: str = ""  # empty: the settings' language


@dataclass(frozen=True)
class Route:
    """Alerts of these families, severities and units (empty: any) go to ``receivers``."""

    receivers: tuple[str, ...]
    families: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    def matches(self, alert: Mapping[str, Any]) -> bool:
        """Whether ``alert`` (a stored alert record) takes this route."""
        unit = str((alert.get("labels") or {}).get("unit_code", ""))
        return (
            (not self.families or alert.get("kind") in self.families)
            and (not self.severities or alert.get("severity") in self.severities)
            and (not self.units or unit in self.units)
        )


@dataclass(frozen=True)
class Routing:
    """Receivers by name and the routes; every matching route applies (an alert may go to several receivers)."""

    receivers: dict[str, Receiver] = field(default_factory=lambda: {"webhook": Receiver("webhook", "webhook")})
    routes: tuple[Route, ...] = (Route(("webhook",)),)

    def receivers_for(self, alert: Mapping[str, Any]) -> list[str]:
        """Names of the receivers ``alert`` goes to, in configuration order, without repeats."""
        names: list[str] = []
        for route in self.routes:
            if route.matches(alert):
                names += [name for name in route.receivers if name not in names]
        return names


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list | tuple) else ()


def load_routing(receivers: Sequence[Mapping[str, Any]], routes: Sequence[Mapping[str, Any]], where: str) -> Routing:
    """Receivers and routes from the rules file's ``[[receiver]]`` and ``[[route]]`` tables (ValueError naming
    ``where`` and the entry when one is wrong)."""
    if not receivers and not routes:
        return Routing()
    parsed: dict[str, Receiver] = {"webhook": Receiver("webhook", "webhook")}
    for index, entry in enumerate(receivers, start=1):
        name, kind = str(entry.get("name", "")), str(entry.get("type", ""))
        if not name or kind not in RECEIVER_TYPES:
            msg = f"{where}: receiver #{index} needs a name and a type ({', '.join(RECEIVER_TYPES)})"
            raise ValueError(msg)
        scalars = {key: entry[key] for key in ("url_env", "smtp_host", "sender", "username_env", "password_env",
                                               "access_token_env", "language") if key in entry}  # fmt: skip
        parsed[name] = Receiver(
            name, kind, urls=_tuple(entry.get("urls")), to=_tuple(entry.get("to")),
            user_ids=_tuple(entry.get("user_ids")), smtp_port=int(entry.get("smtp_port", 25)),
            starttls=bool(entry.get("starttls", False)), **{k: str(v) for k, v in scalars.items()},
        )  # fmt: skip
        if kind == "email" and not parsed[name].to:
            msg = f"{where}: e-mail receiver {name!r} needs 'to'"
            raise ValueError(msg)
        if kind == "zalo" and not (parsed[name].user_ids and parsed[name].access_token_env):
            msg = f"{where}: Zalo receiver {name!r} needs 'user_ids' and 'access_token_env'"
            raise ValueError(msg)
    parsed_routes = []
    for index, entry in enumerate(routes, start=1):
        route = Route(_tuple(entry.get("receivers")), _tuple(entry.get("families")), _tuple(entry.get("severities")),
                      _tuple(entry.get("units")))  # fmt: skip
        unknown = [name for name in route.receivers if name not in parsed]
        if not route.receivers or unknown:
            msg = f"{where}: route #{index} needs receivers that exist (unknown: {', '.join(unknown) or 'none given'})"
            raise ValueError(msg)
        parsed_routes.append(route)
    return Routing(parsed, tuple(parsed_routes) or (Route(("webhook",)),))


@dataclass(frozen=True)
class Message:
    """One notification: the JSON payload (webhooks) and the same alerts as text (e-mail, Zalo)."""

    subject: str
    text: str
    payload: dict[str, Any]


def _env(name: str) -> str:
    return os.environ.get(name, "") if name else ""


def send(
    receiver: Receiver, message: Message, session: requests.Session, webhook_urls: Sequence[str], timeout: float
) -> bool:
    """Deliver ``message`` to ``receiver``; True when it was accepted (failures are logged without secrets)."""
    if receiver.type == "webhook":
        urls = list(receiver.urls) or ([_env(receiver.url_env)] if receiver.url_env else list(webhook_urls))
        return all([_post(session, url, message.payload, {}, timeout) for url in urls if url]) if urls else False
    if receiver.type == "zalo":
        return _send_zalo(receiver, message, session, timeout)
    return _send_email(receiver, message, timeout)


def _post(
    session: requests.Session, url: str, body: dict[str, Any], headers: dict[str, str], timeout: float
) -> bool:
    try:
        response = session.post(url, json=body, headers=headers, timeout=timeout)
        response.raise_for_status()
        reply = response.json() if "json" in response.headers.get("content-type", "") else {}
        if isinstance(reply, dict) and reply.get("error") not in (None, 0):  # Zalo answers 200 with error ≠ 0
            raise requests.RequestException(f"error {reply.get('error')}: {reply.get('message', '')}")
    except (requests.RequestException, ValueError) as err:
        secrets = [*endpoint_secrets(url), *headers.values()]
        logger.warning("alert notification to %s failed: %s", endpoint_label(url), redact_text(str(err), secrets))
        return False
    return True


def _send_zalo(receiver: Receiver, message: Message, session: requests.Session, timeout: float) -> bool:
    """Zalo OA message API (customer-service text message): one POST per follower, token in ``access_token``."""
    token = _env(receiver.access_token_env)
    url = receiver.urls[0] if receiver.urls else ZALO_MESSAGE_URL
    if not token:
        logger.warning("Zalo receiver %s: environment variable %s is not set", receiver.name, receiver.access_token_env)
        return False
    text = message.text if len(message.text) <= ZALO_TEXT_LIMIT else message.text[: ZALO_TEXT_LIMIT - 1] + "…"
    bodies = [{"recipient": {"user_id": user}, "message": {"text": text}} for user in receiver.user_ids]
    return all([_post(session, url, body, {"access_token": token}, timeout) for body in bodies])


def _send_email(receiver: Receiver, message: Message, timeout: float) -> bool:
    """One UTF-8 text message with the headers RFC 5322 requires (Date, Message-ID in the sender's domain);
    STARTTLS verifies the server's certificate and host name before any password is sent."""
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = message.subject, receiver.sender, ", ".join(receiver.to)
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain=receiver.sender.rpartition("@")[2] or None)
    mail.set_content(message.text)
    password = _env(receiver.password_env)
    try:
        with smtplib.SMTP(receiver.smtp_host, receiver.smtp_port, timeout=timeout) as smtp:
            if receiver.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if receiver.username_env:
                smtp.login(_env(receiver.username_env), password)
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as err:  # ssl.SSLError (an untrusted certificate) is an OSError
        logger.warning("alert e-mail via %s:%s failed: %s", receiver.smtp_host, receiver.smtp_port,
                       redact_text(str(err), [password]))  # fmt: skip
        return False
    return True
