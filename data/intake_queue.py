"""The Open311 intake queue: a posted request is stored durably before the answer (a token comes back at once),
and imported later in batches through the complaint pipeline by a worker (:func:`process_queue`).

Nothing is lost and nothing is taken twice: a row stays until its outcome is recorded; a worker claims rows with
one UPDATE (a claim older than ``lease`` — its worker died — may be taken over); and the import is idempotent,
because a request's report id is derived from its token and the pipeline never stores one id twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, func, insert, or_, select, update
from sqlalchemy.sql.dml import Update

from data.importers.pipeline import ImportContext
from data.open311_server import NewRequest, PostedRequest, external_id_of, import_requests
from data.schema import Open311Queued

BATCH_SIZE = 500
LEASE = dt.timedelta(minutes=5)


def enqueue(engine: Engine, request: NewRequest, *, client: str, now: dt.datetime) -> str:
    """Store ``request`` from ``client`` (committed when this returns); return its token."""
    token = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(
            insert(Open311Queued).values(
                token=token, client=client, received_at=now, service_code=request.service_code, lat=request.lat,
                lon=request.lon, address=request.address, description=request.description,
                media_url=request.media_url, contact_name=request.contact_name, contact_phone=request.contact_phone,
            )
        )  # fmt: skip
    return token


@dataclass(frozen=True)
class TokenState:
    """What became of a posted request: still waiting, a case (``service_request_id``), or refused (``reason``)."""

    token: str
    service_request_id: int | None
    refused_reason: str | None

    @property
    def waiting(self) -> bool:
        """Not imported yet."""
        return self.service_request_id is None and self.refused_reason is None


def token_state(engine: Engine, token: str) -> TokenState | None:
    """The state of the request posted with ``token``, or None for an unknown token."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Open311Queued.service_request_id, Open311Queued.refused_reason).where(Open311Queued.token == token)
        ).first()
    return None if row is None else TokenState(token, row.service_request_id, row.refused_reason)


def pending_count(engine: Engine) -> int:
    """Requests accepted but not imported yet."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(Open311Queued.done_at.is_(None))).scalar_one())


def process_queue(
    engine: Engine, context: ImportContext, *, now: dt.datetime, limit: int = BATCH_SIZE, lease: dt.timedelta = LEASE
) -> int:
    """Claim up to ``limit`` waiting requests, import them (one batch per client), record each outcome.

    Returns how many were processed (0: nothing waited, or another worker holds them).
    """
    claim = uuid.uuid4().hex
    claimable = Open311Queued.done_at.is_(None) & or_(
        Open311Queued.claimed_at.is_(None), Open311Queued.claimed_at < now - lease
    )
    with engine.begin() as conn:
        oldest = select(Open311Queued.id).where(claimable).order_by(Open311Queued.id).limit(limit)
        ids = [row.id for row in conn.execute(oldest)]
        if not ids:
            return 0
        # the WHERE is checked again under the row lock: of two workers racing for a row, one gets it
        mine = update(Open311Queued).where(Open311Queued.id.in_(ids), claimable)
        conn.execute(mine.values(claim=claim, claimed_at=now))
    with engine.connect() as conn:
        rows = conn.execute(select(Open311Queued).where(Open311Queued.claim == claim)).all()
    by_client: dict[str, list[PostedRequest]] = defaultdict(list)
    token_of: dict[str, str] = {}
    for row in rows:
        external_id = external_id_of(row.token)
        token_of[external_id] = row.token
        request = NewRequest(row.service_code, row.lat, row.lon, row.address, row.description, row.media_url,
                             row.contact_name, row.contact_phone)  # fmt: skip
        by_client[row.client].append(PostedRequest(external_id, row.received_at, request))
    for client, posted in by_client.items():
        outcome = import_requests(engine, posted, context, client=client, now=now)
        outcomes = [
            {"queued_token": token_of[external_id], "case_id": result if isinstance(result, int) else None,
             "reason": result if isinstance(result, str) else None}
            for external_id, result in outcome.items()
        ]  # fmt: skip
        if outcomes:
            with engine.begin() as conn:  # one statement for the batch: the write lock is held briefly
                conn.execute(_record_outcome(claim, now), outcomes)
    return len(rows)


def _record_outcome(claim: str, now: dt.datetime) -> Update:
    """The UPDATE recording one request's outcome (executed once for all the batch's rows): done, its case or
    the reason it was refused, and the private contact dropped from the queue (the report keeps it)."""
    return (
        update(Open311Queued)
        .where(Open311Queued.token == bindparam("queued_token"), Open311Queued.claim == claim)
        .values(done_at=now, service_request_id=bindparam("case_id"), refused_reason=bindparam("reason"),
                contact_name=None, contact_phone=None)
    )  # fmt: skip
