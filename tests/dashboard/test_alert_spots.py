"""A recurring-spot alert is one per ward; its page lists the ward's spots (count, place, times, activity)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, delete, func, insert, select
from streamlit.testing.v1 import AppTest

from dashboard import loaders
from data.boundary_store import wards_frame
from data.db import transaction
from data.schema import Alert, ComplaintCase
from monitoring.hotspot_signals import RULE_NEW_SPOT

App = Callable[..., AppTest]


@pytest.fixture(autouse=True)
def _leave_the_shared_database_as_found(seeded_db: tuple[str, Engine]) -> Iterator[None]:
    """The seeded database is shared by the whole session: remove the cases and alerts these tests add."""
    engine = seeded_db[1]
    with engine.connect() as conn:
        last_case = conn.scalar(select(func.max(ComplaintCase.id))) or 0
    yield
    with engine.begin() as conn:
        conn.execute(delete(ComplaintCase).where(ComplaintCase.id > last_case))
        conn.execute(delete(Alert).where(Alert.id.in_((900, 901))))
    loaders.clear_live_caches()


def _seed_spot(engine: Engine) -> None:
    now = dt.datetime.now(dt.UTC)
    wards = wards_frame(engine, "hanoi-2025")
    code, name = str(wards["code"].iloc[0]), str(wards["name"].iloc[0])
    with transaction(engine) as session:
        for days in (1, 2, 3, 4, 6, 8):
            when = now - dt.timedelta(days=days)
            session.add(ComplaintCase(category_code="waste", lat=21.04321, lon=105.81234, ward_code=code,
                                      set_name="hanoi-2025", opened_at=when, last_report_at=when))  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(Alert).values(
            id=900, rule_id=RULE_NEW_SPOT, subject=f"ward:{code}", kind="hotspot", severity="info", state="firing",
            value=1.0, threshold=1.0, message="", state_since=now, fired_at=now,
            labels={"ward_code": code, "ward_name": name, "spots": "1", "largest_count": "6"},
        ))  # fmt: skip


def test_spot_alert_page_lists_the_wards_spots(app: App, seeded_db: tuple[str, Engine]) -> None:
    _seed_spot(seeded_db[1])
    at = app("alerts", user="lead")
    at.switch_page("views/alert.py")
    at.query_params["id"] = "900"
    at.run()
    assert not at.exception
    assert r"1 điểm phản ánh lặp lại đang hoạt động \(lớn nhất 6 phản ánh\)" in at.subheader[0].value
    table = at.dataframe[0].value
    assert list(table["Số phản ánh"]) == ["6"]
    assert list(table["Vị trí (vĩ độ, kinh độ)"]) == ["21,04321, 105,81234"]
    assert list(table["Đang hoạt động"]) == ["Có"]


def test_overdue_reminder_links_to_the_units_queue(app: App, seeded_db: tuple[str, Engine]) -> None:
    now = dt.datetime.now(dt.UTC)
    with seeded_db[1].begin() as conn:
        conn.execute(insert(Alert).values(
            id=901, rule_id="complaint-overdue-unit", subject="unit:URENCO", kind="sla", severity="warning",
            state="firing", value=3.0, threshold=0.0, message="", state_since=now, fired_at=now,
            labels={"unit_code": "URENCO", "unit_name": "URENCO Hà Nội", "open_cases": "7"},
        ))  # fmt: skip
    loaders.clear_live_caches()  # the alert list of the test before is cached
    at = app("alerts", user="lead")
    assert not at.exception
    queues = [frame.value for frame in at.dataframe if "Hàng đợi của đơn vị" in frame.value.columns]
    assert [list(frame["Hàng đợi của đơn vị"]) for frame in queues] == [["/queue?unit=URENCO"]]
    at.switch_page("views/alert.py")
    at.query_params["id"] = "901"
    at.run()
    assert not at.exception
    assert any("(/queue?unit=URENCO)" in m.value for m in at.markdown)


def test_alert_tables_have_no_empty_cells(app: App, seeded_db: tuple[str, Engine]) -> None:
    """A leader reads every cell: no blank "handled" cell, and "last data" only in tables of silent stations."""
    _seed_spot(seeded_db[1])
    loaders.clear_live_caches()
    at = app("alerts", user="lead")
    assert not at.exception
    tables = [frame.value for frame in at.dataframe]
    assert tables
    for table in tables:
        assert not (table.astype(str).map(str.strip) == "").any().any(), table.to_dict("records")
        if "Dữ liệu cuối" in table.columns:
            assert table["Trạng thái"].str.contains("Mất dữ liệu").any()
    assert any("Đã xử lý" in table.columns and "—" in set(table["Đã xử lý"]) for table in tables)


def test_a_ward_hot_spot_says_its_neighbours_count() -> None:
    """Gi* classes a ward hot from its own and its neighbours' reports: a hot ward may have none of its own."""
    from data.alert_text import describe

    alert = {"kind": "hotspot", "rule_id": "hotspot-ward-gi", "state": "firing", "severity": "info",
             "labels": {"ward_code": "00025", "ward_name": "Giảng Võ", "class": "hot_95", "cases": "0"}}  # fmt: skip
    now = dt.datetime(2026, 12, 5, tzinfo=dt.UTC)
    assert describe(alert, "vi", now=now).what == (
        "Cụm điểm nóng phản ánh gồm phường này và các phường giáp ranh (Gi*, độ tin cậy 95%); riêng phường này: "
        "0 phản ánh trong 30 ngày"
    )
    assert "this ward and its neighbours" in describe(alert, "en", now=now).what
