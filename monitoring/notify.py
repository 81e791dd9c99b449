"""Alert notifications: which alerts are due, grouped by rule and receiver, as JSON and as text in words.

An alert is due when it starts firing, when it is still firing (unacknowledged) after ``repeat_interval``, and
once when it goes stale or resolves after a firing notice. Silenced alerts are not sent. Alerts of one rule
go out together, at most once per ``group_interval``, to every receiver their routes name (family, severity,
unit; :mod:`monitoring.notify_channels`). Delivery is at least once: a failed delivery is logged and the alert
stays due, so the next evaluation retries it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from data.alert_queries import silenced_by
from data.alert_states import AlertState
from data.alert_text import alert_path, headline
from data.config import DEFAULT_TIMEZONE
from data.i18n import STRINGS, label_in, translate
from monitoring.alert_rules import NotifyPolicy
from monitoring.notify_channels import Message, Routing

logger = logging.getLogger(__name__)

_PAYLOAD_FIELDS = (
    "id", "rule_id", "subject", "kind", "severity", "state", "value", "threshold", "message", "labels",
    "active_at", "fired_at", "resolved_at", "ack_by", "ack_note",
)  # fmt: skip


@dataclass(frozen=True)
class NotificationGroup:
    """One message: the due alerts of one rule for one receiver."""

    rule_id: str
    alert_ids: tuple[int, ...]
    payload: dict[str, Any]
    receiver: str = "webhook"
    message: Message | None = None


def is_due(
    alert: Mapping[str, Any], now: dt.datetime, policy: NotifyPolicy, silences: Sequence[Mapping[str, Any]] = ()
) -> bool:
    """Whether this alert (a stored alert record) should be part of a notification at ``now``.

    ``silences`` are the silences in force (:func:`data.alert_queries.active_silences`).
    """
    if silenced_by(alert, silences) is not None:
        return False
    state, sent_state, sent_at = alert["state"], alert["last_notified_state"], alert["last_notified_at"]
    if state == AlertState.FIRING:
        if sent_state != AlertState.FIRING or sent_at is None:
            return True
        acknowledged = alert["ack_by"] is not None and (alert["ack_until"] is None or alert["ack_until"] > now)
        return not acknowledged and now - sent_at >= policy.repeat_interval
    if state in (AlertState.STALE, AlertState.RESOLVED):
        return sent_state in (AlertState.FIRING, AlertState.STALE) and sent_state != state
    return False


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def plan_notifications(
    alerts: Sequence[Mapping[str, Any]],
    now: dt.datetime,
    policy: NotifyPolicy,
    silences: Sequence[Mapping[str, Any]] = (),
    routing: Routing | None = None,
    *,
    language: str = "vi",
    timezone: str = DEFAULT_TIMEZONE,
) -> list[NotificationGroup]:
    """Due alerts grouped by rule and receiver, skipping rules that sent a message less than ``group_interval``
    ago; each group carries the JSON payload and the text in ``language``."""
    routing = routing or Routing()
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    last_sent: dict[str, dt.datetime] = {}
    for alert in alerts:
        if alert["last_notified_at"] is not None:
            rule = alert["rule_id"]
            last_sent[rule] = max(last_sent.get(rule, alert["last_notified_at"]), alert["last_notified_at"])
        if is_due(alert, now, policy, silences):
            by_rule.setdefault(alert["rule_id"], []).append(alert)
    groups = []
    for rule_id, due in sorted(by_rule.items()):
        if rule_id in last_sent and now - last_sent[rule_id] < policy.group_interval:
            continue
        per_receiver: dict[str, list[Mapping[str, Any]]] = {}
        for alert in due:
            for name in routing.receivers_for(alert):
                per_receiver.setdefault(name, []).append(alert)
        for name, alerts_of_receiver in per_receiver.items():
            receiver = routing.receivers[name]
            message = _message(rule_id, alerts_of_receiver, now, receiver.language or language, timezone)
            ids = tuple(int(a["id"]) for a in alerts_of_receiver)
            groups.append(NotificationGroup(rule_id, ids, message.payload, name, message))
    return groups


def _message(
    rule_id: str, due: Sequence[Mapping[str, Any]], now: dt.datetime, language: str, timezone: str
) -> Message:
    status = AlertState.FIRING.value if any(a["state"] == AlertState.FIRING for a in due) else due[0]["state"]
    lines = [f"{label_in('alert_state', a['state'], language)}: {headline(a, language, now=now, timezone=timezone)}"
             for a in due]  # fmt: skip
    payload = {
        "source": "envmon",
        "group": {"rule_id": rule_id},
        "status": status,
        "sent_at": now.isoformat(),
        "alerts": [{**{name: _json_value(a[name]) for name in _PAYLOAD_FIELDS}, "text": line, "path": alert_path(a)}
                   for a, line in zip(due, lines, strict=True)],
    }  # fmt: skip
    family_key = f"alert_family.{due[0]['kind']}"
    family = translate(family_key, language) if family_key in STRINGS else translate("alerts.what_other", language)
    subject = translate("alerts.notify_subject", language, family=family, n=len(due),
                        state=label_in("alert_state", status, language))  # fmt: skip
    return Message(subject, "\n".join([subject, *lines]), payload)
