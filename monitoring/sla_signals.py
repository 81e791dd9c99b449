"""Complaint SLA signals for the alert engine: one overdue reminder per responsible unit, not one per case.

The counts are :func:`data.queries.overdue_by_unit` — the numbers of the leaders' page and of ``envmon
complaints overdue`` — so a reminder never disagrees with them. The per-case detail lives with the unit's
cases; the alert carries the count, the oldest overdue case and its missed deadline.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data.alert_queries import responsible_units
from data.case_filter import CaseFilter
from data.frames import is_missing, plain_text, plain_value
from data.queries import oldest_overdue_cases, overdue_by_unit
from monitoring.signals import Signal

SLA_RULE_ID = "complaint-overdue-unit"
NO_UNIT = "-"  # subject code of the cases that have no responsible unit yet


def unit_subject(unit_code: str | None) -> str:
    """Alert subject of a unit's overdue reminder (``unit:URENCO``; ``unit:-`` for cases without a unit)."""
    return f"unit:{unit_code or NO_UNIT}"


def sla_signals(engine: Engine, now: dt.datetime, flt: CaseFilter | None = None) -> list[Signal]:
    """``kind="sla"`` signals, one per responsible unit (and one for cases without a unit).

    Breaching while the unit has overdue open cases: ``value`` = how many, labels name the unit, the oldest
    overdue case, its missed deadline and how many are still not accepted. Every known unit gets a signal on
    every evaluation, so a reminder resolves as soon as the unit's last overdue case is handled.
    """
    flt = flt or CaseFilter()
    per_unit = overdue_by_unit(engine, flt, now)
    oldest = oldest_overdue_cases(engine, flt, now)
    oldest_by_unit = {plain_value(u): (int(c), d) for u, c, d in oldest.itertuples(index=False, name=None)}
    units = responsible_units(engine)
    signals: dict[str, Signal] = {}
    for unit_id, code, name in units:
        signals[unit_subject(code)] = _signal(now, unit_id, code, name, 0, 0, None)
    for row in per_unit.itertuples(index=False):
        unit_id = plain_value(row.unit_id)
        code, name = plain_text(row.unit_code), plain_text(row.unit)
        signals[unit_subject(code)] = _signal(
            now, unit_id, code, name, int(row.overdue), int(row.open_cases), oldest_by_unit.get(unit_id)
        )
    if unit_subject(None) not in signals:
        signals[unit_subject(None)] = _signal(now, None, "", "", 0, 0, None)
    return [signals[subject] for subject in sorted(signals)]


def _signal(
    now: dt.datetime,
    unit_id: int | None,
    code: str,
    name: str,
    overdue: int,
    open_cases: int,
    oldest: tuple[int, object] | None,
) -> Signal:
    labels = {"unit_code": code, "unit_name": name, "open_cases": str(open_cases)}
    if unit_id is not None:
        labels["unit_id"] = str(unit_id)
    if oldest is not None:
        case_id, deadline = oldest
        labels["oldest_case_id"] = str(case_id)
        if not is_missing(deadline):
            labels["oldest_due_at"] = pd.Timestamp(deadline).isoformat()
    return Signal(
        rule_id=SLA_RULE_ID,
        subject=unit_subject(code),
        condition=overdue > 0,
        value=float(overdue),
        threshold=0.0,
        observed_at=now,
        kind="sla",
        labels=labels,
        message=f"{name or 'Chưa có đơn vị'}: {overdue} vụ việc quá hạn",
    )
