"""Uploaded files: size limit, type by extension and content, zip bombs, path traversal in the name."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from data.uploads import MAX_COMPRESSION_RATIO, UploadCheck, UploadRejected, check_upload, safe_name

CSV = "Mã phản ánh;Thời gian;Nội dung\nPA-1;15/03/2025 06:42;Đốt rác\n".encode()


def _xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã phản ánh", "Thời gian", "Nội dung"])
    sheet.append(["PA-1", "15/03/2025 06:42", "Đốt rác"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _reason(filename: str, content: bytes, **kwargs: int) -> str:
    with pytest.raises(UploadRejected) as info:
        check_upload(filename, content, **kwargs)
    message = str(info.value)
    assert " / " in message and info.value.vietnamese and info.value.english
    return message


def test_genuine_files_of_every_type_are_accepted() -> None:
    feature = {"type": "FeatureCollection", "features": []}
    assert check_upload("phản ánh tháng 3.csv", b"\xef\xbb\xbf" + CSV) == UploadCheck(
        "phản ánh tháng 3.csv", "csv", len(CSV) + 3
    )
    assert check_upload("tram.TXT", b"COD\t45,2\tmg/L\t20250315103000\t00\r\n").kind == "csv"
    assert check_upload("so_lieu.xlsx", _xlsx()).kind == "xlsx"
    assert check_upload("wards.geojson", json.dumps(feature).encode()).kind == "geojson"
    assert check_upload("open311.json", b'[{"service_request_id": "1"}]').kind == "json"


def test_size_limit_and_empty_file() -> None:
    assert "file too large (0.0 MB, limit 0.0 MB)" in _reason("big.csv", b"a" * 2048, max_bytes=1024)
    assert check_upload("ok.csv", b"a" * 1024, max_bytes=1024).size == 1024
    assert "Tệp rỗng" in _reason("empty.csv", b"")


@pytest.mark.parametrize("name", ["report.exe", "report.csv.exe", "report", "data.xls", "page.html", "x.php"])
def test_unsupported_extensions_are_refused(name: str) -> None:
    assert "unsupported file type" in _reason(name, CSV)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("fake.csv", b"\xff\xd8\xff\xe0JFIF binary", "not UTF-8 text"),
        ("fake.csv", b"MZ\x00\x00\x00binary", "binary data"),
        ("fake.xlsx", CSV, "not a valid workbook"),
        ("fake.xlsx", _zip({"hello.txt": b"not a workbook"}), "[Content_Types].xml"),
        ("fake.json", b"{not json", "invalid JSON (line 1"),
        ("fake.geojson", b"[1, 2, 3]", "no 'type' member"),
    ],
)
def test_content_must_match_the_extension(name: str, content: bytes, expected: str) -> None:
    assert expected in _reason(name, content)


def test_zip_bombs_are_refused_by_ratio_and_by_expanded_size() -> None:
    ratio_bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\0" * 20_000_000})
    assert len(ratio_bomb) < 100_000
    assert "zip bomb" in _reason("bomb.xlsx", ratio_bomb)
    # An honest stored (uncompressed) workbook passes; a central directory claiming 600 MB does not.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        for index in range(3):
            archive.writestr(f"xl/part{index}.bin", b"x" * 1000)
    assert check_upload("small.xlsx", buffer.getvalue()).kind == "xlsx"
    assert MAX_COMPRESSION_RATIO >= 20  # a real workbook (ratio ~5-15) always passes
    assert "expands too much" in _reason("small.xlsx", _zip_claiming_size(600 * 1024 * 1024))


def _zip_claiming_size(claimed: int) -> bytes:
    """A zip whose central directory claims ``claimed`` uncompressed bytes (as a crafted bomb would)."""
    data = bytearray(_zip({"[Content_Types].xml": b"<Types/>", "xl/sheet.xml": b"<x/>"}))
    central = data.rfind(b"PK\x01\x02")  # the last central-directory entry: xl/sheet.xml
    data[central + 24 : central + 28] = claimed.to_bytes(4, "little")
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("/etc/cron.d/evil.csv", "evil.csv"),
        ("C:\\Windows\\System32\\evil.csv", "evil.csv"),
        ("..\\..\\evil.json", "evil.json"),
        ("...csv", "csv"),
        ("phản ánh <script>.csv", "phản ánh _script_.csv"),
        ("a" * 300 + ".csv", "a" * 116 + ".csv"),
    ],
)
def test_names_are_reduced_to_a_safe_base_name(name: str, stored: str) -> None:
    assert safe_name(name) == stored
    assert "/" not in stored and "\\" not in stored and not stored.startswith(".")


@pytest.mark.parametrize("name", ["evil\x00.csv", "line\nbreak.csv", "..", "/", "../", "   "])
def test_unusable_names_are_refused(name: str) -> None:
    assert "file name" in _reason(name, CSV)


def test_traversal_name_without_a_known_extension_is_refused() -> None:
    assert "unsupported file type" in _reason("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
