"""Dashboard read queries against the seeded dataset, on SQLite and PostgreSQL/PostGIS."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dashboard_seed import CASE_PLAN, NOW, REPORTER_NAME, REPORTER_PHONE, XSS_TITLE, case_totals, seed_dashboard
from sqlalchemy import Engine

from data import alert_queries, exports, queries
from data.case_filter import CaseFilter


@pytest.fixture
def seeded(loaded_engine: Engine) -> Engine:
    seed_dashboard(loaded_engine)
    return loaded_engine


def test_kpis_match_the_seeded_plan(seeded: Engine) -> None:
    expected = case_totals()
    kpis = queries.case_kpis(seeded, CaseFilter(set_name="hanoi-2025"), NOW)
    assert kpis["open"] == expected["open"]
    assert kpis["overdue"] == expected["overdue"]
    assert kpis["resolved"] == expected["resolved"]
    assert kpis["on_time_pct"] == pytest.approx(round(100 * expected["on_time"] / expected["resolved"], 1))
    # resolved on time after 12 h, late after 36 h: 4 × 12 h and 2 × 36 h -> median 12 h
    assert kpis["median_hours_to_resolve"] == pytest.approx(12.0, abs=0.01)
    assert alert_queries.active_alert_count(seeded) == 2


def test_ward_counts_and_filters(seeded: Engine) -> None:
    counts = queries.ward_case_counts(seeded, CaseFilter(), NOW).set_index("ward_code")
    for code, plan in CASE_PLAN.items():
        assert counts.loc[code, "cases"] == sum(plan)
        assert counts.loc[code, "overdue"] == plan[1]
    only_hk = CaseFilter(ward_codes=("00070",), statuses=("resolved",))
    assert queries.case_count(seeded, only_hk) == CASE_PLAN["00070"][2] + CASE_PLAN["00070"][3]
    hotline = exports.reports_frame(seeded, CaseFilter(channels=("hotline",)))
    total = sum(sum(plan) for plan in CASE_PLAN.values())
    assert sorted(set(hotline["case_id"])) == [i for i in range(1, total + 1) if i % 3 == 0]
    assert set(hotline["channel"]) == {"hotline"}
    assert queries.case_count(seeded, CaseFilter(opened_from=NOW.date() + dt.timedelta(days=1))) == 0
    by_channel = queries.channel_breakdown(seeded, CaseFilter(channels=("hotline",)))
    assert by_channel.values.tolist() == [["hotline", total // 3]]


def test_overdue_by_unit_lists_units_worst_first(seeded: Engine) -> None:
    by_unit = queries.overdue_by_unit(seeded, CaseFilter(), NOW)
    by_unit = by_unit[by_unit["overdue"] > 0]
    assert by_unit["overdue"].sum() == case_totals()["overdue"]
    assert by_unit.iloc[0]["unit"] == "UBND phường Hoàn Kiếm"  # 2 overdue in Hoàn Kiếm vs 1 elsewhere
    assert (by_unit["oldest_days_overdue"] > 0).all()
    cases = queries.overdue_cases(seeded, CaseFilter(), NOW)
    assert list(cases["days_overdue"]) == sorted(cases["days_overdue"], reverse=True)


def test_no_personal_data_in_any_read(seeded: Engine) -> None:
    frames = [
        queries.case_points(seeded, CaseFilter(), 100),
        queries.case_page(seeded, CaseFilter(), 0, 100),
        queries.public_stations(seeded),
        queries.heat_cells(seeded, CaseFilter()),
    ]
    for frame in frames:
        text = frame.to_csv()
        assert REPORTER_NAME not in text and REPORTER_PHONE not in text
        assert not {"reporter_name", "reporter_phone", "description"} & set(frame.columns)
    assert XSS_TITLE in queries.case_page(seeded, CaseFilter(), 0, 100)["title"].tolist()
    export = exports.reports_frame(seeded, CaseFilter())  # the analysts' export: report texts, no reporter
    assert len(export) > 0 and not {"reporter_name", "reporter_phone"} & set(export.columns)
    assert REPORTER_NAME not in export.to_csv() and REPORTER_PHONE not in export.to_csv()


def test_heat_cells_coarsen_to_about_100_m(seeded: Engine) -> None:
    cells = queries.heat_cells(seeded, CaseFilter())
    assert cells["cases"].sum() == sum(sum(plan) for plan in CASE_PLAN.values())
    assert ((cells["lat"] * 1000).round(6) % 1 == 0).all()


def test_cases_per_day_uses_hanoi_days(seeded: Engine) -> None:
    per_day = queries.cases_per_day(seeded, CaseFilter())
    total = sum(sum(plan) for plan in CASE_PLAN.values())
    assert per_day["cases"].sum() == total
    expected_first = (NOW - dt.timedelta(days=3 + total)).astimezone(ZoneInfo(CaseFilter().timezone)).date()
    assert per_day["day"].min().date() == expected_first


def test_station_queries(seeded: Engine) -> None:
    assert queries.public_stations(seeded, "wastewater")["id"].tolist() == ["ww-1"]
    stations = queries.public_stations(seeded, "air").set_index("id")
    assert stations.loc["hn-air-1", "last_reading_at"] == NOW - dt.timedelta(minutes=20)
    latest = queries.public_latest_aqi(seeded, "vn").set_index("station_id")
    assert latest.loc["hn-air-1", "aqi"] == 75 and latest.loc["hn-air-2", "category"] == 4
    readings = queries.public_latest_readings(seeded, "hn-air-1")
    assert list(readings["parameter"]) == ["no2", "pm25"]
    series = queries.reading_series(seeded, "hn-air-1", "pm25", NOW - dt.timedelta(hours=24))
    assert len(series) == 24 and set(series["status"]) == {"00", "01"}
    assert alert_queries.alert_frame(seeded, states=("firing",))["subject"].tolist() == ["station:ww-1/cod", "hn-air-2"]
    assert alert_queries.alert_events(seeded)["to_state"].tolist() == ["firing"]
    assert queries.quarantine_rows(seeded, "seed-complaints")["field"].tolist() == ["lat"]
