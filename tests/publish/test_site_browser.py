"""The published site in Debian Chromium on a 390-px phone: first screen, no overflow, the map, zero external requests;
the handling results pages in both languages on a phone and a desktop: tabs, cards, the ward map and its popups.

Screenshots go to tests/artifacts/ (git-ignored). Skips without /usr/bin/chromium unless ``ENVMON_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
from air_seed import NOW, TIMEZONE, seed_air
from sqlalchemy import Engine, insert, select

from data.boundary_store import load_shipped_sets
from data.config import load_settings
from data.db import make_engine, migrate
from data.schema import ComplaintCase, ResponsibleUnit
from publish.build import build_site
from tests.cases.public_seed import PUBLIC_NOTE, SECRETS, seed_public

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
MORE_CASES = (  # status, category, place (the first shares a ~100 m cell with nothing else seeded)
    ("in_progress", "no_such_category", 21.0301, 105.854),
    ("received", "burning_smoke", 21.0312, 105.8505),
    ("rejected", "noise", 21.0275, 105.853),
)


def _more_cases(engine: Engine) -> None:
    """Open and rejected cases beside the seeded resolved ones, one with a category code the taxonomy lacks."""
    with engine.begin() as conn:
        unit = conn.execute(select(ResponsibleUnit.id)).scalar_one()
        for days, (status, category, lat, lon) in enumerate(MORE_CASES, start=1):
            conn.execute(
                insert(ComplaintCase).values(
                    category_code=category,
                    lat=lat,
                    lon=lon,
                    set_name="hanoi-2025",
                    ward_code="00070",
                    ward_name="Hoàn Kiếm",
                    district=None,
                    unit_id=unit if status != "received" else None,
                    status=status,
                    title=SECRETS[4],
                    opened_at=NOW - dt.timedelta(days=days),
                    last_report_at=NOW,
                    resolved_at=NOW if status == "rejected" else None,
                )
            )


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site built from the seeded dataset, served over HTTP on a free loopback port."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    folder = tmp_path_factory.mktemp("site")
    engine: Engine = make_engine(f"sqlite:///{folder / 'air.db'}")
    migrate(engine)
    load_shipped_sets(engine)
    seed_air(engine)
    world = seed_public(engine, folder / "media")
    _more_cases(engine)
    settings = load_settings(timezone=TIMEZONE, media_dir=world.media_dir)
    out = build_site(engine, folder / "site", settings=settings, now=NOW).path
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(50):
            try:
                urlopen(base + "/index.html", timeout=1).close()  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize(
    ("path", "name", "first_screen_text"),
    [
        ("/", "site_index_390", "Trạm Minh Khai"),
        ("/stations/HN1.html", "site_station_390", "Trạm Hoàn Kiếm"),
        ("/en/wards/index.html", "site_wards_en_390", "Wards"),
    ],
)
def test_pages_on_a_phone(site_url: str, path: str, name: str, first_screen_text: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport=PHONE)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        card = page.locator(".card").first.bounding_box() if page.locator(".card").count() else None
        heading = page.get_by_text(first_screen_text).first.bounding_box()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        circles = 0
        if path == "/":
            map_frame = page.frame_locator("iframe")
            map_frame.locator(".leaflet-container").wait_for(timeout=20_000)
            circles = map_frame.locator("path.leaflet-interactive").count()
        chromium.close()
    assert [u for u in requests if urlparse(u).hostname not in {"127.0.0.1", None, ""}] == []
    assert width <= PHONE["width"]
    assert heading is not None and heading["y"] < PHONE["height"]
    if card is not None:
        assert card["y"] + card["height"] <= PHONE["height"]  # the AQI card is on the first screen
    if path == "/":
        assert circles >= 3 + 100  # ward polygons and the three stations are drawn from local Leaflet


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1400"])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_results_pages(site_url: str, language: str, viewport: dict[str, int]) -> None:
    """Results index → ward page (cards, map) → a marker's popup; dates in the language's format, no raw value."""
    from playwright.sync_api import sync_playwright

    prefix = "" if language == "vi" else "/en"
    day = "17/03/2025" if language == "vi" else "17 Mar 2025"
    name = f"site_results_{language}_{viewport['width']}"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport=viewport)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(f"{site_url}{prefix}/index.html")
        page.locator("nav.tabs a").nth(1).click()  # the tab from the air-quality home to the results
        page.wait_for_url(f"**{prefix}/results/index.html")
        page.get_by_role("link", name="Hoàn Kiếm").click()
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        map_frame = page.frame_locator("iframe")
        map_frame.locator("path.leaflet-interactive").first.wait_for(timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        text = page.locator("main").inner_text()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        current = page.locator("nav.tabs a[aria-current]").inner_text()
        shapes = map_frame.locator("path.leaflet-interactive").count()
        map_frame.locator('path[fill="#2E7D32"]').click()  # the resolved cases' cell
        popup = map_frame.locator(".leaflet-popup-content")
        popup.wait_for(timeout=10_000)
        popup_text = popup.inner_text()
        page.screenshot(path=str(ARTIFACTS / f"{name}_popup.png"))
        chromium.close()
    assert [u for u in requests if urlparse(u).hostname not in {"127.0.0.1", None, ""}] == []
    assert width <= viewport["width"]
    assert current == ("Kết quả xử lý phản ánh" if language == "vi" else "Complaint results")
    assert shapes == 1 + 4  # the ward's outline and four ~100 m cells
    assert PUBLIC_NOTE in text and day in text and ("Khác" if language == "vi" else "Other") in text
    assert "Sanitation" in popup_text if language == "en" else "Vệ sinh môi trường" in popup_text
    assert day in popup_text and "UBND phường Hoàn Kiếm" in popup_text
    for shown in (text, popup_text):
        assert not re.search(r"\b(None|nan|NaN|NaT|null)\b|_|\d{4}-\d{2}-\d{2}", shown), shown  # no raw value or code
        assert not any(secret in shown for secret in SECRETS)


MAP_STATE = """() => {
    const map = window[Object.keys(window).find((name) => name.startsWith("map_"))];
    const container = document.querySelector(".leaflet-container");
    return {zoom: map.getZoom(), wheel: map.scrollWheelZoom.enabled(), drag: map.dragging.enabled(),
            touchAction: getComputedStyle(container).touchAction};
}"""


def test_a_framed_map_leaves_the_page_scrolling(site_url: str) -> None:
    """On the index the wheel scrolls the page over the map and, on a phone, one finger scrolls the page (the map
    pans only with two fingers); the map opened on its own takes the wheel and one finger as usual."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        desktop = chromium.new_page(viewport={"width": 1000, "height": 600})
        desktop.goto(site_url + "/index.html")
        frame_element = desktop.locator("iframe")
        frame_element.scroll_into_view_if_needed()
        frame = frame_element.element_handle().content_frame()
        frame.locator(".leaflet-container").wait_for(timeout=20_000)
        before = desktop.evaluate("() => window.scrollY"), frame.evaluate(MAP_STATE)
        box = frame_element.bounding_box()
        desktop.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        desktop.mouse.wheel(0, 300)
        desktop.wait_for_timeout(500)
        after = desktop.evaluate("() => window.scrollY"), frame.evaluate(MAP_STATE)
        phone = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, user_agent=PHONE_AGENT)
        framed = phone.new_page()
        framed.goto(site_url + "/index.html")
        framed.frame_locator("iframe").locator(".leaflet-container").wait_for(timeout=20_000)
        framed_state = framed.locator("iframe").element_handle().content_frame().evaluate(MAP_STATE)
        alone = phone.new_page()
        alone.goto(site_url + "/map.html")
        alone.locator(".leaflet-container").wait_for(timeout=20_000)
        alone_state = alone.evaluate(MAP_STATE)
        chromium.close()
    assert after[0] > before[0] and after[1]["zoom"] == before[1]["zoom"]  # the page scrolled, the map kept its zoom
    assert before[1]["drag"] and not before[1]["wheel"]  # a mouse still drags the framed map
    assert (framed_state["drag"], framed_state["wheel"], framed_state["touchAction"]) == (False, False, "pan-x pan-y")
    assert (alone_state["drag"], alone_state["wheel"], alone_state["touchAction"]) == (True, True, "none")
