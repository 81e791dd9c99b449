"""XSS payloads in every free-text field render as text on every page, in map popups and in tooltips."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py
from sqlalchemy import Engine

clean_caches = ui.clean_caches
ESCAPED = [html.escape(p, quote=True) for p in ui.PAYLOADS[:3]]
# the payloads each map must show escaped: case titles and units (cases), station names (stations)
OVERVIEW_MAP_TEXT = ESCAPED
# Opens every popup and tooltip of the map; a GeoJSON group's tooltip (a function of the hovered feature) is
# rendered for every feature into a div with innerHTML, exactly as Leaflet fills a tooltip on hover.
OPEN_EVERYTHING = """() => {
    let opened = 0;
    const attempt = (open) => { try { open(); opened++; } catch (err) { /* cannot open at this zoom */ } };
    const map = Object.values(window).find((value) => value instanceof L.Map);  // folium's map_<id>
    map.eachLayer((layer) => {
        const tooltip = layer.getTooltip && layer.getTooltip();
        if (tooltip && layer.getLayers) {
            for (const child of layer.getLayers()) {
                const shown = document.createElement('div');
                shown.className = 'leaflet-tooltip envmon-test-tooltip';
                attempt(() => {
                    const content = tooltip._content;
                    shown.innerHTML = typeof content === 'function' ? content(child) : content;
                    document.body.appendChild(shown);
                });
            }
        } else if (tooltip && layer._map) {
            attempt(() => layer.openTooltip());
        }
        if (layer.getPopup && layer.getPopup() && layer._map && !layer.getLayers) attempt(() => layer.openPopup());
    });
    return opened;
}"""
INJECTED = """() => document.querySelectorAll(
    '[onerror], [onload], a[href^="javascript:"], iframe[src^="javascript:"]'
).length + [...document.scripts].filter((s) => s.text.includes('<script>alert(1)')).length"""


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The dashboard seed with a payload in every free-text field and a user-loaded set of payload ward names."""
    url, engine = ui.seeded_database(tmp_path_factory.mktemp("ui-xss"), hostile=True)
    yield url, engine
    engine.dispose()


@pytest.fixture
def page(hostile_db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, clean_caches: None) -> Any:
    """``ui.run_page`` against the hostile database."""
    monkeypatch.setenv("DATABASE_URL", hostile_db[0])
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    return ui.run_page


def _assert_rendered_as_text(at: Any) -> str:
    """No exception, no raw markup in HTML-enabled markdown or in the map HTML; returns all map scripts."""
    assert not at.exception, [e.value for e in at.exception]
    for element in at.get("markdown"):
        if element.proto.allow_html:
            assert not [raw for raw in ui.RAW_MARKUP if raw in element.value], element.value
    scripts = ui.map_html(at)
    assert not [raw for raw in ui.RAW_MARKUP if raw in scripts]
    assert 'href="javascript:' not in scripts
    return scripts


@pytest.mark.parametrize("name", list(ui.PAGES))
def test_every_page_renders_payloads_as_text(page: Any, name: str) -> None:
    at = page(name, user="ops")
    assert len(at.title) == 1
    _assert_rendered_as_text(at)


def test_public_page_without_login(page: Any) -> None:
    from dashboard import state
    from dashboard.markup import escape_markdown

    at = page()
    scripts = _assert_rendered_as_text(at)
    assert html.escape(ui.PAYLOADS[0]) in scripts  # the station name in its tooltip and popup, escaped
    # …and literal text in the picker: radio labels are Markdown, so the name arrives escaped (dashboard.markup)
    assert any(
        escape_markdown(ui.PAYLOADS[0]) in option for option in at.radio(key=state.AIR_STATION).options
    )


def test_overview_map_popups_and_tooltips_hold_the_escaped_form(page: Any) -> None:
    scripts = _assert_rendered_as_text(page("overview", user="lead"))
    for escaped in OVERVIEW_MAP_TEXT:
        assert escaped in scripts


def test_user_loaded_ward_names_are_escaped_in_tooltips_and_lists(page: Any) -> None:
    at = page("analysis", user="ana")
    at.selectbox[0].set_value(ui.XSS_WARDS).run()
    scripts = _assert_rendered_as_text(at)
    for escaped in ESCAPED:
        assert escaped in scripts  # ward names in the choropleth tooltips
    ward_picker = at.multiselect[1]
    assert any(option.startswith(ui.PAYLOADS[1]) for option in ward_picker.options)


def test_public_page_on_a_user_loaded_set(page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVMON_BOUNDARY_SET", ui.XSS_WARDS)
    at = page()
    scripts = _assert_rendered_as_text(at)
    assert all(escaped in scripts for escaped in ESCAPED)


# ---- the real server in Chromium -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = ui.launch_chromium(playwright)
        yield chromium
        chromium.close()


def _check_page(page: Any, recorder: Any, title: str, *, has_map: bool) -> None:
    page.locator("h1", has_text=title).first.wait_for(timeout=ui.TIMEOUT_MS)
    if has_map:
        frame = page.frame_locator(ui.MAP_FRAME)
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=ui.TIMEOUT_MS)
        opened = 0
        for _attempt in range(20):  # the new map's layers are added a moment after its first polygon
            opened = frame.locator("body").evaluate(OPEN_EVERYTHING)
            if opened:
                break
            page.wait_for_timeout(500)
        assert opened > 0
    page.wait_for_timeout(1000)  # let any injected handler fire
    assert page.locator('[data-testid="stException"]').count() == 0
    for frame in page.frames:
        assert frame.evaluate(INJECTED) == 0, frame.url
    assert recorder.dialogs == []


@pytest.mark.slow
@pytest.mark.browser
def test_no_payload_executes_in_the_browser(browser: Any, hostile_db: tuple[str, Engine], tmp_path: Path) -> None:
    with ui.streamlit_server(hostile_db[0], tmp_path / "streamlit.log") as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        recorder = ui.Recorder()
        recorder.attach(page)
        page.goto(base + "/")
        _check_page(page, recorder, "Chất lượng không khí Hà Nội", has_map=True)
        ui.login(page, base, "ops")
        _check_page(page, recorder, "Tổng quan", has_map=True)
        popup_text = page.frame_locator(ui.MAP_FRAME).locator(".leaflet-container").inner_text()
        assert ui.PAYLOADS[0] in popup_text or ui.PAYLOADS[2] in popup_text  # an opened popup shows it as text
        for link, title, has_map in [
            ("Phân tích", "Phân tích phản ánh", True),
            ("Cảnh báo", "Cảnh báo", False),
            ("Trạm quan trắc", "Trạm quan trắc", False),
            ("Nhập dữ liệu", "Nhập dữ liệu", False),
            ("Người dùng", "Quản lý người dùng", False),
        ]:
            page.get_by_role("link", name=link, exact=True).click()
            _check_page(page, recorder, title, has_map=has_map)
        assert recorder.external == []
        page.close()
    with ui.streamlit_server(hostile_db[0], tmp_path / "wards.log", {"ENVMON_BOUNDARY_SET": ui.XSS_WARDS}) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        recorder = ui.Recorder()
        recorder.attach(page)
        page.goto(base + "/")
        _check_page(page, recorder, "Chất lượng không khí Hà Nội", has_map=True)
        tooltips = page.frame_locator(ui.MAP_FRAME).locator(".leaflet-tooltip").all_inner_texts()
        assert any(ui.PAYLOADS[1] in text for text in tooltips)  # a payload ward name, shown as text
        page.close()
