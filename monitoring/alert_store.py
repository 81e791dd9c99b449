"""The alert engine's side of persistence: stored records ↔ :class:`~monitoring.alerts.Alert` snapshots, and an
evaluation written as only what changed.

The queries live in :mod:`data.alert_writes`; acknowledgements, silences and notification marks are its
functions, named here too because the pages and the CLI reach them through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from data.alert_states import AlertState
from data.alert_writes import (
    AlertKey,
    AlertNotFoundError,
    acknowledge,
    add_events,
    add_silence,
    insert_alerts,
    mark_notified,
    silence,
    stored_alerts,
    update_alerts,
)
from data.frames import plain_labels, plain_value
from monitoring.alerts import Alert, Evaluation

__all__ = [
    "AlertNotFoundError",
    "acknowledge",
    "add_silence",
    "mark_notified",
    "save_evaluation",
    "silence",
    "stored_alerts",
    "to_alert",
]

_FIELDS = (
    "kind",
    "severity",
    "value",
    "threshold",
    "message",
    "active_at",
    "fired_at",
    "resolved_at",
    "last_condition_at",
    "last_data_at",
    "last_eval_at",
    "state_since",
)
_ACK_CLEARED = {"ack_by": None, "ack_note": None, "ack_at": None, "ack_until": None}


def to_alert(record: Mapping[str, Any]) -> Alert:
    """The pure snapshot of a stored alert record."""
    return Alert(
        rule_id=record["rule_id"],
        subject=record["subject"],
        state=AlertState(record["state"]),
        labels=dict(record["labels"] or {}),
        **{name: record[name] for name in _FIELDS},
    )


def _record(alert: Alert) -> dict[str, Any]:
    """The stored columns of ``alert`` (JSON-safe labels: never NaN, pandas' missing text, or None)."""
    record = {"state": alert.state.value, "labels": plain_labels(alert.labels)}
    record.update({name: plain_value(getattr(alert, name)) for name in _FIELDS})
    if alert.state in (AlertState.RESOLVED, AlertState.INACTIVE):
        record.update(_ACK_CLEARED)  # an acknowledgement belongs to an episode
    return record


def save_evaluation(conn: Connection, stored: Mapping[AlertKey, Mapping[str, Any]], evaluation: Evaluation) -> int:
    """Write the alerts that changed and one history event per transition; returns the number of transitions.

    ``stored`` are the records the evaluation started from (:func:`data.alert_writes.stored_alerts`); an alert
    equal to its record is not written, and a changed one gets only its changed columns.
    """
    new, changes = [], []
    for key, alert in evaluation.alerts.items():
        record = _record(alert)
        before = stored.get(key)
        if before is None:
            new.append({"rule_id": alert.rule_id, "subject": alert.subject, **record})
            continue
        changed = {name: value for name, value in record.items() if before[name] != value}
        if changed:
            changes.append({"id": before["id"], **changed})
    ids = {key: record["id"] for key, record in stored.items()} | insert_alerts(conn, new)
    update_alerts(conn, changes)
    add_events(conn, [{"alert_id": ids[(t.rule_id, t.subject)], "at": t.at, "event": "transition",
                       "from_state": t.from_state.value if t.from_state else None, "to_state": t.to_state.value,
                       "value": plain_value(t.value)} for t in evaluation.transitions])  # fmt: skip
    return len(evaluation.transitions)
