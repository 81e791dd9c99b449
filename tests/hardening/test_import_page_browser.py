"""The Import page in Chromium: a hostile XLSX gives one sentence (no traceback, no server path); a re-upload says
it brought nothing new; quarantine reasons read in Vietnamese with the reporter's phone masked."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py
from openpyxl import Workbook
from sqlalchemy import Engine


def _xxe_workbook() -> bytes:
    """A genuine-looking workbook (it passes the upload check) whose sheet declares an external entity."""
    workbook, buffer = Workbook(), io.BytesIO()
    workbook.active.append(["Mã phản ánh", "Thời gian", "Nội dung"])
    workbook.active.append(["X-1", "15/03/2025 06:42", "Khói"])
    workbook.save(buffer)
    source, out = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    entity = b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    with zipfile.ZipFile(out, "w") as archive:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<worksheet", entity + b"<worksheet", 1).replace(b"<t>X-1</t>", b"<t>&xxe;</t>")
            archive.writestr(entry.filename, data)
    return out.getvalue()


CSV = (
    "Mã phản ánh,Thời gian,Nội dung,Họ tên,Số điện thoại\n"
    "BR-1,15/03/2025 06:42,Đốt rác,Nguyễn Văn An,0912345678\n"
    "BR-2,32/13/2025 25:00,Khói,Trần Thị Bình,0987654321\n"
).encode()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url, engine = ui.seeded_database(tmp_path_factory.mktemp("import-page"), hostile=False)
    from data.routing import seed_routing

    seed_routing(engine)
    yield url, engine
    engine.dispose()


def _upload(page: Any, name: str, content: bytes) -> None:
    page.locator('input[type="file"]').set_input_files({"name": name, "mimeType": "text/plain", "buffer": content})
    page.get_by_text(name).first.wait_for(timeout=ui.TIMEOUT_MS)
    page.wait_for_timeout(1500)  # the upload's own rerun ends before the click
    page.get_by_role("button", name="Nhập", exact=True).click()


@pytest.mark.slow
@pytest.mark.browser
def test_import_page_errors_re_uploads_and_quarantine(db: tuple[str, Engine], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with ui.streamlit_server(db[0], tmp_path / "streamlit.log") as base, sync_playwright() as playwright:
        browser = ui.launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        ui.login(page, base, "ops")
        page.get_by_role("link", name="Nhập dữ liệu", exact=True).click()
        page.locator("h1", has_text="Nhập dữ liệu").first.wait_for(timeout=ui.TIMEOUT_MS)
        _upload(page, "hỏng.xlsx", _xxe_workbook())
        alert = page.get_by_text("hỏng.xlsx: không đọc được sổ tính Excel (XML hỏng hoặc không an toàn").first
        alert.wait_for(timeout=ui.TIMEOUT_MS)
        text = page.inner_text("body")
        assert "Traceback" not in text and "/tmp" not in text and str(ui.REPO) not in text and "root:" not in text
        _upload(page, "phản ánh.csv", CSV)
        page.get_by_text("Đã nhập xong").first.wait_for(timeout=ui.TIMEOUT_MS)
        page.get_by_role("button", name="Nhập", exact=True).click()  # the same file again
        page.get_by_text("Tệp này đã nhập trước đó, không có dòng mới").first.wait_for(timeout=ui.TIMEOUT_MS)
        page.get_by_text("Dòng bị cách ly").first.wait_for(timeout=ui.TIMEOUT_MS)
        page.screenshot(path=str(tmp_path / "import-page.png"), full_page=True)
        browser.close()
