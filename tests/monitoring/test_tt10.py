"""Circular 10/2021 station files: the worked vectors of standards.md §5.8 and the refusal rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from monitoring.averages import hourly_means
from monitoring.feeds.tt10 import Tt10FormatError, parse_filename, parse_tt10, parse_tt10_files

NOW = dt.datetime(2025, 3, 15, 4, 0, tzinfo=dt.UTC)
WASTEWATER = "HN_CTYDETMAYABC_NT01_20250315103000.txt"
AIR = "HN_STNMTHN_KK05_20250115080000.txt"


@pytest.fixture
def tt10_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "tt10"


def _parse(folder: Path, name: str, now: dt.datetime = NOW):
    return parse_tt10(name, (folder / name).read_bytes(), now=now)


def test_filename_parts_and_local_time() -> None:
    parts = parse_filename(WASTEWATER)
    assert (parts.province, parts.facility, parts.station) == ("HN", "CTYDETMAYABC", "NT01")
    assert parts.sent_at == dt.datetime(2025, 3, 15, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert parts.station_id == "HN_CTYDETMAYABC_NT01"
    assert parts.filename() == WASTEWATER


def test_wastewater_example_gives_seven_records(tt10_dir: Path) -> None:
    source_file, readings = _parse(tt10_dir, WASTEWATER)
    assert source_file.error is None and source_file.rejects == [] and source_file.rows == 7
    assert len(readings) == 7
    assert set(readings["station_id"]) == {"HN_CTYDETMAYABC_NT01"}
    assert set(readings["observed_at"]) == {pd.Timestamp("2025-03-15T03:30:00Z")}
    by_parameter = readings.set_index("parameter")
    assert list(by_parameter.index) == ["temp", "ph", "color", "cod", "tss", "nh4", "flow"]
    assert by_parameter.loc["cod", "value"] == pytest.approx(45.2)
    assert by_parameter.loc["cod", "status"] == "00"
    assert by_parameter.loc["nh4", "status"] == "01"
    assert by_parameter.loc["flow", "unit"] == "m³/h"


def test_air_example_maps_pm25_and_keeps_error_status(tt10_dir: Path) -> None:
    source_file, readings = _parse(tt10_dir, AIR, now=dt.datetime(2025, 1, 15, 1, 0, tzinfo=dt.UTC))
    assert source_file.error is None and len(readings) == 8
    by_parameter = readings.set_index("parameter")
    assert by_parameter.loc["pm25", "value"] == pytest.approx(45.3)
    assert by_parameter.loc["pm25", "unit"] == "µg/m³"
    assert by_parameter.loc["so2", "status"] == "02"


def test_error_status_is_excluded_from_the_hourly_mean(tt10_dir: Path) -> None:
    _, readings = _parse(tt10_dir, AIR, now=dt.datetime(2025, 1, 15, 1, 0, tzinfo=dt.UTC))
    hourly = hourly_means(readings, interval_minutes=60).set_index("parameter")
    assert hourly.loc["so2", "n_valid"] == 0 and not hourly.loc["so2", "valid"]
    assert pd.isna(hourly.loc["so2", "value"])
    assert hourly.loc["pm25", "valid"] and hourly.loc["pm25", "value"] == pytest.approx(45.3)


def test_decimal_comma_parses(tt10_dir: Path) -> None:
    _, readings = _parse(tt10_dir, "HN_CTYDETMAYABC_NT01_20250315103500.txt")
    assert readings.set_index("parameter").loc["cod", "value"] == pytest.approx(45.2)
    assert readings.set_index("parameter").loc["tss", "value"] == pytest.approx(18.6)


def test_line_with_four_fields_refuses_the_file(tt10_dir: Path) -> None:
    source_file, readings = _parse(tt10_dir, "HN_CTYDETMAYABC_NT01_20250315104000.txt")
    assert readings.empty
    assert source_file.error is not None
    assert source_file.error.text() == (
        "HN_CTYDETMAYABC_NT01_20250315104000.txt, line 2: expected 5 TAB-separated fields, got 4"
    )
    assert source_file.error.text("vi") == (
        "HN_CTYDETMAYABC_NT01_20250315104000.txt, dòng 2: cần 5 trường cách nhau bằng TAB, có 4"
    )
    assert source_file.rows == 2


def test_unknown_status_refuses_only_that_line(tt10_dir: Path) -> None:
    source_file, readings = _parse(tt10_dir, "HN_CTYDETMAYABC_NT01_20250315104500.txt")
    assert source_file.error is None
    assert list(readings["parameter"]) == ["tss"]
    [reject] = source_file.rejects
    assert (reject.row_number, reject.field) == (1, "status")
    assert "'03'" in reject.reason


def test_bad_file_name_is_refused(tt10_dir: Path) -> None:
    source_file, _ = _parse(tt10_dir, "CTYDETMAYABC-NT01-20250315104500.txt")
    assert source_file.error is not None and "does not match <TINH>_<COSO>_<TRAM>" in source_file.error.text()
    with pytest.raises(Tt10FormatError):
        parse_filename("HN_A_B_2025031510.txt")


def test_file_more_than_ten_minutes_in_the_future_is_refused(tt10_dir: Path) -> None:
    content = (tt10_dir / WASTEWATER).read_bytes()
    eleven_minutes_early = dt.datetime(2025, 3, 15, 3, 19, tzinfo=dt.UTC)
    nine_minutes_early = dt.datetime(2025, 3, 15, 3, 21, tzinfo=dt.UTC)
    refused, _ = parse_tt10(WASTEWATER, content, now=eleven_minutes_early)
    accepted, _ = parse_tt10(WASTEWATER, content, now=nine_minutes_early)
    assert refused.error is not None and "in the future" in refused.error.text()
    assert accepted.error is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "no data lines"),
        (b"COD\t4x\tmg/L\t20250315103000\t00\n", "line 1, field 'value': '4x' is not a number"),
        (b"COD\t45\tmg/L\t2025031510\t00\n", "line 1, field 'time'"),
        (b"COD\t45\tmg/L\t20250315103000\t0\n", "line 1, field 'status'"),
        ("COD\t45\tmg/L\t20250315103000\t00\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_malformed_content_names_line_and_field(content: bytes, expected: str) -> None:
    source_file, readings = parse_tt10(WASTEWATER, content, now=NOW)
    assert readings.empty
    assert source_file.error is not None and expected in source_file.error.text()


def test_lf_and_crlf_give_the_same_readings(tt10_dir: Path) -> None:
    crlf = (tt10_dir / WASTEWATER).read_bytes()
    lf = crlf.replace(b"\r\n", b"\n")
    files, readings = parse_tt10_files([(WASTEWATER, crlf), (WASTEWATER, lf)], now=NOW)
    assert files[0].content_hash != files[1].content_hash
    first, second = readings[readings.index < 7], readings[readings.index >= 7].reset_index(drop=True)
    pd.testing.assert_frame_equal(first.reset_index(drop=True), second)
