"""The public page in Debian Chromium: phone-first layout, and Markdown/HTML in station data kept inert.

* On a 390×844 phone the AQI card and the page's language switch are on the first screen (issue 16).
* A feed can name a station anything (OpenAQ location and provider names pass through): with Markdown and
  HTML in a station's name, operator and ward, the DOM holds no ``<a>``/``<img>``/… made from data and the
  browser makes zero requests off this machine (issue 13.5).

Screenshots go to tests/artifacts/ (git-ignored). Skips without /usr/bin/chromium unless
``ENVMON_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import Engine, update

from bench.bench_load import streamlit_server
from dashboard.markup import escape_markdown
from data.schema import Station

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
TIMEOUT_MS = 45_000
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1", "localhost", None, ""}
EVIL_HOST = "evil.example"
EVIL_NAME = f"![t](http://{EVIL_HOST}/pixel.png) [bấm](http://{EVIL_HOST}/go) :red[đỏ] $x^2$ <b>đậm</b> www.{EVIL_HOST}"
EVIL_OPERATOR = f"[nhà vận hành](http://{EVIL_HOST}/op) ![o](http://{EVIL_HOST}/op.png)"
EVIL_WARD = f"![w](http://{EVIL_HOST}/ward.png)"


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")


def _external(requests: list[str]) -> list[str]:
    return [u for u in requests if urlparse(u).hostname not in LOCAL_HOSTS]


@pytest.fixture(scope="module")
def server(browser_db: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard over the seeded database."""
    _require_chromium()
    with streamlit_server(browser_db[0], tmp_path_factory.mktemp("air") / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def evil_server(browser_db: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh server (no cached snapshot) after air station hn-air-1 got Markdown in its texts."""
    _require_chromium()
    with browser_db[1].begin() as conn:
        conn.execute(
            update(Station)
            .where(Station.id == "hn-air-1")
            .values(name=EVIL_NAME, operator=EVIL_OPERATOR, ward_name=EVIL_WARD)
        )
    with streamlit_server(browser_db[0], tmp_path_factory.mktemp("evil") / "streamlit.log") as base:
        yield base


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("![t](http://x/p.png)", "\\!\\[t\\]\\(http\\:\u2060\\/\\/x\\/p\\.png\\)"),
        ("www.x.vn a@b.vn", "www\u2060\\.x\\.vn a\u2060\\@b\\.vn"),
        ("Trạm Hoàn Kiếm", "Trạm Hoàn Kiếm"),
        ("a\nb\r\n# c", r"a b \# c"),
        (":red[x] $y$", "\\:\u2060red\\[x\\] \\$y\\$"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_escape_markdown(raw: object, escaped: str) -> None:
    assert escape_markdown(raw) == escaped


@pytest.mark.browser
@pytest.mark.slow
def test_phone_shows_the_aqi_card_and_the_language_switch_first(server: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport=PHONE)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(server + "/")
        card = page.locator(".envmon-aqi-card").first
        card.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "air_phone_first_screen.png"))
        box = card.bounding_box()
        switch = page.locator('[data-testid="stButtonGroup"]').get_by_text("English", exact=True).first.bounding_box()
        page.locator('[data-testid="stButtonGroup"]').get_by_text("English", exact=True).first.click()
        page.get_by_text("Hà Nội air quality").first.wait_for(timeout=TIMEOUT_MS)
        page.locator(".envmon-aqi-card").first.wait_for(timeout=TIMEOUT_MS)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(ARTIFACTS / "air_phone_first_screen_en.png"))
        width = page.evaluate("() => document.documentElement.scrollWidth")
        chromium.close()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    assert switch is not None and switch["y"] + switch["height"] <= PHONE["height"]
    assert width <= PHONE["width"]
    assert _external(requests) == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1400])
def test_markdown_in_station_data_creates_no_element_or_request(evil_server: str, width: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport={"width": width, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(evil_server + "/")
        page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
        page.get_by_text("pixel.png").first.wait_for(timeout=TIMEOUT_MS)  # the station's heading, as text
        page.wait_for_timeout(1500)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"air_injection_{width}.png"), full_page=True)
        frames = [page.main_frame, *page.frames]
        made = [
            element
            for frame in frames
            for element in frame.evaluate(
                """(host) => [...document.querySelectorAll('a, img, iframe, link, script, source, video, audio')]
                    .filter((e) => ['href', 'src', 'srcset', 'poster'].some(
                        (name) => (e.getAttribute(name) || '').includes(host)))
                    .map((e) => e.outerHTML)""",
                EVIL_HOST,
            )
        ]
        text = page.locator("body").inner_text().replace("\u2060", "")  # the invisible autolink breakers
        chromium.close()
    assert made == []
    assert _external(requests) == []
    assert "![t](http://evil.example/pixel.png)" in text  # shown literally
    assert "nhà vận hành" in text and ":red[đỏ]" in text
