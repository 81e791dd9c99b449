"""Complaint import: every row accounted for, real 311/Open311 files through their profiles, all formats."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import responses
from responses import matchers
from sqlalchemy import Engine, func, select, text

from data.config import load_settings
from data.http_client import FeedAuthError
from data.importers import pipeline
from data.importers.open311_client import date_windows, fetch_requests
from data.importers.pipeline import ImportContext, import_complaints, import_open311
from data.routing import seed_routing
from data.schema import ComplaintCase, ComplaintReport, ImportBatch, QuarantineRow

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
ICT = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture
def db(loaded_engine: Engine) -> Engine:
    seed_routing(loaded_engine)
    return loaded_engine


@pytest.fixture
def context(db: Engine) -> ImportContext:
    return ImportContext.from_settings(db, load_settings())


def _reports(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(ComplaintReport.__table__)).mappings().all())


def _cases(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(select(ComplaintCase.__table__)).mappings().all())


def _count(engine: Engine, table: type) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_broken_vn_channel_file_accounts_for_every_row(db: Engine, context: ImportContext, fixtures_dir: Path):
    path = fixtures_dir / "complaints" / "vn_channel_broken.csv"
    summary = import_complaints(db, path, context, now=NOW)

    assert summary.as_dict() | {"batch": ""} == {
        "rows": 17,
        "accepted": 8,
        "duplicates": 1,
        "quarantined": 8,
        "unassigned": 2,
        "batch": "",
    }
    assert summary.accepted + summary.duplicates + summary.quarantined == summary.rows
    with db.connect() as conn:
        quarantined = {
            row.row_number: (row.field, row.reason)
            for row in conn.execute(select(QuarantineRow).where(QuarantineRow.batch_id == summary.batch))
        }
    assert quarantined == {
        5: (
            "Thời gian",
            "row 5, field 'Thời gian': unparseable date '32/13/2025 25:00' (expected ISO 8601 or dd/mm/yyyy HH:MM)",
        ),
        6: ("Thời gian", "row 6, field 'Thời gian': missing time"),
        7: ("Nội dung", "row 7, field 'Nội dung': missing (no description and no category)"),
        8: ("Vĩ độ", "row 8, field 'Vĩ độ': not a number 'abc'"),
        9: ("Vĩ độ", "row 9, field 'Vĩ độ': latitude 95.0 outside -90..90"),
        11: (
            "Mã phản ánh",
            "row 11, field 'Mã phản ánh': duplicate id 'PA-001' already used by row 2 with different content",
        ),
        15: ("Kinh độ", "row 15, field 'Kinh độ': missing while a latitude is given"),
        16: ("Thời gian", "row 16, field 'Thời gian': time 15/03/2030 11:00 is in the future"),
    }

    reports = _reports(db).set_index("external_id")
    # HTML is stored as the literal text it was, never sanitised into something else or interpreted.
    assert reports.at["PA-002", "description"] == "Rác thải tập kết bừa bãi <img src=x onerror=alert(1)>"
    # Semicolons, doubled quotes and a line break inside a quoted cell survive.
    assert reports.at["PA-014", "description"] == 'Rác; nhiều "túi" nilon\nxuống dòng'
    # Swapped pair fixed and flagged; decimal commas read; naive time is Hà Nội time.
    assert (reports.at["PA-003", "lat"], reports.at["PA-003", "lon"]) == (21.02, 105.85)
    assert reports.at["PA-003", "flags"] == ["swapped_latlon"]
    assert reports.at["PA-003", "ward_code"] == "00082"
    assert (reports.at["PA-001", "lat"], reports.at["PA-001", "lon"]) == (21.0312, 105.7905)
    assert reports.at["PA-001", "reported_at"] == dt.datetime(2025, 3, 14, 23, 42, tzinfo=dt.UTC)
    assert reports.at["PA-002", "reported_at"] == dt.datetime(2025, 3, 15, 0, 10, tzinfo=dt.UTC)
    # Old ward name in the address -> its 2025 ward (Trúc Bạch -> Ba Đình 00004).
    assert reports.at["PA-009", "ward_code"] == "00004"
    assert reports.at["PA-009", "location_method"] == "address"
    assert reports.at["PA-009", "flags"] == ["ward_from_pre2025_name"]
    # Outside every ward (Hồ Chí Minh City) and unresolvable address: kept, unassigned.
    assert pd.isna(reports.at["PA-011", "ward_code"]) and reports.at["PA-011", "lat"] == 10.7769
    assert pd.isna(reports.at["PA-010", "ward_code"]) and reports.at["PA-010", "location_method"] == "none"
    assert (reports.at["PA-011", "flags"], reports.at["PA-010", "flags"]) == (["outside_wards"], ["no_location"])
    # Personal data sits in its own columns.
    assert (reports.at["PA-001", "reporter_name"], reports.at["PA-001", "reporter_phone"]) == (
        "Nguyễn Văn An",
        "0912345678",
    )
    # The id-less Facebook report 8 minutes later, ~7 m away, same category: linked to PA-001's case.
    hashed = [key for key in reports.index if key.startswith("sha1:")]
    assert len(hashed) == 1
    assert reports.at[hashed[0], "case_id"] == reports.at["PA-001", "case_id"]
    with db.connect() as conn:
        case = conn.execute(select(ComplaintCase).where(ComplaintCase.id == int(reports.at["PA-001", "case_id"]))).one()
    assert (case.report_count, case.category_code, case.ward_code) == (2, "burning_smoke", "00166")
    assert _count(db, ComplaintCase) == 7


def test_reimport_accepts_nothing_new(db: Engine, context: ImportContext, fixtures_dir: Path):
    path = fixtures_dir / "complaints" / "vn_channel_broken.csv"
    first = import_complaints(db, path, context, now=NOW)
    cases_before = _count(db, ComplaintCase)
    second = import_complaints(db, path, context, now=NOW)
    assert (second.rows, second.accepted, second.duplicates, second.quarantined) == (17, 0, 9, 8)
    assert second.batch != first.batch
    assert _count(db, ComplaintReport) == 8
    assert _count(db, ComplaintCase) == cases_before


def test_failure_mid_batch_leaves_nothing(
    db: Engine, context: ImportContext, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full while writing reports")

    monkeypatch.setattr(pipeline, "_insert_reports", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        import_complaints(db, fixtures_dir / "complaints" / "vn_channel_broken.csv", context, now=NOW)
    for table in (ImportBatch, ComplaintCase, ComplaintReport, QuarantineRow):
        assert _count(db, table) == 0
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_status_history")).scalar_one() == 0


def test_nyc311_2022_first_hour_through_profile(db: Engine, context: ImportContext, fixtures_dir: Path):
    summary = import_complaints(db, fixtures_dir / "complaints" / "nyc311_2022-05-01_first_hour.csv", context)
    assert (summary.rows, summary.accepted, summary.duplicates, summary.quarantined) == (924, 924, 0, 0)
    assert summary.unassigned == 924  # New York is outside every Hà Nội ward: kept, unassigned
    reports = _reports(db)
    assert set(reports["source"]) == {"nyc311"}
    assert reports["category_code"].value_counts().to_dict() == {
        "noise": 729,
        "other": 177,
        "waste": 14,
        "food_safety": 4,
    }
    assert int(reports["lat"].notna().sum()) == 913
    first = reports.set_index("external_id").loc["54049402"]
    # "05/01/2022 12:00:03 AM" New York time (EDT, UTC-4).
    assert first["reported_at"] == dt.datetime(2022, 5, 1, 4, 0, 3, tzinfo=dt.UTC)
    assert first["channel"] == "ONLINE"
    assert _count(db, ComplaintCase) == _independent_case_count(reports, radius_m=50, window_h=72)
    # Requests the source already closed give resolved cases, at the source's closing time.
    assert reports["source_status"].value_counts().to_dict() == {"Closed": 480, "In Progress": 440, "Open": 4}
    cases = _cases(db).set_index("id")
    closed_everywhere = reports.groupby("case_id")["source_status"].agg(lambda s: (s == "Closed").all())
    assert (cases["status"] == "resolved").sort_index().tolist() == closed_everywhere.sort_index().tolist()
    # The case of request 54046813 (closed 05/01/2022 12:07:46 AM) closes when its last request closed.
    raw = pd.read_csv(fixtures_dir / "complaints" / "nyc311_2022-05-01_first_hour.csv", dtype=str)
    case_id = int(reports.set_index("external_id").at["54046813", "case_id"])
    members = reports.loc[reports["case_id"] == case_id, "external_id"]
    closed_dates = pd.to_datetime(
        raw.loc[raw["Unique Key"].isin(members), "Closed Date"], format="%m/%d/%Y %I:%M:%S %p"
    ).dt.tz_localize("America/New_York")
    assert cases.at[case_id, "status"] == "resolved"
    assert cases.at[case_id, "resolved_at"] == closed_dates.max().tz_convert("UTC")


def _independent_case_count(reports: pd.DataFrame, radius_m: float, window_h: float) -> int:
    """Greedy time-ordered clustering with haversine distances (a second, slow implementation)."""
    cases: list[list] = []  # [category, lat, lon, last_time]
    count = 0
    for row in reports.sort_values(["reported_at", "id"]).itertuples():
        if math.isnan(row.lat):
            count += 1
            continue
        best = None
        for case in cases:
            if case[0] != row.category_code:
                continue
            age = (row.reported_at - case[3]).total_seconds() / 3600
            if (
                0 <= age <= window_h
                and _haversine(case[1], case[2], row.lat, row.lon) <= radius_m
                and (best is None or case[3] > best[3])
            ):
                best = case
        if best is None:
            cases.append([row.category_code, row.lat, row.lon, row.reported_at])
            count += 1
        else:
            best[3] = row.reported_at
    return count


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_nyc311_dohmh_older_schema(db: Engine, context: ImportContext, fixtures_dir: Path):
    summary = import_complaints(db, fixtures_dir / "complaints" / "nyc311_dohmh_2018-01-22.csv", context)
    assert (summary.rows, summary.accepted, summary.duplicates, summary.quarantined) == (155, 155, 0, 0)
    reports = _reports(db)
    assert reports["category_code"].value_counts().to_dict() == {"waste": 140, "food_safety": 14, "wastewater": 1}
    assert set(reports["channel"]) == {"311"}  # no channel column in the 2018 schema: profile default


def test_chicago_open311_file(db: Engine, context: ImportContext, fixtures_dir: Path):
    path = fixtures_dir / "complaints" / "chicago_open311_georeport_v2_requests_sample.json"
    summary = import_complaints(db, path, context)
    assert (summary.rows, summary.accepted, summary.duplicates, summary.quarantined) == (50, 50, 0, 0)
    reports = _reports(db).set_index("external_id")
    assert reports["category_code"].value_counts().to_dict() == {"construction": 38, "other": 12}
    statuses = _cases(db)["status"].value_counts().to_dict()
    assert statuses == {"resolved": 49, "received": 1}  # 49 closed at the source, 1 open
    first = reports.loc["14-00684314"]
    assert first["reported_at"] == dt.datetime(2014, 5, 10, 0, 2, 21, tzinfo=dt.UTC)  # 19:02:21-05:00
    assert (first["channel"], first["source_status"], first["category_raw"]) == ("phone", "closed", "Pothole in Street")
    assert import_complaints(db, path, context).duplicates == 50


def _vn_rows() -> list[list[object]]:
    return [
        ["Mã phản ánh", "Thời gian", "Nội dung", "Địa chỉ", "Vĩ độ", "Kinh độ", "Kênh", "Loại phản ánh"],
        ["X-1", dt.datetime(2025, 3, 17, 9, 30), "Rác thải ùn ứ", "Ngõ 9 Hàng Bông", 21.0300, 105.8480, "Zalo", "Rác"],
        ["X-2", "17/03/2025 10:00", "Tiếng ồn công trình ban đêm", "phường Cầu Giấy", None, None, "hotline", ""],
        ["X-3", "not a date", "Mùi hôi", "", 21.03, 105.85, "Facebook", "Mùi hôi"],
    ]


def test_xlsx_made_by_openpyxl(db: Engine, context: ImportContext, tmp_path: Path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in _vn_rows():
        sheet.append(row)
    path = tmp_path / "phan_anh.xlsx"
    workbook.save(path)

    summary = import_complaints(db, path, context, now=NOW)
    assert (summary.rows, summary.accepted, summary.quarantined, summary.unassigned) == (3, 2, 1, 0)
    reports = _reports(db).set_index("external_id")
    assert reports.at["X-1", "reported_at"] == dt.datetime(2025, 3, 17, 2, 30, tzinfo=dt.UTC)  # Excel date cell
    assert (reports.at["X-1", "channel"], reports.at["X-1", "category_code"]) == ("Zalo OA", "waste")
    assert (reports.at["X-2", "ward_code"], reports.at["X-2", "category_code"]) == ("00166", "noise")
    with db.connect() as conn:
        reason = conn.execute(select(QuarantineRow.reason)).scalar_one()
    assert reason == "row 4, field 'Thời gian': unparseable date 'not a date' (expected ISO 8601 or dd/mm/yyyy HH:MM)"


def test_geojson_points(db: Engine, context: ImportContext, tmp_path: Path):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [105.8523, 21.0345]},
            "properties": {
                "Mã phản ánh": "G-1",
                "Thời gian": "2025-03-17T08:15:00",
                "Nội dung": "Đốt rác",
                "Kênh": "iHanoi",
                "Trạng thái": "Đã xử lý",
                "Thời gian hoàn thành": "17/03/2025 15:00",
                "Loại phản ánh": "Đốt rác",
            },
        },
        {
            "type": "Feature",
            "geometry": None,
            "properties": {
                "Mã phản ánh": "G-2",
                "Thời gian": "17/03/2025 08:20",
                "Nội dung": "Nước thải",
                "Địa chỉ": "Xã Sóc Sơn",
                "Loại phản ánh": "Nước thải",
            },
        },
    ]
    path = tmp_path / "phan_anh.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    summary = import_complaints(db, path, context, now=NOW)
    assert (summary.rows, summary.accepted, summary.quarantined) == (2, 2, 0)
    reports = _reports(db).set_index("external_id")
    assert (reports.at["G-1", "lat"], reports.at["G-1", "lon"], reports.at["G-1", "ward_code"]) == (
        21.0345,
        105.8523,
        "00070",
    )
    assert reports.at["G-2", "location_method"] == "address"
    assert reports.at["G-2", "category_code"] == "wastewater"
    cases = _cases(db).set_index("id")
    closed = cases.loc[int(reports.at["G-1", "case_id"])]
    assert (closed["status"], closed["resolved_at"]) == ("resolved", dt.datetime(2025, 3, 17, 8, 0, tzinfo=dt.UTC))
    assert cases.at[int(reports.at["G-2", "case_id"]), "status"] == "received"


def test_unknown_headers_name_the_problem(db: Engine, context: ImportContext, tmp_path: Path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"cannot detect the import profile from the headers \(a, b\)"):
        import_complaints(db, path, context)


def test_date_windows_never_exceed_90_days():
    start = dt.datetime(2025, 1, 1, tzinfo=ICT)
    windows = date_windows(start, start + dt.timedelta(days=200))
    assert [(b - a).days for a, b in windows] == [90, 90, 20]
    assert windows[0][0] == start and windows[-1][1] == start + dt.timedelta(days=200)


@responses.activate
def test_open311_endpoint_paging_and_windows(fixtures_dir: Path):
    recorded = json.loads(
        (fixtures_dir / "complaints" / "chicago_open311_georeport_v2_requests_sample.json").read_text("utf-8")
    )
    url = "https://311api.example.org/open311/v2/requests.json"
    start = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
    middle, end = start + dt.timedelta(days=90), start + dt.timedelta(days=120)
    pages = [
        (start, middle, 1, recorded[:20]),
        (start, middle, 2, recorded[20:40]),
        (start, middle, 3, recorded[40:45]),
        (middle, end, 1, recorded[45:] + recorded[:2]),
    ]
    for lower, upper, page, body in pages:
        params = {"start_date": lower.isoformat(), "end_date": upper.isoformat(), "page": str(page), "page_size": "20"}
        responses.get(url, json=body, match=[matchers.query_param_matcher(params)])

    import requests

    with requests.Session() as session:
        items = fetch_requests(session, "https://311api.example.org/open311/v2/", start, end, page_size=20)
    assert [item["service_request_id"] for item in items] == [item["service_request_id"] for item in recorded]
    assert len(responses.calls) == 4


@responses.activate
def test_open311_error_is_reported():
    url = "https://311api.example.org/open311/v2/requests.json"
    responses.get(url, status=403, json=[{"code": 403, "description": "Invalid api_key"}])
    import requests

    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    with requests.Session() as session, pytest.raises(FeedAuthError, match="HTTP 403 from .*Invalid api_key"):
        fetch_requests(session, "https://311api.example.org/open311/v2", start, start + dt.timedelta(days=1))


@responses.activate
def test_open311_pull_imports_as_one_batch(db: Engine, context: ImportContext, fixtures_dir: Path):
    recorded = json.loads(
        (fixtures_dir / "complaints" / "chicago_open311_georeport_v2_requests_sample.json").read_text("utf-8")
    )
    url = "https://311api.example.org/open311/v2/requests.json"
    responses.get(url, json=recorded[:30], match=[matchers.query_param_matcher({"page": "1"}, strict_match=False)])
    responses.get(url, json=[], match=[matchers.query_param_matcher({"page": "2"}, strict_match=False)])
    import requests

    start = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
    with requests.Session() as session:
        summary = import_open311(
            db,
            session,
            "https://311api.example.org/open311/v2",
            start,
            start + dt.timedelta(days=30),
            context,
            source="chicago",
        )
    assert (summary.rows, summary.accepted, summary.quarantined) == (30, 30, 0)
    assert set(_reports(db)["source"]) == {"chicago"}


def test_malformed_csv_record_is_quarantined_not_fatal(db: Engine, context: ImportContext, tmp_path: Path):
    path = tmp_path / "lech_cot.csv"
    path.write_text(
        "Mã phản ánh,Thời gian,Nội dung,Vĩ độ,Kinh độ\n"
        "M-1,17/03/2025 09:00,Rác thải,21.0300,105.8480\n"
        "M-2,17/03/2025 09:05,Rác, nhiều túi nilon,21.0300,105.8480\n"
        "M-3,17/03/2025 09:10,Khói bụi\n",
        encoding="utf-8",
    )
    summary = import_complaints(db, path, context, now=NOW)
    assert (summary.rows, summary.accepted, summary.quarantined) == (3, 2, 1)
    with db.connect() as conn:
        reason = conn.execute(select(QuarantineRow.reason)).scalar_one()
    assert reason == "row 3: 6 cells where the header has 5 (a ',' inside an unquoted value?)"


def test_header_only_file_imports_nothing(db: Engine, context: ImportContext, tmp_path: Path):
    path = tmp_path / "rong.csv"
    path.write_text("Mã phản ánh;Thời gian;Nội dung\n", encoding="utf-8")
    summary = import_complaints(db, path, context, now=NOW)
    assert (summary.rows, summary.accepted, summary.duplicates, summary.quarantined) == (0, 0, 0, 0)


@responses.activate
def test_cli_pulls_an_open311_endpoint(sqlite_engine: Engine, fixtures_dir: Path, monkeypatch, capsys):
    from cli import main
    from data.boundary_store import load_shipped_sets

    load_shipped_sets(sqlite_engine)
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    recorded = json.loads(
        (fixtures_dir / "complaints" / "chicago_open311_georeport_v2_requests_sample.json").read_text("utf-8")
    )
    url = "https://311api.example.org/open311/v2/requests.json"
    window = {"start_date": "2014-01-01T00:00:00+07:00", "end_date": "2014-02-01T00:00:00+07:00"}
    responses.get(url, json=recorded[:5], match=[matchers.query_param_matcher({**window, "page": "1"})])
    responses.get(url, json=[], match=[matchers.query_param_matcher({**window, "page": "2"})])
    argv = ["complaints", "import", "https://311api.example.org/open311/v2", "--since", "2014-01-01"]
    assert main([*argv, "--until", "2014-01-31", "--source", "chicago"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["accepted"], summary["quarantined"]) == (5, 5, 0)
    assert main(argv[:3]) == 2
    assert "needs --since" in capsys.readouterr().err
