"""AppTest for every page: renders without exceptions, key elements, login flow, language switch, privacy."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from dashboard_seed import XSS_TITLE
from streamlit.testing.v1 import AppTest

from dashboard import map_documents, state

PAGES = {
    "air": "Chất lượng không khí Hà Nội",
    "overview": "Tổng quan",
    "analysis": "Phân tích phản ánh",
    "alerts": "Cảnh báo",
    "stations": "Trạm quan trắc",
    "imports": "Nhập dữ liệu",
    "users": "Quản lý người dùng",
}

App = Callable[..., AppTest]


def _map_pages(at: AppTest) -> list[str]:
    """The HTML page of every map (``st.iframe`` srcdoc, or the page served at its ``src``: see
    dashboard.components.show_map and show_map_document), JSON ``\\uXXXX`` escapes decoded (as the browser will)."""
    return [
        re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), map_documents.frame_html(el.proto))
        for el in at.get("iframe")
    ]


def _all_text(at: AppTest) -> str:
    parts = [
        str(el.value)
        for kind in ("markdown", "caption", "title", "subheader", "metric", "info", "warning")
        for el in at.get(kind)
    ]
    parts += [el.value.to_csv() for el in at.dataframe]
    parts += _map_pages(at)
    return "\n".join(parts)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_for_an_operator(app: App, page: str) -> None:
    at = app(page, user="ops")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [PAGES[page]]


ENGLISH_TITLES = {
    "air": "Hà Nội air quality",
    "overview": "Overview",
    "analysis": "Complaint analysis",
    "alerts": "Alerts",
    "stations": "Monitoring stations",
    "imports": "Import data",
    "users": "User administration",
}


@pytest.mark.parametrize("page", list(ENGLISH_TITLES))
def test_every_page_renders_in_english(app: App, page: str) -> None:
    at = app(page, user="ops", language="en")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [ENGLISH_TITLES[page]]


def test_protected_pages_ask_for_login(app: App) -> None:
    for page in ("overview", "analysis", "alerts", "stations", "imports"):
        at = app(page)
        assert not at.exception
        assert [ti.label for ti in at.text_input] == ["Tên đăng nhập", "Mật khẩu"], page
        assert at.button[-1].label == "Đăng nhập"
        assert not at.title and not _map_pages(at), page


def test_login_flow(app: App, password: str) -> None:
    at = app("overview")
    at.text_input[0].input("lead")
    at.text_input[1].input("wrong password")
    at.button[-1].click().run()
    assert at.error[0].value.startswith("Sai tên đăng nhập hoặc mật khẩu. Sau 5 lần sai liên tiếp")
    assert at.session_state[state.USER] is None
    at.text_input[0].input("lead")
    at.text_input[1].input(password)
    at.button[-1].click().run()
    assert not at.exception
    assert {k: at.session_state[state.USER][k] for k in ("username", "role")} == {"username": "lead", "role": "leader"}
    assert [t.value for t in at.title] == ["Tổng quan"]
    assert [m.label for m in at.metric][:2] == ["Đang xử lý", "Quá hạn"]


def test_roles_limit_operator_pages(app: App) -> None:
    at = app("imports", user="ana")
    assert not at.exception and not at.title
    assert "Chuyên viên phân tích" in at.warning[-1].value


def test_language_switch_to_english(app: App) -> None:
    at = app("overview", user="lead")
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert [m.label for m in at.metric][0] == "Open"


def test_language_is_kept_in_the_url(app: App) -> None:
    """A reload or a shared link opens in the language it was made in; the default language adds nothing."""
    at = app("alerts", user="lead")
    assert "lang" not in at.query_params
    at.sidebar.radio[0].set_value("en").run()
    assert at.query_params["lang"] == "en"
    at.sidebar.radio[0].set_value("vi").run()
    assert "lang" not in at.query_params


@pytest.mark.parametrize(("asked", "expected", "title"), [("en", "en", "Hà Nội air quality"), ("<b>", "vi", None)])
def test_a_link_with_lang_opens_in_that_language(
    app: App, asked: str, expected: str, title: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new browser session (a reload, a shared link) starts in the URL's language; an unknown one is ignored."""
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=60)
    at.query_params["lang"] = asked
    at.run()
    assert not at.exception
    assert at.session_state[state.LANGUAGE] == expected
    if title:
        assert [t.value for t in at.title] == [title]


def test_overview_map_is_offline_and_shows_wards_and_escaped_cases(app: App) -> None:
    at = app("overview", user="lead")
    (page,) = _map_pages(at)
    (frame,) = at.get("iframe")  # served by URL (dashboard.map_documents): its links climb from /_envmon/map/
    assert frame.proto.src.startswith("/_envmon/map/") and not frame.proto.srcdoc
    links = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page)
    assert links and all(link.startswith(map_documents.ASSET_BASE + "/") for link in links)
    assert "Hoàn Kiếm" in page
    assert XSS_TITLE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    overdue = at.dataframe[0].value
    assert overdue.iloc[0].tolist()[:2] == ["UBND phường Hoàn Kiếm", "2"]
    spots = next(d.value for d in at.dataframe if "Phản ánh gần nhất" in d.value.columns)
    assert spots.iloc[0]["Phường/xã"] == "Hoàn Kiếm" and spots.iloc[0]["Số vụ việc"] == "7"  # the 7 seeded cases


def test_overview_builds_the_overdue_case_list_only_while_it_is_open(app: App) -> None:
    """The list of every overdue case (thousands of rows at city scale) is not built or sent while its expander
    is closed; opening it shows the cases with links to their pages."""
    at = app("overview", user="lead")
    columns = [list(d.value.columns) for d in at.dataframe]
    assert not any("Hạn xử lý" in c for c in columns)  # closed: only the per-unit table and the others
    per_unit = at.dataframe[0].value
    at.session_state[state.OVERDUE_CASES_OPEN] = True  # what the browser reports when the leader opens it
    at.run()
    assert not at.exception
    (cases,) = [d.value for d in at.dataframe if "Hạn xử lý" in d.value.columns]
    assert len(cases) == sum(int(n) for n in per_unit["Quá hạn"]) == 3
    assert all(link.startswith("/case?id=") for link in cases["Mã"])


def test_analysis_filters_table_and_exports(app: App) -> None:
    at = app("analysis", user="ana")
    assert at.metric[0].value == "12"
    (page,) = _map_pages(at)
    assert "markerClusterGroup" in page  # 12 cases: markers
    at.multiselect[3].set_value(["hotline"]).run()  # channel filter
    assert at.metric[0].value == "4"
    at.toggle[0].set_value(True).run()
    assert not at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tải CSV (4 vụ việc)", "Tải GeoJSON (4 vụ việc)"]


def test_import_page_shows_quarantine_reasons(app: App) -> None:
    at = app("imports", user="ops")
    assert "row 7: lat 210.5 out of range" in at.dataframe[-1].value.to_csv()


def test_alerts_page_lists_firing_alert(app: App) -> None:
    at = app("alerts", user="lead")
    assert not at.exception
    text = _all_text(at) + "".join(h.value for h in at.subheader)
    text += "".join(frame.value.to_csv() for frame in at.dataframe)
    assert "Vượt ngưỡng quy chuẩn" in text and "KCN Thăng Long" in text
    assert "COD (5 phút) 180,0 mg/L > 135,0 mg/L, QCVN 40:2011 cột B × Kq 0,9 × Kf 1" in text
    for raw in ("pm25-24h-qcvn05", "effluent-qcvn40", "station:ww-1/cod", "hn-air-2", "'station_id'", "nan", "None"):
        assert raw not in text, raw  # no rule id, subject, dict or missing value reaches the page
    assert any("Chỉ cán bộ vận hành" in c.value for c in at.caption)


def test_overview_alerts_read_as_on_the_alerts_page_in_the_page_language(app: App) -> None:
    at = app("overview", user="lead")
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    text = "".join(frame.value.to_csv() for frame in at.dataframe)
    assert "COD (5 min) 180.0 mg/L > 135.0 mg/L, QCVN 40:2011 column B × Kq 0.9 × Kf 1" in text
    assert "COD 180 > 135 mg/L" not in text  # the evaluation's stored message, in its own words and language


def test_alert_page_shows_history_and_chart(app: App) -> None:
    at = app("alerts", user="lead")
    at.switch_page("views/alert.py")
    at.query_params["id"] = "1"
    at.run()
    assert not at.exception
    assert any("PM₂.₅" in h.value for h in at.subheader)
    assert "Đổi trạng thái" in at.dataframe[-1].value.to_csv()


def test_alert_page_facts_wrap_and_an_acknowledgement_note_stays_text(app: App, seeded_db: tuple[str, object]) -> None:
    """Severity, state and times on one wrapping line (metric cards cut '29/11/2026 …' off); who acknowledged and
    their note are data: Markdown in them is shown, not rendered."""
    from sqlalchemy import select, update

    from data.schema import Alert

    engine = seeded_db[1]
    columns = (Alert.ack_by, Alert.ack_note, Alert.ack_at)
    with engine.begin() as conn:  # the seeded database is shared by the session: put the alert back afterwards
        before = dict(conn.execute(select(*columns).where(Alert.id == 1)).one()._mapping)
        conn.execute(update(Alert).where(Alert.id == 1).values(
            ack_by="**ops**", ack_note="[bấm](http://x.example/p) ![i](http://x.example/i.png)",
            ack_at=dt.datetime(2025, 3, 15, 1, 0, tzinfo=dt.UTC)))  # fmt: skip
    try:
        at = app("alerts", user="lead")
        at.switch_page("views/alert.py")
        at.query_params["id"] = "1"
        at.run()
        assert not at.exception and not at.metric
        facts = next(m.value for m in at.markdown if "Trạng thái:" in m.value)
        assert "Bắt đầu:" in facts and "…" not in facts
        [ack] = [i.value for i in at.info if "ops" in i.value]
        assert "\\*\\*ops\\*\\*" in ack and "\\[bấm\\]" in ack and "!\\[i\\]" not in ack.replace("\\!", "")
    finally:
        with engine.begin() as conn:
            conn.execute(update(Alert).where(Alert.id == 1).values(**before))


def test_stations_page_draws_the_qcvn_limit(app: App) -> None:
    at = app("stations", user="ana")
    at.selectbox[0].set_value("hn-air-2").run()
    assert not at.exception
    assert at.selectbox[1].value == "no2"
    assert any("200 µg/m³ — QCVN 05:2023" in c.value for c in at.caption)  # NO2 1-h limit, Table 1
    assert any("Dữ liệu cũ" in w.value for w in at.warning)  # the first station (Cầu Giấy) is stale


def test_station_list_keeps_the_name_in_view_on_a_phone(app: App) -> None:
    at = app("stations", user="ana", language="en")
    stations = at.dataframe[0]
    assert list(stations.value.columns[:3]) == ["Station", "State", "Last reading"]
    assert json.loads(stations.proto.columns)["Station"] == {"pinned": True, "width": "medium"}


def test_wastewater_station_limit_is_the_permit_cmax(app: App) -> None:
    at = app("stations", user="ana")
    at.selectbox[0].set_value("ww-1").run()
    assert not at.exception
    assert any("135 mg/L — QCVN 40:2011 cột B × Kq 0,9 × Kf 1" in c.value for c in at.caption)  # 150 × 0.9 × 1


def test_overview_map_colours_wastewater_by_threshold_state(app: App) -> None:
    at = app("overview", user="lead")
    (page,) = _map_pages(at)
    assert "KCN Th" in page and "COD 180 > 135" not in page
    assert '"fillColor": "#FF0000"' in page  # the exceeding effluent station is red


def test_operator_acknowledges_an_alert(app: App, seeded_db: tuple[str, object]) -> None:
    from sqlalchemy import select

    from data.schema import Alert

    at = app("alerts", user="ops")
    which = next(box for box in at.selectbox if box.label == "Cảnh báo")
    which.set_value(2)
    at.text_area[0].input("Đã cử đoàn kiểm tra")
    next(b for b in at.button if b.label == "Xác nhận").click().run()
    assert not at.exception
    assert any(s.value.startswith("Đã xác nhận: ") and "COD" in s.value for s in at.success)
    with seeded_db[1].connect() as conn:
        row = conn.execute(select(Alert.ack_by, Alert.ack_note, Alert.state).where(Alert.id == 2)).one()
    assert tuple(row) == ("ops", "Đã cử đoàn kiểm tra", "firing")  # acknowledged, still firing


def test_empty_database_asks_for_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    from streamlit.testing.v1 import AppTest

    from dashboard import loaders

    loaders.engine.clear()
    loaders.settings.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=60).run()
    loaders.engine.clear()
    loaders.settings.clear()
    assert not at.exception
    assert "envmon init" in at.error[0].value


def test_cached_overview_map_is_redrawn_when_cases_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard_seed import seed_dashboard, signed_in
    from sqlalchemy import insert

    from dashboard import loaders
    from data.boundary_store import load_shipped_sets
    from data.db import make_engine, migrate
    from data.schema import ComplaintCase

    url = f"sqlite:///{tmp_path / 'probe.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_dashboard(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("ENVMON_TILE_URL", raising=False)
    loaders.engine.clear()
    loaders.settings.clear()
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=60)
        at.run()
        for key, value in signed_in(url, "lead").items():
            at.session_state[key] = value
        at.run()
        at.switch_page("views/overview.py").run()
        (before,) = _map_pages(at)
        assert at.run() and _map_pages(at) == [before]  # the same data and minute: the cached map
        now = dt.datetime.now(dt.UTC)
        spot = {"lat": 21.1, "lon": 105.9, "set_name": "hanoi-2025", "category_code": "odour", "status": "received"}
        with engine.begin() as conn:  # five reports at one new place: a new recurring spot on the map
            conn.execute(insert(ComplaintCase), [{**spot, "opened_at": now, "last_report_at": now}] * 5)
        at.run()
        (after,) = _map_pages(at)
        assert not at.exception
        probe = "[105.9, 21.1]"
        assert probe not in before and probe in after  # new cases: a new data version
    finally:
        loaders.engine.clear()
        loaders.settings.clear()
        engine.dispose()
