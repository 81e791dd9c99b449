"""Shared helpers of the UI hardening tests: seeded databases with hostile text, AppTest runs, the real server.

Reuses the dashboard test seed (``tests/dashboard/dashboard_seed.py``), the browser recorder of
``tests/dashboard/test_browser.py`` and the server launcher of ``bench/bench_load.py``. Test modules load this
file as ``ui_server`` (``conftest.py``; pytest runs in importlib mode).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, update

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


dashboard_seed = _load("dashboard_seed", REPO / "tests" / "dashboard" / "dashboard_seed.py")
browser_helpers = _load("dashboard_browser_helpers", REPO / "tests" / "dashboard" / "test_browser.py")
from bench.bench_load import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402, F401 - re-exported
from dashboard import map_documents  # noqa: E402

Recorder = browser_helpers.Recorder
MAP_FRAME = browser_helpers.MAP_FRAME
TIMEOUT_MS = browser_helpers.TIMEOUT_MS
APP = str(REPO / "dashboard" / "app.py")
PASSWORD = dashboard_seed.PASSWORD
ROLES = {"lead": "leader", "ana": "analyst", "ops": "operator"}
PAGES = ("air", "overview", "analysis", "alerts", "stations", "imports", "users")
PROTECTED = ("overview", "analysis", "alerts", "stations", "imports", "users")
URL_PATHS = {"imports": "import"}  # page file name → URL path where they differ
PAYLOADS = (
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
)
RAW_MARKUP = ("<img src=x", "<script>alert", "<svg onload")  # what must never reach HTML unescaped
XSS_WARDS = "xss-wards"  # a user-loaded boundary set whose ward names are payloads


def seeded_database(folder: Path, *, hostile: bool) -> tuple[str, Engine]:
    """(URL, engine) of the dashboard seed in ``folder``; ``hostile`` plants a payload in every free-text field."""
    from data.boundary_store import load_shipped_sets
    from data.db import make_engine, migrate

    url = f"sqlite:///{folder / 'ui.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    dashboard_seed.seed_dashboard(engine)
    if hostile:
        plant_payloads(engine)
    return url, engine


def plant_payloads(engine: Engine) -> None:
    """Write the payloads into complaint text, address, category raw text, unit, station, alert and ward names."""
    from data.boundary_store import store_boundary_set, wards_frame
    from data.schema import Alert, AlertEvent, ComplaintCase, ComplaintReport, ResponsibleUnit, Station

    with engine.begin() as conn:
        for case_id, payload in enumerate(PAYLOADS, start=1):
            conn.execute(update(ComplaintCase).where(ComplaintCase.id == case_id).values(title=f"{payload} #{case_id}"))
            conn.execute(
                update(ComplaintReport)
                .where(ComplaintReport.case_id == case_id)
                .values(description=payload, address=payload, category_raw=payload)
            )
        conn.execute(update(ComplaintCase).where(ComplaintCase.id == 5).values(ward_name=PAYLOADS[1]))
        conn.execute(update(ResponsibleUnit).where(ResponsibleUnit.id == 1).values(name=PAYLOADS[2]))
        conn.execute(update(ResponsibleUnit).where(ResponsibleUnit.id == 2).values(name=PAYLOADS[0]))
        conn.execute(update(Station).where(Station.id == "hn-air-1").values(name=PAYLOADS[0], ward_name=PAYLOADS[2]))
        conn.execute(update(Station).where(Station.id == "hn-air-2").values(name=PAYLOADS[1], operator=PAYLOADS[3]))
        conn.execute(update(Station).where(Station.id == "ww-1").values(name=PAYLOADS[2]))
        conn.execute(
            update(Alert)
            .where(Alert.id == 1)
            .values(message=PAYLOADS[0], ack_by="ops", ack_note=PAYLOADS[1], ack_at=dashboard_seed.NOW)
        )
        conn.execute(update(Alert).where(Alert.id == 2).values(message=PAYLOADS[2]))
        conn.execute(update(AlertEvent).values(note=PAYLOADS[3]))
    wards = wards_frame(engine, "hanoi-2025")
    wards["name"] = [f"{PAYLOADS[i % len(PAYLOADS)]} {code}" for i, code in enumerate(wards["code"])]
    wards["district"] = PAYLOADS[1]
    store_boundary_set(engine, wards, name=XSS_WARDS, valid_from=dt.date(2025, 7, 1), source="user upload")


@pytest.fixture
def clean_caches() -> Iterator[None]:
    """Forget the dashboard's process-wide cached settings, engine and frames before and after a test."""
    import streamlit as st

    from dashboard import loaders

    def clear() -> None:
        loaders.engine.clear()
        loaders.settings.clear()
        st.cache_data.clear()
        st.cache_resource.clear()

    clear()
    yield
    clear()


def run_page(page: str | None = None, user: str | None = None, language: str | None = None) -> Any:
    """An AppTest of ``page`` (None: the default public page) for ``user`` (a seeded user name), run to the end.

    ``DATABASE_URL`` must already point at the database (``monkeypatch.setenv``).
    """
    from streamlit.testing.v1 import AppTest

    from dashboard import state

    at = AppTest.from_file(APP, default_timeout=90)
    if language:
        at.session_state[state.LANGUAGE] = language
    if user:
        for key, value in dashboard_seed.signed_in(os.environ["DATABASE_URL"], user).items():
            at.session_state[key] = value
    at.run()  # switching before a first run stays on the default page
    if page:
        at.switch_page(f"views/{page}.py")
        at.run()
    return at


class Downloads:
    """Captures every ``download_button`` a page offers: (label, bytes)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from streamlit.delta_generator import DeltaGenerator

        self.offered: list[tuple[str, bytes]] = []
        original = DeltaGenerator.download_button

        def capture(dg: Any, label: str, data: Any, *args: Any, **kwargs: Any) -> Any:
            self.offered.append((label, data if isinstance(data, bytes) else str(data).encode()))
            return original(dg, label, data, *args, **kwargs)

        monkeypatch.setattr(DeltaGenerator, "download_button", capture)


def map_payloads(at: Any) -> list[dict[str, Any]]:
    """The page (``script``: the ``st.iframe`` HTML, as in dashboard.components.show_map) of every map."""
    return [{"script": map_documents.frame_html(el.proto)} for el in at.get("iframe")]


def map_html(at: Any) -> str:
    """The script and HTML of every map on the page, JSON ``\\uXXXX`` escapes decoded (as the browser will)."""
    content = "".join(p["script"] + p.get("html", "") for p in map_payloads(at))
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), content)


def page_text(at: Any) -> str:
    """Every text the page shows: markdown-like elements, widget labels and options, tables and maps."""
    parts = [
        str(el.value)
        for kind in ("markdown", "caption", "title", "header", "subheader", "metric", "info", "warning", "error")
        for el in at.get(kind)
    ]
    parts += [str(el.proto) for kind in ("selectbox", "multiselect", "radio") for el in at.get(kind)]
    parts += [el.value.to_csv() for el in at.get("arrow_data_frame")]
    parts += [json.dumps(p, ensure_ascii=False) for p in map_payloads(at)]
    return "\n".join(parts)


def url_of(base: str, page: str) -> str:
    """The browser URL of ``page`` on the server at ``base``."""
    return f"{base}/{URL_PATHS.get(page, page)}"


def launch_chromium(playwright: Any) -> Any:
    """Debian Chromium (never a downloaded browser), or a skip when it is missing."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need {CHROMIUM} (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def login(page: Any, base: str, user: str) -> None:
    """Open the overview, log in as ``user`` and wait for the page title."""
    page.goto(url_of(base, "overview"))
    page.get_by_label("Tên đăng nhập").fill(user, timeout=TIMEOUT_MS)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("h1", has_text="Tổng quan").first.wait_for(timeout=TIMEOUT_MS)


def full_html(page: Any) -> str:
    """The main document and every frame (the folium map iframe included)."""
    return page.content() + "".join(frame.content() for frame in page.frames)
