"""The scorecard (``/scorecard``, a leader) and the public results (``/results``, signed out) in Chromium, in
Vietnamese and English, on a desktop and a 390-px phone. Screenshots go to tests/artifacts/ (looked at by hand)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_browser import CHROMIUM, TIMEOUT_MS, _new_page, _shot
from dashboard_seed import PASSWORD
from sqlalchemy import Engine

from bench.bench_load import streamlit_server
from tests.cases.public_seed import SECRETS, seed_public

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def results_server(browser_db: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over the seeded dashboard database plus the public-results cases (personal data planted)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need {CHROMIUM}")
    folder = tmp_path_factory.mktemp("results_browser")
    world = seed_public(browser_db[1], folder / "media")
    with streamlit_server(browser_db[0], folder / "streamlit.log", {"ENVMON_MEDIA_DIR": str(world.media_dir)}) as base:
        yield base


@pytest.fixture(scope="module")
def chromium(results_server: str) -> Iterator[object]:
    from dashboard_browser import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _english(page: object) -> None:
    opener = page.locator('[data-testid="stExpandSidebarButton"]')  # type: ignore[attr-defined]
    folded = opener.count() > 0 and opener.first.is_visible()
    if folded:
        opener.first.click()
    page.get_by_text("English", exact=True).first.click()  # type: ignore[attr-defined]
    if folded:
        page.wait_for_timeout(800)  # type: ignore[attr-defined]
        page.locator('[data-testid="stSidebarCollapseButton"] button').first.click()  # type: ignore[attr-defined]


def _fits(page: object) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert width <= 390 + 1, width  # no sideways scrolling of the page itself (grids scroll inside)


@pytest.mark.parametrize(("width", "language"), [(1400, "vi"), (390, "en")])
def test_scorecard_page(chromium: object, results_server: str, width: int, language: str) -> None:
    page, recorder = _new_page(chromium, width=width, height=1000)
    page.goto(results_server + "/scorecard")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").fill("lead")  # type: ignore[attr-defined]
    page.get_by_label("Mật khẩu").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Đăng nhập").click()  # type: ignore[attr-defined]
    page.locator("h1", has_text="Bảng xếp hạng đơn vị xử lý").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    if language == "en":
        _english(page)
        page.locator("h1", has_text="Responsible-unit scorecard").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.locator(".vega-embed").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    text = page.inner_text("body")  # type: ignore[attr-defined]
    assert ("Điểm = 0,4 ×" if language == "vi" else "Score = 0.4 ×") in text
    assert page.get_by_role("button", name="Tải báo cáo XLSX" if language == "vi" else "Download XLSX report").count()  # type: ignore[attr-defined]
    if width == 390:
        _fits(page)
    _shot(page, f"scorecard_{language}_{width}")
    assert recorder.external == [] and recorder.dialogs == []


@pytest.mark.parametrize(("width", "language"), [(390, "vi"), (1400, "en")])
def test_public_results_page(chromium: object, results_server: str, width: int, language: str) -> None:
    page, recorder = _new_page(chromium, width=width, height=1000)
    page.goto(results_server + "/results?ward=00070")  # type: ignore[attr-defined]
    page.locator("h1", has_text="Kết quả xử lý phản ánh").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    if language == "en":
        _english(page)
        page.locator("h1", has_text="Complaint handling results").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    frame = page.frame_locator('[class*="st-key-results_map"] iframe')  # type: ignore[attr-defined]
    frame.locator(".leaflet-container").wait_for(timeout=TIMEOUT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    html = page.content() + frame.locator("body").inner_html()  # type: ignore[attr-defined]
    for secret in SECRETS:
        assert secret not in html, secret
    assert page.get_by_role("button", name="Đăng xuất").count() == 0  # type: ignore[attr-defined]
    if width == 390:
        _fits(page)
    _shot(page, f"results_{language}_{width}")
    assert recorder.external == [] and recorder.dialogs == []
