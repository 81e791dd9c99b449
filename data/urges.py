"""Urges ("đôn đốc") and automatic escalations: recorded in ``case_urges``, delivered by :mod:`monitoring.case_notify`.

A leader or operator urges a unit on one open case, or on its whole overdue list (``case_id`` NULL). An open case
overdue by a configured number of working hours is escalated once per missed deadline to the supervising body
of its unit (``responsible_units.supervisor_id``); the row keeps the late unit in ``unit_id`` (the scorecard
counts urges and escalations against it), and the message goes to the supervisor's route. Rows stay undelivered
(``delivered_at`` NULL) until a receiver accepted them, and are retried at every poll round.

Whoever sends an urge (the page that recorded it, at once, or a poll round) first claims it (:func:`claim`, a
lease per urge in ``poller_leases``): two senders never deliver the same urge twice, and a sender that died
mid-way leaves a claim that expires, after which the next poll round retries.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, select, update

from data import leases
from data.case_actions import ActionNotAllowedError, Actor, CaseInputError, CaseNotFoundError
from data.schema import CaseUrge, ComplaintCase, ResponsibleUnit
from data.sla import SlaPolicy, WorkingCalendar, is_open, is_overdue, missed_deadline

logger = logging.getLogger(__name__)

URGE_ROLES = ("leader", "operator")
URGE, ESCALATION = "urge", "escalation"
ESCALATION_ACTOR = "envmon"
MAX_VIA = 50
CLAIM_PREFIX = "*urge:"  # lease names of urges being sent (poller jobs never start with "*urge:")


@dataclass(frozen=True)
class UrgeRecord:
    """A recorded urge: its id, target and how many overdue cases the unit had when urged."""

    id: int
    case_id: int | None
    unit_code: str
    kind: str
    actor: str
    note: str
    at: dt.datetime
    case_count: int


@dataclass(frozen=True)
class PendingUrge:
    """An undelivered urge or escalation with what its message says and where it goes (``route_unit``)."""

    id: int
    kind: str
    case_id: int | None
    unit_code: str
    unit_name: str
    route_unit: str  # the unit whose route receives it: the unit itself, or its supervisor for an escalation
    actor: str
    note: str
    at: dt.datetime
    cases: tuple[tuple[int, str], ...]  # (case id, title) the message lists
    sent_to: frozenset[str] = frozenset()  # receivers that accepted it in an earlier, partly failed attempt


def urge(
    engine: Engine,
    *,
    actor: Actor,
    case_id: int | None = None,
    unit_code: str | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> UrgeRecord:
    """Record an urge on open case ``case_id``, or on the overdue list of unit ``unit_code`` (exactly one).

    Refused (:class:`data.case_actions.CaseActionError`) for a role that may not urge, a closed or out-of-scope
    case, an unknown unit or a unit with nothing overdue.
    """
    if actor.role not in URGE_ROLES:
        raise ActionNotAllowedError("role", role=actor.role, action="urge")
    if (case_id is None) == (unit_code is None):
        raise CaseInputError("urge_target")
    at = at or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        if case_id is not None:
            case = conn.execute(
                select(ComplaintCase.unit_id, ComplaintCase.status, is_open().label("open")).where(
                    ComplaintCase.id == case_id
                )
            ).first()
            if case is None or not actor.sees(case.unit_id):
                raise CaseNotFoundError(case_id)
            if not case.open or case.unit_id is None:
                raise ActionNotAllowedError("status", action="urge", status=case.status)
            unit_id, count = case.unit_id, 1
        else:
            unit_id = conn.execute(select(ResponsibleUnit.id).where(ResponsibleUnit.code == unit_code)).scalar()
            if unit_id is None or not actor.sees(unit_id):
                raise CaseInputError("unknown_unit", code=unit_code)
            count = len(overdue_case_list(conn, unit_id, at))
            if count == 0:
                raise CaseInputError("nothing_overdue", code=unit_code)
        values = {"case_id": case_id, "unit_id": unit_id, "kind": URGE, "actor": actor.username,
                  "note": note.strip(), "at": at}  # fmt: skip
        urge_id = int(conn.execute(insert(CaseUrge).values(**values)).inserted_primary_key[0])
        code = conn.execute(select(ResponsibleUnit.code).where(ResponsibleUnit.id == unit_id)).scalar_one()
    return UrgeRecord(urge_id, case_id, code, URGE, actor.username, note.strip(), at, count)


@dataclass(frozen=True)
class ListUrge:
    """An urge on a unit's whole overdue list (no single case), as the unit's queue shows it."""

    unit_name: str
    actor: str
    note: str
    at: dt.datetime


def recent_list_urges(engine: Engine, unit_ids: Collection[int], since: dt.datetime, limit: int = 3) -> list[ListUrge]:
    """The latest urges on the overdue lists of ``unit_ids`` since ``since`` (at most ``limit``), latest first."""
    if not unit_ids:
        return []
    query = (
        select(ResponsibleUnit.name, CaseUrge.actor, CaseUrge.note, CaseUrge.at)
        .join(ResponsibleUnit, ResponsibleUnit.id == CaseUrge.unit_id)
        .where(CaseUrge.unit_id.in_(sorted(unit_ids)), CaseUrge.case_id.is_(None), CaseUrge.kind == URGE,
               CaseUrge.at >= since)
        .order_by(CaseUrge.at.desc(), CaseUrge.id.desc())
        .limit(limit)
    )  # fmt: skip
    with engine.connect() as conn:
        return [ListUrge(row.name, row.actor, row.note, row.at) for row in conn.execute(query)]


def overdue_case_list(conn: Connection, unit_id: int, now: dt.datetime) -> list[tuple[int, str]]:
    """(id, title) of the unit's overdue cases at ``now`` (the one overdue rule), oldest missed deadline first."""
    rows = conn.execute(
        select(ComplaintCase.id, ComplaintCase.title)
        .where(ComplaintCase.unit_id == unit_id, is_overdue(now))
        .order_by(missed_deadline(now), ComplaintCase.id)
    )
    return [(row.id, row.title) for row in rows]


def pending_urges(engine: Engine, now: dt.datetime, ids: list[int] | None = None) -> list[PendingUrge]:
    """Undelivered urges and escalations (only ``ids`` when given), oldest first, with their messages' cases."""
    unit = ResponsibleUnit.__table__.alias("unit")
    supervisor = ResponsibleUnit.__table__.alias("supervisor")
    query = (
        select(
            CaseUrge.id,
            CaseUrge.kind,
            CaseUrge.case_id,
            CaseUrge.unit_id,
            CaseUrge.actor,
            CaseUrge.note,
            CaseUrge.at,
            CaseUrge.delivered_via,
            unit.c.code,
            unit.c.name,
            supervisor.c.code.label("supervisor_code"),
            ComplaintCase.title,
        )  # fmt: skip
        .join(unit, unit.c.id == CaseUrge.unit_id)
        .outerjoin(supervisor, supervisor.c.id == unit.c.supervisor_id)
        .outerjoin(ComplaintCase, ComplaintCase.id == CaseUrge.case_id)
        .where(CaseUrge.delivered_at.is_(None))
        .order_by(CaseUrge.at, CaseUrge.id)
    )
    if ids is not None:
        query = query.where(CaseUrge.id.in_(ids))
    pending = []
    with engine.connect() as conn:
        for row in conn.execute(query).all():
            if row.case_id is not None:
                cases = ((row.case_id, row.title or ""),)
            else:
                cases = tuple(overdue_case_list(conn, row.unit_id, now))
            route = row.supervisor_code if row.kind == ESCALATION and row.supervisor_code else row.code
            pending.append(PendingUrge(row.id, row.kind, row.case_id, row.code, row.name, route, row.actor,
                                       row.note, row.at, cases, receiver_names(row.delivered_via)))  # fmt: skip
    return pending


def receiver_names(via: str | None) -> frozenset[str]:
    """The receiver names of a stored ``delivered_via`` (a shortened list ends with "…": its last name is cut)."""
    names = [name.strip() for name in (via or "").split(",") if name.strip()]
    if names and names[-1].endswith("…"):
        names.pop()
    return frozenset(names)


def mark_delivered(engine: Engine, ids: list[int], via: str, at: dt.datetime | None) -> None:
    """Record that urges ``ids`` were accepted by the receivers ``via`` (names, shortened to fit) at ``at``;
    ``at`` None: only some receivers of the route accepted them (kept pending, the others are tried again)."""
    if not ids:
        return
    via = via if len(via) <= MAX_VIA else via[: MAX_VIA - 1] + "…"
    with engine.begin() as conn:
        conn.execute(
            update(CaseUrge)
            .where(CaseUrge.id.in_(ids), CaseUrge.delivered_at.is_(None))
            .values(delivered_via=via, delivered_at=at)
        )


def claim(engine: Engine, ids: list[int], holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Claim urges ``ids`` for sending, all or none: True when ``holder`` now holds each one's lease and none of
    them is delivered yet; False (nothing held) when another sender holds one or one was delivered meanwhile."""
    taken: list[str] = []
    for urge_id in ids:
        name = f"{CLAIM_PREFIX}{urge_id}"
        if not leases.try_acquire(engine, name, holder, now, ttl):
            leases.release(engine, taken, holder)
            return False
        taken.append(name)
    with engine.connect() as conn:
        pending = conn.scalar(select(func.count()).where(CaseUrge.id.in_(ids), CaseUrge.delivered_at.is_(None)))
    if pending != len(ids):
        leases.release(engine, taken, holder)
        return False
    return True


def release(engine: Engine, ids: list[int], holder: str) -> None:
    """Give up ``holder``'s claims on urges ``ids`` (sent, or failed and left to the next round)."""
    leases.release(engine, [f"{CLAIM_PREFIX}{urge_id}" for urge_id in ids], holder)


def record_escalations(engine: Engine, now: dt.datetime, policy: SlaPolicy, after_hours: float) -> list[int]:
    """Escalate every open case overdue by ``after_hours`` working hours or more whose unit has a supervising body
    and that was not escalated since it missed its deadline; the new ``case_urges`` ids.

    The candidates (overdue now, with a supervisor, no escalation since the missed deadline) come from SQL;
    working hours since the missed deadline are measured for those only, in one vectorised calendar pass.
    """
    deadline = missed_deadline(now)
    escalated = (
        select(CaseUrge.id)
        .where(CaseUrge.case_id == ComplaintCase.id, CaseUrge.kind == ESCALATION, CaseUrge.at >= deadline)
        .exists()
    )
    query = (
        select(ComplaintCase.id, ComplaintCase.unit_id, deadline.label("deadline"))
        .join(ResponsibleUnit, ResponsibleUnit.id == ComplaintCase.unit_id)
        .where(is_overdue(now), ResponsibleUnit.supervisor_id.is_not(None), ~escalated)
    )
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        if not rows:
            return []
        deadlines = pd.to_datetime([row.deadline for row in rows], utc=True)
        calendar = WorkingCalendar.covering(policy, [*deadlines, pd.Timestamp(now)])
        hours = calendar.hours_between(deadlines, [now] * len(rows))
        due = [row for row, late in zip(rows, np.asarray(hours) >= after_hours, strict=True) if late]
        if not due:
            return []
        values = [{"case_id": row.id, "unit_id": row.unit_id, "kind": ESCALATION, "actor": ESCALATION_ACTOR,
                   "note": "", "at": now} for row in due]  # fmt: skip
        conn.execute(insert(CaseUrge), values)
        ids = conn.execute(
            select(CaseUrge.id).where(
                and_(CaseUrge.kind == ESCALATION, CaseUrge.at == now, CaseUrge.case_id.in_([row.id for row in due]))
            )
        )
        return sorted(int(urge_id) for urge_id in ids.scalars())


def set_supervisors(engine: Engine, supervisors: dict[str, str]) -> int:
    """Point each unit's ``supervisor_id`` at the body ``supervisors`` names for its code (``"*"``: every other
    unit; a body never supervises itself); rows already right are not written. The number of units changed.

    Unknown codes are skipped with a warning (the routing table may not be loaded yet).
    """
    with engine.begin() as conn:
        units = {row.code: (row.id, row.supervisor_id) for row in conn.execute(
            select(ResponsibleUnit.code, ResponsibleUnit.id, ResponsibleUnit.supervisor_id))}  # fmt: skip
        unknown = sorted({code for pair in supervisors.items() for code in pair} - set(units) - {"*"})
        if unknown and units:
            logger.warning("unit_notify supervisors: unknown unit codes %s", ", ".join(unknown))
        changes = []
        for code, (unit_id, current) in units.items():
            boss = units.get(supervisors.get(code, supervisors.get("*", "")))
            if boss is not None and boss[0] != unit_id and boss[0] != current:
                changes.append({"b_id": unit_id, "b_boss": boss[0]})
        if changes:
            conn.execute(
                update(ResponsibleUnit.__table__)
                .where(ResponsibleUnit.__table__.c.id == bindparam("b_id"))
                .values(supervisor_id=bindparam("b_boss")),
                changes,
            )
    return len(changes)
