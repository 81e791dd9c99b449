"""Markdown in data on the staff pages: a station, ward or unit name from a feed or a file stays literal text.

The public page has its own Chromium test (test_air_browser.py); here the Alerts page and an alert's own page
run with every place name in the alert labels replaced by a Markdown payload (image, link, colour directive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dashboard_seed import signed_in  # registered by conftest
from sqlalchemy import Engine, select, update
from streamlit.testing.v1 import AppTest

from dashboard import loaders, state
from data.schema import Alert

EVIL = "![t](http://evil.example/pixel.png) [bấm](http://evil.example/go) :red[đỏ]"
APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
MARKDOWN_ELEMENTS = ("markdown", "caption", "title", "subheader", "header", "info", "warning", "success", "error")


@pytest.fixture(scope="module")
def evil_db(browser_db: tuple[str, Engine]) -> Iterator[tuple[str, Engine]]:
    """The module's own seeded database with every alert's place names replaced by the payload."""
    url, engine = browser_db
    with engine.begin() as conn:
        for alert_id, labels in conn.execute(select(Alert.id, Alert.labels)).all():
            names = dict.fromkeys(("station_name", "ward_name", "unit_name"), EVIL)
            conn.execute(update(Alert).where(Alert.id == alert_id).values(labels={**(labels or {}), **names}))
    yield url, engine


@pytest.fixture
def open_page(evil_db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    monkeypatch.setenv("DATABASE_URL", evil_db[0])
    loaders.settings.clear()
    loaders.engine.clear()

    def run(page: str, query: dict[str, str] | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        at.session_state[state.LANGUAGE] = "vi"
        for key, value in signed_in(evil_db[0], "lead").items():
            at.session_state[key] = value
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.switch_page(f"views/{page}.py")
        return at.run()

    return run


def _markdown_sources(at: AppTest) -> list[str]:
    return [str(element.value) for kind in MARKDOWN_ELEMENTS for element in getattr(at, kind)]


def _assert_literal(at: AppTest) -> None:
    assert not at.exception
    sources = _markdown_sources(at)
    assert any("pixel" in text for text in sources), "the payload is not on the page: the test proves nothing"
    for text in sources:
        assert "](http" not in text and ":red[đỏ]" not in text, text


def test_alerts_page_shows_place_names_as_literal_text(open_page: Callable[..., AppTest]) -> None:
    _assert_literal(open_page("alerts"))


def test_an_alerts_own_page_shows_its_place_as_literal_text(
    open_page: Callable[..., AppTest], evil_db: tuple[str, Engine]
) -> None:
    with evil_db[1].connect() as conn:
        alert_id = conn.execute(select(Alert.id).where(Alert.kind == "threshold").limit(1)).scalar_one()
    _assert_literal(open_page("alert", {"id": str(alert_id)}))
