"""Alert persistence: stored alerts as plain records, their changes and history events, acknowledgements,
silences and notification marks.

The alert engine (``monitoring.alert_store``) turns its pure snapshots into records and hands over only what
changed; everything here runs inside the caller's transaction (a ``Connection``) or opens its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from data.alert_queries import silence_matches
from data.db import write_transaction
from data.schema import Alert, AlertEvent, AlertSilence

ALERTS = Alert.__table__
EVENTS = AlertEvent.__table__
AlertKey = tuple[str, str]  # (rule_id, subject)
_EVENT_DEFAULTS: dict[str, Any] = {"value": None, "actor": "system", "note": ""}


class AlertNotFoundError(LookupError):
    """No alert has the given id."""


def stored_alerts(conn: Connection) -> dict[AlertKey, dict[str, Any]]:
    """Every stored alert as a record of all its columns, by (rule_id, subject)."""
    rows = conn.execute(select(*ALERTS.columns)).mappings()
    return {(row["rule_id"], row["subject"]): dict(row) for row in rows}


def insert_alerts(conn: Connection, records: Sequence[Mapping[str, Any]]) -> dict[AlertKey, int]:
    """Store new alerts (records with ``rule_id``, ``subject`` and the same state columns); their ids by key."""
    if not records:
        return {}
    stmt = insert(ALERTS).returning(ALERTS.c.id, ALERTS.c.rule_id, ALERTS.c.subject)
    return {(rule_id, subject): int(alert_id) for alert_id, rule_id, subject in conn.execute(stmt, list(records))}


def update_alerts(conn: Connection, changes: Sequence[Mapping[str, Any]]) -> None:
    """Set the given columns of stored alerts; each change holds ``id`` and only the columns that changed.

    Changes with the same columns go in one statement (executemany), so a round where most alerts only moved
    their evaluation time costs a handful of statements.
    """
    by_columns: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for change in changes:
        by_columns.setdefault(tuple(sorted(set(change) - {"id"})), []).append(change)
    for columns, group in by_columns.items():
        if not columns:
            continue
        stmt = (
            update(ALERTS)
            .where(ALERTS.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}", type_=ALERTS.c[name].type) for name in columns})
        )
        conn.execute(stmt, [{f"b_{name}": value for name, value in change.items()} | {"b_id": change["id"]}
                            for change in group])  # fmt: skip


def add_events(conn: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Append history events (``alert_id, at, event, from_state, to_state`` and optional ``value, actor, note``)."""
    if events:
        conn.execute(insert(EVENTS), [_EVENT_DEFAULTS | dict(event) for event in events])


def _alert(conn: Connection, alert_id: int) -> dict[str, Any]:
    row = conn.execute(select(*ALERTS.columns).where(ALERTS.c.id == alert_id)).mappings().first()
    if row is None:
        msg = f"no alert with id {alert_id}"
        raise AlertNotFoundError(msg)
    return dict(row)


def acknowledge(
    engine: Engine, alert_id: int, *, by: str, note: str, now: dt.datetime, until: dt.datetime | None = None
) -> None:
    """Record that someone is handling the alert (who, note, optional expiry); repeats stop, state does not."""
    if not by.strip():
        msg = "acknowledge: 'by' (who) is required"
        raise ValueError(msg)
    with write_transaction(engine) as conn:
        alert = _alert(conn, alert_id)
        update_alerts(conn, [{"id": alert_id, "ack_by": by, "ack_note": note, "ack_at": now, "ack_until": until}])
        note_text = note if until is None else f"{note} (đến {until.isoformat()})"
        add_events(conn, [{"alert_id": alert_id, "at": now, "event": "ack", "from_state": alert["state"],
                           "to_state": alert["state"], "actor": by, "note": note_text}])  # fmt: skip


def add_silence(
    engine: Engine, matchers: dict[str, str], *, until: dt.datetime, by: str, now: dt.datetime, comment: str = ""
) -> int:
    """Silence notifications of every alert matching ``matchers`` until ``until``; returns the silence id.

    Each alert the silence covers now gets a ``silence`` history event; evaluation and history continue.
    """
    if not by.strip() or not matchers:
        msg = "a silence needs who (by) and at least one matcher"
        raise ValueError(msg)
    with write_transaction(engine) as conn:
        silence_id = conn.execute(
            insert(AlertSilence).values(matchers=dict(matchers), starts_at=now, ends_at=until, created_by=by,
                                        comment=comment)
        ).inserted_primary_key[0]  # fmt: skip
        note = f"{comment} (đến {until.isoformat()})".strip()
        covered = [alert for alert in stored_alerts(conn).values() if silence_matches(matchers, alert)]
        add_events(conn, [{"alert_id": alert["id"], "at": now, "event": "silence", "from_state": alert["state"],
                           "to_state": alert["state"], "actor": by, "note": note}
                          for alert in sorted(covered, key=lambda alert: alert["id"])])  # fmt: skip
        return int(silence_id)


def silence(engine: Engine, alert_id: int, *, until: dt.datetime, by: str, now: dt.datetime, comment: str = "") -> int:
    """Silence one alert's notifications until ``until`` (a silence matching its rule and subject)."""
    with engine.connect() as conn:
        alert = _alert(conn, alert_id)
    matchers = {"rule_id": alert["rule_id"], "subject": alert["subject"]}
    return add_silence(engine, matchers, until=until, by=by, now=now, comment=comment)


def mark_notified(conn: Connection, alerts: Iterable[Mapping[str, Any]], now: dt.datetime, receivers: str) -> None:
    """Remember that these alerts (records with ``id`` and ``state``) were sent in their current state.

    One ``notify`` history event each.
    """
    alerts = list(alerts)
    update_alerts(conn, [{"id": a["id"], "last_notified_at": now, "last_notified_state": a["state"]} for a in alerts])
    add_events(conn, [{"alert_id": a["id"], "at": now, "event": "notify", "from_state": a["state"],
                       "to_state": a["state"], "note": receivers} for a in alerts])  # fmt: skip
