"""Reads that keep frames of complaint cases current between alert evaluations without re-reading them all.

Cases, reports and status changes are only ever added, and every change of a case writes a status-change row
(``data.case_actions``, the regrouping actions and the demo all do), so the cases added or touched since a
:class:`ChangeMarks` are the new cases and the cases named by new reports and new status changes; the row
counts in the marks reveal a row committed late below a highest id already seen.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, literal, select, type_coerce, union_all

from data.dialect import driver_time_type
from data.frames import read_frame
from data.schema import CaseStatusChange, ComplaintCase, ComplaintReport
from data.sla import is_open

SLA_CASE_COLUMNS = ("id", "unit_id", "status", "accept_due_at", "due_at")
_TABLES = ((ComplaintCase.id, ComplaintCase.id), (ComplaintReport.id, ComplaintReport.case_id),
           (CaseStatusChange.id, CaseStatusChange.case_id))  # fmt: skip


@dataclass(frozen=True)
class ChangeMarks:
    """Highest id and row count of the cases, reports and status changes: equal marks, same complaint data."""

    last_ids: tuple[int, int, int]
    counts: tuple[int, int, int]


def change_marks(engine: Engine) -> ChangeMarks:
    """The current :class:`ChangeMarks` (one statement: three primary-key lookups and three counts)."""
    stmt = select(*(select(func.max(key)).scalar_subquery() for key, _ in _TABLES),
                  *(select(func.count(key)).scalar_subquery() for key, _ in _TABLES))  # fmt: skip
    with engine.connect() as conn:
        values = [int(value or 0) for value in conn.execute(stmt).one()]
    return ChangeMarks(tuple(values[:3]), tuple(values[3:]))  # type: ignore[arg-type]


def cases_changed_since(engine: Engine, before: ChangeMarks, now: ChangeMarks) -> set[int] | None:
    """Ids of the cases added or touched between the marks ``before`` and ``now``.

    None when rows appeared below ``before``'s highest ids (a transaction committed after a later one) or
    vanished: then only a full read is sure to see them.
    """
    parts = [
        select(key.label("row_id"), case_id.label("case_id"), literal(kind).label("kind")).where(key > last)
        for kind, ((key, case_id), last) in enumerate(zip(_TABLES, before.last_ids, strict=True))
    ]
    with engine.connect() as conn:
        rows = conn.execute(union_all(*parts)).all()
    added = [0, 0, 0]
    for row_id, _, kind in rows:
        added[kind] += row_id <= now.last_ids[kind]
    if any(now.counts[i] - before.counts[i] != added[i] for i in range(3)):
        return None
    return {int(case_id) for _, case_id, _ in rows if case_id is not None}


def open_case_deadlines(engine: Engine, ids: Collection[int] | None = None) -> pd.DataFrame:
    """Open cases (all, or those of ``ids``) with what the overdue rule needs: :data:`SLA_CASE_COLUMNS`.

    Deadlines are tz-aware UTC (NaT when missing), ``unit_id`` is ``Int64`` (NA for cases without a unit). The
    times are read as the driver gives them and converted a column at a time.
    """
    times = {name: type_coerce(getattr(ComplaintCase, name), driver_time_type(engine)).label(name)
             for name in ("accept_due_at", "due_at")}  # fmt: skip
    stmt = select(*(times.get(name, getattr(ComplaintCase, name)) for name in SLA_CASE_COLUMNS)).where(is_open())
    if ids is not None:
        stmt = stmt.where(ComplaintCase.id.in_(sorted(ids)))
    frame = read_frame(engine, stmt, list(SLA_CASE_COLUMNS))
    frame["id"] = frame["id"].astype("int64")
    frame["unit_id"] = frame["unit_id"].astype("Int64")
    frame["status"] = frame["status"].astype(str)
    for name in times:
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601")
    return frame
