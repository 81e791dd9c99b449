"""The Alerts page in Chromium on a demo-like database and on the product's own demo (`envmon demo`): a stale
station found by name, overdue reminders grouped per unit, no raw rule id or subject anywhere; screenshots in
Vietnamese, English and on a 390-px phone."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_seed import NOW, PASSWORD, seed_dashboard
from sqlalchemy import insert, select

from bench.bench_load import streamlit_server
from cli import main
from data.alert_states import AlertState
from data.boundary_store import load_shipped_sets
from data.db import make_engine, migrate
from data.schema import Alert
from data.users import create_user
from monitoring.alert_engine import evaluate_alerts
from monitoring.alert_rules import load_alert_rules
from monitoring.sla_signals import sla_signals

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "tests" / "artifacts"
TIMEOUT_MS = 90_000
STALE_STATION = "Trạm nước thải KCN Sài Đồng B"
RAW = ("complaint-overdue-unit", "effluent-cmax", "pm25-24h-qcvn05", "unit:ubnd", "unit:-", "station:", "{'", "nan",
       "None")  # fmt: skip


@pytest.fixture(scope="module")
def demo_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard seed, its overdue reminders evaluated, and a station that went silent mid-exceedance."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts-browser') / 'demo.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_dashboard(engine)
    evaluate_alerts(engine, NOW, [sla_signals], rules=load_alert_rules())
    with engine.begin() as conn:
        conn.execute(
            insert(Alert).values(
                rule_id="effluent-cmax", subject="station:SD-B/cod", kind="threshold", severity="critical",
                state=AlertState.STALE.value, value=212.0, threshold=150.0, message="",
                labels={"station_id": "SD-B", "station_name": STALE_STATION, "parameter": "cod", "period": "raw",
                        "unit": "mg/L", "basis": "QCVN 40:2011 B × Kq 1 × Kf 1"},
                active_at=NOW - dt.timedelta(hours=9), fired_at=NOW - dt.timedelta(hours=9),
                state_since=NOW - dt.timedelta(hours=5), last_data_at=NOW - dt.timedelta(hours=5),
            )
        )  # fmt: skip
    engine.dispose()
    log = tmp_path_factory.mktemp("alerts-server") / "streamlit.log"
    with streamlit_server(url, log) as base:
        yield base


@pytest.fixture(scope="module")
def chromium(demo_like: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _signed_in_alerts(
    chromium: object, base: str, width: int, height: int, user: str = "lead", password: str = PASSWORD
) -> object:
    page = chromium.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page.goto(base + "/alerts")
    page.get_by_label("Tên đăng nhập").wait_for(timeout=TIMEOUT_MS)
    page.get_by_label("Tên đăng nhập").fill(user)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("h1", has_text="Cảnh báo").first.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("Đơn vị xử lý:", exact=False).first.wait_for(timeout=TIMEOUT_MS)  # the reminders' group
    page.wait_for_timeout(1500)
    return page


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_alerts_page_finds_the_stale_station_and_groups_reminders(chromium: object, demo_like: str) -> None:
    page = _signed_in_alerts(chromium, demo_like, 1400, 1000)
    text = page.inner_text("body")  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    assert STALE_STATION in text  # the stale station, by name, in its family's group
    assert "Vượt ngưỡng quy chuẩn" in text and "Nhắc việc quá hạn" in text
    assert "UBND phường Hoàn Kiếm (1)" in text  # one reminder for the unit, however many cases are overdue
    for raw in RAW:
        assert raw not in text, (raw, text[max(0, text.find(raw) - 80) : text.find(raw) + 80])
    _shot(page, "alerts_vi")
    page.get_by_text("English").click()  # type: ignore[attr-defined]
    page.locator("h1", has_text="Alerts").first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.get_by_text("Responsible unit:", exact=False).first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    english = page.inner_text("body")  # type: ignore[attr-defined]
    assert STALE_STATION in english and "Limit exceedances" in english
    for raw in RAW:
        assert raw not in english, (raw, english[max(0, english.find(raw) - 80) : english.find(raw) + 80])
    _shot(page, "alerts_en")


def test_alerts_page_on_a_phone(chromium: object, demo_like: str) -> None:
    page = _signed_in_alerts(chromium, demo_like, 390, 844)
    assert STALE_STATION in page.inner_text("body")  # type: ignore[attr-defined]
    _shot(page, "alerts_phone_390")


def test_a_filtered_alerts_link_reloads_with_the_same_filter(chromium: object, demo_like: str) -> None:
    page = _signed_in_alerts(chromium, demo_like, 1400, 1000)
    page.goto(demo_like + "/alerts?a_family=sla&a_q=ho%C3%A0n+ki%E1%BA%BFm")  # type: ignore[attr-defined]
    for attempt in ("link", "reload"):
        if attempt == "reload":
            page.reload()  # type: ignore[attr-defined]
        page.get_by_text("Đơn vị xử lý:", exact=False).first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
        page.wait_for_timeout(1500)  # type: ignore[attr-defined]
        text = page.inner_text("body")  # type: ignore[attr-defined]
        assert "UBND phường Hoàn Kiếm (1)" in text, attempt  # the unit searched for, in the reminders' group
        assert STALE_STATION not in text and "Vượt ngưỡng quy chuẩn" not in text, attempt  # other families hidden
        assert "a_family=sla" in page.url and "a_q=" in page.url, attempt  # type: ignore[attr-defined]
    _shot(page, "alerts_filtered_reload")


# --- the same page on the product's own demo (`envmon demo`, fewer reports and days) ---------------------------

DEMO_PASSWORD = "Dieu-hanh-2026!"
RAW_TEXT = ("{'", "nan", "None")
#: a raw subject is a prefix glued to a code (``unit:TTSXD``); "Responsible unit: …" is a label
RAW_SUBJECT = re.compile(r"\b(?:station|case|spot|unit|ward):\S")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The real demo (``envmon demo``, fewer reports and days), a leader account and the dashboard serving it."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("ENVMON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    var = tmp_path_factory.mktemp("demo-var")
    url = f"sqlite:///{var / 'demo.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENVMON_VAR_DIR", str(var))
        patch.setenv("DATABASE_URL", url)
        assert main(["demo", "--reports", "400", "--days", "2"]) == 0
    engine = make_engine(url)
    create_user(engine, "leader", DEMO_PASSWORD, "leader")
    with engine.connect() as conn:
        alerts = conn.execute(select(Alert.rule_id, Alert.state, Alert.labels)).all()
    engine.dispose()
    stale = [labels["station_name"] for _, state, labels in alerts if state == AlertState.STALE.value]
    units = [labels["unit_name"] for rule, state, labels in alerts
             if rule == "complaint-overdue-unit" and state == AlertState.FIRING.value]  # fmt: skip
    assert stale and units, "the demo promises a stale station and overdue reminders"
    with streamlit_server(url, var / "streamlit.log") as base:
        yield {"base": base, "stale": stale[0], "units": units}


def _check(text: str, demo: dict[str, object], stale_label: str) -> None:
    assert demo["stale"] in text and stale_label in text
    for unit in demo["units"]:  # type: ignore[attr-defined]
        assert text.count(f"{unit} (") == 1, unit  # one reminder row per responsible unit
    raw = [rule.id for rule in load_alert_rules().rules] + ["complaint-overdue-unit", *RAW_TEXT]
    for token in raw:
        assert token not in text, (token, text[max(0, text.find(token) - 80) : text.find(token) + 80])
    _no_raw_subject(text)


def _no_raw_subject(text: str) -> None:
    match = RAW_SUBJECT.search(text)
    assert match is None, text[max(0, match.start() - 80) : match.end() + 80]


def test_demo_alerts_page_in_both_languages(chromium: object, demo: dict[str, object]) -> None:
    page = _signed_in_alerts(chromium, str(demo["base"]), 1400, 1000, "leader", DEMO_PASSWORD)
    assert page.locator('[data-testid="stException"]').count() == 0  # type: ignore[attr-defined]
    _check(page.inner_text("body"), demo, "Mất dữ liệu")  # type: ignore[attr-defined]
    _shot(page, "demo_alerts_vi_1400")
    page.get_by_text("English").click()  # type: ignore[attr-defined]
    page.get_by_text("Responsible unit:", exact=False).first.wait_for(timeout=TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    _check(page.inner_text("body"), demo, "Stale (no data)")  # type: ignore[attr-defined]
    _shot(page, "demo_alerts_en_1400")


def test_demo_alerts_page_on_a_phone(chromium: object, demo: dict[str, object]) -> None:
    page = _signed_in_alerts(chromium, str(demo["base"]), 390, 844, "leader", DEMO_PASSWORD)
    _check(page.inner_text("body"), demo, "Mất dữ liệu")  # type: ignore[attr-defined]
    _shot(page, "demo_alerts_vi_390")
