"""Read paths over stored alerts, shared by the pages, the CLI and the notifications: one listing, one history.

States and severities come from :mod:`data.alert_states`; "active" means :data:`ACTIVE_STATES` everywhere (a
stale alert whose station died mid-exceedance stays active).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, case, func, or_, select

from data.alert_states import ACTIVE_STATES, SEVERITY_RANK
from data.frames import read_frame
from data.schema import Alert, AlertEvent, AlertSilence, ResponsibleUnit, UtcDateTime

#: every stored column of an alert, in table order
ALERT_COLUMNS: tuple[str, ...] = tuple(column.name for column in Alert.__table__.columns)
_TIME_COLUMNS = tuple(column.name for column in Alert.__table__.columns if isinstance(column.type, UtcDateTime))


def _severity_rank() -> ColumnElement[int]:
    return case(*((Alert.severity == name, rank) for name, rank in SEVERITY_RANK.items()), else_=len(SEVERITY_RANK))


def alert_frame(
    engine: Engine, *, states: tuple[str, ...] = (), since: dt.datetime | None = None, alert_id: int | None = None
) -> pd.DataFrame:
    """Alerts in ``states`` (all when empty) or changed since ``since``; most severe, then most recent first.

    ``alert_id`` selects one alert. Times are UTC-aware; ``labels`` are dicts.
    """
    table = Alert.__table__
    stmt = select(*table.columns)
    conditions: list[ColumnElement[bool]] = []
    if states:
        conditions.append(Alert.state.in_(states))
    if since is not None:
        conditions.append(Alert.state_since >= since)
    if conditions:
        stmt = stmt.where(or_(*conditions))
    if alert_id is not None:
        stmt = stmt.where(Alert.id == alert_id)
    stmt = stmt.order_by(_severity_rank(), Alert.state_since.desc(), Alert.id)
    frame = read_frame(engine, stmt, list(ALERT_COLUMNS))
    for column in _TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    frame["labels"] = [labels if isinstance(labels, dict) else {} for labels in frame["labels"]]
    return frame


def active_alert_count(engine: Engine) -> int:
    """Alerts currently active (firing, or open with their data gone stale)."""
    with engine.connect() as conn:
        stmt = select(func.count()).select_from(Alert).where(Alert.state.in_(ACTIVE_STATES))
        return int(conn.execute(stmt).scalar_one())


def alert_events(
    engine: Engine, alert_id: int | None = None, *, limit: int | None = 500, newest_first: bool = True
) -> pd.DataFrame:
    """Alert history events (transitions, acknowledgements, silences, notifications) with their alert's identity."""
    stmt = select(
        AlertEvent.id,
        AlertEvent.alert_id,
        Alert.rule_id,
        Alert.subject,
        Alert.kind,
        AlertEvent.at,
        AlertEvent.event,
        AlertEvent.from_state,
        AlertEvent.to_state,
        AlertEvent.value,
        AlertEvent.actor,
        AlertEvent.note,
    ).join(Alert, Alert.id == AlertEvent.alert_id)
    if alert_id is not None:
        stmt = stmt.where(AlertEvent.alert_id == alert_id)
    order = (AlertEvent.at.desc(), AlertEvent.id.desc()) if newest_first else (AlertEvent.at, AlertEvent.id)
    stmt = stmt.order_by(*order)
    frame = read_frame(engine, stmt if limit is None else stmt.limit(limit))
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


#: alert fields a silence may match on; any other matcher key is a label
SILENCE_FIELDS = ("rule_id", "kind", "subject", "severity")


def silence_matches(matchers: Mapping[str, Any], alert: Mapping[str, Any]) -> bool:
    """Whether a silence with ``matchers`` covers ``alert`` (every matcher equal; an empty silence matches nothing)."""
    if not matchers:
        return False
    labels = alert.get("labels") or {}
    for key, wanted in matchers.items():
        actual = alert.get(key) if key in SILENCE_FIELDS else labels.get(key)
        if actual is None or str(actual) != str(wanted):
            return False
    return True


def active_silences(engine: Engine, now: dt.datetime) -> list[dict[str, Any]]:
    """Silences in force at ``now``: ``id, matchers, starts_at, ends_at, created_by, comment``."""
    stmt = select(*AlertSilence.__table__.columns).where(AlertSilence.starts_at <= now, AlertSilence.ends_at > now)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt.order_by(AlertSilence.id))]


def silenced_by(alert: Mapping[str, Any], silences: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first of ``silences`` that covers ``alert``, or None."""
    return next((silence for silence in silences if silence_matches(silence["matchers"], alert)), None)


def responsible_units(engine: Engine) -> list[tuple[int, str, str]]:
    """Every responsible unit as ``(id, code, name)`` (each gets an overdue-reminder signal on every evaluation)."""
    with engine.connect() as conn:
        rows = conn.execute(select(ResponsibleUnit.id, ResponsibleUnit.code, ResponsibleUnit.name)).all()
    return [(int(unit_id), code, name) for unit_id, code, name in rows]


def last_evaluation_at(engine: Engine) -> dt.datetime | None:
    """When the alert rules were last evaluated (the latest ``last_eval_at`` of any alert), None if never."""
    with engine.connect() as conn:
        return conn.scalar(select(func.max(Alert.last_eval_at)))
