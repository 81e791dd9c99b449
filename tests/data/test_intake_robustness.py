"""Hostile and damaged complaint files, and a database that cannot store: one sentence naming the file, no traceback.

XLSX that is no zip, holds an external entity (XXE) or an entity expansion (billion laughs), a truncated sheet or
only ``[Content_Types].xml``; GeoJSON features that are not objects; absurdly wide files; XLSX rows with extra
cells (quarantined like CSV); SQLite locked beyond its timeout or full at commit (exit 3, no SQL parameters).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, create_engine, event, func, select

from cli import main
from data.config import load_settings
from data.importers.pipeline import ImportContext, ImportStorageError, import_complaints
from data.importers.readers import MAX_COLUMNS, UnreadableFileError, read_json_payload, read_table
from data.routing import seed_routing
from data.schema import ComplaintReport, ImportBatch
from data.uploads import import_complaint_upload

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ["Mã phản ánh", "Thời gian", "Nội dung"]
LAUGHS = (
    b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %c "%s">' % (98 + i, b"&%c;" % (97 + i) * 10) for i in range(9))
    + b"]>"
)


def _workbook(*rows: list[object]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD = _workbook(HEADER, ["PA-1", "15/03/2025 06:42", "Đốt rác"])


def _rewritten(change: Callable[[str, bytes], bytes | None]) -> bytes:
    source, buffer = zipfile.ZipFile(io.BytesIO(GOOD)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry in source.infolist():
            data = change(entry.filename, source.read(entry.filename))
            if data is not None:
                archive.writestr(entry.filename, data)
    return buffer.getvalue()


def _in_sheet(prefix: bytes, cell: bytes) -> bytes:
    return _rewritten(
        lambda name, data: (
            data.replace(b"<worksheet", prefix + b"<worksheet", 1).replace(b"<t>PA-1</t>", b"<t>" + cell + b"</t>")
            if name == SHEET
            else data
        )
    )


HOSTILE_XLSX = {
    "broken": b"PK\x03\x04 not a zip archive at all",
    "xxe": _in_sheet(b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', b"&xxe;"),
    "billion-laughs": _in_sheet(LAUGHS, b"&j;"),
    "truncated": _rewritten(lambda name, data: data[: len(data) // 2] if name == SHEET else data),
    "content-types-only": _rewritten(lambda name, data: data if name == "[Content_Types].xml" else None),
}


@pytest.mark.parametrize("kind", list(HOSTILE_XLSX))
def test_hostile_xlsx_is_one_sentence_naming_the_file(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{kind}.xlsx"
    path.write_bytes(HOSTILE_XLSX[kind])
    with pytest.raises(UnreadableFileError) as info:
        read_table(path, "phản ánh.xlsx")
    english, vietnamese = str(info.value), info.value.sentence("vi")
    assert english.startswith("phản ánh.xlsx: not a readable Excel workbook") and "\n" not in english
    assert vietnamese.startswith("phản ánh.xlsx: không đọc được sổ tính Excel")
    assert str(tmp_path) not in english + vietnamese and "root:" not in english
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["complaints", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "not a readable Excel workbook" in err


def test_upload_errors_name_the_users_file_not_the_server_path(engine_with_routing: Engine) -> None:
    with pytest.raises(UnreadableFileError) as info:
        import_complaint_upload(engine_with_routing, load_settings(), "C:\\Users\\op\\báo cáo.xlsx", b"PK", NOW)
    assert info.value.sentence("vi").startswith("báo cáo.xlsx: không đọc được sổ tính Excel")
    assert "/tmp" not in str(info.value)


def test_xlsx_rows_with_extra_cells_are_quarantined_like_csv(tmp_path: Path) -> None:
    path = tmp_path / "extra.xlsx"
    path.write_bytes(
        _workbook(
            [*HEADER, None, None],  # empty header cells at the end are not columns
            ["PA-1", "15/03/2025 06:42", "Đốt rác"],
            ["PA-2", "15/03/2025 07:00", "Khói", None, "ô thừa"],
            ["PA-3", "15/03/2025 07:10", "Bụi"],
        )
    )
    table = read_table(path)
    assert list(table.frame.columns) == HEADER
    assert table.frame["Mã phản ánh"].tolist() == ["PA-1", "PA-3"] and table.row_numbers == [2, 4]
    assert [(row["row_number"], row["reason"]) for row in table.bad_rows] == [
        (3, "row 3: 5 cells where the header has 3")
    ]
    csv_path = tmp_path / "extra.csv"
    csv_path.write_text(
        ",".join(HEADER) + "\nPA-1,15/03/2025 06:42,Đốt rác\nPA-2,15/03/2025 07:00,Khói,,ô thừa\n", encoding="utf-8"
    )
    assert [row["row_number"] for row in read_table(csv_path).bad_rows] == [3]  # the same rule for CSV


def test_geojson_features_that_are_not_objects_are_quarantined_by_position() -> None:
    good = {"type": "Feature", "properties": {"id": "G1"}, "geometry": {"type": "Point", "coordinates": [105.8, 21]}}
    payload = {
        "type": "FeatureCollection",
        "features": [1, good, {"type": "Feature", "properties": ["a", "b"]}, "x", {"geometry": [1, 2]}],
    }
    table = read_json_payload(payload, "f.geojson")
    assert table.frame["id"].tolist() == ["G1"] and table.row_numbers == [2]
    assert [(row["row_number"], row["reason"]) for row in table.bad_rows] == [
        (1, "feature 1: not a GeoJSON Feature object"),
        (3, "feature 3: 'properties' is not an object"),
        (4, "feature 4: not a GeoJSON Feature object"),
        (5, "feature 5: 'geometry' is not an object"),
    ]
    with pytest.raises(UnreadableFileError, match="'features' member is not a list"):
        read_json_payload({"type": "FeatureCollection", "features": {"a": 1}}, "f.geojson")


def test_absurdly_wide_files_are_refused_before_parsing(tmp_path: Path) -> None:
    wide_csv = tmp_path / "wide.csv"
    wide_csv.write_text(",".join(f"c{i}" for i in range(300_000)) + "\n" + "1," * 299_999 + "1\n", encoding="utf-8")
    with pytest.raises(UnreadableFileError, match=r"wide.csv: the file has 300,000 columns, at most 1,000"):
        read_table(wide_csv)
    wide_xlsx = tmp_path / "wide.xlsx"
    wide_xlsx.write_bytes(_workbook([f"c{i}" for i in range(MAX_COLUMNS + 1)]))
    with pytest.raises(UnreadableFileError, match="1,001 columns"):
        read_table(wide_xlsx)
    records = [{f"k{i}": 1} for i in range(MAX_COLUMNS + 1)]
    with pytest.raises(UnreadableFileError, match="1,001 columns"):
        read_json_payload(records, "open311.json")
    at_limit = tmp_path / "limit.csv"
    at_limit.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS)) + "\n", encoding="utf-8")
    assert len(read_table(at_limit).frame.columns) == MAX_COLUMNS


@pytest.fixture
def engine_with_routing(sqlite_engine: Engine) -> Engine:
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(sqlite_engine)
    seed_routing(sqlite_engine)
    return sqlite_engine


def _csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "reports.csv"
    path.write_text(",".join(HEADER) + "\nSECRET-ID-1,15/03/2025 06:42,Đốt rác ở Hoàn Kiếm\n", encoding="utf-8")
    return path


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(ImportBatch)) or 0,
            conn.scalar(select(func.count()).select_from(ComplaintReport)) or 0,
        )


def _short_timeout_engine(url: str) -> Engine:
    return create_engine(url, connect_args={"timeout": 0.2})


def test_a_locked_sqlite_database_is_one_sentence_and_exit_3(
    engine_with_routing: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = engine_with_routing.url.render_as_string(hide_password=False)
    path = _csv_file(tmp_path)
    before = _counts(engine_with_routing)
    holder = sqlite3.connect(engine_with_routing.url.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        short = _short_timeout_engine(url)
        context = ImportContext.from_settings(engine_with_routing, load_settings())
        with pytest.raises(ImportStorageError) as info:
            import_complaints(short, path, context, now=NOW)
        assert info.value.code == "database_locked"
        assert str(info.value).startswith(f"{path}: not imported — the database stayed locked")
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setattr("cli._common.make_engine", _short_timeout_engine)
        assert main(["complaints", "import", str(path)]) == 3
        err = capsys.readouterr().err
    finally:
        holder.rollback()
        holder.close()
    assert err.count("\n") == 1 and "locked" in err and str(path) in err
    assert "SECRET-ID-1" not in err and "INSERT" not in err and "parameters" not in err
    assert _counts(engine_with_routing) == before


def test_a_full_disk_at_commit_stores_nothing(engine_with_routing: Engine, tmp_path: Path) -> None:
    url = engine_with_routing.url.render_as_string(hide_password=False)
    with engine_with_routing.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
    full = create_engine(url)

    @event.listens_for(full, "connect")
    def _no_room(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: "disk is full"

    before = _counts(engine_with_routing)
    context = ImportContext.from_settings(engine_with_routing, load_settings())
    rows = "".join(f"P-{i},15/03/2025 06:42,{'Đốt rác ' * 20}{i}\n" for i in range(3000))
    path = tmp_path / "many.csv"
    path.write_text(",".join(HEADER) + "\n" + rows, encoding="utf-8")
    with pytest.raises(ImportStorageError) as info:
        import_complaints(full, path, context, now=NOW)
    assert info.value.code == "disk_full" and "P-1" not in str(info.value)
    assert (
        info.value.sentence("vi") == f"{path}: chưa nhập — ổ đĩa của cơ sở dữ liệu đã đầy; không có dòng nào được lưu."
    )
    assert _counts(engine_with_routing) == before


def test_geojson_with_bad_features_imports_the_rest_and_quarantines_them(
    engine_with_routing: Engine, tmp_path: Path
) -> None:
    feature = {
        "type": "Feature",
        "properties": {"Mã phản ánh": "G1", "Thời gian": "15/03/2025 06:42", "Nội dung": "Khói"},
        "geometry": {"type": "Point", "coordinates": [105.8523, 21.0288]},
    }
    path = tmp_path / "mixed.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [1, feature, {"properties": []}]}))
    context = ImportContext.from_settings(engine_with_routing, load_settings())
    summary = import_complaints(engine_with_routing, path, context, now=NOW)
    assert (summary.rows, summary.accepted, summary.quarantined) == (3, 1, 2)
