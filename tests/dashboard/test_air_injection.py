"""Markdown/HTML in station data on the public page: shown as text, never a link, image or request (issue 13.5).

A feed (OpenAQ location and provider names pass through) can name a station anything. The browser test renders
the public page in Debian Chromium with such names and scans the DOM: no ``<a>`` or ``<img>`` made from data and
zero requests off this machine. Skips without /usr/bin/chromium unless ``ENVMON_REQUIRE_BROWSER=1``.
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
EVIL_HOST = "evil.example"
EVIL_NAME = f"![t](http://{EVIL_HOST}/pixel.png) [bấm](http://{EVIL_HOST}/go) :red[đỏ] $x^2$ <b>đậm</b> www.{EVIL_HOST}"
EVIL_OPERATOR = f"[nhà vận hành](http://{EVIL_HOST}/op) ![o](http://{EVIL_HOST}/op.png)"
EVIL_WARD = f"![w](http://{EVIL_HOST}/ward.png)"
TIMEOUT_MS = 45_000


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


@pytest.fixture(scope="module")
def evil_server(browser_db: tuple[str, Engine], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard over the seeded database whose air station hn-air-1 carries Markdown in its texts."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    url, engine = browser_db
    with engine.begin() as conn:
        conn.execute(
            update(Station)
            .where(Station.id == "hn-air-1")
            .values(name=EVIL_NAME, operator=EVIL_OPERATOR, ward_name=EVIL_WARD)
        )
    with streamlit_server(url, tmp_path_factory.mktemp("air") / "streamlit.log") as base:
        yield base


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
    assert [u for u in requests if urlparse(u).hostname not in {"127.0.0.1", "localhost", None, ""}] == []
    assert "![t](http://evil.example/pixel.png)" in text  # shown literally
    assert "nhà vận hành" in text and ":red[đỏ]" in text
