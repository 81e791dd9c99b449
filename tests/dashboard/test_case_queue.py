"""The unit queue page (``/queue``) in AppTest: a unit account sees its own cases only; staff pick a unit."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dashboard_seed import PASSWORD, seed_dashboard, signed_in
from sqlalchemy import Engine, delete, select
from streamlit.testing.v1 import AppTest

from dashboard import loaders, state
from data.boundary_store import load_shipped_sets
from data.db import make_engine, migrate
from data.schema import User, UserUnit
from data.users import create_user

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
UNIT_USERS = {"donvi-hk": ("ubnd-hk",), "donvi-urenco": ("urenco",), "donvi-none": ("urenco",)}
# seeded open cases per unit (dashboard_seed.CASE_PLAN): ward 00070 → ubnd-hk, the other wards → urenco
OPEN_CASES = {"ubnd-hk": {1, 2, 3}, "urenco": {8, 10, 11}}

App = Callable[..., AppTest]


@pytest.fixture(scope="module")
def queue_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('queue') / 'queue.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_dashboard(engine)
    for name, units in UNIT_USERS.items():
        create_user(engine, name, PASSWORD, "unit", units=units)
    with engine.begin() as conn:  # an account whose binding was removed behind its back (data.users needs one)
        user_id = conn.execute(select(User.id).where(User.username == "donvi-none")).scalar_one()
        conn.execute(delete(UserUnit).where(UserUnit.user_id == user_id))
    yield url, engine
    engine.dispose()


@pytest.fixture
def queue_app(queue_db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("DATABASE_URL", queue_db[0])
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    loaders.settings.clear()
    loaders.engine.clear()

    def make(user: str, *, page: str = "queue", params: dict[str, str] | None = None, language: str = "vi") -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        at.session_state[state.LANGUAGE] = language
        for key, value in signed_in(queue_db[0], user).items():
            at.session_state[key] = value
        at.switch_page(f"views/{page}.py")
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.run()
        return at

    return make


def _linked_cases(at: AppTest) -> set[int]:
    found: set[int] = set()
    for frame in at.dataframe:
        for value in frame.value.iloc[:, 0]:
            if str(value).startswith("/case?id="):
                found.add(int(str(value).removeprefix("/case?id=")))
    return found


def test_unit_account_sees_only_its_own_cases(queue_app: App) -> None:
    at = queue_app("donvi-hk")
    assert not at.exception
    assert _linked_cases(at) == OPEN_CASES["ubnd-hk"]
    labels = [tab.label for tab in at.tabs]
    assert labels[0] == "Quá hạn (2)" and "Mới – chờ tiếp nhận (0)" in labels
    sidebar = "".join(m.value for m in at.sidebar.markdown)
    counts = re.search(r"(\d+) mới · (\d+) đang xử lý · (\d+) sắp đến hạn · (\d+) quá hạn", sidebar)
    assert counts is not None
    new, in_progress, due_soon, overdue = map(int, counts.groups())
    # the seeded on-time case is due a calendar day from now: due soon or not depends on the working hours
    assert (new, in_progress + due_soon, overdue) == (0, 1, 2)
    # a crafted link to another unit's queue changes nothing: the scope comes from the account
    at = queue_app("donvi-hk", params={"unit": "urenco"})
    assert _linked_cases(at) == OPEN_CASES["ubnd-hk"]


def test_unit_account_navigation_is_its_own(queue_app: App) -> None:
    at = queue_app("donvi-urenco", language="en")
    assert _linked_cases(at) == OPEN_CASES["urenco"]
    links = {link.label for link in at.sidebar.get("page_link")}
    assert "Work queue" in links
    assert not links & {"Overview", "Analysis", "Alerts", "Stations", "Import", "Users"}
    refused = queue_app("donvi-urenco", page="overview")
    assert any("Responsible unit" in w.value or "Đơn vị xử lý" in w.value for w in refused.warning)


def test_unit_account_bound_to_nothing_sees_nothing(queue_app: App) -> None:
    at = queue_app("donvi-none")
    assert _linked_cases(at) == set()
    assert any("chưa được gắn" in w.value for w in at.warning)


def test_staff_pick_a_unit(queue_app: App) -> None:
    at = queue_app("lead")
    assert not at.exception
    listing = at.dataframe[0].value
    assert set(listing.iloc[:, 0]) == {"/queue?unit=ubnd-hk", "/queue?unit=urenco"}
    at = queue_app("lead", params={"unit": "urenco"})
    assert _linked_cases(at) == OPEN_CASES["urenco"]
    assert "Công ty Môi trường đô thị" in at.title[0].value
    at = queue_app("ops", params={"unit": "no-such-unit"})
    assert any("no\\-such\\-unit" in e.value for e in at.error)
