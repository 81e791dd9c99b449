"""Sessions, deep links, navigation per role, filters in the URL and anti-framing, in Debian Chromium (#16, #13).

Shares the server and browser fixtures of test_browser.py (skips without /usr/bin/chromium unless
``ENVMON_REQUIRE_BROWSER=1``). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from dashboard_seed import PASSWORD
from sqlalchemy import Engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
TIMEOUT_MS = 45_000
PAGES = {  # URL path → what shows there without login (the public page's title or the login form)
    "air": "Chất lượng không khí Hà Nội",
    "overview": None,
    "analysis": None,
    "alerts": None,
    "stations": None,
    "import": None,
    "users": None,
    "login": None,
}
STAFF_NAV = ["Không khí", "Tổng quan", "Phân tích", "Cảnh báo", "Hàng đợi xử lý", "Bảng xếp hạng đơn vị",
             "Kết quả xử lý", "Trạm quan trắc"]  # fmt: skip
ALLOWED = {
    "lead": STAFF_NAV,
    "ana": STAFF_NAV,
    "ops": [*STAFF_NAV, "Nhập dữ liệu", "Người dùng"],
}


def _browser_module() -> ModuleType:
    """tests/dashboard/test_browser.py, whose ``server`` (the real app over the seeded database) and ``browser``
    (Debian Chromium, or a skip) fixtures this module shares."""
    name = "dashboard_browser_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("test_browser.py"))
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


server = _browser_module().server
browser = _browser_module().browser


def _context(browser: object) -> object:
    return browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]


def _signed_in_as(page: object, name: str) -> None:
    page.get_by_text(f"Đăng nhập: {name}").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]


def _login(page: object, base: str, user: str, path: str = "login") -> None:
    page.goto(f"{base}/{path}")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").fill(user, timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.get_by_label("Mật khẩu").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Đăng nhập").click()  # type: ignore[attr-defined]
    _signed_in_as(page, user)
    assert _wait_for_cookie(page, present=True)  # set by a request just after the rerun


def _wait_for_cookie(page: object, *, present: bool) -> bool:
    """Whether the session cookie reached the wanted state within 10 s (the component sets or clears it)."""
    for _ in range(40):
        names = [c["name"] for c in page.context.cookies()]  # type: ignore[attr-defined]
        if ("envmon_session" in names) == present:
            return True
        page.wait_for_timeout(250)  # type: ignore[attr-defined]
    return False


def _nav(page: object) -> list[str]:
    links = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]')  # type: ignore[attr-defined]
    links.first.wait_for(timeout=TIMEOUT_MS)
    return [text.strip() for text in links.all_inner_texts()]


def test_session_survives_reload_and_new_tab_and_ends_on_deactivation(
    browser: object, server: str, browser_db: tuple[str, Engine]
) -> None:
    from data.users import create_user

    create_user(browser_db[1], "ops2", PASSWORD, "operator")
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    _login(page, server, "ops2", "users")
    page.locator("h1", has_text="Quản lý người dùng").first.wait_for(timeout=TIMEOUT_MS)
    cookie = next(c for c in context.cookies() if c["name"] == "envmon_session")  # type: ignore[attr-defined]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "envmon_session" not in page.evaluate("document.cookie")  # scripts cannot read the token
    page.reload()
    _signed_in_as(page, "ops2")
    page.locator("h1", has_text="Quản lý người dùng").first.wait_for(timeout=TIMEOUT_MS)
    tab = context.new_page()  # type: ignore[attr-defined]
    tab.goto(f"{server}/alerts")
    _signed_in_as(tab, "ops2")
    tab.locator("h1", has_text="Cảnh báo").first.wait_for(timeout=TIMEOUT_MS)
    env = {**os.environ, "DATABASE_URL": browser_db[0]}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "users", "deactivate", "ops2"], env=env, cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert '"sessions_ended": 1' in done.stdout
    page.get_by_role("link", name="Tổng quan", exact=True).click()  # the next interaction of the open tab
    page.get_by_text("Phiên đăng nhập đã kết thúc").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("Mật khẩu").wait_for(timeout=TIMEOUT_MS)
    assert page.locator("h1", has_text="Tổng quan").count() == 0
    tab.reload()  # the cookie no longer opens a session
    tab.get_by_label("Mật khẩu").wait_for(timeout=TIMEOUT_MS)
    assert tab.get_by_text("Đăng nhập: ops2").count() == 0
    context.close()  # type: ignore[attr-defined]


def test_logout_ends_the_session_in_every_tab(browser: object, server: str) -> None:
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    _login(page, server, "ana", "overview")
    other = context.new_page()  # type: ignore[attr-defined]
    other.goto(f"{server}/analysis")
    _signed_in_as(other, "ana")
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_text("Trang công khai").first.wait_for(timeout=TIMEOUT_MS)
    assert _wait_for_cookie(page, present=False)
    other.get_by_role("link", name="Cảnh báo", exact=True).click()
    other.get_by_label("Mật khẩu").wait_for(timeout=TIMEOUT_MS)
    assert other.get_by_text("Đăng nhập: ana").count() == 0
    context.close()  # type: ignore[attr-defined]


def test_deep_links_open_every_page(browser: object, server: str) -> None:
    """#13.14: ``/air`` and every other path open their page directly (no "Page not found" dialog)."""
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    for path, title in PAGES.items():
        page.goto(f"{server}/{path}")
        if title:
            page.locator("h1", has_text=title).first.wait_for(timeout=TIMEOUT_MS)
        else:
            page.get_by_label("Mật khẩu").wait_for(timeout=TIMEOUT_MS)
            if path != "login":  # the ask the signed-in loop below looks for
                assert page.get_by_text("Trang này cần đăng nhập").count() == 1, path
        page.wait_for_timeout(300)
        body = page.inner_text("body")
        assert "Page not found" not in body and "không tìm thấy" not in body.lower(), path
        assert urlparse(page.url).path == f"/{path}", path
    _login(page, server, "ops", "users")
    for path in [p for p in PAGES if p not in ("login",)]:
        page.goto(f"{server}/{path}")
        page.locator("h1").first.wait_for(timeout=TIMEOUT_MS)
        assert "Page not found" not in page.inner_text("body"), path
        # signed in: no page asks for a login (the Users page has password fields of its own, so look for the ask)
        assert page.get_by_text("Trang này cần đăng nhập").count() == 0, path
    page.goto(f"{server}/")
    page.locator("h1", has_text="Chất lượng không khí Hà Nội").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_url(f"{server}/air", timeout=TIMEOUT_MS)  # "/" goes to the public page's own URL
    context.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("user", [None, "lead", "ana", "ops"])
def test_navigation_shows_only_what_the_role_may_open(browser: object, server: str, user: str | None) -> None:
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    if user is None:
        page.goto(f"{server}/air")
        assert _nav(page) == ["Không khí", "Kết quả xử lý", "Đăng nhập"]
    else:
        _login(page, server, user, "overview")
        assert _nav(page) == ALLOWED[user]
        if user == "lead":
            page.goto(f"{server}/import")  # a hidden page is still refused when opened by its URL
            page.get_by_text("không được dùng trang này").first.wait_for(timeout=TIMEOUT_MS)
            assert page.locator('input[type="file"]').count() == 0
    context.close()  # type: ignore[attr-defined]


def _query(page: object) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)  # type: ignore[attr-defined]


def test_filters_live_in_the_url(browser: object, server: str) -> None:
    """#16: a filter set on one page survives a page change and a reload, and a link shares it."""
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    _login(page, server, "ana", "analysis")
    page.locator("h1", has_text="Phân tích").first.wait_for(timeout=TIMEOUT_MS)
    category = page.locator('[data-testid="stMultiSelect"]', has_text="Loại phản ánh")
    category.click()
    option = page.get_by_role("option").filter(has_not_text="Select all").first
    chosen = option.inner_text().strip()
    option.click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('category=')", timeout=TIMEOUT_MS)
    code = _query(page)["category"]
    page.get_by_role("link", name="Tổng quan", exact=True).click()
    page.locator("h1", has_text="Tổng quan").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => location.search.includes('category=')", timeout=TIMEOUT_MS)
    assert _query(page)["category"] == code
    page.get_by_role("link", name="Phân tích", exact=True).click()
    page.locator("h1", has_text="Phân tích").first.wait_for(timeout=TIMEOUT_MS)
    category.get_by_text(chosen).first.wait_for(timeout=TIMEOUT_MS)  # the widget shows the filter again
    page.reload()
    page.locator("h1", has_text="Phân tích").first.wait_for(timeout=TIMEOUT_MS)
    assert _query(page)["category"] == code
    category.get_by_text(chosen).first.wait_for(timeout=TIMEOUT_MS)
    shared = page.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "analysis_filter_from_url.png"), full_page=True)
    colleague = _context(browser).new_page()  # type: ignore[attr-defined]
    _login(colleague, server, "lead", "login")
    colleague.goto(shared)
    colleague.locator("h1", has_text="Phân tích").first.wait_for(timeout=TIMEOUT_MS)
    multiselect = colleague.locator('[data-testid="stMultiSelect"]', has_text="Loại phản ánh")
    multiselect.get_by_text(chosen).first.wait_for(timeout=TIMEOUT_MS)
    context.close()  # type: ignore[attr-defined]


def test_pages_cannot_be_framed_by_other_sites(browser: object, server: str) -> None:
    """#13.15: X-Frame-Options and CSP frame-ancestors on every page; component frames only by this origin."""
    for path in ("/", "/air", "/login", "/users"):
        headers = requests.get(server + path, timeout=10).headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Content-Security-Policy"] == "frame-ancestors 'none'", path
        assert headers["X-Content-Type-Options"] == "nosniff", path
    static = requests.get(server + "/app/static/envmon-icon.png", timeout=10).headers
    assert static["X-Frame-Options"] == "SAMEORIGIN"
    context = _context(browser)
    attacker = context.new_page()  # type: ignore[attr-defined]
    attacker.set_content(f'<iframe id="victim" src="{server}/login" width="800" height="600"></iframe>')
    attacker.wait_for_timeout(3000)
    frame = attacker.frame_locator("#victim")
    assert frame.get_by_label("Mật khẩu").count() == 0  # the login form never loads inside another site
    context.close()  # type: ignore[attr-defined]


def test_the_cookie_route_refuses_cross_site_calls(server: str) -> None:
    forged = requests.post(server + "/_envmon/session", data="x", headers={"Origin": "http://evil.example"}, timeout=10)
    assert forged.status_code == 403
    assert requests.post(server + "/_envmon/session", data="not-a-code", timeout=10).status_code == 400
    assert "set-cookie" not in requests.post(server + "/_envmon/session", data="", timeout=10).headers
