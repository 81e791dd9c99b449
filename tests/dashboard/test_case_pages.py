"""The case-work pages in AppTest: the unit queue (`/queue`) and the case page (`/case?id=N`): a unit account sees and
opens its own cases only; staff pick a unit; a stale form gets the conflict message."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from dashboard_seed import PASSWORD, REPORTER_NAME, REPORTER_PHONE, XSS_TITLE, seed_dashboard, signed_in
from sqlalchemy import Engine, delete, insert, select
from streamlit.testing.v1 import AppTest

from dashboard import loaders, maps, state
from data.boundary_store import load_shipped_sets
from data.case_actions import actor_for_user, perform
from data.db import make_engine, migrate
from data.schema import Alert, CaseUrge, ComplaintCase, ComplaintReport, User, UserUnit
from data.users import create_user

APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")
UNIT_USERS = {"donvi-hk": ("ubnd-hk",), "donvi-urenco": ("urenco",), "donvi-none": ("urenco",)}
# seeded open cases per unit (dashboard_seed.CASE_PLAN): ward 00070 → ubnd-hk, the other wards → urenco
OPEN_CASES = {"ubnd-hk": {1, 2, 3}, "urenco": {8, 10, 11}}

App = Callable[..., AppTest]


@pytest.fixture(scope="module")
def queue_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine, Path]]:
    folder = tmp_path_factory.mktemp("queue")
    url = f"sqlite:///{folder / 'queue.db'}"
    engine = make_engine(url)
    migrate(engine)
    load_shipped_sets(engine)
    seed_dashboard(engine)
    for name, units in UNIT_USERS.items():
        create_user(engine, name, PASSWORD, "unit", units=units)
    with engine.begin() as conn:  # an account whose binding was removed behind its back (data.users needs one)
        user_id = conn.execute(select(User.id).where(User.username == "donvi-none")).scalar_one()
        conn.execute(delete(UserUnit).where(UserUnit.user_id == user_id))
    yield url, engine, folder / "media"
    engine.dispose()


@pytest.fixture
def queue_app(queue_db: tuple[str, Engine, Path], monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("DATABASE_URL", queue_db[0])
    monkeypatch.setenv("ENVMON_MEDIA_DIR", str(queue_db[2]))
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


def _linked_cases(at: AppTest, *, closed: bool = False) -> set[int]:
    """Case ids linked from the open sections (or, ``closed``, from the closed tab)."""
    found: set[int] = set()
    for frame in at.dataframe:
        if ("Đúng hạn" in frame.value.columns or "On time" in frame.value.columns) != closed:
            continue
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
    # its closed cases of the last 30 days (seeded: 4-6 resolved on time, 7 late), to look back and publish
    assert _linked_cases(at, closed=True) == {4, 5, 6, 7}
    closed = next(f.value for f in at.dataframe if "Đúng hạn" in f.value.columns)
    assert dict(zip(closed["Vụ việc"], closed["Đúng hạn"], strict=True))["/case?id=7"] == "Không"


def test_on_a_phone_the_case_number_stays_in_view_and_the_content_follows_the_clock(queue_app: App) -> None:
    at = queue_app("donvi-hk", language="en")
    overdue = at.dataframe[0]
    assert list(overdue.value.columns[:3]) == ["Case", "Time limit", "Subject"]
    assert json.loads(overdue.proto.columns)["Case"]["pinned"] is True  # scrolls sideways under the case number
    closed = next(frame for frame in at.dataframe if "On time" in frame.value.columns)
    assert list(closed.value.columns[:3]) == ["Case", "Status", "Subject"]
    assert json.loads(closed.proto.columns)["Case"]["pinned"] is True


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


def _page_text(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "error", "info", "success", "warning")
             for e in getattr(at, kind)]  # fmt: skip
    parts += [frame.value.to_csv() for frame in at.dataframe]
    parts += [m.value for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_case_page_shows_own_case_without_personal_data(queue_app: App) -> None:
    at = queue_app("donvi-hk", page="case", params={"id": "1"})
    assert not at.exception
    text = _page_text(at)
    assert at.title[0].value.startswith("Vụ việc #1 · ")
    rendered = "".join(e.value for kind in ("title", "markdown", "caption") for e in getattr(at, kind))
    assert XSS_TITLE not in rendered and "\\<img src\\=x" in at.title[0].value  # Markdown gets it escaped
    assert REPORTER_NAME not in text and REPORTER_PHONE not in text
    assert "UBND phường Hoàn Kiếm" in text
    # case 1 is due a calendar day from now: working hours left, in the status line
    assert any(i.value.startswith("**Đang xử lý** · còn ") for i in at.info), [i.value for i in at.info]
    for raw in ("nan", "None", "NaT"):
        assert f" {raw}" not in text and f"{raw}," not in text, raw


def test_operator_sees_the_reporter(queue_app: App) -> None:
    at = queue_app("ops", page="case", params={"id": "8"})
    assert not at.exception
    text = _page_text(at)
    assert REPORTER_NAME in text and REPORTER_PHONE in text


def test_unit_cannot_open_another_units_case_by_url(queue_app: App) -> None:
    other = queue_app("donvi-hk", page="case", params={"id": "8"})  # urenco's case
    missing = queue_app("donvi-hk", page="case", params={"id": "99999"})
    assert [e.value for e in other.error] == ["Không tìm thấy vụ việc \\#8\\."]
    assert [e.value for e in missing.error] == ["Không tìm thấy vụ việc \\#99999\\."]
    assert "Rác thải tồn đọng #8" not in _page_text(other) and not other.dataframe and not other.main.button


def test_stale_form_gets_the_conflict_message(queue_app: App, queue_db: tuple[str, Engine, Path]) -> None:
    at = queue_app("donvi-hk", page="case", params={"id": "2"})
    assert not at.exception
    engine = queue_db[1]
    version = engine.connect().execute(select(ComplaintCase.version).where(ComplaintCase.id == 2)).scalar_one()
    # someone else acts on the case after the page was drawn
    perform(engine, 2, "assign", actor=actor_for_user(engine, "ops"), expected_version=version, assignee="Tổ 1",
            media_dir=queue_db[2])  # fmt: skip
    at.text_input[0].input("Tổ 3")
    at.text_area[0].input("Đã cử tổ 3")
    at.button[0].click().run()
    assert not at.exception
    assert any("vừa được ops cập nhật" in e.value for e in at.error), [e.value for e in at.error]
    with engine.connect() as conn:
        assignee = conn.execute(select(ComplaintCase.assignee).where(ComplaintCase.id == 2)).scalar_one()
    assert assignee == "Tổ 1"  # nothing overwritten
    # the page now shows the current version: the same action goes through
    at.text_input[0].input("Tổ 3")
    at.button[0].click().run()
    assert not [e for e in at.error if "vừa được" in e.value]  # (the red line left is the overdue clock)
    with engine.connect() as conn:
        assert conn.execute(select(ComplaintCase.assignee).where(ComplaintCase.id == 2)).scalar_one() == "Tổ 3"


def test_case_rows_and_popups_link_to_the_case_page(queue_app: App) -> None:
    at = queue_app("ana", page="analysis")
    assert not at.exception
    table = next(frame.value for frame in at.dataframe if "Mã" in frame.value.columns)
    assert len(table) and all(str(v).startswith("/case?id=") for v in table["Mã"])
    fmap = maps.base_map(tile_url=None)
    points = pd.DataFrame({"id": [7], "lat": [21.03], "lon": [105.85], "title": [XSS_TITLE], "category_code": ["rác"],
                           "status": ["Mới"], "ward_name": ["Hoàn Kiếm"], "unit_name": ["UBND"], "opened_at": ["—"],
                           "report_count": ["1"]})  # fmt: skip
    labels = maps.CaseMarkerLabels("Vụ việc", "Loại", "Trạng thái", "Phường", "Đơn vị", "Tiếp nhận", "Số", "Mở ↗")
    maps.add_case_markers(fmap, points, labels, layer_name="cases")
    html = fmap.get_root().render()
    assert 'href=\\"/case?id=7\\" target=\\"_blank\\"' in html or 'href="/case?id=7" target="_blank"' in html
    assert XSS_TITLE not in html


def _urges(engine: Engine) -> list[tuple[int | None, int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(CaseUrge.case_id, CaseUrge.unit_id, CaseUrge.actor))]


def test_leader_urges_a_case_and_a_units_overdue_list(queue_app: App, queue_db: tuple[str, Engine, Path]) -> None:
    engine = queue_db[1]
    before = _urges(engine)
    at = queue_app("lead", page="case", params={"id": "3"})
    urge = next(b for b in at.button if b.label == "Đôn đốc")
    at.text_input[-1].input("Đề nghị xử lý ngay")
    urge.click().run()
    assert not at.exception
    assert any("Đã đôn đốc UBND phường Hoàn Kiếm" in s.value for s in at.success)
    assert _urges(engine)[len(before) :] == [(3, 1, "lead")]
    at = queue_app("lead", params={"unit": "ubnd-hk"})
    next(b for b in at.button if b.label == "Đôn đốc").click().run()
    assert not at.exception
    assert _urges(engine)[len(before) + 1 :] == [(None, 1, "lead")]
    unit_view = queue_app("donvi-hk", page="case", params={"id": "3"})
    assert not [b for b in unit_view.button if b.label == "Đôn đốc"]  # a unit does not urge itself
    assert any("Đề nghị xử lý ngay" in m.value for m in unit_view.markdown)  # but sees the urge on its case


def test_operator_transfers_a_case_and_the_page_says_how_it_came(
    queue_app: App, queue_db: tuple[str, Engine, Path]
) -> None:
    at = queue_app("ops", page="case", params={"id": "10"})  # urenco's, in progress
    at.pills[0].set_value("transfer").run()
    at.selectbox[0].set_value("ubnd-hk")
    at.text_area[0].input("Sai địa bàn: thuộc phường Hoàn Kiếm")
    next(b for b in at.button if b.label == "Chuyển đơn vị").click().run()
    assert not at.exception
    assert any("Đã thực hiện: Chuyển đơn vị." in s.value for s in at.success)
    text = _page_text(at)
    assert "chuyển đến bởi ops" in text and "Sai địa bàn" in text and "UBND phường Hoàn Kiếm" in text
    with queue_db[1].connect() as conn:
        row = conn.execute(select(ComplaintCase.unit_id, ComplaintCase.status).where(ComplaintCase.id == 10)).one()
    assert tuple(row) == (1, "received")  # re-routed, the new unit's accept clock starts
    # …and it is now in the new unit's queue, new, and out of the old one's
    assert 10 in _linked_cases(queue_app("donvi-hk"))
    assert 10 not in _linked_cases(queue_app("donvi-urenco"))


def test_resolving_without_the_required_photo_is_refused_in_one_line(queue_app: App) -> None:
    at = queue_app("donvi-hk", page="case", params={"id": "1"})  # waste: an "after" photo is required
    at.pills[0].set_value("resolve").run()
    assert any("cần ít nhất một ảnh sau xử lý" in c.value for c in at.caption)  # said before trying
    at.text_area[0].input("Đã thu gom")
    next(b for b in at.button if b.label == "Hoàn thành").click().run()
    assert not at.exception
    refusals = [e.value for e in at.error if "ảnh" in e.value]
    assert len(refusals) == 1 and "\n" not in refusals[0] and "Traceback" not in refusals[0]


def test_an_overdue_reminder_links_its_cases(queue_app: App, queue_db: tuple[str, Engine, Path]) -> None:
    now = dt.datetime.now(dt.UTC)
    with queue_db[1].begin() as conn:
        conn.execute(
            insert(Alert),
            [{"id": 50, "rule_id": "sla-overdue", "subject": "unit:urenco", "kind": "sla", "severity": "warning",
              "state": "firing", "message": "overdue", "labels": {"unit_name": "Công ty Môi trường đô thị"},
              "state_since": now, "fired_at": now}],
        )  # fmt: skip
    at = queue_app("lead", page="alert", params={"id": "50"})
    assert not at.exception
    links = [str(v) for frame in at.dataframe for v in frame.value.iloc[:, 0] if str(v).startswith("/case?id=")]
    assert links and all(link.removeprefix("/case?id=").isdigit() for link in links)


def test_the_units_queue_shows_how_often_and_when_each_case_was_urged(
    queue_app: App, queue_db: tuple[str, Engine, Path]
) -> None:
    lead = queue_app("lead", page="case", params={"id": "2"})
    next(b for b in lead.button if b.label == "Đôn đốc").click().run()
    assert not lead.exception
    # no route is configured here: recorded, and the page says the next poll round sends it
    assert any("Chưa gửi được ngay" in s.value for s in lead.success)
    lead = queue_app("lead", params={"unit": "ubnd-hk"})
    next(b for b in lead.button if b.label == "Đôn đốc").click().run()
    for language, header, cell in (("vi", "Đôn đốc", r"^\d+ lần · \d\d/\d\d/\d{4} \d\d:\d\d$"),
                                   ("en", "Urged", r"^\d+× · \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d$")):  # fmt: skip
        unit = queue_app("donvi-hk", language=language)
        assert not unit.exception
        rows = {
            int(str(row.iloc[0]).removeprefix("/case?id=")): row[header]
            for frame in unit.dataframe
            if header in frame.value.columns
            for _, row in frame.value.iterrows()
        }
        assert re.match(cell, rows[2]) and rows[1] == "—"  # case 2 urged, case 1 never
        assert any(("danh sách quá hạn" if language == "vi" else "overdue list") in w.value for w in unit.warning)


def _reports_of(engine: Engine, case_id: int) -> list[int]:
    with engine.connect() as conn:
        return sorted(conn.scalars(select(ComplaintReport.id).where(ComplaintReport.case_id == case_id)))


def _case(engine: Engine, case_id: int) -> tuple[str, int | None]:
    with engine.connect() as conn:
        row = conn.execute(
            select(ComplaintCase.status, ComplaintCase.merged_into_id).where(ComplaintCase.id == case_id)
        ).one()
    return row.status, row.merged_into_id


def test_operator_merges_a_duplicate_and_splits_a_report_out_again(
    queue_app: App, queue_db: tuple[str, Engine, Path]
) -> None:
    engine = queue_db[1]
    duplicate, survivor = 2, 3  # both open cases of UBND phường Hoàn Kiếm (dashboard_seed.CASE_PLAN)
    moved, kept = _reports_of(engine, duplicate), _reports_of(engine, survivor)
    unit = queue_app("donvi-hk", page="case", params={"id": str(duplicate)})
    assert not unit.exception and unit.pills
    assert not {"Gộp vụ việc", "Tách phản ánh"} & set(unit.pills[0].options)  # regrouping is the operators' work
    at = queue_app("ops", page="case", params={"id": str(duplicate)})
    at.pills[0].set_value("merge").run()
    at.number_input[0].set_value(survivor)
    at.text_area[0].input("Cùng một điểm rác")
    next(b for b in at.button if b.label == "Gộp vụ việc").click().run()
    assert not at.exception
    assert any("Đã thực hiện: Gộp vụ việc." in s.value for s in at.success)
    assert _case(engine, duplicate) == ("merged", survivor)
    assert _reports_of(engine, survivor) == sorted(kept + moved)
    merged = queue_app("ops", page="case", params={"id": str(duplicate)}, language="en")
    assert not merged.exception
    assert any(f"#{survivor}" in i.value for i in merged.info)  # the merged case points to the one it joined

    page = queue_app("ops", page="case", params={"id": str(survivor)})
    assert "Cùng một điểm rác" in _page_text(page)  # the merge and its reason in the survivor's history
    page.pills[0].set_value("split").run()
    page.selectbox[0].set_value(moved[0])
    page.text_area[0].input("Hai điểm khác nhau")
    next(b for b in page.button if b.label == "Tách phản ánh").click().run()
    assert not page.exception
    assert any("Đã thực hiện: Tách phản ánh." in s.value for s in page.success)
    with engine.connect() as conn:
        new_case = conn.scalar(select(ComplaintReport.case_id).where(ComplaintReport.id == moved[0]))
    assert new_case not in (survivor, duplicate)
    assert _reports_of(engine, new_case) == [moved[0]]
    assert _case(engine, new_case)[0] == "received"  # a new case, its accept clock running
