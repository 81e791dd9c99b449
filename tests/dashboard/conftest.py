"""Dashboard fixtures: a seeded SQLite database shared by the module, and AppTest runners pointed at it."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from dashboard import loaders, state
from data.boundary_store import load_shipped_sets
from data.db import make_engine, migrate

# pytest runs in importlib mode (no sys.path changes): register the seed module so tests can import it by name
_SEED_PATH = Path(__file__).resolve().parent / "dashboard_seed.py"
_spec = importlib.util.spec_from_file_location("dashboard_seed", _SEED_PATH)
dashboard_seed = importlib.util.module_from_spec(_spec)
sys.modules["dashboard_seed"] = dashboard_seed
_spec.loader.exec_module(dashboard_seed)
# …and the browser fixtures and helpers of test_browser.py, shared by the other browser test modules
_BROWSER_PATH = Path(__file__).resolve().parent / "test_browser.py"
_browser_spec = importlib.util.spec_from_file_location("dashboard_browser", _BROWSER_PATH)
dashboard_browser = importlib.util.module_from_spec(_browser_spec)
sys.modules["dashboard_browser"] = dashboard_browser
_browser_spec.loader.exec_module(dashboard_browser)

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


def make_seeded_db(folder: Path) -> tuple[str, Engine]:
    """(URL, engine) of a migrated SQLite database in ``folder`` with boundaries and the seeded dataset."""
    url = f"sqlite:///{folder / 'dash.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    dashboard_seed.seed_dashboard(engine)
    return url, engine


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The seeded database shared by the AppTest tests."""
    url, engine = make_seeded_db(tmp_path_factory.mktemp("dashboard"))
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def browser_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """A separate seeded database for the browser tests (they import into it)."""
    url, engine = make_seeded_db(tmp_path_factory.mktemp("browser"))
    yield url, engine
    engine.dispose()


@pytest.fixture
def app(seeded_db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """A factory of AppTests on the seeded database: ``app(page=None, user=None, language=None)``."""
    monkeypatch.setenv("DATABASE_URL", seeded_db[0])
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    loaders.settings.clear()  # settings and engine read by an earlier test (another database) must not leak in
    loaders.engine.clear()

    def make(page: str | None = None, user: str | None = None, language: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        if language:
            at.session_state[state.LANGUAGE] = language
        if user:
            for key, value in dashboard_seed.signed_in(seeded_db[0], user).items():
                at.session_state[key] = value
        if page:
            at.switch_page(f"views/{page}.py")
        at.run()
        return at

    return make


@pytest.fixture
def password() -> str:
    """The seeded users' password."""
    return dashboard_seed.PASSWORD
