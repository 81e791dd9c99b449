"""Property-based tests: any input to the complaint, readings and Circular 10/2021 importers is accounted for.

Whatever bytes arrive, the importers either refuse the whole file with a clear ``ValueError`` (what the CLI
prints as ``envmon: error: …``) or account for every row: accepted + duplicates + quarantined == rows, and
each quarantine entry names its row and field.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from data.importers.pipeline import ImportContext, ImportSummary, import_complaints
from data.schema import QuarantineRow
from monitoring.feeds.tt10 import Tt10FormatError, parse_filename, parse_tt10_files
from monitoring.readings_import import import_readings

NOW = dt.datetime(2025, 4, 1, tzinfo=dt.UTC)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VN_HEADER = ["Mã phản ánh", "Thời gian", "Nội dung", "Địa chỉ", "Vĩ độ", "Kinh độ", "Kênh", "Loại phản ánh",
             "Họ tên", "Số điện thoại"]  # fmt: skip
_counter = itertools.count()

# Cells that exercise the parser: delimiters, quotes, newlines, BOMs, diacritics, numbers, dates, injections.
NASTY_CELLS = st.sampled_from(
    ["", " ", ";", ",", '"', "'", "\n", "\r\n", "\ufeff", "\x00", "NaN", "Infinity", "-inf", "1e9", "-5",
     "21,0312", "105.8523", "21.0288", "abc", "15/03/2025 06:42", "2025-03-15T07:10:00+07:00", "2024-02-29 10:00",
     "2025-02-29 10:00", "32/13/2025 25:00", "1970-01-01T00:00:00Z", "2099-01-01 00:00", "P. Dịch Vọng Hậu",
     "Đốt rác", "Rác thải", "<script>alert(1)</script>", "'; DROP TABLE complaint_reports; --"]
)  # fmt: skip
CELLS = st.one_of(NASTY_CELLS, st.text(max_size=30))


def _tmp_file(folder: Path, suffix: str, content: bytes) -> Path:
    path = folder / f"input-{next(_counter)}{suffix}"
    path.write_bytes(content)
    return path


def _quarantine_of(engine: Engine, batch: str) -> list[QuarantineRow]:
    with engine.connect() as conn:
        return list(conn.execute(select(QuarantineRow).where(QuarantineRow.batch_id == batch)).all())


def _assert_accounted(engine: Engine, summary: ImportSummary) -> None:
    assert summary.accepted + summary.duplicates + summary.quarantined == summary.rows
    refused = _quarantine_of(engine, summary.batch)
    assert len(refused) == summary.quarantined
    for row in refused:
        assert row.row_number is not None and f"row {row.row_number}" in row.reason, row.reason
        assert row.field == "" or f"'{row.field}'" in row.reason, (row.field, row.reason)


@PROPERTY
@given(content=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".txt", ".json", ".geojson"]))
def test_complaint_import_of_any_bytes_is_refused_clearly_or_accounted(
    module_engine: Engine, module_context: ImportContext, tmp_path: Path, content: bytes, suffix: str
) -> None:
    path = _tmp_file(tmp_path, suffix, content)
    try:
        summary = import_complaints(module_engine, path, module_context, now=NOW)
    except ValueError as err:
        assert str(err), "a refusal must say why"
        return
    _assert_accounted(module_engine, summary)


@PROPERTY
@given(
    records=st.lists(st.lists(CELLS, min_size=10, max_size=10), min_size=1, max_size=12),
    delimiter=st.sampled_from([";", ","]),
    bom=st.booleans(),
)
def test_complaint_import_of_generated_vn_channel_csv_accounts_for_every_row(
    module_engine: Engine,
    module_context: ImportContext,
    tmp_path: Path,
    records: list[list[str]],
    delimiter: str,
    bom: bool,
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(VN_HEADER)
    writer.writerows(records)
    path = _tmp_file(tmp_path, ".csv", (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8"))
    try:
        summary = import_complaints(module_engine, path, module_context, now=NOW)
    except ValueError as err:
        assert str(err)
        return
    _assert_accounted(module_engine, summary)
    again = import_complaints(module_engine, path, module_context, now=NOW)
    assert again.accepted == 0, "re-importing a file must add nothing"
    assert again.rows == summary.rows and again.duplicates + again.quarantined == again.rows


READING_CELLS = {
    "station_id": st.one_of(st.sampled_from(["ST1", "HN_KCN_NT01", "", " "]), st.text(max_size=8)),
    "parameter": st.one_of(
        st.sampled_from(["PM2.5", "pm25", "NO2", "COD", "NH4+", "pH", "Radon", ""]), st.text(max_size=6)
    ),
    "value": st.one_of(
        st.sampled_from(["NaN", "Infinity", "-inf", "1e9", "-5", "0", "12.5", "abc", ""]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    ),
    "unit": st.sampled_from(["µg/m³", "ug/m3", "ppb", "ppm", "mg/L", "", "Bq"]),
    "observed_at": st.one_of(
        st.sampled_from(["2025-03-15T10:00:00+07:00", "2024-02-29T01:00:00Z", "2025-02-29T01:00:00Z",
                         "1970-01-01T00:00:00Z", "2099-12-31T23:00:00+00:00", "not a time", ""]),
        st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2090, 1, 1)).map(
            lambda t: t.replace(microsecond=0).isoformat() + "+07:00"
        ),
    ),
    "status": st.sampled_from(["00", "01", "02", "0", "03", "xx", ""]),
}  # fmt: skip


@PROPERTY
@given(rows=st.lists(st.fixed_dictionaries(READING_CELLS), min_size=1, max_size=15))
def test_readings_import_of_generated_canonical_csv_accounts_for_every_row(
    module_engine: Engine, tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    text = pd.DataFrame(rows).to_csv(index=False, quoting=csv.QUOTE_ALL)
    path = _tmp_file(tmp_path, ".csv", text.encode("utf-8"))
    summary = import_readings(module_engine, path, now=NOW)
    assert summary.files == 1
    assert summary.accepted + summary.duplicates + summary.quarantined == summary.rows == len(rows)
    again = import_readings(module_engine, path, now=NOW)
    assert again.accepted == 0 and again.rows == len(rows)


@PROPERTY
@given(content=st.binary(max_size=300))
def test_readings_import_of_any_bytes_is_quarantined_or_accounted(
    module_engine: Engine, tmp_path: Path, content: bytes
) -> None:
    path = _tmp_file(tmp_path, ".csv", content)
    summary = import_readings(module_engine, path, now=NOW)
    assert summary.files == 1
    assert summary.accepted + summary.duplicates + summary.quarantined == summary.rows


TT10_NAMES = st.one_of(
    st.text(max_size=60),
    st.builds(
        "{}_{}_{}_{}.txt".format,
        st.from_regex(r"[A-Z]{1,3}", fullmatch=True),
        st.from_regex(r"[A-Za-z0-9-]{1,10}", fullmatch=True),
        st.from_regex(r"[A-Z0-9]{1,5}", fullmatch=True),
        st.from_regex(r"\d{14}", fullmatch=True),
    ),
)
TT10_LINE = st.builds(
    "\t".join,
    st.lists(
        st.one_of(
            st.sampled_from(["COD", "TSS", "pH", "NH4+", "Flow", "12,5", "7.1", "mg/L", "20250315103000", "00", "02"]),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=6,
    ),
)


@PROPERTY
@given(name=TT10_NAMES)
def test_tt10_file_names_parse_or_raise_a_format_error(name: str) -> None:
    try:
        parts = parse_filename(name)
    except Tt10FormatError as err:
        assert repr(name) in str(err)
        return
    assert parts.filename().lower() == name.lower()


@PROPERTY
@given(files=st.lists(st.tuples(TT10_NAMES, st.one_of(st.binary(max_size=200), st.lists(TT10_LINE, max_size=6).map(
    lambda lines: "\r\n".join(lines).encode("utf-8")))), min_size=1, max_size=5))  # fmt: skip
def test_tt10_parser_never_raises_and_quarantines_with_a_reason(files: list[tuple[str, bytes]]) -> None:
    parsed, readings = parse_tt10_files(files, now=NOW)
    assert len(parsed) == len(files)
    for (name, _content), source_file in zip(files, parsed, strict=True):
        assert source_file.name == name
        if source_file.error is not None:
            assert name in source_file.error.text() or repr(name) in source_file.error.text()
            assert name not in set(readings.get("file", []))
        for reject in source_file.rejects:
            assert reject.row_number is not None and reject.field and reject.reason
    good = sum(len(f.rejects) for f in parsed if f.error is None) + int(
        readings["file"].isin([f.name for f in parsed if f.error is None]).sum()
    )
    assert good == sum(f.rows for f in parsed if f.error is None)
