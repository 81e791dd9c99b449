"""Files on actions, on both engines: an "after" photo resolves a sanitation case and is linked to the record
entry it proves; a bad file is refused naming it, with nothing written and no file left behind."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data.case_actions import EvidenceRequiredError, perform
from data.case_detail import load_case
from data.media import MediaError, Upload, media_file
from data.schema import CaseAttachment, MediaObject

from .conftest import OPENED, jpeg


def files_in(folder) -> list:
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def counts(world) -> tuple[int, int]:
    with world.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(CaseAttachment)).scalar_one(),
            conn.execute(select(func.count()).select_from(MediaObject)).scalar_one(),
        )


def test_resolve_with_an_after_photo_links_it_to_the_record_entry(world):
    perform(world.engine, world.waste_case, "accept", actor=world.officer_a, expected_version=0,
            media_dir=world.media_dir, at=OPENED)  # fmt: skip
    result = perform(world.engine, world.waste_case, "resolve", actor=world.officer_a, expected_version=1,
                     note="Đã thu gom, vệ sinh mặt đường", files=[Upload("sau.jpg", jpeg())],
                     media_dir=world.media_dir, at=OPENED)  # fmt: skip
    assert result.to_status == "resolved" and len(result.attachment_ids) == 1
    detail = load_case(world.engine, world.waste_case, actor=world.officer_a, now=OPENED)
    entry = detail.history[-1]
    (photo,) = entry.attachments
    assert (entry.id, photo.purpose, photo.kind, photo.original_name) == (
        result.history_id,
        "after",
        "photo",
        "sau.jpg",
    )
    assert (photo.uploaded_by, photo.is_public, photo.history_id) == ("ubnd-a", False, result.history_id)
    assert media_file(world.media_dir, photo.sha256).is_file()


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_stays(world):
    perform(world.engine, world.waste_case, "accept", actor=world.officer_a, expected_version=0,
            media_dir=world.media_dir, at=OPENED)  # fmt: skip
    with pytest.raises(MediaError) as refused:
        perform(world.engine, world.waste_case, "resolve", actor=world.officer_a, expected_version=1, note="xong",
                files=[Upload("sau.jpg", b"not an image at all")], media_dir=world.media_dir, at=OPENED)  # fmt: skip
    assert "sau.jpg" in refused.value.text("vi")
    assert world.case(world.waste_case)["status"] == "accepted" and counts(world) == (0, 0)
    assert files_in(world.media_dir) == []


def test_a_refused_action_leaves_no_stored_file(world):
    # a stale version: the photo is fine, the action is refused before anything is stored
    with pytest.raises(Exception, match="updated by"):
        perform(world.engine, world.waste_case, "reject", actor=world.officer_a, expected_version=5, note="x",
                files=[Upload("a.jpg", jpeg())], media_dir=world.media_dir, at=OPENED)  # fmt: skip
    perform(world.engine, world.waste_case, "accept", actor=world.officer_a, expected_version=0,
            media_dir=world.media_dir, at=OPENED)  # fmt: skip
    with pytest.raises(EvidenceRequiredError):  # a sanitation case needs an "after" photo, not only a note
        perform(world.engine, world.waste_case, "resolve", actor=world.officer_a, expected_version=1, note="xong",
                media_dir=world.media_dir, at=OPENED)  # fmt: skip
    assert counts(world) == (0, 0) and files_in(world.media_dir) == []


def test_a_video_alone_is_not_the_after_photo_but_is_kept_with_one(world):
    from tests.media.samples import iso_media

    perform(world.engine, world.waste_case, "accept", actor=world.officer_a, expected_version=0,
            media_dir=world.media_dir, at=OPENED)  # fmt: skip
    clip = Upload("clip.mp4", iso_media(b"vide"))
    with pytest.raises(EvidenceRequiredError):
        perform(world.engine, world.waste_case, "resolve", actor=world.officer_a, expected_version=1, note="xong",
                files=[clip], media_dir=world.media_dir, at=OPENED)  # fmt: skip
    assert counts(world) == (0, 0) and files_in(world.media_dir) == []
    both = [clip, Upload("sau.jpg", jpeg())]
    result = perform(world.engine, world.waste_case, "resolve", actor=world.officer_a, expected_version=1,
                     note="xong", files=both, media_dir=world.media_dir, at=OPENED)  # fmt: skip
    kinds = sorted(
        a.kind for a in load_case(world.engine, world.waste_case, actor=world.operator).history[-1].attachments
    )
    assert len(result.attachment_ids) == 2 and kinds == ["photo", "video"] and counts(world) == (2, 2)
