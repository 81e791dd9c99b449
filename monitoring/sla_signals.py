"""Complaint SLA signals for the alert engine: one overdue reminder per responsible unit, not one per case.

The open cases are read once and then kept current case by case (:class:`monitoring.case_memo.CaseFrameMemo`);
the clock is applied to them on every evaluation through :func:`data.sla.overdue_mask` and
:func:`data.sla.missed_deadlines`, the one rule that :func:`data.queries.overdue_by_unit` (the leaders' page,
``envmon complaints overdue``) applies in SQL, so a reminder never disagrees with them. The per-case detail
lives with the unit's cases; the alert carries the count, the oldest overdue case and its missed deadline.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data.alert_queries import responsible_units
from data.case_changes import open_case_deadlines
from data.frames import is_missing
from data.sla import missed_deadlines, overdue_mask
from monitoring.case_memo import CaseFrameMemo
from monitoring.signals import Signal

SLA_RULE_ID = "complaint-overdue-unit"
NO_UNIT = "-"  # subject code of the cases that have no responsible unit yet
NO_UNIT_ID = -1  # their unit id while counting

open_cases = CaseFrameMemo(open_case_deadlines)  # per database: the open cases with their deadlines


def unit_subject(unit_code: str | None) -> str:
    """Alert subject of a unit's overdue reminder (``unit:URENCO``; ``unit:-`` for cases without a unit)."""
    return f"unit:{unit_code or NO_UNIT}"


def sla_signals(engine: Engine, now: dt.datetime) -> list[Signal]:
    """``kind="sla"`` signals, one per responsible unit (and one for cases without a unit).

    Breaching while the unit has overdue open cases: ``value`` = how many, labels name the unit, the oldest
    overdue case, its missed deadline and how many are still not accepted. Every known unit gets a signal on
    every evaluation, so a reminder resolves as soon as the unit's last overdue case is handled.
    """
    cases = open_cases.current(engine).cases
    status, accept_due, due = cases["status"], cases["accept_due_at"], cases["due_at"]
    units = cases["unit_id"].fillna(NO_UNIT_ID).astype("int64").to_numpy()
    missed = missed_deadlines(status, accept_due, due, now)
    late = pd.DataFrame({"unit": units, "id": cases["id"].to_numpy(), "missed": missed})
    late = late[overdue_mask(status, accept_due, due, now)]
    open_per_unit = pd.Series(units).value_counts().to_dict()
    late_per_unit = late["unit"].value_counts().to_dict()
    oldest = late.sort_values(["missed", "id"]).drop_duplicates("unit")
    oldest_per_unit = {unit: (int(case_id), deadline) for unit, case_id, deadline
                       in oldest[["unit", "id", "missed"]].itertuples(index=False, name=None)}  # fmt: skip
    known = {unit_id: (code, name) for unit_id, code, name in responsible_units(engine)}
    signals: dict[str, Signal] = {}
    for unit_id in sorted(set(known) | set(open_per_unit) | {NO_UNIT_ID}):
        code, name = known.get(unit_id, ("", ""))
        signals[unit_subject(code)] = _signal(
            now,
            None if unit_id == NO_UNIT_ID else unit_id,
            code,
            name,
            int(late_per_unit.get(unit_id, 0)),
            int(open_per_unit.get(unit_id, 0)),
            oldest_per_unit.get(unit_id),
        )
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
