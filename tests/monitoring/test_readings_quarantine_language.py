"""Refused readings read in the operator's language on the Import page: row problems (one or several in a row)
and whole refused files (a station file, an unrecognised CSV), on both engines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from data import queries
from data.schema import QuarantineRow
from data.uploads import quarantine_view
from monitoring.readings_import import import_readings

NOW = dt.datetime(2025, 3, 16, tzinfo=dt.UTC)
CSV = (
    "station_id,parameter,value,unit,observed_at,status\n"
    "hn-1,pm25,31.5,µg/m³,2025-03-15T10:00:00+07:00,00\n"
    "hn-1,XX,abc,µg/m³,2025-03-15T10:00:00+07:00,07\n"
)
STATION_FILE = "COD\t45.2\tmg/L\t20250315103000\n"  # four fields: the whole file is refused


def _reasons(engine: Engine, language: str) -> list[str]:
    with engine.connect() as conn:
        batches = sorted(set(conn.scalars(select(QuarantineRow.batch_id)).all()))
    views = [quarantine_view(queries.quarantine_rows(engine, batch), language) for batch in batches]
    return [reason for view in views for reason in view["reason"]]


@pytest.mark.parametrize(
    ("language", "row", "whole_file"),
    [
        (
            "vi",
            "dòng 3, trường 'parameter, value, status': không biết thông số 'XX'; giá trị không phải số: 'abc'; "
            "trạng thái thiết bị '07' không phải 00, 01 hoặc 02 (Thông tư 10/2021)",
            "HN_CTYA_NT01_20250315103000.txt, dòng 1: cần 5 trường cách nhau bằng TAB, có 4",
        ),
        (
            "en",
            "row 3, field 'parameter, value, status': unknown parameter symbol 'XX'; value is not a number: 'abc'; "
            "device status '07' is not 00, 01 or 02 (Circular 10/2021)",
            "HN_CTYA_NT01_20250315103000.txt, line 1: expected 5 TAB-separated fields, got 4",
        ),
    ],
)
def test_refused_readings_read_in_the_page_language(
    engine: Engine, tmp_path: Path, language: str, row: str, whole_file: str
) -> None:
    (tmp_path / "readings.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "HN_CTYA_NT01_20250315103000.txt").write_text(STATION_FILE, encoding="utf-8")
    summary = import_readings(engine, tmp_path, now=NOW).as_dict()
    assert summary["accepted"] == 1 and summary["quarantined"] == 2
    assert sorted(_reasons(engine, language)) == sorted([row, whole_file])


def test_an_unrecognised_csv_is_refused_whole_in_the_page_language(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "khac.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    import_readings(engine, tmp_path, now=NOW)
    [vi] = _reasons(engine, "vi")
    [en] = _reasons(engine, "en")
    assert vi.startswith(f"{tmp_path / 'khac.csv'}: không nhận ra dạng tệp số liệu CSV; cần bản xuất OpenAQ (")
    assert en.startswith(f"{tmp_path / 'khac.csv'}: unrecognised readings CSV; expected an OpenAQ export (")


def test_an_openaq_export_row_without_a_location_id_is_refused_and_the_rest_stored(
    engine: Engine, tmp_path: Path
) -> None:
    """A text or blank ``location_id`` (the column then reads as floats) used to stop the whole import."""
    (tmp_path / "openaq.csv").write_text(
        "location_id,location_name,parameter,value,unit,datetimeUtc\n"
        "2161290,An Khánh,pm25,31.5,µg/m³,2025-03-15T03:00:00Z\n"
        "abc,X,pm25,12,µg/m³,2025-03-15T03:00:00Z\n"
        ",Y,pm25,12,µg/m³,2025-03-15T03:00:00Z\n",
        encoding="utf-8",
    )
    summary = import_readings(engine, tmp_path, now=NOW).as_dict()
    assert (summary["accepted"], summary["quarantined"]) == (1, 2)
    assert sorted(_reasons(engine, "vi")) == [
        "dòng 3, trường 'location_id': 'abc' không phải mã địa điểm OpenAQ (số nguyên)",
        "dòng 4, trường 'location_id': '<empty>' không phải mã địa điểm OpenAQ (số nguyên)",
    ]
