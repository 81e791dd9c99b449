"""The case workflow: statuses, the actions that move a case between them, and who may take each action.

received → accepted → assigned → in_progress → resolved | rejected; transfer re-routes an open case to another
unit and returns it to ``received`` (the new unit's accept clock starts again; the history shows
``… → transferred → received``); reopen brings a resolved, rejected (or formerly transferred) case back to
``received``; merge closes a duplicate as ``merged`` (its reports move to the surviving case); split moves one
report out into a new case.

The actions themselves (checks, optimistic concurrency, the written record) live in :mod:`data.case_actions`;
this module is the vocabulary every layer shares, and the one place the open/closed split is defined
(:data:`CLOSED_STATUSES`, read by the one overdue rule in :mod:`data.sla`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from data.schema import CaseStatusChange

STATUSES = ("received", "accepted", "assigned", "in_progress", "resolved", "rejected", "transferred", "merged")
#: a case in one of these statuses is closed; every other status is open. ``transferred`` is a closed status of
#: cases transferred before transfer re-routed them (and of the demo); a transfer now ends in ``received``.
CLOSED_STATUSES: tuple[str, ...] = ("resolved", "rejected", "transferred", "merged")
OPEN_STATUSES: tuple[str, ...] = tuple(status for status in STATUSES if status not in CLOSED_STATUSES)
#: the status of a case nobody has accepted yet (the acceptance deadline applies while it lasts)
NOT_ACCEPTED = "received"
#: the status a transfer passes through (recorded in the history, never left on a case)
TRANSFERRED = "transferred"
MERGED = "merged"


@dataclass(frozen=True)
class ActionRule:
    """One action: the statuses it starts from, the status it leads to (None: unchanged), who may take it, and
    whether it needs a note (a result, a reason, the citizen's feedback)."""

    name: str
    from_statuses: frozenset[str]
    to_status: str | None
    roles: frozenset[str]
    needs_note: bool = False


_ACTIVE = frozenset({"received", "accepted", "assigned", "in_progress"})
_WORKING = frozenset({"accepted", "assigned", "in_progress"})
_REOPENABLE = frozenset({"resolved", "rejected", TRANSFERRED})  # transferred: closed before transfers re-routed
ACTIONS: dict[str, ActionRule] = {
    rule.name: rule
    for rule in (
        ActionRule("accept", frozenset({"received"}), "accepted", frozenset({"unit", "operator"})),
        ActionRule("assign", _ACTIVE, "assigned", frozenset({"unit", "operator"})),
        ActionRule("in_progress", frozenset({"accepted", "assigned"}), "in_progress", frozenset({"unit", "operator"})),
        ActionRule("resolve", _WORKING, "resolved", frozenset({"unit", "operator"}), needs_note=True),
        ActionRule("reject", _ACTIVE, "rejected", frozenset({"unit", "operator"}), needs_note=True),
        ActionRule("transfer", _ACTIVE, NOT_ACCEPTED, frozenset({"unit", "operator", "leader"}), needs_note=True),
        ActionRule("reopen", _REOPENABLE, NOT_ACCEPTED, frozenset({"operator"}), needs_note=True),
        ActionRule("merge", _ACTIVE, MERGED, frozenset({"operator"})),
        ActionRule("split", _ACTIVE, None, frozenset({"operator"})),
    )
}
#: ``--to`` words of ``envmon complaints status`` that name a status rather than an action
ACTION_FOR_STATUS = {
    "accepted": "accept",
    "assigned": "assign",
    "in_progress": "in_progress",
    "resolved": "resolve",
    "rejected": "reject",
    "transferred": "transfer",
    "received": "reopen",
    "merged": "merge",
}


def allowed_actions(case_status: str, role: str) -> tuple[str, ...]:
    """The actions ``role`` may take on a case in ``case_status`` (in workflow order), e.g. for buttons."""
    return tuple(name for name, rule in ACTIONS.items() if case_status in rule.from_statuses and role in rule.roles)


@dataclass(frozen=True)
class StatusChange:
    """One entry of a case's written record (a status change, or an action that kept the status)."""

    id: int
    case_id: int
    from_status: str
    to_status: str
    at: dt.datetime
    actor: str
    note: str
    unit_id: int | None


def status_history(engine: Engine, case_id: int) -> list[StatusChange]:
    """All recorded entries of a case, oldest first (the import's initial "received" entry included)."""
    table = CaseStatusChange.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.case_id == case_id).order_by(table.c.at, table.c.id)).mappings()
        return [
            StatusChange(
                row["id"],
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
