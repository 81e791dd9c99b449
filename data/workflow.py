"""Case status workflow: received → assigned → in_progress → resolved | rejected | transferred; reopening.

Every change is written to ``case_status_history`` with its time, actor and note in the same transaction as
the status itself: that record is what an inspection, or a citizen complaint about the handling, relies on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update

from data.schema import CaseStatusChange, ComplaintCase, ResponsibleUnit

STATUSES = ("received", "assigned", "in_progress", "resolved", "rejected", "transferred")
#: a case in one of these statuses is closed; every other status is open (reopening returns it to "received")
CLOSED_STATUSES: tuple[str, ...] = ("resolved", "rejected", "transferred")
#: the status of a case nobody has accepted yet (the acceptance deadline applies while it lasts)
NOT_ACCEPTED = "received"
TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"assigned", "rejected", "transferred"}),
    "assigned": frozenset({"in_progress", "resolved", "rejected", "transferred"}),
    "in_progress": frozenset({"resolved", "rejected", "transferred"}),
    "resolved": frozenset({"received"}),
    "rejected": frozenset({"received"}),
    "transferred": frozenset({"received"}),
}
STATUS_LABELS_VI = {
    "received": "Đã tiếp nhận",
    "assigned": "Đã giao xử lý",
    "in_progress": "Đang xử lý",
    "resolved": "Đã xử lý xong",
    "rejected": "Từ chối",
    "transferred": "Chuyển đơn vị khác",
}


class InvalidTransitionError(ValueError):
    """A status change the workflow does not allow (the message names both states and the allowed ones)."""


@dataclass(frozen=True)
class StatusChange:
    """The recorded change."""

    case_id: int
    from_status: str
    to_status: str
    at: dt.datetime
    actor: str
    note: str
    unit_id: int | None


def check_transition(from_status: str, to_status: str) -> None:
    """Raise :class:`InvalidTransitionError` unless ``from_status -> to_status`` is allowed."""
    if to_status not in STATUSES:
        msg = f"unknown status {to_status!r} (known: {', '.join(STATUSES)})"
        raise InvalidTransitionError(msg)
    allowed = TRANSITIONS.get(from_status, frozenset())
    if to_status not in allowed:
        options = ", ".join(sorted(allowed)) or "none"
        msg = f"cannot change a case from {from_status!r} to {to_status!r} (allowed: {options})"
        raise InvalidTransitionError(msg)


def change_status(
    engine: Engine,
    case_id: int,
    to_status: str,
    *,
    actor: str,
    note: str = "",
    unit_code: str | None = None,
    at: dt.datetime | None = None,
) -> StatusChange:
    """Move case ``case_id`` to ``to_status`` and record who did it, when and why.

    ``unit_code`` re-routes the case (for ``assigned`` or ``transferred``). Moving back to ``received`` from a
    closed state is a reopening: the resolution time is cleared. Leaving ``received`` the first time records
    the acceptance time used by the 8-working-hour acceptance deadline.
    """
    if not actor.strip():
        msg = "a status change needs an actor (who made it)"
        raise ValueError(msg)
    at = at or dt.datetime.now(dt.UTC)
    if at.tzinfo is None:
        msg = f"time {at!r} has no time zone"
        raise ValueError(msg)
    table = ComplaintCase.__table__
    with engine.begin() as conn:
        row = conn.execute(
            select(table.c.status, table.c.unit_id, table.c.accepted_at).where(table.c.id == case_id)
        ).first()
        if row is None:
            msg = f"no case with id {case_id}"
            raise LookupError(msg)
        check_transition(row.status, to_status)
        unit_id = row.unit_id
        if unit_code is not None:
            unit_id = conn.execute(select(ResponsibleUnit.id).where(ResponsibleUnit.code == unit_code)).scalar()
            if unit_id is None:
                msg = f"no responsible unit with code {unit_code!r}"
                raise LookupError(msg)
        values: dict[str, object] = {"status": to_status, "unit_id": unit_id}
        if row.status == NOT_ACCEPTED and row.accepted_at is None:
            values["accepted_at"] = at
        if to_status in CLOSED_STATUSES:
            values["resolved_at"] = at
        if to_status == NOT_ACCEPTED:
            values["resolved_at"] = None
        conn.execute(update(table).where(table.c.id == case_id).values(**values))
        conn.execute(
            insert(CaseStatusChange).values(
                case_id=case_id,
                from_status=row.status,
                to_status=to_status,
                at=at,
                actor=actor.strip(),
                note=note,
                unit_id=unit_id,
            )
        )
    return StatusChange(case_id, row.status, to_status, at, actor.strip(), note, unit_id)


def status_history(engine: Engine, case_id: int) -> list[StatusChange]:
    """All recorded changes of a case, oldest first (the import's initial "received" entry included)."""
    table = CaseStatusChange.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.case_id == case_id).order_by(table.c.at, table.c.id)).mappings()
        return [
            StatusChange(
                row["case_id"],
                row["from_status"] or "",
                row["to_status"],
                row["at"],
                row["actor"],
                row["note"],
                row["unit_id"],
            )
            for row in rows
        ]
