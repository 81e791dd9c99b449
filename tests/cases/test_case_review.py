"""The review for the public results page (data.case_review.set_public) on both engines: scope, role, version,
only "after" photos, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, insert, select

from data import audit
from data.case_actions import ActionNotAllowedError, Actor, CaseConflictError, CaseNotFoundError
from data.case_review import set_public
from data.schema import CaseAttachment, ComplaintCase, MediaObject, ResponsibleUnit

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)
SHA = "ab" * 32
UNIT_A = Actor("donvi-a", "unit", frozenset({1}))


@pytest.fixture
def resolved_case(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(
            insert(ResponsibleUnit), [{"id": 1, "code": "a", "name": "A"}, {"id": 2, "code": "b", "name": "B"}]
        )
        conn.execute(
            insert(ComplaintCase),
            [{"id": 1, "category_code": "waste", "unit_id": 1, "status": "resolved", "title": "t", "opened_at": NOW,
              "last_report_at": NOW, "version": 3, "result_note": "Đã thu gom"}],
        )  # fmt: skip
        conn.execute(
            insert(MediaObject),
            [{"sha256": SHA, "mime": "image/jpeg", "kind": "photo", "size_bytes": 10, "created_at": NOW}],
        )
        conn.execute(
            insert(CaseAttachment),
            [
                {
                    "id": 1,
                    "case_id": 1,
                    "sha256": SHA,
                    "purpose": "after",
                    "uploaded_by": "donvi-a",
                    "uploaded_at": NOW,
                },
                {"id": 2, "case_id": 1, "sha256": SHA, "purpose": "report", "uploaded_by": "ops", "uploaded_at": NOW},
            ],
        )
    return engine


def _state(engine: Engine) -> tuple[bool, dict[int, tuple[bool, str | None]]]:
    with engine.connect() as conn:
        public = conn.execute(select(ComplaintCase.result_public).where(ComplaintCase.id == 1)).scalar_one()
        files = {r.id: (r.is_public, r.reviewed_by) for r in conn.execute(select(CaseAttachment))}
    return bool(public), files


def test_the_unit_publishes_its_result_and_after_photo(resolved_case: Engine) -> None:
    set_public(resolved_case, 1, actor=UNIT_A, expected_version=3, result_public=True, photos={1: True})
    assert _state(resolved_case) == (True, {1: (True, "donvi-a"), 2: (False, None)})
    entry = audit.recent(resolved_case, target="case:1")[0]
    assert (entry.actor, entry.action, entry.detail["public_photos"]) == ("donvi-a", "case.review_public", [1])
    set_public(resolved_case, 1, actor=UNIT_A, expected_version=3, result_public=False, photos={1: False})
    assert _state(resolved_case) == (False, {1: (False, "donvi-a"), 2: (False, None)})


@pytest.mark.parametrize(
    ("actor", "version", "photos", "error"),
    [
        (Actor("donvi-b", "unit", frozenset({2})), 3, {1: True}, CaseNotFoundError),  # another unit's case
        (Actor("lead", "leader", None), 3, {1: True}, ActionNotAllowedError),  # leaders do not publish
        (UNIT_A, 2, {1: True}, CaseConflictError),  # the case changed since the page was drawn
        (UNIT_A, 3, {2: True}, CaseNotFoundError),  # a citizen's report photo is never published from here
    ],
)
def test_refused_reviews_change_nothing(
    resolved_case: Engine, actor: Actor, version: int, photos: dict[int, bool], error: type[Exception]
) -> None:
    with pytest.raises(error):
        set_public(resolved_case, 1, actor=actor, expected_version=version, result_public=True, photos=photos)
    assert _state(resolved_case) == (False, {1: (False, None), 2: (False, None)})
