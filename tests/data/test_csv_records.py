"""A CSV with malformed records is split by Arrow when every record is one line, else by the ``csv`` module.

Both splits must give the same cells, row numbers (record index, header = row 1) and bad rows.
"""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from data.importers.readers import _arrow_records, _stdlib_records, read_csv_bytes

PIECES = ["a", "b", "é", ";", ",", '"', '""', " ", "\t", "\n", "\r\n", "\r"]


def _splits(text: str, delimiter: str) -> tuple[object, object]:
    """Arrow's split and, when there is one, the ``csv`` module's (which may raise where Arrow declines)."""
    header = [cell.strip() for cell in next(csv.reader(io.StringIO(text), delimiter=delimiter))]
    arrow = _arrow_records(text, text.encode(), delimiter, header)
    return arrow, None if arrow is None else _stdlib_records(text, delimiter, len(header))


def _as_lists(split: tuple) -> tuple:
    columns, numbers, bad = split
    return [list(values) for values in columns], numbers, bad


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(
    delimiter=st.sampled_from([";", ","]),
    header=st.lists(st.sampled_from(["h", "é", '"a;b"', " x "]), min_size=1, max_size=4),
    body=st.lists(st.sampled_from(PIECES), max_size=40),
)
def test_arrow_split_equals_the_csv_module_split(delimiter: str, header: list[str], body: list[str]):
    text = delimiter.join(header) + "\n" + "".join(body)
    arrow, stdlib = _splits(text, delimiter)
    if arrow is not None:
        assert _as_lists(arrow) == _as_lists(stdlib)


def test_arrow_split_pads_short_records_refuses_long_ones_and_skips_blank_lines():
    text = 'id;text;ward\n1;a;x\n\n2;b\n3;c;d;e\n ; ;\n4;"q""uote";y\n'
    arrow, stdlib = _splits(text, ";")
    assert arrow is not None
    columns, numbers, bad = arrow
    assert numbers == [2, 4, 7]
    assert [list(values) for values in columns] == [["1", "2", "4"], ["a", "b", 'q"uote'], ["x", "", "y"]]
    assert [(row["row_number"], row["raw"]) for row in bad] == [(5, {"cells": ["3", "c", "d", "e"]})]
    assert _as_lists(arrow) == _as_lists(stdlib)


def test_a_record_spanning_lines_is_left_to_the_csv_module():
    text = 'id;text\n1;"two\nlines"\n2;a;b\n3;c\n'
    assert _splits(text, ";")[0] is None
    table = read_csv_bytes(text.encode(), "t.csv")
    assert table.row_numbers == [2, 4]
    assert table.frame["text"].tolist() == ["two\nlines", "c"]
    assert [row["row_number"] for row in table.bad_rows] == [3]
