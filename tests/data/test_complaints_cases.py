"""Cases: cross-channel duplicates, routing, status workflow with history, overdue counts, public view, export."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cli import main
from data.case_actions import ActionNotAllowedError, Actor, CaseInputError, current_version, perform
from data.case_filter import CaseFilter, place_filter
from data.cases import cluster_reports
from data.config import load_settings
from data.exports import reports_frame
from data.importers.pipeline import ImportContext, import_complaints
from data.queries import overdue_by_unit
from data.routing import Router, seed_routing
from data.schema import ComplaintCase, ResponsibleUnit
from data.users import create_user
from data.workflow import status_history
from monitoring.sla_signals import sla_signals

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
BASE = pd.Timestamp("2025-03-10T02:00:00Z")
# Metres per degree at Hà Nội's latitude (21.03°): 110,574 m north, 111,320·cos(lat) m east.
DEG_LAT_PER_M = 1 / 110_574


def _reports(rows: list[tuple[float, float, str, float]]) -> pd.DataFrame:
    """Reports from (north offset m, hours after BASE, category, east offset m) around Hoàn Kiếm."""
    return pd.DataFrame(
        {
            "lat": [21.0288 + north * DEG_LAT_PER_M for north, _, _, _ in rows],
            "lon": [105.8523 + east / (111_320 * np.cos(np.radians(21.0288))) for _, _, _, east in rows],
            "reported_at": [BASE + pd.Timedelta(hours=hours) for _, hours, _, _ in rows],
            "category_code": [category for _, _, category, _ in rows],
        }
    )


NO_CASES = pd.DataFrame(
    {"case_id": [], "lat": [], "lon": [], "category_code": [], "last_report_at": pd.to_datetime([], utc=True)}
)


def test_same_category_within_radius_and_window_is_one_case():
    reports = _reports([(0, 0, "waste", 0), (30, 5, "waste", 30), (49, 70, "waste", 0)])
    refs = cluster_reports(reports, NO_CASES, 50, 72)
    assert refs.tolist() == [-1, -1, -1]


@pytest.mark.parametrize(
    ("second", "why"),
    [((60, 1, "waste", 0), "60 m away"), ((10, 73, "waste", 0), "73 h later"), ((10, 1, "noise", 0), "other category")],
)
def test_reports_outside_radius_window_or_category_open_new_cases(second, why):
    refs = cluster_reports(_reports([(0, 0, "waste", 0), second]), NO_CASES, 50, 72)
    assert refs.tolist() == [-1, -2], why


def test_window_counts_from_the_latest_report_of_the_case():
    refs = cluster_reports(_reports([(0, 0, "odour", 0), (0, 60, "odour", 0), (0, 120, "odour", 0)]), NO_CASES, 50, 72)
    assert refs.tolist() == [-1, -1, -1]


def test_report_without_location_opens_its_own_case():
    reports = _reports([(0, 0, "waste", 0), (0, 1, "waste", 0)])
    reports.loc[1, ["lat", "lon"]] = np.nan
    assert cluster_reports(reports, NO_CASES, 50, 72).tolist() == [-1, -2]


def test_existing_open_case_absorbs_a_new_report():
    existing = pd.DataFrame(
        {
            "case_id": [41],
            "lat": [21.0288],
            "lon": [105.8523],
            "category_code": ["waste"],
            "last_report_at": pd.to_datetime([BASE - pd.Timedelta(hours=10)], utc=True),
        }
    )
    refs = cluster_reports(_reports([(20, 0, "waste", 0), (20, 1, "noise", 0)]), existing, 50, 72)
    assert refs.tolist() == [41, -2]
    late_arrival = _reports([(5, -40, "waste", 0), (5, -90, "waste", 0)])  # 30 h and 80 h before its last report
    assert cluster_reports(late_arrival, existing, 50, 72).tolist() == [41, -2]


@pytest.fixture
def db(loaded_engine: Engine) -> Engine:
    seed_routing(loaded_engine)
    return loaded_engine


@pytest.fixture
def imported(db: Engine, fixtures_dir: Path) -> Engine:
    context = ImportContext.from_settings(db, load_settings())
    import_complaints(db, fixtures_dir / "complaints" / "vn_channel_broken.csv", context, now=NOW)
    return db


def _unit_code(engine: Engine, unit_id: int | None) -> str | None:
    with engine.connect() as conn:
        return conn.execute(select(ResponsibleUnit.code).where(ResponsibleUnit.id == unit_id)).scalar()


def _case(engine: Engine, external_id: str):
    frame = reports_frame(engine, CaseFilter())
    case_id = int(frame.set_index("source_report_id").at[external_id, "case_id"])
    with engine.connect() as conn:
        return conn.execute(select(ComplaintCase).where(ComplaintCase.id == case_id)).one()


def test_routing_table_precedence(db: Engine):
    with db.connect() as conn:
        router = Router.load(conn)
    codes = {
        ("00070", "waste"): "URENCO",
        ("00070", "noise"): "CA-00070",
        ("00070", "other"): "UBND-00070",
        ("00070", "construction"): "TTSXD",
        ("00166", "wastewater"): "CCBVMT",
        (None, "other"): "SONNMT",
    }
    assert {key: _unit_code(db, router.route_one(*key)) for key in codes} == codes


def test_seed_routing_is_idempotent_and_names_units(db: Engine):
    again = seed_routing(db)
    assert again == {"units": 258, "rules": 260}
    with db.connect() as conn:
        name = conn.execute(select(ResponsibleUnit.name).where(ResponsibleUnit.code == "UBND-00070")).scalar_one()
    assert name == "UBND phường Hoàn Kiếm"


def test_imported_cases_are_routed_with_deadlines(imported: Engine):
    smoke = _case(imported, "PA-001")  # burning in Cầu Giấy: environmental protection sub-department, urgent
    assert (_unit_code(imported, smoke.unit_id), smoke.priority, smoke.status) == ("CCBVMT", "urgent", "received")
    # Saturday 15 Mar 06:42 local -> accept by Monday 16:00, handle (urgent, 4 h) by Monday 12:00 (UTC+7).
    assert smoke.accept_due_at == dt.datetime(2025, 3, 17, 9, 0, tzinfo=dt.UTC)
    assert smoke.due_at == dt.datetime(2025, 3, 17, 5, 0, tzinfo=dt.UTC)
    assert _unit_code(imported, _case(imported, "PA-002").unit_id) == "URENCO"


OPERATOR = Actor("nguyen.thu.ha", "operator", None)


def _act(engine: Engine, case_id: int, action: str, actor: Actor = OPERATOR, **kwargs) -> None:
    version = current_version(engine, case_id)
    perform(engine, case_id, action, actor=actor, expected_version=version, media_dir=Path("unused"), **kwargs)


def test_status_workflow_records_every_change(imported: Engine):
    case_id = _case(imported, "PA-002").id
    t0 = dt.datetime(2025, 3, 17, 2, 0, tzinfo=dt.UTC)
    unit = Actor("doi-vsmt-3", "unit", frozenset({_case(imported, "PA-002").unit_id}))
    _act(imported, case_id, "assign", assignee="Đội VSMT số 3", note="giao URENCO", at=t0)
    _act(imported, case_id, "in_progress", unit, at=t0 + dt.timedelta(hours=1))
    _act(imported, case_id, "reject", unit, note="không thuộc thẩm quyền", at=t0 + dt.timedelta(hours=3))
    _act(imported, case_id, "reopen", note="người dân báo chưa xong", at=t0 + dt.timedelta(days=1))
    history = status_history(imported, case_id)
    assert [(h.from_status, h.to_status) for h in history] == [
        ("", "received"),
        ("received", "assigned"),
        ("assigned", "in_progress"),
        ("in_progress", "rejected"),
        ("rejected", "received"),
    ]
    assert [h.actor for h in history[1:]] == ["nguyen.thu.ha", "doi-vsmt-3", "doi-vsmt-3", "nguyen.thu.ha"]
    assert history[3].note == "không thuộc thẩm quyền" and history[3].at == t0 + dt.timedelta(hours=3)
    case = _case(imported, "PA-002")
    assert (case.status, case.accepted_at, case.resolved_at, case.reopen_count) == ("received", t0, None, 1)


def test_invalid_transition_is_refused_and_not_recorded(imported: Engine):
    case_id = _case(imported, "PA-002").id
    with pytest.raises(ActionNotAllowedError, match="Cannot “Resolve” a case whose status is “Received”"):
        _act(imported, case_id, "resolve", note="x")
    with pytest.raises(CaseInputError, match="No action “done”"):
        _act(imported, case_id, "done")
    assert len(status_history(imported, case_id)) == 1


def test_transfer_reroutes_to_another_unit(imported: Engine):
    case_id = _case(imported, "PA-002").id
    _act(imported, case_id, "transfer", note="thuộc địa bàn phường", to_unit="UBND-00070")
    assert _unit_code(imported, _case(imported, "PA-002").unit_id) == "UBND-00070"


def test_overdue_counts_and_sla_signals(imported: Engine):
    now = dt.datetime(2025, 3, 17, 6, 0, tzinfo=dt.UTC)  # Monday 13:00 local: urgent cases (due 12:00) are late
    table = overdue_by_unit(imported, CaseFilter(), now).set_index("unit_code")
    # CCBVMT: two urgent burning cases (late) and the normal wastewater case (due Friday).
    assert table.loc["CCBVMT", ["open_cases", "overdue"]].tolist() == [3, 2]
    assert table.loc["THOATNUOC", ["open_cases", "overdue"]].tolist() == [1, 1]  # urgent flooding
    assert table.loc["URENCO", ["open_cases", "overdue"]].tolist() == [3, 0]
    by_subject = {signal.subject: signal for signal in sla_signals(imported, now)}
    firing = {subject: signal.value for subject, signal in by_subject.items() if signal.condition}
    assert firing == {"unit:CCBVMT": 2.0, "unit:THOATNUOC": 1.0}  # one reminder per unit, not one per case
    assert by_subject["unit:URENCO"].condition is False
    reminder = by_subject["unit:CCBVMT"]
    burning = _case(imported, "PA-001")
    assert reminder.kind == "sla" and reminder.labels["open_cases"] == "3"
    assert reminder.labels["oldest_case_id"] in {str(burning.id), str(_case(imported, "PA-011").id)}


def test_export_filters_and_personal_columns(imported: Engine):
    frame = reports_frame(imported, CaseFilter(**place_filter(imported, district="Cầu Giấy")))
    assert frame["source_report_id"].str.startswith(("PA-001", "sha1:")).all() and len(frame) == 2
    assert {"ward_code", "ward_name", "former_district"} <= set(frame.columns)
    assert "reporter_phone" not in frame.columns
    personal = reports_frame(imported, CaseFilter(**place_filter(imported, ward="Cầu Giấy")), include_personal=True)
    assert sorted(personal["reporter_phone"].dropna()) == ["0912345678", "0977000111"]


def test_cli_import_export_status(sqlite_engine: Engine, fixtures_dir: Path, tmp_path: Path, monkeypatch, capsys):
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(sqlite_engine)
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    assert main(["complaints", "routing"]) == 0
    capsys.readouterr()
    assert main(["complaints", "import", str(fixtures_dir / "complaints" / "nyc311_dohmh_2018-01-22.csv")]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {key: summary[key] for key in ("rows", "accepted", "duplicates", "quarantined")} == {
        "rows": 155,
        "accepted": 155,
        "duplicates": 0,
        "quarantined": 0,
    }
    assert main(["complaints", "export", "--format", "geojson", "--category", "wastewater"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert [f["properties"]["Mã phản ánh gốc"] for f in exported["features"]] == ["38282161"]
    out = tmp_path / "reports.csv"
    assert main(["complaints", "export", "--out", str(out), "--include-personal"]) == 0
    exported_csv = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert len(exported_csv) == 155 and "Người phản ánh" in exported_csv.columns
    # 01/22/2018 12:00:00 AM New York (EST) = 05:00 UTC = 12:00 in Hà Nội.
    assert exported_csv["Thời điểm phản ánh"].iloc[0] == "2018-01-22T12:00:00+07:00"
    case_id = int(exported_csv["Mã vụ việc"].iloc[0])
    capsys.readouterr()
    create_user(sqlite_engine, "tran.van.nam", "Trâu-vàng-đứng-gốc-đa-42", "operator")
    assert main(["complaints", "status", str(case_id), "--to", "accepted", "--by", "tran.van.nam"]) == 0
    assert json.loads(capsys.readouterr().out)["to"] == "accepted"
    assert (
        main(
            [
                "complaints",
                "status",
                str(case_id),
                "--to",
                "received",
                "--by",
                "tran.van.nam",
                "--note",
                "x",
                "--lang",
                "en",
            ]
        )
        == 2
    )
    assert "Cannot “Reopen” a case whose status is “Accepted”" in capsys.readouterr().err


def test_views_on_an_empty_database(engine: Engine):
    filters = CaseFilter(**place_filter(engine, district="Hoàn Kiếm", ward="00070"))
    assert reports_frame(engine, filters).empty
    assert overdue_by_unit(engine, CaseFilter(), NOW).empty
    assert [(s.subject, s.condition) for s in sla_signals(engine, NOW)] == [("unit:-", False)]


def test_sla_signal_clears_when_the_case_is_closed(imported: Engine):
    now = dt.datetime(2025, 3, 17, 6, 0, tzinfo=dt.UTC)
    flooding = _case(imported, "PA-010")
    assert {s.subject: s.condition for s in sla_signals(imported, now)}["unit:THOATNUOC"] is True
    _act(imported, flooding.id, "reject", note="trùng phản ánh", at=now)
    later = now + dt.timedelta(hours=1)
    assert {s.subject: s.condition for s in sla_signals(imported, later)}["unit:THOATNUOC"] is False
