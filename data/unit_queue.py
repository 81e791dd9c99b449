"""A responsible unit's work queue: its open cases in four sections, sorted by the deadline that comes next.

Sections (each open case is in exactly one, decided in SQL):

- ``overdue``: past its resolve-by time, or still not accepted past its accept-by time (:func:`data.sla.is_overdue`);
- ``new``: not accepted yet (status ``received``), still inside its accept-by time (8 working hours by default);
- ``due_soon``: accepted, and its resolve-by time falls within the next :data:`DUE_SOON_HOURS` working hours;
- ``in_progress``: every other accepted open case.

The unit scope is part of the SQL (``unit_id IN scope``): a ``unit`` account's queue is built from its own
cases only, never by hiding rows of a larger answer. ``scope=None`` means every unit (staff roles).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, false, func, literal, select, type_coerce
from sqlalchemy.sql import Select

from data.frames import read_frame
from data.i18n import translate
from data.routing import Router
from data.schema import CaseUrge, ComplaintCase, ResponsibleUnit
from data.sla import SlaPolicy, WorkingCalendar, add_working_hours, is_open, is_overdue
from data.workflow import NOT_ACCEPTED

SECTIONS: Final = ("new", "in_progress", "due_soon", "overdue")
DUE_SOON_HOURS: Final = 8.0
"""An accepted case whose resolve-by time is this many working hours away or less is "due soon"."""
MAX_ROWS: Final = 500
"""At most this many cases per section are listed (the counts are always complete)."""

QUEUE_COLUMNS: Final = (
    "id",
    "title",
    "category_code",
    "ward_name",
    "district",
    "status",
    "priority",
    "unit_code",
    "unit_name",
    "assignee",
    "opened_at",
    "accept_due_at",
    "due_at",
    "report_count",
    "urges",
    "last_urged_at",
    "section",
)


@dataclass(frozen=True)
class QueueScope:
    """Whose cases: ``units`` are the responsible-unit ids the viewer may see (None: every unit, staff roles);
    ``unit_id`` narrows a staff viewer's queue to one unit (``/queue?unit=CODE``)."""

    units: frozenset[int] | None = None
    unit_id: int | None = None

    def condition(self) -> ColumnElement[bool]:
        """SQL: the case belongs to this scope."""
        parts: list[ColumnElement[bool]] = [ComplaintCase.merged_into_id.is_(None)]
        if self.units is not None:
            parts.append(ComplaintCase.unit_id.in_(sorted(self.units)) if self.units else false())
        if self.unit_id is not None:
            parts.append(ComplaintCase.unit_id == self.unit_id)
        return and_(*parts)


def section_of(now: dt.datetime, soon_until: dt.datetime) -> ColumnElement[str]:
    """SQL: the queue section of an open case at ``now`` (``soon_until``: now plus the due-soon working hours)."""
    return case(
        (is_overdue(now), literal("overdue")),
        (ComplaintCase.status == NOT_ACCEPTED, literal("new")),
        (ComplaintCase.due_at < soon_until, literal("due_soon")),
        else_=literal("in_progress"),
    )


def soon_limit(now: dt.datetime, policy: SlaPolicy, hours: float = DUE_SOON_HOURS) -> dt.datetime:
    """The time ``hours`` working hours after ``now``: a resolve-by time before it is "due soon"."""
    return add_working_hours(now, hours, policy)


def queue_counts(engine: Engine, scope: QueueScope, now: dt.datetime, policy: SlaPolicy) -> dict[str, int]:
    """Open cases per section (every section present, zero when empty), counted in the database."""
    section = section_of(now, soon_limit(now, policy)).label("section")
    stmt = (
        select(section, func.count().label("n"))
        .select_from(ComplaintCase)
        .where(is_open(), scope.condition())
        .group_by(section)
    )
    with engine.connect() as conn:
        found = {name: int(n) for name, n in conn.execute(stmt)}
    return {name: found.get(name, 0) for name in SECTIONS}


def _queue_select(now: dt.datetime, soon_until: dt.datetime) -> Select:  # type: ignore[type-arg]
    def on_case(aggregate: ColumnElement[Any]) -> ColumnElement[Any]:
        return select(aggregate).where(CaseUrge.case_id == ComplaintCase.id).correlate(ComplaintCase).scalar_subquery()

    return select(
        ComplaintCase.id,
        ComplaintCase.title,
        ComplaintCase.category_code,
        ComplaintCase.ward_name,
        ComplaintCase.district,
        ComplaintCase.status,
        ComplaintCase.priority,
        func.coalesce(ResponsibleUnit.code, "").label("unit_code"),
        func.coalesce(ResponsibleUnit.name, "").label("unit_name"),
        ComplaintCase.assignee,
        ComplaintCase.opened_at,
        ComplaintCase.accept_due_at,
        ComplaintCase.due_at,
        ComplaintCase.report_count,
        type_coerce(on_case(func.count()), ComplaintCase.report_count.type).label("urges"),
        type_coerce(on_case(func.max(CaseUrge.at)), ComplaintCase.opened_at.type).label("last_urged_at"),
        section_of(now, soon_until).label("section"),
    ).outerjoin(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)


def queue_cases(
    engine: Engine,
    scope: QueueScope,
    now: dt.datetime,
    policy: SlaPolicy,
    *,
    section: str | None = None,
    limit: int = MAX_ROWS,
) -> pd.DataFrame:
    """Open cases of ``scope`` (one ``section`` or all), next deadline first: :data:`QUEUE_COLUMNS` plus

    ``deadline`` (the deadline that applies now: accept-by while not accepted, else resolve-by, whichever is
    earlier) and ``hours_left`` (working hours from ``now`` to it; negative when it has passed).
    """
    if section is not None and section not in SECTIONS:
        msg = f"unknown queue section {section!r} (known: {', '.join(SECTIONS)})"
        raise ValueError(msg)
    soon_until = soon_limit(now, policy)
    stmt = _queue_select(now, soon_until).where(is_open(), scope.condition())
    if section is not None:
        stmt = stmt.where(section_of(now, soon_until) == section)
    next_due = case(
        (
            and_(ComplaintCase.status == NOT_ACCEPTED, ComplaintCase.accept_due_at.is_not(None)),
            case(
                (ComplaintCase.due_at < ComplaintCase.accept_due_at, ComplaintCase.due_at),
                else_=ComplaintCase.accept_due_at,
            ),
        ),
        else_=ComplaintCase.due_at,
    )
    stmt = stmt.order_by(next_due.is_(None), next_due, ComplaintCase.id).limit(limit)
    frame = read_frame(engine, stmt, list(QUEUE_COLUMNS))
    return with_clock(frame, now, policy)


def with_clock(frame: pd.DataFrame, now: dt.datetime, policy: SlaPolicy) -> pd.DataFrame:
    """``frame`` (status, accept_due_at, due_at) plus ``deadline`` and ``hours_left`` (working hours, see
    :func:`queue_cases`), computed for every row at once on one working calendar."""
    out = frame.copy()
    accept = pd.to_datetime(out["accept_due_at"], utc=True)
    due = pd.to_datetime(out["due_at"], utc=True)
    not_accepted = out["status"].eq(NOT_ACCEPTED).to_numpy(dtype=bool) & accept.notna().to_numpy(dtype=bool)
    earlier = accept.where(due.isna() | (accept <= due), due)
    out["deadline"] = due.where(~not_accepted, earlier)
    out["hours_left"] = np.nan
    known = out["deadline"].notna().to_numpy(dtype=bool)
    if known.any():
        stamps = out.loc[known, "deadline"]
        calendar = WorkingCalendar.covering(policy, pd.concat([stamps, pd.Series([pd.Timestamp(now)])]))
        starts = pd.Series([pd.Timestamp(now)] * int(known.sum()), index=stamps.index)
        out.loc[known, "hours_left"] = calendar.hours_between(starts, stamps)
    return out


def clock_text(deadline: object, hours_left: object, now: dt.datetime, language: str) -> str:
    """The SLA clock in words: ``còn 3 giờ làm việc`` before the deadline, ``quá hạn 2 ngày`` after it (calendar
    time since the missed deadline: hours under a day, then whole days); ``—`` without a deadline."""
    if deadline is None or pd.isna(deadline) or hours_left is None or pd.isna(hours_left):  # type: ignore[arg-type]
        return translate("queue.clock_none", language)
    passed = (now - pd.Timestamp(deadline).to_pydatetime()).total_seconds() / 3600  # type: ignore[arg-type]
    if passed > 0:
        if passed < 24:
            return translate("queue.clock_overdue_hours", language, n=max(1, math.floor(passed)))
        return translate("queue.clock_overdue_days", language, n=math.floor(passed / 24))
    left = float(hours_left)  # type: ignore[arg-type]
    if left < 1:  # also a deadline in non-working time with no working hour before it
        return translate("queue.clock_left_under_hour", language)
    return translate("queue.clock_left_hours", language, n=math.floor(left))


CLOSED_DAYS: Final = 30
"""The queue's "closed" tab lists the cases closed in this many days (to review what goes public, to look back)."""
CLOSED_COLUMNS: Final = (
    "id", "title", "category_code", "ward_name", "status", "unit_name", "due_at", "resolved_at", "result_public"
)  # fmt: skip


def closed_cases(
    engine: Engine, scope: QueueScope, now: dt.datetime, *, days: int = CLOSED_DAYS, limit: int = MAX_ROWS
) -> pd.DataFrame:
    """Cases of ``scope`` closed (resolved, rejected…) in the last ``days`` days, latest first: :data:`CLOSED_COLUMNS`
    plus ``on_time`` (resolved by the resolve-by time; None when not resolved or without a deadline)."""
    stmt = (
        select(
            ComplaintCase.id,
            ComplaintCase.title,
            ComplaintCase.category_code,
            ComplaintCase.ward_name,
            ComplaintCase.status,
            func.coalesce(ResponsibleUnit.name, "").label("unit_name"),
            ComplaintCase.due_at,
            ComplaintCase.resolved_at,
            ComplaintCase.result_public,
        )
        .outerjoin(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)
        .where(~is_open(), scope.condition(), ComplaintCase.resolved_at >= now - dt.timedelta(days=days))
        .order_by(ComplaintCase.resolved_at.desc(), ComplaintCase.id.desc())
        .limit(limit)
    )
    frame = read_frame(engine, stmt, list(CLOSED_COLUMNS))
    due = pd.to_datetime(frame["due_at"], utc=True)
    resolved = pd.to_datetime(frame["resolved_at"], utc=True)
    judged = due.notna() & resolved.notna() & frame["status"].eq("resolved")  # a rejection is not "on time"
    frame["on_time"] = (resolved <= due).astype(object).where(judged, None)
    return frame


def unit_summary(engine: Engine, now: dt.datetime, policy: SlaPolicy) -> pd.DataFrame:
    """Every responsible unit with open cases: ``unit_id, code, name`` and a count per section, most overdue first
    (the staff's way into one unit's queue)."""
    section = section_of(now, soon_limit(now, policy))
    counts = [func.sum(case((section == name, 1), else_=0)).label(name) for name in SECTIONS]
    stmt = (
        select(ResponsibleUnit.id.label("unit_id"), ResponsibleUnit.code, ResponsibleUnit.name, *counts)
        .join(ComplaintCase, ComplaintCase.unit_id == ResponsibleUnit.id)
        .where(is_open(), ComplaintCase.merged_into_id.is_(None))
        .group_by(ResponsibleUnit.id, ResponsibleUnit.code, ResponsibleUnit.name)
    )
    frame = read_frame(engine, stmt, ["unit_id", "code", "name", *SECTIONS])
    for name in SECTIONS:
        frame[name] = pd.to_numeric(frame[name]).fillna(0).astype(int)
    return frame.sort_values(["overdue", "due_soon", "code"], ascending=[False, False, True]).reset_index(drop=True)


def unit_by_code(engine: Engine, code: str) -> tuple[int, str] | None:
    """``(id, name)`` of the responsible unit ``code``, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(ResponsibleUnit.id, ResponsibleUnit.name).where(ResponsibleUnit.code == code)).first()
    return None if row is None else (int(row.id), str(row.name))


def units_of(engine: Engine, unit_ids: Collection[int]) -> pd.DataFrame:
    """``unit_id, code, name`` of the given units, by code (a unit account's own units)."""
    stmt = (
        select(ResponsibleUnit.id.label("unit_id"), ResponsibleUnit.code, ResponsibleUnit.name)
        .where(ResponsibleUnit.id.in_(sorted(unit_ids)) if unit_ids else false())
        .order_by(ResponsibleUnit.code)
    )
    return read_frame(engine, stmt, ["unit_id", "code", "name"])


ROUTING_BASES: Final = ("ward_category", "category", "ward", "default", "other", "none")


def routing_basis(engine: Engine, ward_code: str | None, category_code: str, unit_id: int | None) -> str:
    """Which routing rule sent a case to ``unit_id`` (:data:`ROUTING_BASES`): a ward + category rule, a category
    rule, a ward rule, the default rule (``data.routing.Router``'s order); ``other`` when the rules name another
    unit (the case was moved by hand); ``none`` without a unit."""
    if unit_id is None:
        return "none"
    with engine.connect() as conn:
        router = Router.load(conn)
    if ward_code and router.exact.get((ward_code, category_code)) is not None:
        found, basis = router.exact[(ward_code, category_code)], "ward_category"
    elif category_code in router.by_category:
        found, basis = router.by_category[category_code], "category"
    elif ward_code and ward_code in router.by_ward:
        found, basis = router.by_ward[ward_code], "ward"
    else:
        found, basis = router.fallback, "default"
    return basis if found == unit_id else "other"
