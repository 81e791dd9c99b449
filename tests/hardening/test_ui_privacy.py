"""Privacy of the public page: no reporter name, phone or exact complaint location in HTML, map, downloads, logs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py
from sqlalchemy import Engine, select, union_all

clean_caches = ui.clean_caches
SEED = ui.dashboard_seed
PERSONAL = (SEED.REPORTER_NAME, SEED.REPORTER_PHONE)
COMPLAINT_TEXT = ("Rác thải tồn đọng", SEED.XSS_TITLE)
PAIR = re.compile(r"(-?\d{1,3}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)")
TOLERANCE = 5e-5  # a pair this close to a complaint, written with 4+ decimals, locates it to ≈ 5 m


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The seeded dashboard database (reports carry a reporter name and phone)."""
    url, engine = ui.seeded_database(tmp_path_factory.mktemp("ui-privacy"), hostile=False)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def complaint_points(db: tuple[str, Engine]) -> list[tuple[float, float]]:
    """(lat, lon) of every complaint case and report."""
    from data.schema import ComplaintCase, ComplaintReport

    query = union_all(select(ComplaintCase.lat, ComplaintCase.lon), select(ComplaintReport.lat, ComplaintReport.lon))
    with db[1].connect() as conn:
        points = [(float(lat), float(lon)) for lat, lon in conn.execute(query) if lat is not None]
    assert len(points) == 2 * sum(sum(plan) for plan in SEED.CASE_PLAN.values())
    return points


def exact_locations(text: str, points: list[tuple[float, float]]) -> list[str]:
    """Coordinate pairs in ``text`` written with more than 3 decimals that match a complaint (either order)."""
    found = []
    for match in PAIR.finditer(text):
        first, second = match.groups()
        if max(len(first.split(".")[1]), len(second.split(".")[1])) <= 3:
            continue
        a, b = float(first), float(second)
        if any(
            (abs(a - lat) < TOLERANCE and abs(b - lon) < TOLERANCE)
            or (abs(a - lon) < TOLERANCE and abs(b - lat) < TOLERANCE)
            for lat, lon in points
        ):
            found.append(match.group(0))
    return found


def test_the_detector_finds_a_complaint_location(complaint_points: list[tuple[float, float]]) -> None:
    lat, lon = complaint_points[0]
    assert exact_locations(f"[{lon:.6f}, {lat:.6f}]", complaint_points) == [f"{lon:.6f}, {lat:.6f}"]
    assert exact_locations(f"{lat:.3f}, {lon:.3f}", complaint_points) == []  # 3 decimals (≈ 100 m) is allowed


def test_the_detector_sees_the_case_markers_of_a_protected_map(
    page: Any, complaint_points: list[tuple[float, float]]
) -> None:
    at = page("analysis", user="ana")  # analysts see case markers at their exact location
    assert exact_locations(ui.map_html(at), complaint_points)


Downloads = ui.Downloads


@pytest.fixture
def page(db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, clean_caches: None) -> Any:
    """``ui.run_page`` against the seeded database."""
    monkeypatch.setenv("DATABASE_URL", db[0])
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    return ui.run_page


def _private_leaks(text: str, points: list[tuple[float, float]]) -> list[str]:
    return [s for s in (*PERSONAL, *COMPLAINT_TEXT) if s in text] + exact_locations(text, points)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_public_page_in_every_state_shows_nothing_private(
    page: Any, monkeypatch: pytest.MonkeyPatch, complaint_points: list[tuple[float, float]], language: str
) -> None:
    from dashboard import state

    downloads = Downloads(monkeypatch)
    at = page(language=language)
    texts = [ui.page_text(at) + ui.map_html(at)]
    at.selectbox[0].set_value("00070").run()  # my ward: the ward of most seeded complaints
    texts.append(ui.page_text(at) + ui.map_html(at))
    for station in ("hn-air-1", "hn-air-2"):
        at.radio(key=state.AIR_STATION).set_value(station).run()
        texts.append(ui.page_text(at) + ui.map_html(at))
    at.radio(key=state.AQI_SCALE).set_value("us").run()
    texts.append(ui.page_text(at) + ui.map_html(at))
    assert not at.exception
    assert "Trạm Hoàn Kiếm" in texts[0] or "Trạm Hoàn Kiếm" in texts[-1]  # the page did render its data
    for text in texts:
        assert _private_leaks(text, complaint_points) == []
    for label, data in downloads.offered:  # whatever the public page offers to download
        assert _private_leaks(data.decode("utf-8", errors="replace"), complaint_points) == [], label


def test_analysts_exports_carry_no_reporter_identity(page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    downloads = Downloads(monkeypatch)
    at = page("analysis", user="ana")
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert [label for label, _ in downloads.offered] == ["Tải CSV (12 vụ việc)", "Tải GeoJSON (12 vụ việc)"]
    for label, data in downloads.offered:
        text = data.decode("utf-8-sig")
        assert "Rác thải tồn đọng" in text, label  # the export is real…
        assert not [s for s in PERSONAL if s in text], label  # …and anonymous


@pytest.mark.slow
@pytest.mark.browser
def test_public_page_html_map_and_server_log(
    db: tuple[str, Engine], complaint_points: list[tuple[float, float]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    log = tmp_path / "streamlit.log"
    with ui.streamlit_server(db[0], log, {"STREAMLIT_LOGGER_LEVEL": "debug"}) as base, sync_playwright() as playwright:
        browser = ui.launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/")
        page.locator("h1", has_text="Chất lượng không khí Hà Nội").first.wait_for(timeout=ui.TIMEOUT_MS)
        frame = page.frame_locator(ui.MAP_FRAME)
        frame.locator("path.leaflet-interactive").nth(125).wait_for(state="attached", timeout=ui.TIMEOUT_MS)
        page.get_by_text("Trạm Hoàn Kiếm").first.wait_for(timeout=ui.TIMEOUT_MS)
        map_document = frame.locator("html").evaluate("(root) => root.outerHTML")
        public_html = ui.full_html(page) + map_document
        assert "leaflet" in public_html and "Trạm Hoàn Kiếm" in public_html
        assert _private_leaks(public_html, complaint_points) == []
        assert page.locator('[data-testid="stDownloadButton"]').count() == 0  # nothing to download publicly
        ui.login(page, base, "lead")  # protected pages are served too: their data must not reach the log
        page.get_by_role("link", name="Phân tích", exact=True).click()
        page.locator("h1", has_text="Phân tích phản ánh").first.wait_for(timeout=ui.TIMEOUT_MS)
        page.wait_for_timeout(1000)
        browser.close()
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in text
    assert [s for s in PERSONAL if s in text] == [] and exact_locations(text, complaint_points) == []
