"""The real server in Debian Chromium: every page, ward polygons, zero off-machine requests, login, privacy, XSS.

Screenshots go to tests/artifacts/ (git-ignored). Skips without /usr/bin/chromium unless
``ENVMON_REQUIRE_BROWSER=1``, which turns the skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from dashboard_seed import PASSWORD, REPORTER_NAME, REPORTER_PHONE, XSS_TITLE
from sqlalchemy import Engine

from bench.bench_load import MAP_FRAME, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", ""}
TIMEOUT_MS = 45_000
UPLOAD_CSV = (
    "Thời gian,Nội dung,Địa chỉ,Vĩ độ,Kinh độ,Kênh,Loại phản ánh,Họ tên,Số điện thoại\n"
    "15/09/2025 08:30,Rác tồn đọng đầu ngõ,Ngõ 5 Hàng Bạc,21.0335,105.8520,Zalo OA,Rác thải,Trần Văn A,0901234567\n"
    "15/09/2025 09:10,Đốt rác gây khói,Phố Huế,210.5,105.85,Hotline,Đốt rác,Lê Thị B,0907654321\n"
)


@pytest.fixture(scope="module")
def server(browser_db: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``streamlit run dashboard/app.py`` on a free local port, over the seeded database."""
    if not Path(CHROMIUM).exists():
        reason = f"browser tests need {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(browser_db[0], log) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    """Debian Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Recorder:
    """Requests to hosts other than this machine, and any JavaScript dialog (alert) that fired."""

    def __init__(self) -> None:
        self.external: list[str] = []
        self.dialogs: list[str] = []

    def attach(self, page: object) -> None:
        page.on("request", self._request)  # type: ignore[attr-defined]
        page.on("dialog", self._dialog)  # type: ignore[attr-defined]

    def _request(self, request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        if urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).hostname not in LOCAL_HOSTS:
            self.external.append(url)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]


def _new_page(browser: object, width: int = 1400, height: int = 1000) -> tuple[object, Recorder]:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    recorder = Recorder()
    recorder.attach(page)
    return page, recorder


def _wait_for_wards(page: object) -> object:
    frame = page.frame_locator(MAP_FRAME)  # type: ignore[attr-defined]
    frame.locator(".leaflet-container").wait_for(timeout=TIMEOUT_MS)
    frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    assert frame.locator("path.leaflet-interactive").count() >= 126  # every ward polygon is drawn
    return frame


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _title(page: object, text: str) -> None:
    page.locator("h1", has_text=text).first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]


def test_public_page_offline_and_private(browser: object, server: str) -> None:
    page, recorder = _new_page(browser)
    page.goto(server + "/")  # type: ignore[attr-defined]
    _title(page, "Chất lượng không khí Hà Nội")
    frame = _wait_for_wards(page)
    assert frame.locator(".envmon-legend", has_text="VN_AQI").count() == 1
    _shot(page, "air_desktop")
    html = page.content() + "".join(f.content() for f in page.frames)  # type: ignore[attr-defined]
    assert REPORTER_NAME not in html and REPORTER_PHONE not in html and XSS_TITLE not in html
    assert recorder.external == []
    page.close()  # type: ignore[attr-defined]


def test_public_page_fits_a_phone(browser: object, server: str) -> None:
    page, recorder = _new_page(browser, width=390, height=844)
    page.goto(server + "/")  # type: ignore[attr-defined]
    _title(page, "Chất lượng không khí Hà Nội")
    _wait_for_wards(page)
    page.get_by_text("Thông số quyết định").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _shot(page, "air_phone_390")
    page.get_by_text("Ảnh hưởng sức khỏe").first.scroll_into_view_if_needed()  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "air_phone_390_advice.png"))  # type: ignore[attr-defined]
    overflow = page.evaluate("() => document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert overflow <= 390
    assert recorder.external == []
    page.close()  # type: ignore[attr-defined]


def _upload_complaints(page: object, folder: Path) -> None:
    """Upload a two-row channel export (one bad latitude) and see the summary and the quarantine reason."""
    upload = folder / "zalo_export.csv"
    upload.write_text(UPLOAD_CSV, encoding="utf-8")
    page.locator('input[type="file"]').set_input_files(str(upload))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Nhập", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Đã nhập xong.").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.get_by_text("Dòng bị cách ly (1)").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _shot(page, "import_done")


def test_login_every_page_and_escaped_complaint_text(browser: object, server: str, tmp_path: Path) -> None:
    page, recorder = _new_page(browser)
    page.goto(server + "/overview")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    assert page.frame_locator(MAP_FRAME).locator(".leaflet-container").count() == 0  # type: ignore[attr-defined]
    _shot(page, "login_required")
    page.get_by_label("Tên đăng nhập").fill("ops")  # type: ignore[attr-defined]
    page.get_by_label("Mật khẩu").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Đăng nhập").click()  # type: ignore[attr-defined]
    _title(page, "Tổng quan")
    frame = _wait_for_wards(page)
    opened = frame.locator("body").evaluate(
        """(_body, title) => new Promise((resolve) => {
            const map = Object.values(window).find((value) => value instanceof L.Map);  // folium's map_<id>
            map.eachLayer((layer) => {
                if (!layer.zoomToShowLayer) return;  // only the MarkerClusterGroup itself
                for (const marker of layer.getLayers()) {
                    const content = marker.getPopup() && marker.getPopup().getContent();
                    const text = content && (content.textContent || String(content));
                    if (text && text.includes(title)) {
                        layer.zoomToShowLayer(marker, () => { marker.openPopup(); resolve(true); });
                        return;
                    }
                }
            });
            setTimeout(() => resolve(false), 10000);
        })""",
        XSS_TITLE,
    )
    assert opened
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(timeout=TIMEOUT_MS)
    assert XSS_TITLE in popup.inner_text()  # shown as text…
    assert popup.locator("img").count() == 0  # …never parsed as an element
    _shot(page, "overview")
    for link, title, name in [
        ("Phân tích", "Phân tích phản ánh", "analysis"),
        ("Cảnh báo", "Cảnh báo", "alerts"),
        ("Trạm quan trắc", "Trạm quan trắc", "stations"),
        ("Nhập dữ liệu", "Nhập dữ liệu", "import"),
        ("Người dùng", "Quản lý người dùng", "users"),
        ("Không khí", "Chất lượng không khí Hà Nội", "air_logged_in"),
    ]:
        page.get_by_role("link", name=link, exact=True).click()  # type: ignore[attr-defined]
        _title(page, title)
        _shot(page, name)
        if name == "import":
            _upload_complaints(page, tmp_path)
    assert recorder.dialogs == []
    assert recorder.external == []
    page.close()  # type: ignore[attr-defined]
