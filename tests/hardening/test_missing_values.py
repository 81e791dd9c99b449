"""Missing values never reach a person or a machine as ``nan``, ``None``, ``NaT`` or invalid JSON.

Hypothesis builds frames with missing values in every dtype pandas 3 produces (``str`` with NaN, ``object``
with None, floats with NaN, times with NaT, nullable integers with NA) and sends them through every writer of
text for people or programs: the CSV writer (:mod:`data.exports`), the complaint export (CSV, GeoJSON), the
quarantine view of the Import page, JSON records (:func:`data.frames.plain_records`) and the CLI's JSON output.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import _common
from data.exports import EXPORT_COLUMNS, csv_text, export_csv, export_geojson, export_table
from data.frames import plain_records
from data.uploads import quarantine_view

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MISSING_WORDS = {"nan", "NaN", "None", "NaT", "<NA>", "null", "inf", "-inf"}
TIMES = pd.date_range("2025-03-01", periods=5, freq="7h", tz="UTC")

texts = st.one_of(st.none(), st.text(max_size=8).filter(lambda text: text.strip() not in MISSING_WORDS))
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False, width=32))
moments = st.one_of(st.none(), st.sampled_from(list(TIMES)))


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    """A frame of 0–6 rows with a missing-capable column of every dtype pandas 3 gives."""
    size = draw(st.integers(0, 6))
    column = lambda strategy: draw(st.lists(strategy, min_size=size, max_size=size))  # noqa: E731
    return pd.DataFrame(
        {
            "text": pd.Series(column(texts), dtype="str"),
            "objects": pd.Series(column(texts), dtype=object),
            "number": pd.Series(column(numbers), dtype=float),
            "count": pd.Series(column(st.one_of(st.none(), st.integers(-5, 5))), dtype="Int64"),
            "time": pd.Series(column(moments), dtype="datetime64[ns, UTC]"),
        }
    )


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@PROPERTY
@given(frames())
def test_csv_cells_are_empty_where_values_are_missing(frame: pd.DataFrame) -> None:
    cells = _cells(csv_text(frame))
    assert not MISSING_WORDS & set(cells), cells


@PROPERTY
@given(frames())
def test_json_records_are_valid_json_without_missing_words(frame: pd.DataFrame) -> None:
    text = json.dumps(plain_records(frame), default=str, allow_nan=False)
    for record in json.loads(text):
        for value in record.values():
            assert value is None or not (isinstance(value, str) and value in MISSING_WORDS)


@PROPERTY
@given(frames())
def test_cli_json_output_is_valid_json(frame: pd.DataFrame) -> None:
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        _common.emit_json({"rows": frame.to_dict("records"), "nan": math.nan})
    out = stdout.getvalue()
    json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in CLI JSON: {out}"))


@st.composite
def report_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Rows shaped like :func:`data.exports.reports_frame`, any cell missing."""
    size = draw(st.integers(1, 4))
    frame = pd.DataFrame(index=range(size))
    for column in EXPORT_COLUMNS:
        if column.kind == "time":
            values = pd.Series(draw(st.lists(moments, min_size=size, max_size=size)), dtype="datetime64[ns, UTC]")
        elif column.kind == "number":
            values = pd.Series(draw(st.lists(numbers, min_size=size, max_size=size)), dtype=float)
        elif column.kind == "flags":
            flags = st.one_of(st.none(), st.just(["no_location"]))
            values = pd.Series(draw(st.lists(flags, min_size=size, max_size=size)), dtype=object)
        elif column.kind == "yes_no":
            flags = st.sampled_from([None, True, False])
            values = pd.Series(draw(st.lists(flags, min_size=size, max_size=size)), dtype=object)
        else:
            values = pd.Series(draw(st.lists(texts, min_size=size, max_size=size)), dtype="str")
        frame[column.source] = values
    frame["lat"] = frame["lat"].where(frame["lat"].abs() <= 90)
    return frame


@PROPERTY
@given(report_frames(), st.sampled_from(["vi", "en"]))
def test_the_complaint_export_has_no_missing_words(frame: pd.DataFrame, language: str) -> None:
    table = export_table(frame, language, "Asia/Ho_Chi_Minh")
    assert not MISSING_WORDS & set(_cells(export_csv(frame, language, "Asia/Ho_Chi_Minh")))
    collection = json.loads(export_geojson(frame, language, "Asia/Ho_Chi_Minh"))
    assert len(collection["features"]) == len(table)
    for feature in collection["features"]:
        assert not MISSING_WORDS & {str(value) for value in feature["properties"].values() if value is not None}


@PROPERTY
@given(
    st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 99)), texts, numbers), max_size=5),
    st.sampled_from(["vi", "en"]),
)
def test_the_quarantine_view_has_no_missing_words(rows: list[tuple[object, object, object]], language: str) -> None:
    stored = pd.DataFrame(
        {
            "row_number": pd.Series([row for row, _, _ in rows], dtype="Int64"),
            "field": pd.Series([field for _, field, _ in rows], dtype="str"),
            "reason": ["stored reason"] * len(rows),
            "reason_code": ["not_a_number" if value is not None else None for _, _, value in rows],
            "reason_params": [{"value": value} if value is not None else None for _, _, value in rows],
            "raw": [{"Vĩ độ": value, "Họ tên": None} for _, _, value in rows],
        }
    )
    view = quarantine_view(stored, language)
    for column in ("field", "value", "raw"):
        assert not MISSING_WORDS & set(view[column].astype(object)), view
