"""The media column of complaint imports and chat attachments, served by a local HTTP server on loopback:
stored and attached, placed from the photo's GPS, a failing medium quarantines its row whole, nothing left over."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from data.config import load_settings
from data.importers.pipeline import ImportContext, import_complaints
from data.media import MediaLimits, media_file
from data.routing import seed_routing
from data.schema import CaseAttachment, ComplaintReport, MediaObject, QuarantineRow
from data.uploads import quarantine_view
from tests.media.conftest import FILES
from tests.media.metadata import assert_no_metadata
from tests.media.samples import HOAN_KIEM

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)


@pytest.fixture
def db(loaded_engine: Engine) -> Engine:
    seed_routing(loaded_engine)
    return loaded_engine


@pytest.fixture
def context(db: Engine, media_dir: Path) -> ImportContext:
    return ImportContext.from_settings(db, load_settings(media_dir=media_dir, media_fetch_private=True))


def _csv(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["Mã phản ánh;Thời gian;Nội dung;Vĩ độ;Kinh độ;Hình ảnh"]
    lines += [f'{ident};15/03/2025 06:42;Rác thải bừa bãi;{lat};{lon};"{media}"' for ident, lat, lon, media in rows]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _table(engine: Engine, model: type) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(model.__table__)).mappings().all())


def _stored_files(media_dir: Path) -> list[Path]:
    return sorted(path for path in media_dir.rglob("*") if path.is_file())


def test_csv_media_column_is_fetched_stored_attached_and_places_the_report(
    db: Engine, context: ImportContext, server: str, tmp_path: Path, media_dir: Path
) -> None:
    path = _csv(tmp_path / "pa.csv", [
        ("PA-1", "", "", f"{server}/gps.jpg ; {server}/clip.mp4"),  # no coordinates: placed from the photo
        ("PA-2", "21,0312", "105,7905", f"{server}/plain.png"),  # has coordinates: kept
        ("PA-3", "21,0312", "105,7905", ""),
    ])  # fmt: skip
    summary = import_complaints(db, path, context, now=NOW)
    assert (summary.accepted, summary.quarantined) == (3, 0)
    reports = _table(db, ComplaintReport).set_index("external_id")
    assert (reports.at["PA-1", "lat"], reports.at["PA-1", "lon"]) == pytest.approx(HOAN_KIEM, abs=1e-5)
    assert reports.at["PA-1", "location_from_photo"] and reports.at["PA-1", "ward_code"] is not None
    assert not reports.at["PA-2", "location_from_photo"] and reports.at["PA-2", "lat"] == pytest.approx(21.0312)
    attachments = _table(db, CaseAttachment)
    by_report = attachments.groupby("report_id")["original_name"].apply(sorted).to_dict()
    assert by_report == {reports.at["PA-1", "id"]: ["clip.mp4", "gps.jpg"], reports.at["PA-2", "id"]: ["plain.png"]}
    assert set(attachments["case_id"]) == {reports.at["PA-1", "case_id"], reports.at["PA-2", "case_id"]}
    assert set(attachments["purpose"]) == {"report"}
    photos = _table(db, MediaObject).query("kind == 'photo'")
    for sha256 in photos["sha256"]:
        assert_no_metadata(media_file(media_dir, sha256))
    assert not list((media_dir / ".incoming").iterdir())
    again = import_complaints(db, path, context, now=NOW)  # a re-upload: all duplicates, nothing fetched twice
    assert again.duplicates == 3 and len(_table(db, CaseAttachment)) == 3


@pytest.mark.parametrize(
    ("reference", "vietnamese"),
    [
        ("/missing.jpg", "Không tải được tệp 'missing.jpg': máy chủ trả lời lỗi HTTP 404"),
        ("/virus.jpg", "Tệp 'virus.jpg' không phải ảnh"),
    ],
)
def test_a_failing_medium_quarantines_its_row_whole(
    db: Engine, context: ImportContext, server: str, tmp_path: Path, media_dir: Path, reference: str, vietnamese: str
) -> None:
    path = _csv(tmp_path / "pa.csv", [
        ("PA-1", "21,0312", "105,7905", f"{server}/plain.png;{server}{reference}"),  # one good, one bad
        ("PA-2", "21,0312", "105,7905", f"{server}/gps.jpg"),
    ])  # fmt: skip
    summary = import_complaints(db, path, context, now=NOW)
    assert (summary.rows, summary.accepted, summary.quarantined) == (2, 1, 1)
    refused = _table(db, QuarantineRow).iloc[0]
    assert refused["row_number"] == 2 and refused["field"] == "Hình ảnh"
    assert refused["reason_code"].startswith("media_") and refused["reason_params"]["value"].endswith(reference)
    shown = quarantine_view(_table(db, QuarantineRow), "vi").iloc[0]["reason"]  # as the Import page shows it
    assert shown.startswith(f"dòng 2, trường 'Hình ảnh': {vietnamese}")
    assert reference.lstrip("/") in refused["reason"]  # the stored English sentence names the file too
    assert _table(db, ComplaintReport)["external_id"].tolist() == ["PA-2"]
    assert len(_table(db, CaseAttachment)) == 1 and len(_table(db, MediaObject)) == 1  # plain.png not kept
    assert not list((media_dir / ".incoming").iterdir())


def test_a_download_larger_than_every_limit_is_cut_off(db: Engine, context: ImportContext, server: str,
                                                        tmp_path: Path) -> None:  # fmt: skip
    small = replace(context, media=replace(context.media, limits=MediaLimits(photo=999, video=999, audio=999)))  # type: ignore[arg-type]
    path = _csv(tmp_path / "pa.csv", [("PA-1", "21,0312", "105,7905", f"{server}/gps.jpg")])
    assert import_complaints(db, path, small, now=NOW).quarantined == 1
    shown = quarantine_view(_table(db, QuarantineRow), "vi").iloc[0]["reason"]
    assert "Tệp 'gps.jpg' quá lớn" in shown and "tối đa 1 KB" in shown


def test_an_unreachable_server_is_named(db: Engine, context: ImportContext, tmp_path: Path) -> None:
    from bench._common import free_port

    path = _csv(tmp_path / "pa.csv", [("PA-1", "21,0312", "105,7905", f"http://127.0.0.1:{free_port()}/a.jpg")])
    assert import_complaints(db, path, context, now=NOW).quarantined == 1
    shown = quarantine_view(_table(db, QuarantineRow), "vi").iloc[0]["reason"]
    assert shown.endswith("Không tải được tệp 'a.jpg': không kết nối được máy chủ")


def test_local_paths_only_from_a_file_on_this_machine(db: Engine, context: ImportContext, tmp_path: Path) -> None:
    (tmp_path / "anh").mkdir()
    (tmp_path / "anh" / "a.jpg").write_bytes(FILES["/gps.jpg"])
    path = _csv(tmp_path / "pa.csv", [("PA-1", "", "", "anh/a.jpg")])
    assert import_complaints(db, path, context, now=NOW).accepted == 1  # relative to the file's folder
    from data.uploads import import_complaint_upload

    upload = _csv(tmp_path / "up.csv", [("PA-9", "", "", str(tmp_path / "anh" / "a.jpg"))]).read_bytes()
    settings = load_settings(media_dir=context.media.store.local_dir)  # type: ignore[union-attr]
    result = import_complaint_upload(db, settings, "up.csv", upload, NOW)
    assert result["quarantined"] == 1  # a page upload never reads server paths
    assert "chỉ chấp nhận đường dẫn URL" in quarantine_view(_table(db, QuarantineRow), "vi").iloc[0]["reason"]


def test_private_addresses_are_not_fetched_unless_allowed(db: Engine, context: ImportContext, server: str,
                                                           tmp_path: Path) -> None:  # fmt: skip
    strict = replace(context, media=replace(context.media, allow_private=False))  # type: ignore[arg-type]
    path = _csv(tmp_path / "pa.csv", [("PA-1", "21,0312", "105,7905", f"{server}/gps.jpg")])
    assert import_complaints(db, path, strict, now=NOW).quarantined == 1
    assert "private network" in _table(db, QuarantineRow).iloc[0]["reason"]


def test_a_failed_batch_keeps_no_media(db: Engine, context: ImportContext, server: str, tmp_path: Path,
                                       media_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from data.importers import pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk trouble after the media were stored")

    monkeypatch.setattr(pipeline, "_batch_status", broken)
    path = _csv(tmp_path / "pa.csv", [("PA-1", "", "", f"{server}/gps.jpg")])
    with pytest.raises(RuntimeError):
        import_complaints(db, path, context, now=NOW)
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(MediaObject)).scalar_one() == 0
    assert _stored_files(media_dir) == []
