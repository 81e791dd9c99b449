"""The audit log of administrative changes: who did what to which target, when.

Entries are written in the same transaction as the change they describe (:func:`record` takes the open
session), so a change and its entry are stored together or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from data.db import transaction
from data.schema import AuditEntry

SYSTEM_ACTOR = "system"
"""The actor of changes made without a signed-in person (first operator from the environment)."""


@dataclass(frozen=True)
class AuditRecord:
    """One stored entry; ``detail`` holds codes and values (rendered in the reader's language at display)."""

    at: dt.datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def record(session: Session, actor: str, action: str, target: str, **detail: Any) -> None:
    """Add an entry to ``session`` (committed with the change it describes)."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))


def recent(engine: Engine, limit: int = 200, *, target: str | None = None) -> list[AuditRecord]:
    """The newest ``limit`` entries, newest first (optionally only those about ``target``)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    with transaction(engine) as session:
        return [
            AuditRecord(row.at, row.actor, row.action, row.target, dict(row.detail or {}))
            for row in session.scalars(query)
        ]
