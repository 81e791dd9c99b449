"""Extreme values through the complaint and readings importers and the AQI: signs, magnitudes, NaN/Infinity
strings, 1970 and future times, leap days, a zone without DST and a New York time inside the DST gap."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from data.importers.pipeline import ImportContext, import_complaints
from data.schema import ComplaintReport, QuarantineRow, Reading
from monitoring.aqi import PeriodInputs, compute_aqi, nowcast, sub_index
from monitoring.aqi_tables import VN_TABLES
from monitoring.readings_import import import_readings

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
UTC = dt.UTC


def _quarantine(engine: Engine, batch: str) -> dict[int, tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(QuarantineRow).where(QuarantineRow.batch_id == batch)).all()
        return {row.row_number: (row.field, row.reason) for row in rows}


def _reported(engine: Engine, source: str) -> dict[str, dt.datetime]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ComplaintReport.external_id, ComplaintReport.reported_at).where(ComplaintReport.source == source)
        )
        return dict(rows.all())


def test_complaint_times_and_coordinates_at_the_extremes(
    module_engine: Engine, module_context: ImportContext, tmp_path: Path
) -> None:
    path = tmp_path / "extreme.csv"
    path.write_text(
        "Mã phản ánh;Thời gian;Nội dung;Vĩ độ;Kinh độ\n"
        "X1;29/02/2024 08:00;Rác;21.0288;105.8523\n"  # leap day: valid
        "X2;29/02/2025 08:00;Rác;21.0288;105.8523\n"  # no 29 February in 2025
        "X3;01/01/1970 07:00;Rác;21.0288;105.8523\n"  # the epoch in Hà Nội time
        "X4;01/01/2099 07:00;Rác;21.0288;105.8523\n"  # future
        "X5;15/03/2025 06:42;Rác;NaN;105.8523\n"
        "X6;15/03/2025 06:42;Rác;Infinity;-inf\n"
        "X7;15/03/2025 06:42;Rác;1e9;105.8523\n"
        "X8;15/03/2025 06:42;Rác;-21.0288;105.8523\n",  # southern hemisphere: outside every ward, kept
        encoding="utf-8",
    )
    summary = import_complaints(module_engine, path, module_context, now=NOW)
    assert (summary.rows, summary.accepted, summary.quarantined, summary.unassigned) == (8, 3, 5, 1)
    refused = _quarantine(module_engine, summary.batch)
    assert {row: field for row, (field, _reason) in refused.items()} == {
        3: "Thời gian",
        5: "Thời gian",
        6: "Vĩ độ",
        7: "Vĩ độ",
        8: "Vĩ độ",
    }
    assert "29/02/2025" in refused[3][1] and "future" in refused[5][1]
    assert "NaN" in refused[6][1] and "inf" in refused[7][1] and "1000000000" in refused[8][1]
    stored = _reported(module_engine, "vn-channel")
    assert stored["X1"] == dt.datetime(2024, 2, 29, 1, 0, tzinfo=UTC)  # 08:00 at UTC+7, no DST in Việt Nam
    # tzdata: Asia/Ho_Chi_Minh was UTC+8 from 1959 to 1975 (Sài Gòn time), so 07:00 local is 23:00 UTC
    assert stored["X3"] == dt.datetime(1969, 12, 31, 23, 0, tzinfo=UTC)
    assert "X8" in stored


def test_new_york_time_in_the_dst_gap_is_shifted_forward_deterministically(
    module_engine: Engine, module_context: ImportContext, tmp_path: Path
) -> None:
    header = "Unique Key,Created Date,Complaint Type,Descriptor,Latitude,Longitude\n"
    path = tmp_path / "nyc.csv"
    path.write_text(
        header + "9001,03/13/2022 02:30:00 AM,Noise,Loud,40.7,-73.9\n"  # 02:00-03:00 does not exist that night
        "9002,11/06/2022 01:30:00 AM,Noise,Loud,40.7,-73.9\n",  # 01:00-02:00 happens twice: standard time
        encoding="utf-8",
    )
    first = import_complaints(module_engine, path, module_context, now=NOW)
    assert (first.accepted, first.quarantined, first.unassigned) == (2, 0, 2)
    stored = _reported(module_engine, "nyc311")
    assert stored["9001"] == dt.datetime(2022, 3, 13, 7, 0, tzinfo=UTC)  # shifted to 03:00 EDT
    assert stored["9002"] == dt.datetime(2022, 11, 6, 6, 30, tzinfo=UTC)  # 01:30 EST
    again = import_complaints(module_engine, path, module_context, now=NOW)
    assert (again.accepted, again.duplicates) == (0, 2)
    assert _reported(module_engine, "nyc311") == stored


def test_readings_at_the_extremes(module_engine: Engine, tmp_path: Path) -> None:
    rows = [
        ("-5", "2025-03-15T10:00:00+07:00"),  # row 2: negative, stored as delivered (no AQI from it)
        ("1e9", "2025-03-15T11:00:00+07:00"),  # row 3
        ("NaN", "2025-03-15T12:00:00+07:00"),  # row 4
        ("Infinity", "2025-03-15T13:00:00+07:00"),  # row 5
        ("-inf", "2025-03-15T14:00:00+07:00"),  # row 6
        ("5", "1970-01-01T00:00:00Z"),  # row 7
        ("5", "2099-01-01T00:00:00Z"),  # row 8: clock skew
        ("5", "2024-02-29T10:00:00+07:00"),  # row 9: leap day
        ("5", "2025-02-29T10:00:00+07:00"),  # row 10: no such day
    ]
    path = tmp_path / "extreme_readings.csv"
    frame = pd.DataFrame([("XT1", "PM2.5", value, "µg/m³", at, "00") for value, at in rows])
    frame.columns = ["station_id", "parameter", "value", "unit", "observed_at", "status"]
    frame.to_csv(path, index=False)
    summary = import_readings(module_engine, path, now=NOW)
    assert summary.as_dict() == {"files": 1, "rows": 9, "accepted": 4, "duplicates": 0, "quarantined": 5}
    with module_engine.connect() as conn:
        stored = dict(conn.execute(select(Reading.observed_at, Reading.value).where(Reading.station_id == "XT1")).all())
        refused = {
            row.row_number: row.field
            for row in conn.execute(select(QuarantineRow).where(QuarantineRow.reason.like("extreme_readings.csv:%")))
        }
    assert stored == {
        dt.datetime(2025, 3, 15, 3, tzinfo=UTC): -5.0,
        dt.datetime(2025, 3, 15, 4, tzinfo=UTC): 1e9,
        dt.datetime(1970, 1, 1, tzinfo=UTC): 5.0,
        dt.datetime(2024, 2, 29, 3, tzinfo=UTC): 5.0,
    }
    assert refused == {4: "value", 5: "value", 6: "value", 8: "observed_at", 10: "observed_at"}


@pytest.mark.parametrize("scale", ["vn", "us"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), -1.0, -0.001])
def test_aqi_gives_no_sub_index_for_negative_or_non_finite_values(scale: str, value: float) -> None:
    inputs = PeriodInputs(
        "hourly",
        nowcast={"pm25": value, "pm10": value},
        one_hour={"no2": value, "so2": value, "o3": value, "co": value},
        eight_hour={"o3": value, "co": value},
        day_mean={"so2": value},
    )
    assert compute_aqi(scale, inputs) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("scale", ["vn", "us"])
def test_aqi_of_a_huge_value_is_capped_at_500_and_flagged(scale: str) -> None:
    result = compute_aqi(scale, PeriodInputs("hourly", nowcast={"pm25": 1e9}))  # type: ignore[arg-type]
    assert result is not None
    assert (result.aqi, result.beyond_scale, result.dominant) == (500, True, "pm25")
    assert result.label.endswith("500+")


def test_aqi_ignores_the_bad_pollutant_and_keeps_the_good_one() -> None:
    # PM2.5 NowCast 35 µg/m³ -> VN_AQI: band 25-50 -> 50-100, 50 + 50 * 10/25 = 70 (standards §1.3 Công thức 1)
    result = compute_aqi("vn", PeriodInputs("hourly", nowcast={"pm25": 35.0, "pm10": float("nan")}))
    assert result is not None and (result.aqi, result.dominant) == (70, "pm25")
    assert sub_index(VN_TABLES["pm25"], "pm25", -1) is None


def test_nowcast_treats_non_finite_hours_as_missing() -> None:
    # c1 missing (NaN), c2 = 10, c3 = 12: w = max(10/12, 0.5); NowCast = (w*10 + w^2*12) / (w + w^2)
    weight = 10 / 12
    expected = (weight * 10 + weight**2 * 12) / (weight + weight**2)
    assert nowcast([float("nan"), 10.0, 12.0]) == pytest.approx(expected)
    assert nowcast([float("inf"), float("nan"), 12.0]) is None
