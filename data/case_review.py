"""The review for the public results page: an operator or the case's unit marks the result note and "after"
photos of a resolved case as public (``complaint_cases.result_public``, ``case_attachments.is_public``).

Nothing is public until reviewed (resolving resets the note's mark). The unit scope is checked on the server
(another unit's case is "not found", as everywhere), the marks apply only if the case is still at the version
the reviewer saw (a reopen or a new result in between gets the conflict message), and every review is written to
the audit log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from data import audit
from data.case_actions import ActionNotAllowedError, Actor, CaseConflictError, CaseNotFoundError
from data.db import transaction
from data.schema import CaseAttachment, CaseStatusChange, ComplaintCase

REVIEW_ROLES = ("operator", "unit")
REVIEWABLE_PURPOSES = ("after",)


def set_public(
    engine: Engine,
    case_id: int,
    *,
    actor: Actor,
    expected_version: int,
    result_public: bool,
    photos: Mapping[int, bool],
) -> None:
    """Mark the result note (``result_public``) and each "after" photo (attachment id → public) of a case.

    Raises :class:`ActionNotAllowedError` for another role, :class:`CaseNotFoundError` out of scope,
    :class:`CaseConflictError` when the case changed since ``expected_version``. Ids of other files are refused
    as not found (only "after" photos of this case can be published).
    """
    if actor.role not in REVIEW_ROLES:
        raise ActionNotAllowedError("role", role=actor.role, action="review_public")
    with transaction(engine) as session:
        case = session.execute(
            select(ComplaintCase.unit_id, ComplaintCase.version, ComplaintCase.status)
            .where(ComplaintCase.id == case_id)
            .with_for_update()
        ).first()
        if case is None or not actor.sees(case.unit_id):
            raise CaseNotFoundError(case_id)
        if case.version != expected_version:
            last = session.execute(
                select(CaseStatusChange.actor)
                .where(CaseStatusChange.case_id == case_id)
                .order_by(CaseStatusChange.at.desc(), CaseStatusChange.id.desc())
                .limit(1)
            ).scalar()
            raise CaseConflictError("conflict", case_id=case_id, by=last or "?", status=case.status)
        reviewable = set(
            session.scalars(
                select(CaseAttachment.id).where(
                    CaseAttachment.case_id == case_id, CaseAttachment.purpose.in_(REVIEWABLE_PURPOSES)
                )
            )
        )
        if set(photos) - reviewable:
            raise CaseNotFoundError(case_id)
        session.execute(update(ComplaintCase).where(ComplaintCase.id == case_id).values(result_public=result_public))
        for attachment_id, public in photos.items():
            session.execute(
                update(CaseAttachment)
                .where(CaseAttachment.id == attachment_id)
                .values(is_public=bool(public), reviewed_by=actor.username)
            )
        published = sorted(i for i, public in photos.items() if public)
        audit.record(session, actor.username, "case.review_public", f"case:{case_id}",
                     result_public=result_public, public_photos=published)  # fmt: skip
