"""The publisher's rounds on both engines: a change of the public results alone (a case resolved, its result marked
public, the mark or a photo withdrawn, a case hidden) rebuilds the site; a round without any change does not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from air_seed import NOW, TIMEZONE
from sqlalchemy import Engine, insert, select, update

from data.case_actions import Actor
from data.case_review import set_public
from data.config import load_settings
from data.public_results import public_results_version
from data.schema import CaseAttachment, ComplaintCase, ResponsibleUnit
from publish.build import Publisher
from tests.cases.public_seed import PUBLIC_NOTE, seed_public

OPERATOR = Actor("dieuphoi", "operator", None)
NEW_NOTE = "Đã dọn bãi rác tự phát, lắp biển cấm đổ rác"


def _ward_page(out: Path) -> str:
    return (out / "results" / "00070.html").read_text(encoding="utf-8")


def _version(engine: Engine, case_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(ComplaintCase.version).where(ComplaintCase.id == case_id)).scalar_one())


def test_a_change_of_public_results_alone_rebuilds_the_site(air_engine: Engine, tmp_path: Path) -> None:
    world = seed_public(air_engine, tmp_path / "media")
    out = tmp_path / "site"
    settings = load_settings(timezone=TIMEZONE, media_dir=world.media_dir)
    publisher = Publisher(air_engine, out, settings, refresh=3600)  # no rebuild for age during the test
    assert publisher.round() is not None
    assert publisher.round() is None  # nothing changed: no rebuild
    with air_engine.begin() as conn:  # a new case, being handled
        unit = conn.execute(select(ResponsibleUnit.id)).scalar_one()
        case_id = conn.execute(
            insert(ComplaintCase).values(
                category_code="burning_smoke",
                lat=21.0301,
                lon=105.8541,
                set_name="hanoi-2025",
                ward_code="00070",
                ward_name="Hoàn Kiếm",
                district="Quận Hoàn Kiếm",
                unit_id=unit,
                status="in_progress",
                title="private",
                opened_at=NOW - dt.timedelta(days=1),
                last_report_at=NOW,
                version=2,
            )  # fmt: skip
        ).inserted_primary_key[0]
    assert publisher.round() is not None and "Đốt rác / khói bụi" in _ward_page(out)

    with air_engine.begin() as conn:  # the unit resolves it (an action moves the version): not yet public
        conn.execute(
            update(ComplaintCase)
            .where(ComplaintCase.id == case_id)
            .values(status="resolved", resolved_at=NOW, result_note=NEW_NOTE, version=ComplaintCase.version + 1)
        )
    assert publisher.round() is not None
    assert "08/03/2025" in _ward_page(out) and NEW_NOTE not in _ward_page(out)

    set_public(air_engine, case_id, actor=OPERATOR, expected_version=_version(air_engine, case_id),
               result_public=True, photos={})  # fmt: skip
    assert publisher.round() is not None  # marked public: on the site at the next round
    assert NEW_NOTE in _ward_page(out) and NEW_NOTE in (out / "results.json").read_text(encoding="utf-8")
    assert NEW_NOTE in (out / "en" / "results" / "00070.html").read_text(encoding="utf-8")
    assert publisher.round() is None

    set_public(air_engine, case_id, actor=OPERATOR, expected_version=_version(air_engine, case_id),
               result_public=False, photos={})  # fmt: skip
    assert publisher.round() is not None  # withdrawn: gone at the next round
    assert NEW_NOTE not in _ward_page(out) and NEW_NOTE not in (out / "results.json").read_text(encoding="utf-8")

    with air_engine.connect() as conn:
        photo_id = conn.execute(select(CaseAttachment.id).where(CaseAttachment.sha256 == world.public_photo)).scalar()
    assert (out / "results" / "photos" / f"{world.public_photo}.jpg").is_file()
    set_public(air_engine, world.reviewed, actor=OPERATOR, expected_version=_version(air_engine, world.reviewed),
               result_public=True, photos={photo_id: False})  # fmt: skip
    assert publisher.round() is not None  # a photo withdrawn: page and file gone
    assert world.public_photo not in _ward_page(out)
    assert not (out / "results" / "photos" / f"{world.public_photo}.jpg").exists()

    with air_engine.begin() as conn:  # the whole case hidden from the public
        conn.execute(update(ComplaintCase).where(ComplaintCase.id == world.reviewed).values(is_public=False))
    assert publisher.round() is not None and PUBLIC_NOTE not in _ward_page(out)


def test_the_version_ignores_what_the_public_never_sees(air_engine: Engine, tmp_path: Path) -> None:
    world = seed_public(air_engine, tmp_path / "media")
    before = public_results_version(air_engine)
    with air_engine.begin() as conn:  # a hidden case's changes and a report count are not public
        conn.execute(update(ComplaintCase).where(ComplaintCase.id == world.hidden).values(status="in_progress"))
        conn.execute(update(ComplaintCase).values(report_count=ComplaintCase.report_count + 1))
    assert public_results_version(air_engine) == before
    with air_engine.begin() as conn:
        conn.execute(update(ResponsibleUnit).values(name="UBND phường Hoàn Kiếm (mới)"))
    assert public_results_version(air_engine) != before  # a unit renamed is shown on every case of it
