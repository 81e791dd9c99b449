"""Alert persistence: load and save alert states, history, acknowledgements, silences and notification marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.alert_queries import silence_matches
from data.alert_states import AlertState
from data.db import transaction
from data.frames import plain_labels, plain_value
from data.schema import Alert as AlertRow
from data.schema import AlertEvent, AlertSilence
from monitoring.alerts import Alert, Evaluation

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


class AlertNotFoundError(LookupError):
    """No alert has the given id."""


def to_alert(row: AlertRow) -> Alert:
    """The pure snapshot of a stored alert."""
    return Alert(
        rule_id=row.rule_id,
        subject=row.subject,
        state=AlertState(row.state),
        labels=dict(row.labels or {}),
        **{name: getattr(row, name) for name in _FIELDS},
    )


def load_alerts(session: Session) -> dict[tuple[str, str], AlertRow]:
    """Every stored alert row by (rule_id, subject)."""
    return {(row.rule_id, row.subject): row for row in session.scalars(select(AlertRow))}


def save_evaluation(session: Session, rows: dict[tuple[str, str], AlertRow], evaluation: Evaluation) -> int:
    """Write changed alerts and one history event per transition; returns the number of transitions.

    An acknowledgement belongs to an episode: it is cleared when the alert resolves or goes inactive.
    """
    for key, alert in evaluation.alerts.items():
        row = rows.get(key)
        if row is None:
            row = AlertRow(rule_id=alert.rule_id, subject=alert.subject, state=alert.state.value)
            session.add(row)
            rows[key] = row
        row.state = alert.state.value
        row.labels = plain_labels(alert.labels)  # JSON: never NaN (pandas' missing text) or None
        for name in _FIELDS:
            setattr(row, name, plain_value(getattr(alert, name)))
        if alert.state in (AlertState.RESOLVED, AlertState.INACTIVE):
            row.ack_by = row.ack_note = None
            row.ack_at = row.ack_until = None
    session.flush()
    for transition in evaluation.transitions:
        session.add(
            AlertEvent(
                alert_id=rows[(transition.rule_id, transition.subject)].id,
                at=transition.at,
                event="transition",
                from_state=transition.from_state.value if transition.from_state else None,
                to_state=transition.to_state.value,
                value=plain_value(transition.value),
            )
        )
    return len(evaluation.transitions)


def _get(session: Session, alert_id: int) -> AlertRow:
    row = session.get(AlertRow, alert_id)
    if row is None:
        msg = f"no alert with id {alert_id}"
        raise AlertNotFoundError(msg)
    return row


def acknowledge(
    engine: Engine, alert_id: int, *, by: str, note: str, now: dt.datetime, until: dt.datetime | None = None
) -> None:
    """Record that someone is handling the alert (who, note, optional expiry); repeats stop, state does not."""
    if not by.strip():
        msg = "acknowledge: 'by' (who) is required"
        raise ValueError(msg)
    with transaction(engine) as session:
        row = _get(session, alert_id)
        row.ack_by, row.ack_note, row.ack_at, row.ack_until = by, note, now, until
        note_text = note if until is None else f"{note} (đến {until.isoformat()})"
        session.add(
            AlertEvent(alert_id=alert_id, at=now, event="ack", from_state=row.state, to_state=row.state,
                       actor=by, note=note_text)
        )  # fmt: skip


def add_silence(
    engine: Engine, matchers: dict[str, str], *, until: dt.datetime, by: str, now: dt.datetime, comment: str = ""
) -> int:
    """Silence notifications of every alert matching ``matchers`` until ``until``; returns the silence id.

    Each alert the silence covers now gets a ``silence`` history event; evaluation and history continue.
    """
    if not by.strip() or not matchers:
        msg = "a silence needs who (by) and at least one matcher"
        raise ValueError(msg)
    with transaction(engine) as session:
        silence_row = AlertSilence(
            matchers=dict(matchers), starts_at=now, ends_at=until, created_by=by, comment=comment
        )
        session.add(silence_row)
        session.flush()
        note = f"{comment} (đến {until.isoformat()})".strip()
        for row in session.scalars(select(AlertRow)):
            if silence_matches(matchers, alert_record(row)):
                session.add(
                    AlertEvent(alert_id=row.id, at=now, event="silence", from_state=row.state, to_state=row.state,
                               actor=by, note=note)
                )  # fmt: skip
        return int(silence_row.id)


def silence(engine: Engine, alert_id: int, *, until: dt.datetime, by: str, now: dt.datetime, comment: str = "") -> int:
    """Silence one alert's notifications until ``until`` (a silence matching its rule and subject)."""
    with transaction(engine) as session:
        row = _get(session, alert_id)
        matchers = {"rule_id": row.rule_id, "subject": row.subject}
    return add_silence(engine, matchers, until=until, by=by, now=now, comment=comment)


def mark_notified(session: Session, rows: Iterable[AlertRow], now: dt.datetime, receivers: str) -> None:
    """Remember that these alerts were sent in their current state (one ``notify`` history event each)."""
    for row in rows:
        row.last_notified_at = now
        row.last_notified_state = row.state
        session.add(
            AlertEvent(alert_id=row.id, at=now, event="notify", from_state=row.state, to_state=row.state,
                       note=receivers)
        )  # fmt: skip


def alert_record(row: AlertRow) -> dict[str, Any]:
    """A stored alert as a plain dict (the notification planner's input)."""
    return {column.name: getattr(row, column.name) for column in AlertRow.__table__.columns}
