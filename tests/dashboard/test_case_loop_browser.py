"""The whole case-work loop in Debian Chromium, as its people meet it: an operator imports a report with a photo →
the unit signs in, finds it in its queue, accepts it and resolves it with an "after" photo uploaded through the
page → a leader sees it resolved on time → a visitor who is not signed in sees no personal data.

Screenshots (vi and en, desktop and a 390-px phone) go to tests/artifacts/case_loop_*.png.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import importlib.util
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dashboard_browser import ARTIFACTS, CHROMIUM, TIMEOUT_MS, _new_page
from dashboard_browser import browser as browser  # the fixture
from dashboard_seed import PASSWORD, REPORTER_NAME, REPORTER_PHONE, seed_dashboard
from PIL import Image
from sqlalchemy import Engine, insert, select

from bench.bench_load import streamlit_server
from data.boundary_store import load_shipped_sets
from data.config import PACKAGE_CONFIG_DIR
from data.db import make_engine, migrate
from data.schema import ComplaintCase, ComplaintReport, RoutingRule
from data.scorecard import build_scorecard
from data.scorecard_export import default_period, display_table, header, period_bounds
from data.sla import load_sla_policy
from data.users import create_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# the one-language scan of tests/dashboard/test_one_language.py (importlib mode: load it by path)
_SCAN_SPEC = importlib.util.spec_from_file_location(
    "one_language_scan", Path(__file__).with_name("test_one_language.py")
)
one_language = importlib.util.module_from_spec(_SCAN_SPEC)
_SCAN_SPEC.loader.exec_module(one_language)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
UNIT_USER = "donvi-hk"
REPORTER = "Phạm Thị Riêng Tư"
REPORTER_PHONE_NEW = "0987654321"
RESULT_NOTE = "Đã thu gom toàn bộ rác, vệ sinh mặt đường."


def _jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    """A phone-like photo: EXIF with the camera and a GPS position (which a served file must not carry)."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "PhoneMaker", "PhoneModel"  # Make, Model
    exif.get_ifd(0x8825).update({1: "N", 2: (21.0, 2.0, 0.0), 3: "E", 4: (105.0, 51.0, 0.0)})  # GPS
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1200), colour).save(buffer, "JPEG", quality=80, exif=exif.tobytes())
    path.write_bytes(buffer.getvalue())
    assert Image.open(path).getexif()  # the upload does carry EXIF
    return path


def _served_images_have_no_exif(page: object, base: str) -> int:
    """Fetch every image the page shows (thumbnails and full images) and check none carries EXIF; their count."""
    sources = page.locator('[data-testid="stMain"] img, [role="dialog"] img').evaluate_all(  # type: ignore[attr-defined]
        "(images) => images.map((image) => image.getAttribute('src'))"
    )
    served = [src for src in sources if src and "/media/" in src]
    for src in served:
        body = page.request.get(src if src.startswith("http") else base + src).body()  # type: ignore[attr-defined]
        assert b"Exif" not in body and not Image.open(io.BytesIO(body)).getexif(), src
    return len(served)


@pytest.fixture(scope="module")
def loop_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine, Path]]:
    """The seeded dashboard data, a unit account for UBND phường Hoàn Kiếm, and waste routed to that unit."""
    folder = tmp_path_factory.mktemp("loop")
    url = f"sqlite:///{folder / 'loop.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_dashboard(engine)
    create_user(engine, UNIT_USER, PASSWORD, "unit", units=["ubnd-hk"])
    with engine.begin() as conn:
        conn.execute(insert(RoutingRule), [{"ward_code": None, "category_code": "waste", "unit_id": 1}])
    yield url, engine, folder
    engine.dispose()


@pytest.fixture(scope="module")
def photo_host(loop_db: tuple[str, Engine, Path]) -> Iterator[str]:
    """A file server on this machine for the photo the channel export links to (as Zalo exports link theirs)."""
    folder = loop_db[2] / "channel"
    folder.mkdir(exist_ok=True)
    _jpeg(folder / "hien-truong.jpg", (120, 110, 90))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def server(loop_db: tuple[str, Engine, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        reason = f"browser tests need {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    log = tmp_path_factory.mktemp("loop_server") / "streamlit.log"
    env = {"ENVMON_MEDIA_DIR": str(loop_db[2] / "media"), "ENVMON_MEDIA_FETCH_PRIVATE": "1"}  # the photo host
    with streamlit_server(loop_db[0], log, env=env) as base:
        yield base


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1200)  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / f"case_loop_{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _no_exception(page: object) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]


def _english(page: object) -> None:
    """Switch the page to English (on a phone the sidebar holding the switch is folded away first)."""
    opener = page.locator('[data-testid="stExpandSidebarButton"]')  # type: ignore[attr-defined]
    folded = opener.count() > 0 and opener.first.is_visible()
    if folded:
        opener.first.click()
    page.get_by_text("English", exact=True).first.click()  # type: ignore[attr-defined]
    if folded:  # fold it again to see the page
        page.wait_for_timeout(800)  # type: ignore[attr-defined]
        page.locator('[data-testid="stSidebarCollapseButton"] button').first.click()  # type: ignore[attr-defined]


def _speaks_one_language(page: object, language: str) -> None:
    """No other-language catalogue text, raw code, nan/None or dict anywhere on the page (its grids and map too)."""
    page.wait_for_timeout(2000)  # type: ignore[attr-defined]
    texts = one_language._page_texts(page)
    assert texts
    assert one_language.findings(texts, language, one_language.raw_codes()) == []


def _unit_score(engine: Engine) -> dict[str, object]:
    """UBND phường Hoàn Kiếm's row of the scorecard the page shows by default (the last twelve months) and its
    resolved-on-time figure as the page writes it."""
    zone = "Asia/Ho_Chi_Minh"
    since, until = period_bounds(*default_period(dt.datetime.now(HANOI).date()), zone)
    policy = load_sla_policy(PACKAGE_CONFIG_DIR / "sla.toml", zone)
    card = build_scorecard(engine, since=since, until=until, policy=policy, by="unit")
    row = next(index for index, record in enumerate(card.records()) if record["code"] == "ubnd-hk")
    on_time = display_table(card, "vi")[header("resolved_on_time_pct", "unit", "vi")].iloc[row]
    return {"record": card.records()[row], "on_time_text": on_time}


def _login(page: object, base: str, path: str, user: str) -> None:
    page.goto(base + path)  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").fill(user)  # type: ignore[attr-defined]
    page.get_by_label("Mật khẩu").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Đăng nhập").click()  # type: ignore[attr-defined]


def _logout(page: object) -> None:
    page.get_by_role("button", name="Đăng xuất").click()  # type: ignore[attr-defined]
    page.get_by_text("Trang công khai").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]


def _import_report(page: object, base: str, folder: Path, photo: str) -> None:
    """The operator imports one waste report from a channel export, with its photo (a link in the export)."""
    upload = folder / "zalo_loop.csv"
    upload.write_text(
        "Thời gian,Nội dung,Địa chỉ,Vĩ độ,Kinh độ,Kênh,Loại phản ánh,Họ tên,Số điện thoại,Ảnh\n"
        f"{dt.datetime.now(HANOI):%d/%m/%Y %H:%M},Rác tồn đọng trước số 12 Hàng Bạc,12 Hàng Bạc,21.0340,105.8525,"
        f"Zalo OA,Rác thải,{REPORTER},{REPORTER_PHONE_NEW},{photo}\n",
        encoding="utf-8",
    )
    _login(page, base, "/import", "ops")
    page.locator('input[type="file"]').set_input_files(str(upload))  # type: ignore[attr-defined]
    page.get_by_role("button", name="Nhập", exact=True).click()  # type: ignore[attr-defined]
    page.get_by_text("Đã nhập xong.").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _no_exception(page)
    _shot(page, "1_operator_import")
    _logout(page)


def _new_case(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(ComplaintReport.case_id).where(ComplaintReport.reporter_phone == REPORTER_PHONE_NEW)
            ).scalar_one()
        )


def _choose_action(page: object, name: str) -> None:
    group = page.locator('[data-testid="stButtonGroup"]')  # type: ignore[attr-defined]
    group.get_by_text(name, exact=True).first.click()


def test_operator_to_unit_to_leader_to_public(
    browser: object, server: str, loop_db: tuple[str, Engine, Path], photo_host: str
) -> None:
    _url, engine, folder = loop_db
    page, recorder = _new_page(browser)
    _import_report(page, server, folder, f"{photo_host}/hien-truong.jpg")
    case_id = _new_case(engine)
    score_before = _unit_score(engine)["record"]

    # the unit signs in and lands on its queue: the new case waits to be accepted
    _login(page, server, "/queue", UNIT_USER)
    page.locator("h1", has_text="Hàng đợi xử lý").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.get_by_role("tab", name="Mới – chờ tiếp nhận (1)").click()  # type: ignore[attr-defined]
    _no_exception(page)
    _shot(page, "2_unit_queue_vi")

    # the case page (the queue's link opens it in a new tab; the same address here)
    page.goto(f"{server}/case?id={case_id}")  # type: ignore[attr-defined]
    page.locator("h1", has_text=f"Vụ việc #{case_id}").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    html = page.content()  # type: ignore[attr-defined]
    assert REPORTER not in html and REPORTER_PHONE_NEW not in html  # the unit works without the reporter's identity
    page.get_by_text("ảnh/tệp phản ánh · hien-truong.jpg").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    assert _served_images_have_no_exif(page, server) >= 1  # the citizen's photo, served without its EXIF
    page.get_by_role("button", name="Nhận xử lý").last.click()  # type: ignore[attr-defined]
    page.get_by_text("Đã thực hiện: Nhận xử lý.").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _shot(page, "3_unit_accepted_vi")

    # resolve with the result and an "after" photo uploaded through the page, published for the results page
    _choose_action(page, "Hoàn thành")
    form = page.locator('[data-testid="stForm"]').first  # type: ignore[attr-defined]
    form.get_by_label("Kết quả xử lý").fill(RESULT_NOTE)
    after = _jpeg(folder / "sau-xu-ly.jpg", (40, 160, 60))
    form.locator('input[type="file"]').set_input_files(str(after))
    form.get_by_text(f"{after.name}").wait_for(timeout=TIMEOUT_MS)
    form.get_by_text("Công khai kết quả và ảnh sau xử lý").click()
    form.get_by_role("button", name="Hoàn thành").click()
    page.get_by_text("Đã thực hiện: Hoàn thành.").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _no_exception(page)
    _shot(page, "3_unit_resolved_vi")
    page.get_by_role("button", name="Xem ảnh gốc").first.click()  # type: ignore[attr-defined]
    page.get_by_role("dialog").locator("img").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _shot(page, "3_unit_full_image")
    assert _served_images_have_no_exif(page, server) >= 2  # the thumbnail and the full image, both stripped
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    page.get_by_role("dialog").wait_for(state="detached", timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        case = conn.execute(select(ComplaintCase).where(ComplaintCase.id == case_id)).mappings().one()
    assert case["status"] == "resolved" and case["result_public"]
    assert case["resolved_at"] <= case["due_at"]
    _logout(page)

    # a leader sees it resolved, on time, with its record
    _login(page, server, f"/case?id={case_id}", "lead")
    page.locator("h1", has_text=f"Vụ việc #{case_id}").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    _shot(page, "4_leader_case_vi")
    page.get_by_text("xử lý xong đúng hạn").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    html = page.content()  # type: ignore[attr-defined]
    assert REPORTER not in html and REPORTER_NAME not in html and REPORTER_PHONE not in html
    # …and on the scorecard: the unit's resolved-on-time count grew by this case, and the page shows that row
    score = _unit_score(engine)
    after = score["record"]
    assert after["resolved_on_time_pct"] > score_before["resolved_on_time_pct"]
    page.get_by_role("link", name="Bảng xếp hạng đơn vị", exact=True).click()  # type: ignore[attr-defined]
    page.locator("h1", has_text="Bảng xếp hạng đơn vị xử lý").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_timeout(2500)  # type: ignore[attr-defined]
    texts = one_language._page_texts(page)
    _shot(page, "5_leader_scorecard_vi")
    start = texts.index("/queue?unit=ubnd-hk#UBND phường Hoàn Kiếm")  # the unit's row (its link cell)
    assert score["on_time_text"] in texts[start + 1 : start + 5], texts[start : start + 8]
    _logout(page)

    # a visitor who is not signed in: the public results page shows the result and the after photo, nothing personal
    with engine.connect() as conn:
        ward = conn.execute(select(ComplaintCase.ward_code).where(ComplaintCase.id == case_id)).scalar_one()
    page.goto(f"{server}/results?ward={ward}")  # type: ignore[attr-defined]
    page.locator("h1", has_text="Kết quả xử lý phản ánh").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_timeout(2500)  # type: ignore[attr-defined]
    texts = " ".join(one_language._page_texts(page))
    assert RESULT_NOTE in texts
    for private in (REPORTER, REPORTER_PHONE_NEW, REPORTER_NAME, REPORTER_PHONE, "Rác tồn đọng trước", "12 Hàng Bạc"):
        assert private not in texts and private not in page.content(), private  # type: ignore[attr-defined]
    _shot(page, "6_public_results_vi")

    # the case page itself asks a visitor to sign in and shows nothing of the case
    page.goto(f"{server}/case?id={case_id}")  # type: ignore[attr-defined]
    page.get_by_label("Tên đăng nhập").wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    html = page.content()  # type: ignore[attr-defined]
    assert "Hàng Bạc" not in html and REPORTER not in html
    assert recorder.dialogs == [] and recorder.external == []
    page.close()  # type: ignore[attr-defined]


def test_case_page_in_english_and_on_a_phone(browser: object, server: str, loop_db: tuple[str, Engine, Path]) -> None:
    _url, engine, _folder = loop_db
    for width, height, name in ((1400, 1000, "desktop"), (390, 844, "phone")):
        page, recorder = _new_page(browser, width=width, height=height)
        _login(page, server, "/queue", UNIT_USER)
        page.locator("h1", has_text="Hàng đợi xử lý").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        _shot(page, f"7_queue_{name}_vi")
        _speaks_one_language(page, "vi")
        _english(page)
        page.locator("h1", has_text="Work queue").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        _shot(page, f"7_queue_{name}_en")
        _speaks_one_language(page, "en")
        page.goto(f"{server}/case?id=2")  # type: ignore[attr-defined]  (a new session: Vietnamese again)
        page.locator("h1", has_text="Vụ việc #2").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        _shot(page, f"8_case_{name}_vi")
        _speaks_one_language(page, "vi")
        _english(page)
        page.locator("h1", has_text="Case #2").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        _no_exception(page)
        _shot(page, f"8_case_{name}_en")
        _speaks_one_language(page, "en")
        page.get_by_text("Person or team").first.scroll_into_view_if_needed()  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"case_loop_8_case_{name}_en_actions.png"))  # type: ignore[attr-defined]
        page.get_by_text("Record", exact=True).first.scroll_into_view_if_needed()  # type: ignore[attr-defined]
        page.screenshot(path=str(ARTIFACTS / f"case_loop_8_case_{name}_en_record.png"))  # type: ignore[attr-defined]
        if width == 390:
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # type: ignore[attr-defined]
        assert recorder.external == []
        page.close()  # type: ignore[attr-defined]
