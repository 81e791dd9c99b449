"""Webhook notifications for alerts: which alerts are due, grouped by rule, and delivery as JSON POST.

An alert is due when it starts firing, when it is still firing (unacknowledged) after ``repeat_interval``, and
once when it goes stale or resolves after a firing notice. Silenced alerts are not sent. Alerts of one rule
go out together, at most once per ``group_interval``. Delivery is at least once: a failed POST is logged and
the group stays due, so the next evaluation retries it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from data.alert_queries import silenced_by
from data.alert_states import AlertState
from data.redact import endpoint_label, endpoint_secrets, redact_text
from monitoring.alert_rules import NotifyPolicy

logger = logging.getLogger(__name__)

_PAYLOAD_FIELDS = (
    "id", "rule_id", "subject", "kind", "severity", "state", "value", "threshold", "message", "labels",
    "active_at", "fired_at", "resolved_at", "ack_by", "ack_note",
)  # fmt: skip


@dataclass(frozen=True)
class NotificationGroup:
    """One message: the due alerts of one rule."""

    rule_id: str
    alert_ids: tuple[int, ...]
    payload: dict[str, Any]


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
) -> list[NotificationGroup]:
    """Due alerts grouped by rule, skipping rules that sent a message less than ``group_interval`` ago."""
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
        status = AlertState.FIRING.value if any(a["state"] == AlertState.FIRING for a in due) else due[0]["state"]
        payload = {
            "source": "envmon",
            "group": {"rule_id": rule_id},
            "status": status,
            "sent_at": now.isoformat(),
            "alerts": [{name: _json_value(a[name]) for name in _PAYLOAD_FIELDS} for a in due],
        }
        groups.append(NotificationGroup(rule_id, tuple(int(a["id"]) for a in due), payload))
    return groups


def deliver(session: requests.Session, urls: Sequence[str], group: NotificationGroup, timeout: float) -> bool:
    """POST the group's JSON to every webhook; True only if all accepted it (failures are logged)."""
    delivered = True
    for url in urls:
        try:
            response = session.post(url, json=group.payload, timeout=timeout)
            response.raise_for_status()
        except requests.RequestException as err:
            reason = redact_text(str(err), endpoint_secrets(url))  # a webhook's path and query may hold its token
            logger.warning(
                "alert notification for rule %s to %s failed: %s", group.rule_id, endpoint_label(url), reason
            )
            delivered = False
    return delivered
