"""The published site in Debian Chromium on a 390-px phone: first screen, no overflow, the map, zero external requests.

Screenshots go to tests/artifacts/ (git-ignored). Skips without /usr/bin/chromium unless ``ENVMON_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import os
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
from sqlalchemy import Engine

from data.boundary_store import load_shipped_sets
from data.config import load_settings
from data.db import make_engine, migrate
from publish.build import build_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
PHONE = {"width": 390, "height": 844}


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
    out = build_site(engine, folder / "site", settings=load_settings(timezone=TIMEZONE), now=NOW).path
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
