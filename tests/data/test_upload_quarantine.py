"""Uploads on the Import page: a re-upload says it brought nothing new; quarantine reasons read in the page's
language with the refused value and the input row, and the reporter's name and phone masked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from data import queries
from data.boundary_store import load_shipped_sets
from data.config import load_settings
from data.routing import seed_routing
from data.schema import ImportBatch
from data.uploads import import_complaint_upload, mask_personal, quarantine_view

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
PERSONAL = ["Nguyễn Văn An", "0912345678", "Trần Thị Bình", "0987654321", "Lê Văn Cường", "0901111222",
            "Phạm Thị Dung", "0977000111"]  # fmt: skip


@pytest.fixture
def db(sqlite_engine: Engine) -> Engine:
    load_shipped_sets(sqlite_engine)
    seed_routing(sqlite_engine)
    return sqlite_engine


def _upload(db: Engine, content: bytes) -> dict[str, object]:
    return import_complaint_upload(db, load_settings(), "phản ánh tháng 3.csv", content, NOW)


def test_a_re_upload_brings_nothing_new_and_says_so(db: Engine, fixtures_dir: Path) -> None:
    content = (fixtures_dir / "complaints" / "nyc311_dohmh_2018-01-22.csv").read_bytes()
    first, again = _upload(db, content), _upload(db, content)
    assert first["accepted"] > 0
    assert again["accepted"] == 0 and again["duplicates"] == first["accepted"] + first["duplicates"]
    with db.connect() as conn:
        statuses = dict(conn.execute(select(ImportBatch.id, ImportBatch.status)).all())
    assert statuses == {first["batch"]: "done", again["batch"]: "nothing_new"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "vi",
            "dòng 5, trường 'Thời gian': không đọc được ngày giờ '32/13/2025 25:00' "
            "(cần ISO 8601 hoặc dd/mm/yyyy HH:MM)",
        ),
        ("en", "row 5, field 'Thời gian': unparseable date '32/13/2025 25:00' (expected ISO 8601 or dd/mm/yyyy HH:MM)"),
    ],
)
def test_quarantine_reads_in_the_page_language_with_personal_data_masked(
    db: Engine, fixtures_dir: Path, language: str, expected: str
) -> None:
    summary = _upload(db, (fixtures_dir / "complaints" / "vn_channel_broken.csv").read_bytes())
    rows = queries.quarantine_rows(db, str(summary["batch"]))
    assert len(rows) == summary["quarantined"] > 0
    view = quarantine_view(rows, language)
    assert list(view.columns) == ["row_number", "field", "value", "reason", "raw"]
    by_row = view.set_index("row_number")
    assert by_row.loc[5, "reason"] == expected and by_row.loc[5, "value"] == "32/13/2025 25:00"
    text = view.to_csv()
    assert not [secret for secret in PERSONAL if secret in text]
    assert "{" not in text and "nan" not in text.lower().split(",") and "None" not in text
    assert "Họ tên: " in text  # the input row is shown, its personal cells masked


def test_masking_keeps_a_hint_only() -> None:
    assert mask_personal("Nguyễn Văn An") == "N••••• V•• A••"
    assert mask_personal("0912345678") == "••••••••78"
    assert mask_personal(None) == "" and mask_personal(" ") == ""


def test_a_row_with_extra_cells_shows_its_cells_by_header_with_personal_data_masked(db: Engine) -> None:
    content = (
        "Mã phản ánh,Thời gian,Nội dung,Họ tên,Số điện thoại\n"
        "PA-1,15/03/2025 06:42,Đốt rác,Nguyễn Văn An,0912345678\n"
        "PA-2,15/03/2025 07:00,Khói,Trần Thị Bình,0987654321,ô thừa\n"
    ).encode()
    summary = _upload(db, content)
    assert (summary["accepted"], summary["quarantined"]) == (1, 1)
    (row,) = quarantine_view(queries.quarantine_rows(db, str(summary["batch"])), "vi").to_dict("records")
    assert row["reason"] == "dòng 3: 6 ô trong khi tiêu đề có 5 (dấu ',' trong giá trị không đặt trong ngoặc kép?)"
    assert "Họ tên: T••• T•• B•••" in row["raw"] and "Số điện thoại: ••••••••21" in row["raw"]
    assert "column_6: ô thừa" in row["raw"] and "Trần Thị Bình" not in row["raw"]
