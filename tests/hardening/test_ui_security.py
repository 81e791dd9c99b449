"""Access control of the dashboard: no page data without login, the role matrix (pages and navigation, unit
accounts included), operator actions out of reach, sessions re-checked against the database on every run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ui_server as ui  # tests/hardening/_server.py, registered by conftest.py
from sqlalchemy import Engine, func, select, update

clean_caches = ui.clean_caches
# (page → roles that may open it); the public air page is open to everyone
ACCESS = {
    "overview": {"leader", "analyst", "operator"},
    "analysis": {"leader", "analyst", "operator"},
    "alerts": {"leader", "analyst", "operator"},
    "stations": {"leader", "analyst", "operator"},
    "imports": {"operator"},
    "users": {"operator"},
}
USERS = {**ui.ROLES, "donvi": "unit"}  # seeded staff plus a unit account bound to one responsible unit
STAFF = {"leader", "analyst", "operator"}
# the sidebar in the app's order: (label, roles that see it; None: everyone, signed in or not)
NAV_PAGES = (
    ("Không khí", None),
    ("Tổng quan", STAFF),
    ("Phân tích", STAFF),
    ("Cảnh báo", STAFF),
    ("Hàng đợi xử lý", {*STAFF, "unit"}),
    ("Bảng xếp hạng đơn vị", STAFF),
    ("Kết quả xử lý", None),
    ("Trạm quan trắc", STAFF),
    ("Nhập dữ liệu", {"operator"}),
    ("Người dùng", {"operator"}),
)
# texts that only the protected pages show (seeded unit, alert, station reading and user names)
PROTECTED_DATA = ("UBND phường Hoàn Kiếm", "PM2.5 24 h 62", "COD 180", "row 7: lat 210.5", "Rác thải tồn đọng")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The seeded dashboard database (no payloads)."""
    from data.users import create_user

    url, engine = ui.seeded_database(tmp_path_factory.mktemp("ui-security"), hostile=False)
    create_user(engine, "donvi", ui.PASSWORD, "unit", units=["urenco"])
    yield url, engine
    engine.dispose()


@pytest.fixture
def page(db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, clean_caches: None) -> Any:
    """``ui.run_page`` against the seeded database."""
    monkeypatch.setenv("DATABASE_URL", db[0])
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    return ui.run_page


def _shows_login_form_only(at: Any) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert [ti.label for ti in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]
    assert at.button[-1].label == "Đăng nhập"
    assert not at.title and not ui.map_payloads(at) and not at.get("arrow_data_frame") and not at.metric
    text = ui.page_text(at)
    for secret in (*PROTECTED_DATA, ui.dashboard_seed.REPORTER_NAME, ui.dashboard_seed.REPORTER_PHONE):
        assert secret not in text


@pytest.mark.parametrize("name", ui.PROTECTED)
def test_protected_pages_show_only_the_login_form(page: Any, name: str) -> None:
    """Every page is registered (a deep link works), but without login a protected one is only the form."""
    _shows_login_form_only(page(name))


def _nav(at: Any) -> list[str]:
    return [link.proto.label for link in at.get("page_link")]


def test_the_public_page_needs_no_login_and_shows_no_protected_data(page: Any) -> None:
    at = page()
    assert [t.value for t in at.title] == ["Chất lượng không khí Hà Nội"]
    assert not [ti for ti in at.text_input if ti.label == "Mật khẩu"]
    text = ui.page_text(at)
    assert not [secret for secret in PROTECTED_DATA if secret in text]


@pytest.mark.parametrize("user", list(USERS))
@pytest.mark.parametrize("name", list(ACCESS))
def test_role_matrix(page: Any, name: str, user: str) -> None:
    role = USERS[user]
    at = page(name, user=user)
    assert not at.exception, [e.value for e in at.exception]
    if role in ACCESS[name]:
        assert len(at.title) == 1
        assert not [w for w in at.warning if "không được dùng trang này" in w.value]
    else:
        assert not at.title and not at.get("arrow_data_frame") and not at.get("file_uploader")
        assert not ui.map_payloads(at) and not at.metric
        assert any("không được dùng trang này" in w.value for w in at.warning)
        assert not [secret for secret in PROTECTED_DATA if secret in ui.page_text(at)]


@pytest.mark.parametrize("user", [None, *USERS])
def test_navigation_offers_only_what_the_role_may_open(page: Any, user: str | None) -> None:
    """#16: Import is not shown to leaders, Users only to operators, nothing protected to visitors."""
    at = page(user=user)
    role = None if user is None else USERS[user]
    expected = [label for label, roles in NAV_PAGES if roles is None or role in roles]
    assert _nav(at) == expected + (["Đăng nhập"] if user is None else [])


def test_an_open_tab_loses_rights_when_the_account_changes(
    page: Any, db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """#13.3: demotion, deactivation and a new password end the session under an open tab at its next run."""
    from dashboard import state
    from data.users import create_user, set_active, set_password, set_role

    create_user(db[1], "ops2", ui.PASSWORD, "operator")
    at = page("users", user="ops2")
    assert [t.value for t in at.title] == ["Quản lý người dùng"]
    set_role(db[1], "ops2", "leader", actor="ops")
    at.run()
    assert not at.title and at.session_state[state.USER] is None
    assert any("Phiên đăng nhập đã kết thúc" in w.value for w in at.warning)
    for change in (
        lambda: set_active(db[1], "ops2", False, actor="ops"),
        lambda: set_password(db[1], "ops2", "brand-new-secret-42", actor="ops"),
    ):
        set_active(db[1], "ops2", True, actor="ops")
        at = page("overview", user="ops2")
        assert [t.value for t in at.title] == ["Tổng quan"]
        change()
        at.run()
        assert not at.title and [ti.label for ti in at.text_input] == ["Tên đăng nhập", "Mật khẩu"]


def test_a_forged_session_id_is_not_a_login(page: Any) -> None:
    from dashboard import state

    at = page()
    at.session_state[state.SESSION_ID] = 424242
    at.switch_page("views/users.py").run()
    _shows_login_form_only(at)


class Calls:
    """Records calls to a replaced action function (which must never run)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append((args, kwargs))


@pytest.mark.parametrize("user", ["lead", "ana"])
def test_non_operators_cannot_acknowledge_alerts(
    page: Any, db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    from data.schema import Alert
    from monitoring import alert_store

    acknowledge = Calls()
    monkeypatch.setattr(alert_store, "acknowledge", acknowledge)
    at = page("alerts", user=user)
    assert not at.exception
    assert not at.text_area and "Xác nhận" not in [b.label for b in at.button]
    assert any("Chỉ cán bộ vận hành" in c.value for c in at.caption)
    assert acknowledge.calls == []
    with db[1].connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Alert).where(Alert.ack_by.is_not(None))) == 0


@pytest.mark.parametrize("user", ["lead", "ana"])
def test_non_operators_cannot_import(
    page: Any, db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    from data.importers import pipeline
    from data.schema import ImportBatch
    from monitoring import readings_import

    import_table, import_readings = Calls(), Calls()
    monkeypatch.setattr(pipeline, "import_table", import_table)
    monkeypatch.setattr(readings_import, "import_readings", import_readings)
    at = page("imports", user=user)
    assert not at.get("file_uploader")
    assert "Nhập" not in [b.label for b in at.button]
    assert import_table.calls == [] and import_readings.calls == []
    with db[1].connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ImportBatch)) == 1  # only the seeded batch


def test_the_users_page_refuses_a_non_operator_even_when_reached(
    page: Any, db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page itself checks the role too (defence in depth: the app registers it for everyone)."""
    from streamlit.testing.v1 import AppTest

    from dashboard import state
    from data import users
    from data.schema import User

    with db[1].connect() as conn:
        accounts = conn.scalar(select(func.count()).select_from(User))
    create_user, set_password = Calls(), Calls()
    monkeypatch.setattr(users, "create_user", create_user)
    monkeypatch.setattr(users, "set_password", set_password)
    at = AppTest.from_file(str(Path(ui.APP).parent / "views" / "users.py"), default_timeout=60)
    at.session_state[state.LANGUAGE] = "vi"
    at.session_state[state.USER] = {"username": "ana", "role": "analyst"}
    at.run()
    assert not at.exception
    assert not at.title and not at.text_input and not at.get("arrow_data_frame")
    assert any("Chuyên viên phân tích" in w.value for w in at.warning)
    assert create_user.calls == [] and set_password.calls == []
    with db[1].connect() as conn:
        assert conn.scalar(select(func.count()).select_from(User)) == accounts


@pytest.mark.slow
@pytest.mark.browser
def test_the_real_server_guards_pages_and_operator_controls(db: tuple[str, Engine], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with ui.streamlit_server(db[0], tmp_path / "streamlit.log") as base, sync_playwright() as playwright:
        browser = ui.launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for name in ui.PROTECTED:
            page.goto(ui.url_of(base, name))  # a fresh session each time: nobody is logged in
            page.get_by_label("Mật khẩu").wait_for(timeout=ui.TIMEOUT_MS)
            assert page.locator("h1").count() == 0, name
            assert page.locator(ui.MAP_FRAME).count() == 0, name
            page.wait_for_timeout(500)
            html = ui.full_html(page)
            leaked = [s for s in (*PROTECTED_DATA, ui.dashboard_seed.REPORTER_NAME, "Quản lý người dùng") if s in html]
            assert leaked == [], name
        ui.login(page, base, "ana")
        assert page.get_by_role("link", name="Người dùng", exact=True).count() == 0
        assert page.get_by_role("link", name="Nhập dữ liệu", exact=True).count() == 0  # not offered…
        for _ in range(40):  # …and refused by its URL once the session cookie is set
            if "envmon_session" in [c["name"] for c in page.context.cookies()]:
                break
            page.wait_for_timeout(250)
        page.goto(ui.url_of(base, "imports"))
        page.get_by_text("không được dùng trang này").first.wait_for(timeout=ui.TIMEOUT_MS)
        assert page.locator('input[type="file"]').count() == 0
        page.get_by_role("link", name="Cảnh báo", exact=True).click()
        page.locator("h1", has_text="Cảnh báo").first.wait_for(timeout=ui.TIMEOUT_MS)
        page.get_by_text("Chỉ cán bộ vận hành").first.wait_for(timeout=ui.TIMEOUT_MS)
        assert page.locator("textarea").count() == 0
        assert page.get_by_role("button", name="Xác nhận").count() == 0
        browser.close()


def _fragment_script() -> None:
    """A page whose fragment re-checks the user; the second pass of a run marks a whole-app rerun."""
    import streamlit as st

    from dashboard import auth

    st.session_state["passes"] = st.session_state.get("passes", 0) + 1
    if st.session_state["passes"] > 1:
        st.markdown("whole app rerun")
        st.stop()

    @st.fragment
    def panel() -> None:
        user = auth.recheck(auth.OPERATOR_ONLY)
        st.markdown(f"acting as {user['username']}")

    panel()


def test_fragments_recheck_the_session_without_counting_as_activity(
    db: tuple[str, Engine], monkeypatch: pytest.MonkeyPatch, clean_caches: None
) -> None:
    """An auto-refreshing fragment (the alerts panel) skips app.py: ``auth.recheck`` re-reads the session there."""
    from streamlit.testing.v1 import AppTest

    from dashboard import state
    from data.schema import UserSession
    from data.users import create_user, set_role

    monkeypatch.setenv("DATABASE_URL", db[0])
    create_user(db[1], "ops3", ui.PASSWORD, "operator")
    at = AppTest.from_function(_fragment_script, default_timeout=60)
    for key, value in ui.dashboard_seed.signed_in(db[0], "ops3").items():
        at.session_state[key] = value
    seen = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)  # last activity ten minutes ago
    with db[1].begin() as conn:
        conn.execute(
            update(UserSession).where(UserSession.id == at.session_state[state.SESSION_ID]).values(last_seen_at=seen)
        )
    at.run()
    assert [m.value for m in at.markdown] == ["acting as ops3"]
    with db[1].connect() as conn:  # the fragment's check is not activity: the idle clock keeps running
        assert (
            conn.scalar(select(UserSession.last_seen_at).where(UserSession.id == at.session_state[state.SESSION_ID]))
            == seen
        )
    set_role(db[1], "ops3", "leader", actor="ops")
    at.session_state["passes"] = 0
    at.run()
    assert [m.value for m in at.markdown] == ["whole app rerun"]  # the fragment did not act as an operator
